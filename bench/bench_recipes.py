"""Recipe computation rates on 1,000,000 records per recipe (events, scans or pixels).

Times the vectorised algorithm functions pdsgen runs (best of 3) and, as the reference,
the same formulas applied record by record in plain Python (how the seed documents'
pseudo code reads; timed on a subset and scaled). Target: >= 5 million records/s per
core for CHEMS and FIPS. Run: .venv/bin/python bench/bench_recipes.py
"""

from __future__ import annotations

import math
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # per-core numbers

import numpy as np  # noqa: E402
from _common import best  # noqa: E402

from pdsgen.instruments.aca import algorithm as aca  # noqa: E402
from pdsgen.instruments.chems import algorithm as chems  # noqa: E402
from pdsgen.instruments.fips import algorithm as fips  # noqa: E402
from pdsgen.instruments.inms import algorithm as inms  # noqa: E402
from pdsgen.instruments.iuvs import algorithm as iuvs  # noqa: E402

N = 1_000_000
SUBSET = 20_000
rng = np.random.default_rng(0)


def report(name: str, unit: str, n: int, t_vec: float, t_ref: float | None, n_ref: int) -> None:
    rate = n / t_vec
    line = f"{name:<22} {n:>9,} {unit:<7} {t_vec * 1e3:8.1f} ms  {rate / 1e6:7.2f} M {unit}/s"
    if t_ref is not None:
        ref_rate = n_ref / t_ref
        line += f"   python loop {ref_rate / 1e6:6.3f} M/s   ratio {rate / ref_rate:7.0f}x"
    print(line)


# ----------------------------------------------------------------------------- CHEMS
def bench_chems() -> None:
    eq_table = chems_eq = np.geomspace(220.0, 3.0, 32)
    step = rng.integers(0, 32, N)
    tau = rng.uniform(1e-8, 2e-7, N)
    energy = rng.uniform(0, 500, N)
    dist = 0.1

    def vec():
        eq = eq_table[step]  # the per-step E/Q join
        return chems.chems_pha(tau, dist, energy, eq, 0.85)

    def loop():
        k = chems.KEV_S2_PER_M2_IN_U
        out = []
        for i in range(SUBSET):
            eq = chems_eq[step[i]]
            r2 = 2 * (tau[i] / dist) ** 2 * k
            e = energy[i]
            mq = r2 * eq
            if e > 0:
                q = e / 0.85 / eq
                out.append((r2 * e / 0.85, mq, q, q * eq))
            else:
                out.append((math.nan, mq, math.nan, math.nan))
        return out

    report("chems-pha", "events", N, best(vec), best(loop, 1), SUBSET)

    # the recipe engine's real join path: shorthand resolution of step_(step)_E/Q per event
    from pdsgen.shorthand import from_arrays, resolve

    names = ["Purpose", "sep_distance(cm)"] + [f"step_{k}_E/Q(keV/e)" for k in range(32)]
    cal = from_arrays("CHEMS_PHA_CAL.csv", {n: np.array(["cal"]) if n == "Purpose" else np.array([10.0])
                                            if n.startswith("sep") else np.array([eq_table[int(n.split('_')[1])]])
                                            for n in names}, sensor="CPHA")
    data = from_arrays("CPHA0_BENCH.csv", {"Purpose": np.full(N, "sci"), "DPPS_Level": step}, sensor="CPHA")

    def join():
        return resolve("CPHA:cdf:step_(step)_E/Q(keV/e)", dp=[data], cdp=[cal], bind={"step": "DPPS_Level"},
                       data=data).values

    assert np.allclose(join(), eq_table[step])
    report("chems-pha E/Q resolve", "events", N, best(join), None, 0)


# ----------------------------------------------------------------------------- FIPS
def bench_fips() -> None:
    modes = np.array([0, 1])
    eq_tab = np.vstack([np.geomspace(13.3, 0.046, 64), np.geomspace(6.0, 0.1, 64)])
    acc_tab = np.vstack([np.full(64, 0.095), np.full(64, 0.03)])
    teq, teta = np.array([0.03, 0.1, 1.0, 10.0, 15.0]), np.array([0.05, 0.1, 0.2, 0.3, 0.31])
    mode = rng.integers(0, 2, N)
    step = rng.integers(0, 64, N)
    counts = rng.poisson(20, N).astype(np.float64)

    def espec():
        return fips.spectra(counts, mode, step, eq_tab, acc_tab, modes, teq, teta)

    def espec_loop():
        out = []
        for i in range(SUBSET):
            eq = eq_tab[mode[i], step[i]]
            acc = acc_tab[mode[i], step[i]]
            eta = float(np.interp(math.log(eq), np.log(teq), teta))
            flux = counts[i] / (eq * 0.05 * acc * 8.31e-7 * eta * 1.15 * math.pi)
            v2 = 2 * eq * fips.KEV_J / fips.PROTON_MASS_KG
            out.append((flux, flux * fips.PROTON_MASS_KG / (fips.FLUX_PSD_FACTOR * v2)))
        return out

    report("fips-cdr spectra", "records", N, best(espec), best(espec_loop, 1), SUBSET)

    x = rng.uniform(10, 55, N)
    y = rng.uniform(15, 55, N)
    tof = rng.integers(0, 1024, N)
    raw = rng.random(N) < 0.2
    coeffs = [-18.5303, 10.1646, -0.565382, 0.0164266, 0.0, 0.0]

    consts = {"X0": 31.5159, "Y0": 34.2993, "R": coeffs, "P0": 6.5, "P1": -1.0}

    def pha():
        return fips.pha_events(tof, raw, x, y, consts)

    def pha_loop():
        out = []
        for i in range(SUBSET):
            dx, dy = x[i] - 31.5159, y[i] - 34.2993
            r = math.hypot(dx, dy)
            th = math.degrees(math.atan2(dy, dx)) % 360
            z = sum(c * r**k for k, c in enumerate(coeffs))
            if 15 <= z <= 75:
                out.append((tof[i] * (666 / 2048 if raw[i] else 666 / 1024), z, (6.5 - th) % 360))
        return out

    report("fips-cdr PHA", "events", N, best(pha), best(pha_loop, 1), SUBSET)


# ----------------------------------------------------------------------------- IUVS, ACA, INMS
def bench_others() -> None:
    n = N
    mean = rng.uniform(100, 5000, n)
    spe, spa = rng.choice([1, 2, 4], n), rng.choice([1, 8, 16], n)
    int_ms = rng.choice([1400, 4000, 14400, 60000], n)

    def dark():
        return iuvs.dn_per_second(iuvs.binning_corrected_mean(mean, spe, spa), int_ms)

    def dark_loop():
        return [mean[i] / (spe[i] * spa[i]) / (int_ms[i] / 1000) for i in range(SUBSET)]

    report("iuvs-dark rates", "darks", n, best(dark), best(dark_loop, 1), SUBSET)

    img = rng.exponential(20.0, (1024, 1024))
    scale = aca.dark_temp_scale(-11.0, -15.0)

    def warm():
        return aca.warm_pixel_fraction(img, 100.0, scale)

    flat = img.ravel()

    def warm_loop():
        return sum(1 for i in range(SUBSET) if flat[i] * scale > 100.0) / SUBSET

    report("aca-dark warm pixels", "pixels", img.size, best(warm), best(warm_loop, 1), SUBSET)

    scans, masses = N // 20, 20  # 1,000,000 counts = 50,000 scans x 20 masses
    counts = rng.poisson(50, (scans, masses)).astype(float)
    press = rng.uniform(1e-7, 2e-7, scans)
    emis = rng.uniform(90, 110, scans)
    idx = np.arange(scans) // 1000

    def inms_sum():
        s = inms.scale_factors(press, emis)
        return inms.dataset_sums(counts * s[:, None], idx, int(idx.max()) + 1)

    def inms_loop():
        pm, em = press.mean(), emis.mean()
        sums = {}
        for i in range(SUBSET // masses):
            f = (pm / press[i]) * (em / emis[i])
            acc = sums.setdefault(idx[i], [0.0] * masses)
            for j in range(masses):
                acc[j] += counts[i, j] * f
        return sums

    report("inms-crosstalk sums", "counts", counts.size, best(inms_sum), best(inms_loop, 1), SUBSET)


# ----------------------------------------------------------------------------- end to end
def bench_end_to_end(n: int = 200_000) -> None:
    """CHEMS through `compute` (label + CSV reading, shorthand resolution, algorithm) and
    through `run_recipe` (plus writing the PDS4 product): where the time really goes."""
    import shutil
    import tempfile
    from pathlib import Path

    from pdsgen.instruments.chems import demo as demo
    from pdsgen.recipes import load_recipe
    from pdsgen.recipes.engine import compute
    from pdsgen.recipes.run import run_recipe

    d = Path(tempfile.mkdtemp(prefix="pdsgen-bench-"))
    try:
        cal = demo.write_calibration(d)
        lbl = demo.write_pha(d, 2004, 200, n, np.random.default_rng(1))
        r = load_recipe("chems-pha")
        compute(r, [lbl], [cal], {"alpha": "0.8"})  # warm caches/imports
        t_c = best(lambda: compute(r, [lbl], [cal], {"alpha": "0.8"}), 1)
        t_r = best(lambda: run_recipe(r, [lbl], d / "out", cal_files=[cal], params={"alpha": "0.8"}), 1)
        print(f"chems-pha end to end   {n:>9,} events  compute (read+resolve+calc) {t_c:.2f} s "
              f"({n / t_c / 1e6:.2f} M/s), run incl. writing {t_r:.2f} s ({n / t_r / 1e6:.2f} M/s)")
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    print(f"recipe computation, {N:,} records, 1 core (OMP_NUM_THREADS=1); reference = per-record Python loop")
    bench_chems()
    bench_fips()
    bench_others()
    bench_end_to_end()
