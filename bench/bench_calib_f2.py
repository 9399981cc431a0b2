"""iuvs-dark, aca-dark and inms-crosstalk: computation on 1,000,000 records each, against
the seed documents' own code paths run in the same process.

- iuvs-dark: 1,000,000 darks through `pdsgen.instruments.iuvs.algorithm.dark_trend` (binning, rate, shutter
  flag, both DN->degC polynomials) vs the seed notebook's pandas code (``df.apply(row
  function, axis=1)`` for the binning, column arithmetic, ``df[df.MCP_VOLT > 0] = nan``,
  the split polynomial per row as the IDL/Python ``iuvs_dn_to_temp`` does with ``where``),
  timed on a subset and scaled.
- aca-dark: warm-pixel fractions of 1024x1024 dark calibrations (1,048,576 pixels each),
  raw and scaled, vs mica's formulation in the seed (``np.count_nonzero(image * scale >
  100) / npix``), plus `select_calibration` over 1,000,000 dates vs a Python search.
- inms-crosstalk: 1,000,000 mass scans x 19 channels: scale factors, dataset assignment,
  summed spectra and per-dataset H2 statistics vs the seed's list-based ``scale_ms_data`` /
  ``sum_sets`` / ``compute_stats`` (timed on a subset and scaled).
- End to end: `pdsgen.recipes.engine.compute` on the demo archive (label reading, FITS and
  table I/O, plots), products per second.

Run: .venv/bin/python bench/bench_calib_f2.py   (about a minute on one core)
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # per-core numbers

import numpy as np  # noqa: E402
from _common import best  # noqa: E402

from pdsgen.instruments.aca import algorithm as aca  # noqa: E402
from pdsgen.instruments.inms import algorithm as inms  # noqa: E402
from pdsgen.instruments.iuvs import algorithm as iuvs  # noqa: E402

N = 1_000_000
rng = np.random.default_rng(1)

DET = [iuvs.PolySegment(0, 16383, (174.08, -0.0749))]
CASE = [
    iuvs.PolySegment(0, 8191, (1.8195, -6.2210e-3, 1.6259e-7, -7.3832e-11, -2.9933e-16)),
    iuvs.PolySegment(8192, 16383, (450.47, -6.5734e-2, 3.3093e-6, -5.4216e-11, -2.9330e-16)),
]


def line(name: str, n: int, unit: str, t: float, ref_name: str | None = None, t_ref: float | None = None,
         n_ref: int | None = None) -> None:
    rate = n / t
    text = f"{name:<34} {n:>11,} {unit:<8} {t * 1e3:9.1f} ms {rate / 1e6:9.2f} M/s"
    if t_ref is not None and n_ref:
        ref_rate = n_ref / t_ref
        text += f" | {ref_name}: {ref_rate / 1e6:8.4f} M/s  -> {rate / ref_rate:8.1f}x"
    print(text)


# --------------------------------------------------------------------------- iuvs-dark


def bench_iuvs() -> None:
    import pandas as pd

    mean = rng.uniform(500, 20000, N)
    spe = rng.choice([16, 32], N).astype(float)
    spa = rng.choice([64, 128], N).astype(float)
    int_ms = rng.choice([14400, 10200, 6000, 4200, 4000, 1400], N).astype(float)
    mcp = np.where(rng.random(N) < 0.05, 846.558, -1.83)
    det = rng.integers(2150, 2650, N).astype(float)
    case = rng.integers(15900, 16050, N).astype(float)

    def ours():
        return iuvs.dark_trend(mean, spe, spa, int_ms, mcp, det, case, DET, CASE)

    sub = 50_000
    df0 = pd.DataFrame({"dark_mean": mean[:sub], "SPE_SIZE": spe[:sub], "SPA_SIZE": spa[:sub],
                        "INT_TIME": int_ms[:sub], "MCP_VOLT": mcp[:sub], "DET_TEMP": det[:sub],
                        "CASE_TEMP": case[:sub]})

    def seed():  # the notebook's cells, literally
        df = df0.copy()
        df["pixelsum"] = df.apply(lambda row: row["SPE_SIZE"] * row["SPA_SIZE"], axis=1)
        df["corrected_mean"] = df.dark_mean / df.pixelsum
        df["DN_per_s"] = df.corrected_mean / (df.INT_TIME / 1000)
        df[df.MCP_VOLT > 0] = np.nan
        df.DET_TEMP = df.DET_TEMP * -0.0749 + 174.08
        dn = df.CASE_TEMP.to_numpy()
        out = np.empty_like(dn)
        lo = dn < 8192
        out[lo] = np.polynomial.polynomial.polyval(dn[lo], CASE[0].coeffs)
        out[~lo] = np.polynomial.polynomial.polyval(dn[~lo], CASE[1].coeffs)
        df.CASE_TEMP = out
        return df

    t = best(ours)
    t_ref = best(seed, 1)
    got = ours()
    ref = seed()
    np.testing.assert_allclose(got.dn_per_s[:sub], ref["DN_per_s"].to_numpy(), rtol=1e-12, equal_nan=True)
    keep = mcp[:sub] <= 0  # the seed blanks whole shutter-dark rows; pdsgen keeps their temperatures
    np.testing.assert_allclose(got.case_temp_degc[:sub][keep], ref["CASE_TEMP"].to_numpy()[keep], rtol=1e-12)
    line("iuvs-dark dark_trend", N, "darks", t, "seed pandas", t_ref, sub)


# --------------------------------------------------------------------------- aca-dark


def bench_aca() -> None:
    n_cals = 8
    imgs = (rng.lognormal(np.log(3.0), 0.8, (n_cals, 1024, 1024))).astype(np.float32)
    t_ccd = rng.uniform(-16, -9, n_cals)
    scales = aca.dark_temp_scale(t_ccd, -15.0)

    def ours():
        return [(aca.warm_pixel_fraction(im), aca.warm_pixel_fraction(im, 100.0, s)) for im, s in zip(imgs, scales, strict=True)]

    def mica():  # the seed's loop body
        npix = 1024.0 * 1024.0
        return [(np.count_nonzero(im > 100.0) / npix, np.count_nonzero(im * s > 100.0) / npix)
                for im, s in zip(imgs, scales, strict=True)]

    assert ours() == mica()
    t = best(ours)
    t_ref = best(mica)
    line("aca-dark warm fractions (x2)", imgs.size, "pixels", t, "mica/seed", t_ref, imgs.size)

    def stack():
        return aca.warm_pixel_fractions(imgs, scales)

    line("aca-dark warm_pixel_fractions", imgs.size, "pixels", best(stack))

    cal_t = np.sort(rng.uniform(0, 8e8, 400))
    when = rng.uniform(-1e7, 8.1e8, N)

    def select_ours():
        return aca.select_calibrations(cal_t, when, "before")

    def select_one_by_one():
        k = 20_000
        return [aca.select_calibration(cal_t, float(x), "before") if x >= cal_t[0] else -1 for x in when[:k]]

    got = select_ours()[:20_000]
    assert list(got) == select_one_by_one()
    t1 = best(select_one_by_one, 1)
    line("aca-dark select (vectorised)", N, "dates", best(select_ours), "select_calibration loop", t1, 20_000)


# --------------------------------------------------------------------------- inms-crosstalk


def bench_inms() -> None:
    n_m = 19
    scans = np.arange(1, N + 1)
    press = 1e-6 * (1 + 0.05 * rng.standard_normal(N))
    emis = 100 * (1 + 0.03 * rng.standard_normal(N))
    counts = rng.poisson(300.0, (N, n_m)).astype(np.float64)
    ranges = [(k * 10_000 + 1, (k + 1) * 10_000) for k in range(N // 10_000)]

    def ours():
        idx = inms.assign_datasets(scans, ranges)
        # per-dataset means: a per-dataset scale as the seed does (aveP, avEmis of the set)
        n = len(ranges)
        p_mean = np.bincount(idx, press, n) / np.bincount(idx, minlength=n)
        e_mean = np.bincount(idx, emis, n) / np.bincount(idx, minlength=n)
        f = (p_mean[idx] / press) * (e_mean[idx] / emis)
        scaled = counts * f[:, None]
        sums = inms.dataset_sums(scaled, idx, n)
        stats = inms.dataset_stats(scaled[:, 1], idx, n)
        return sums, stats

    sub = 50_000  # five datasets of 10,000 scans through the seed's list code
    msc = [[0, "D", s, "CSN", 0, 0, 1000, 100.0, emis[s - 1], 0, 0, 0, press[s - 1], counts[s - 1], None]
           for s in range(1, sub + 1)]

    def seed():
        out = {}
        for k in range(sub // 10_000):
            i, f = ranges[k]
            data = msc[i - 1: f]
            aveP = np.array([d[12] for d in data], dtype=float).mean()
            avEmis = np.array([d[8] for d in data], dtype=float).mean()
            press_ = np.array([d[12] for d in data], dtype=float)
            emis_ = np.array([d[8] for d in data], dtype=float)
            scans_ = np.array([d[-2] for d in data])
            scaled = [scans_[j] * (aveP / press_[j]) * (avEmis / emis_[j]) for j in range(len(data))]
            h2 = np.array([s[1] for s in scaled])
            out[k] = (sum(np.array(scaled), 0), h2.sum(), h2.mean(), h2.std(), h2.var())
        return out

    sums, stats = ours()
    ref = seed()
    for k, (s, h2sum, mean, std, var) in ref.items():
        np.testing.assert_allclose(sums[k], s, rtol=1e-9)
        np.testing.assert_allclose([stats["sum"][k], stats["mean"][k], stats["std"][k], stats["var"][k]],
                                   [h2sum, mean, std, var], rtol=1e-9)
    t = best(ours)
    t_ref = best(seed, 1)
    line("inms-crosstalk scale+sum+stats", N, "scans", t, "seed lists", t_ref, sub)


# --------------------------------------------------------------------------- end to end


def bench_end_to_end() -> None:
    from pdsgen.instruments.aca import demo as aca_demo
    from pdsgen.instruments.inms import demo as inms_demo
    from pdsgen.instruments.iuvs import demo as iuvs_demo
    from pdsgen.recipes.engine import compute
    from pdsgen.recipes.loader import load_recipe

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cases = []
        d = iuvs_demo.generate(root / "iuvs", n_darks=200)
        fuv = [p for p in d.inputs if "fuvdark" in p.name]
        cases.append(("iuvs-dark (FUV group)", "iuvs-dark", fuv, d.calibrations, None, "FUV", "darks"))
        d = aca_demo.generate(root / "aca")
        cases.append(("aca-dark (6 x 1024^2)", "aca-dark", d.inputs, [], None, None, "cals"))
        d = inms_demo.generate(root / "inms")
        r1020 = [p for p in d.inputs if "_R1020_" in p.name]
        cases.append(("inms-crosstalk (run 1020)", "inms-crosstalk", r1020, d.calibrations, None, "1020", "scans"))
        for name, recipe, paths, cals, params, group, unit in cases:
            r = load_recipe(recipe)
            compute(r, paths, cals, params, group=group)  # imports, caches
            t0 = time.perf_counter()
            res = compute(r, paths, cals, params, group=group)
            t = time.perf_counter() - t0
            print(f"{name:<34} {len(paths):>11,} {unit:<8} {t * 1e3:9.1f} ms {len(paths) / t:9.1f} inputs/s"
                  f"  ({len(res.plots)} plots)")


if __name__ == "__main__":
    print(f"numpy {np.__version__}, one thread; best of 3 (references: one run)\n")
    bench_iuvs()
    bench_aca()
    bench_inms()
    print()
    bench_end_to_end()
