"""Cassini INMS REU source crosstalk (seed 000, ``INMS_REU_Data_Analysis.py``).

Pure functions on numpy arrays. A mass scan is one row of counts per mass channel
(counts per integration period); monitors are the chamber ion-gauge pressure (Torr)
and the closed-source filament emission current (uA). Scans are grouped into datasets
by scan-number ranges; each dataset is summed after scaling every scan to the
dataset's mean pressure and emission.

Differences from the seed's script, on purpose: scans are selected by scan *number*
(the seed slices a list by position, which is why it had to re-sort 2016-046/048), and
species are looked up by mass value (the seed uses list index 1 for H2 and 14 for
H2O, which depends on the mass list of the run).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

H2_MASS = 2.0  # amu/e
H2O_MASS = 18.0  # amu/e

#: dataset roles of a crosstalk measurement (the seed's five sorted keys, in order)
ROLES = ("bkgc", "bkgo", "osnb_on", "csn", "osnb_off")


def scale_factors(
    pressure_torr: ArrayLike,
    emission_ua: ArrayLike,
    mean_pressure_torr: float | None = None,
    mean_emission_ua: float | None = None,
) -> NDArray[np.float64]:
    """Per-scan factor (P_mean/P)*(E_mean/E) that brings each scan to the mean chamber
    pressure and filament emission (means of these scans unless given). NaN where a
    monitor is not positive."""
    p = np.asarray(pressure_torr, dtype=np.float64)
    e = np.asarray(emission_ua, dtype=np.float64)
    if p.size == 0:
        return np.empty(0)
    pm = float(np.mean(p)) if mean_pressure_torr is None else float(mean_pressure_torr)
    em = float(np.mean(e)) if mean_emission_ua is None else float(mean_emission_ua)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((p > 0) & (e > 0), (pm / p) * (em / e), np.nan)


def assign_datasets(scan_numbers: ArrayLike, ranges: Sequence[tuple[int, int]]) -> NDArray[np.intp]:
    """Index of the dataset each scan belongs to (first, last scan number inclusive,
    first range wins), -1 for scans in no range."""
    s = np.asarray(scan_numbers, dtype=np.int64)
    for first, last in ranges:
        if last < first:
            raise ValueError(f"scan range ({first}, {last}) ends before it starts")
    out = np.full(s.shape, -1, dtype=np.intp)
    if not ranges:
        return out
    firsts = np.array([r[0] for r in ranges], dtype=np.int64)
    lasts = np.array([r[1] for r in ranges], dtype=np.int64)
    order = np.argsort(firsts, kind="stable")
    if np.all(firsts[order][1:] > lasts[order][:-1]):
        # Disjoint ranges (the usual case): one binary search per scan.
        k = np.searchsorted(firsts[order], s, side="right") - 1
        inside = (k >= 0) & (s <= lasts[order][np.clip(k, 0, None)])
        out[inside] = order[k[inside]]
        return out
    for j, (first, last) in enumerate(ranges):  # overlapping ranges: first one wins
        out[(out < 0) & (s >= first) & (s <= last)] = j
    return out


def dataset_sums(
    counts: ArrayLike, dataset_index: ArrayLike, n_datasets: int
) -> NDArray[np.float64]:
    """Summed spectrum of each dataset: (n_datasets, n_masses) from (n_scans, n_masses);
    scans with index -1 are ignored."""
    c = np.asarray(counts, dtype=np.float64)
    idx = np.asarray(dataset_index, dtype=np.intp)
    n_m = c.shape[1] if c.ndim == 2 else 0
    keep = idx >= 0
    if not keep.any() or n_m == 0:
        return np.zeros((n_datasets, n_m))
    # Sort scans by dataset (no-op when they already are, the usual case) and add each
    # dataset's block of rows with one np.add.reduceat: vectorised, no per-scan loop.
    k, rows = idx[keep], c[keep]
    if k.size > 1 and np.any(k[1:] < k[:-1]):
        order = np.argsort(k, kind="stable")
        k, rows = k[order], rows[order]
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    out = np.zeros((n_datasets, n_m))
    out[k[starts]] = np.add.reduceat(rows, starts, axis=0)
    return out


def dataset_stats(
    values: ArrayLike, dataset_index: ArrayLike, n_datasets: int
) -> dict[str, NDArray[np.float64]]:
    """Per-dataset n, sum, mean, std and variance (population, ddof=0, like the seed's
    numpy ``.std()``/``.var()``) of one value per scan. NaN where a dataset is empty."""
    v = np.asarray(values, dtype=np.float64)
    idx = np.asarray(dataset_index, dtype=np.intp)
    keep = idx >= 0
    v, idx = v[keep], idx[keep]
    n = np.bincount(idx, minlength=n_datasets).astype(np.float64)
    s = np.bincount(idx, weights=v, minlength=n_datasets)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = s / n
        # Two-pass variance (sum of squared deviations), stable for large counts.
        dev = v - mean[idx]
        var = np.bincount(idx, weights=dev * dev, minlength=n_datasets) / n
    return {"n": n, "sum": s, "mean": mean, "std": np.sqrt(var), "var": var}


def mass_column(masses: ArrayLike, mass: float, tol: float = 0.25) -> int:
    """Column index of the channel at ``mass`` (amu/e, within ``tol``); ``KeyError`` if
    the scan has no such channel."""
    m = np.asarray(masses, dtype=np.float64)
    hits = np.flatnonzero(np.abs(m - mass) <= tol)
    if hits.size == 0:
        raise KeyError(f"no mass channel at {mass:g} amu/e")
    return int(hits[np.argmin(np.abs(m[hits] - mass))])


def align_to_masses(
    spectrum: ArrayLike, masses: ArrayLike, target_masses: ArrayLike
) -> NDArray[np.float64]:
    """Re-index a spectrum (..., n_masses) onto ``target_masses``: a background scanned
    over 1-50 amu/e subtracted from data scanned over fewer masses (the seed truncates
    by position). ``KeyError`` for a target mass the spectrum lacks."""
    sp = np.asarray(spectrum, dtype=np.float64)
    m = np.asarray(masses, dtype=np.float64)
    order = np.argsort(m)
    tgt = np.asarray(target_masses, dtype=np.float64)
    pos = np.searchsorted(m[order], tgt)
    pos = np.clip(pos, 0, m.size - 1)
    found = np.abs(m[order][pos] - tgt) < 1e-6
    if not found.all():
        missing = ", ".join(f"{x:g}" for x in tgt[~found])
        raise KeyError(f"no channel for mass(es) {missing} amu/e")
    return sp[..., order[pos]]


def counting_ratio(m1: ArrayLike, mc: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Ratio r = m1/mc of two mean counts with its counting (Poisson) uncertainty
    sigma = r * sqrt(1/m1 + 1/mc) (seed ``compute_h2ratios``). NaN where a mean is not
    positive."""
    a = np.asarray(m1, dtype=np.float64)
    c = np.asarray(mc, dtype=np.float64)
    ok = (a > 0) & (c > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(ok, a / c, np.nan)
        sigma = np.where(ok, r * np.sqrt(1.0 / a + 1.0 / c), np.nan)
    return r, sigma


def ratio_spectrum_percent(numerator: ArrayLike, denominator: ArrayLike) -> NDArray[np.float64]:
    """Per-mass ratio in percent of two background-subtracted summed spectra (the seed's
    ``dsum[4]/dsum[3]*100``); NaN where the denominator is zero."""
    n = np.asarray(numerator, dtype=np.float64)
    d = np.asarray(denominator, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d != 0, n / d * 100.0, np.nan)


def significant(net: ArrayLike, total: ArrayLike, background: ArrayLike, n_sigma: float) -> NDArray[np.bool_]:
    """True where a background-subtracted count ``net = total - background`` exceeds
    ``n_sigma`` counting standard deviations, sqrt(total + background)."""
    t = np.abs(np.asarray(total, dtype=np.float64))
    b = np.abs(np.asarray(background, dtype=np.float64))
    out: NDArray[np.bool_] = np.asarray(net, dtype=np.float64) > n_sigma * np.sqrt(t + b)
    return out


def background_subtract(
    total: ArrayLike, n_total: int, background: ArrayLike, n_background: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Net summed spectrum of a set and its counting variance, the background normalised
    per scan: ``net = total - (n_total / n_background) * background`` and
    ``var = total + (n_total / n_background)² * background``.

    The seed subtracts raw sums (``dsum[2] - dsum[1]``), right only when both sets have
    the same number of scans (its 40-scan sets do, and then this is the same number); a
    5-scan background under a 10-scan set would be subtracted only half.
    """
    if n_total <= 0 or n_background <= 0:
        raise ValueError(f"background subtraction needs scans in both sets (got {n_total} and {n_background})")
    k = float(n_total) / float(n_background)
    t = np.asarray(total, dtype=np.float64)
    b = np.asarray(background, dtype=np.float64)
    return t - k * b, np.abs(t) + k * k * np.abs(b)


def net_ratio(
    net_a: ArrayLike, var_a: ArrayLike, n_a: int, net_c: ArrayLike, var_c: ArrayLike, n_c: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Ratio of two background-subtracted sets per scan, ``r = (A/n_a) / (C/n_c)``, with
    its counting uncertainty ``σ_r² = σ_A²/C² + A² σ_C²/C⁴`` (A, C per scan). NaN where
    the reference set's net count is not positive (no signal to compare with)."""
    a = np.asarray(net_a, dtype=np.float64) / n_a
    c = np.asarray(net_c, dtype=np.float64) / n_c
    va = np.asarray(var_a, dtype=np.float64) / (n_a * n_a)
    vc = np.asarray(var_c, dtype=np.float64) / (n_c * n_c)
    ok = c > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(ok, a / c, np.nan)
        sigma = np.where(ok, np.sqrt(va / (c * c) + a * a * vc / (c * c * c * c)), np.nan)
    return r, sigma


def crosstalk(
    sums: dict[str, NDArray[np.float64]],
    h2_mean_counts: dict[str, float],
    n_scans: dict[str, int] | None = None,
) -> dict[str, NDArray[np.float64] | float]:
    """Crosstalk of one measurement from its five datasets (``ROLES``).

    ``sums``: summed spectra per role (same mass channels); ``h2_mean_counts``: mean H2
    counts per scan per role; ``n_scans``: scans per role (default: equal, the seed's
    case). Returns the background-subtracted spectra (closed-source background from CSN,
    open-source background from both OSNB sets, each background normalised per scan:
    `background_subtract`) with their variances, the OSNB/CSN ratio spectra per scan
    (fractions ``ratio_on``/``ratio_off`` with σ, and in percent), and the seed's
    ``compute_h2ratios`` ratio of mean H2 counts without background (``h2_ratio_*``).
    """
    missing = [r for r in ROLES if r not in sums]
    if missing:
        raise KeyError(f"crosstalk needs datasets with roles {', '.join(missing)}")
    n = {role: 1 for role in ROLES} if n_scans is None else {role: int(n_scans[role]) for role in ROLES}
    csn, v_csn = background_subtract(sums["csn"], n["csn"], sums["bkgc"], n["bkgc"])
    on, v_on = background_subtract(sums["osnb_on"], n["osnb_on"], sums["bkgo"], n["bkgo"])
    off, v_off = background_subtract(sums["osnb_off"], n["osnb_off"], sums["bkgo"], n["bkgo"])
    r_on, s_on = counting_ratio(h2_mean_counts["osnb_on"], h2_mean_counts["csn"])
    r_off, s_off = counting_ratio(h2_mean_counts["osnb_off"], h2_mean_counts["csn"])
    ratio_on, sig_on = net_ratio(on, v_on, n["osnb_on"], csn, v_csn, n["csn"])
    ratio_off, sig_off = net_ratio(off, v_off, n["osnb_off"], csn, v_csn, n["csn"])
    return {
        "csn_bkgsub": csn,
        "osnb_on_bkgsub": on,
        "osnb_off_bkgsub": off,
        "csn_var": v_csn,
        "osnb_on_var": v_on,
        "osnb_off_var": v_off,
        "ratio_on": ratio_on,
        "ratio_on_sigma": sig_on,
        "ratio_off": ratio_off,
        "ratio_off_sigma": sig_off,
        "ratio_on_percent": ratio_on * 100.0,
        "ratio_off_percent": ratio_off * 100.0,
        "h2_ratio_on": float(r_on),
        "h2_ratio_on_sigma": float(s_on),
        "h2_ratio_off": float(r_off),
        "h2_ratio_off_sigma": float(s_off),
    }
