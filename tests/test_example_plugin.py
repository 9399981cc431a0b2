"""The example plug-in under examples/ is a real third-party package: pip builds and installs
it (offline, from the local files) into a separate folder, and pdsgen — unchanged — lists
its recipe and runs its instrument end to end through the ``pdsgen.instruments`` entry point."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

PLUGIN = Path(__file__).resolve().parents[1] / "examples" / "pdsgen-example-thermistor"
A, B, C = 1.009249522e-3, 2.378405444e-4, 2.019202697e-7  # the recipe's defaults


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("plugin")
    build = tmp_path_factory.mktemp("build")
    env = dict(os.environ, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", TMPDIR=str(build))
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                           "--no-build-isolation", "--target", str(target), str(PLUGIN)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (target / "pdsgen_thermistor" / "recipe.toml").is_file()
    return target


def _pdsgen(plugin_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(plugin_path), COLUMNS="250")
    return subprocess.run([sys.executable, "-m", "pdsgen", *args], capture_output=True, text=True,
                          env=env, timeout=300)


def test_plugin_recipe_is_listed(plugin_path):
    done = _pdsgen(plugin_path, "recipes")
    assert done.returncode == 0, done.stderr
    assert "thermistor-temperature" in done.stdout and "chems-pha" in done.stdout


def test_plugin_instrument_runs_in_the_demo(plugin_path, tmp_path):
    import pds4_tools

    out = tmp_path / "demo"
    done = _pdsgen(plugin_path, "demo", "--only", "thermistor", "--out", str(out), "--no-validate",
                   "--creation-time", "2026-01-02T00:00:00Z")
    assert done.returncode == 0, done.stdout + done.stderr
    raw = sorted((out / "raw" / "thermistor").glob("HK_THERM_*.tab"))
    cal = sorted((out / "calibrated" / "thermistor").glob("*_cal.xml"))
    assert len(raw) == 2 and len(cal) == 2
    # raw DN read straight from the fixed-width text; expected values by the seed formula, per value
    dn = [int(line.split()[1]) for line in raw[0].read_text().splitlines() if line.strip()]
    expected = []
    for d in dn:
        x = d / 4095
        if not 0 < x < 1:
            expected.append(math.nan)
            continue
        lnr = math.log(10_000.0 * x / (1 - x))
        expected.append(1.0 / (A + B * lnr + C * lnr**3))
    struct = pds4_tools.read(str(cal[0]), quiet=True)
    table = struct[0]
    assert [int(v) for v in table["DN"]] == dn
    t = np.asarray(table["T"], dtype=float)
    t[t == -1.0e32] = np.nan  # the recipe's missing_constant for open/shorted readings
    assert np.isnan(t).sum() == 1 and np.isnan(expected).sum() == 1
    np.testing.assert_allclose(t, expected, atol=5e-5, equal_nan=True)  # %.4f in the product


def test_algorithm_hand_values(plugin_path):
    sys.path.insert(0, str(plugin_path))
    try:
        from pdsgen_thermistor.algorithm import divider_resistance_ohm, steinhart_hart_kelvin
    finally:
        sys.path.remove(str(plugin_path))
    # 10 kohm with the common 10k NTC coefficients: 1/T = A + B*9.21034 + C*781.334 = 3.357586e-3
    assert steinhart_hart_kelvin(1.0e4, A, B, C) == pytest.approx(297.8313, abs=1e-4)
    # a 2-bit ADC (full scale 3): DN 1 -> x = 1/3 -> R = R_ref/2; DN 0 and 3 -> NaN
    r = divider_resistance_ohm([0, 1, 2, 3], 2, 1000.0)
    assert r[1] == pytest.approx(500.0) and r[2] == pytest.approx(2000.0)
    assert np.isnan(r[0]) and np.isnan(r[3])
    with pytest.raises(ValueError, match="adc_bits"):
        divider_resistance_ohm([1], 0, 1000.0)
