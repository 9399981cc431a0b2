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
    for k, (first, last) in enumerate(ranges):  # overlapping ranges: first one wins
        out[(out < 0) & (s >= first) & (s <= last)] = k
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
    return np.asarray(net, dtype=np.float64) > n_sigma * np.sqrt(t + b)


def crosstalk(
    sums: dict[str, NDArray[np.float64]],
    h2_mean_counts: dict[str, float],
) -> dict[str, NDArray[np.float64] | float]:
    """Crosstalk of one measurement from its five datasets (``ROLES``).

    ``sums``: summed spectra per role (same mass channels); ``h2_mean_counts``: mean H2
    counts per scan per role. Returns the background-subtracted spectra (closed-source
    background from CSN, open-source background from both OSNB sets), the OSNB/CSN ratio
    spectra in percent (filament on / off), and the seed's H2 ratio with its counting
    uncertainty from the mean H2 counts per scan (``compute_h2ratios``).
    """
    missing = [r for r in ROLES if r not in sums]
    if missing:
        raise KeyError(f"crosstalk needs datasets with roles {', '.join(missing)}")
    csn = sums["csn"] - sums["bkgc"]
    on = sums["osnb_on"] - sums["bkgo"]
    off = sums["osnb_off"] - sums["bkgo"]
    r_on, s_on = counting_ratio(h2_mean_counts["osnb_on"], h2_mean_counts["csn"])
    r_off, s_off = counting_ratio(h2_mean_counts["osnb_off"], h2_mean_counts["csn"])
    return {
        "csn_bkgsub": csn,
        "osnb_on_bkgsub": on,
        "osnb_off_bkgsub": off,
        "ratio_on_percent": ratio_spectrum_percent(on, csn),
        "ratio_off_percent": ratio_spectrum_percent(off, csn),
        "h2_ratio_on": float(r_on),
        "h2_ratio_on_sigma": float(s_on),
        "h2_ratio_off": float(r_off),
        "h2_ratio_off_sigma": float(s_off),
    }


# --------------------------------------------------------------------------- recipe edge
# Adapts the recipe engine's context to the pure functions above: the dataset plan file is
# read here and the per-scan inputs are stacked into arrays per dataset.

PLAN_COLUMNS = ("run", "dataset", "first_scan", "last_scan", "role")
DEFAULT_SET = "main"  # the set of plan rows without one, and of runs without a plan


def read_dataset_plan(path) -> list[dict]:
    """Rows of a dataset plan CSV: ``run,dataset,first_scan,last_scan,role[,set]``.

    ``set`` names a crosstalk set; several sets of one run may share a dataset (the seed's
    2015-349 H2 and H2O sets share their open-source background)."""
    import csv
    from pathlib import Path

    from pdsgen.errors import DataError

    p = Path(path)
    try:
        lines = [ln for ln in p.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read dataset plan: {exc}", path=str(p)) from None
    rows = list(csv.reader(lines))
    head = tuple(h.strip().lower() for h in rows[0]) if rows else ()
    if head not in (PLAN_COLUMNS, PLAN_COLUMNS + ("set",)):
        raise DataError(f"dataset plan header must be {','.join(PLAN_COLUMNS)}[,set]", path=str(p))
    out = []
    for n, row in enumerate(rows[1:], start=2):
        if len(row) != len(head):
            raise DataError(f"line {n}: {len(row)} values for {len(head)} columns", path=str(p))
        run, name, first, last, role = (x.strip() for x in row[:5])
        xset = (row[5].strip() if len(row) > 5 else "") or DEFAULT_SET
        try:
            first_i, last_i, run_i = int(first), int(last), int(run.lstrip("Rr"))
        except ValueError:
            raise DataError(f"line {n}: run and scan numbers must be integers", path=str(p)) from None
        if last_i < first_i:
            raise DataError(f"line {n}: scan range {first_i}-{last_i} ends before it starts", path=str(p))
        if role not in ROLES + ("other",):
            raise DataError(f"line {n}: role {role!r} is not one of {', '.join(ROLES + ('other',))}", path=str(p))
        if not name:
            raise DataError(f"line {n}: empty dataset name", path=str(p))
        out.append({"run": run_i, "dataset": name, "first": first_i, "last": last_i, "role": role, "set": xset})
    return out


def _values(v) -> np.ndarray:
    return np.asarray(getattr(v, "value", v))


def _scalar(values: list, name: str, paths) -> np.ndarray:
    from pdsgen.errors import DataError

    out = []
    for v, p in zip(values, paths, strict=True):
        a = np.atleast_1d(_values(v))
        if a.size != 1:
            raise DataError(f"input {name!r}: expected one value per scan, found {a.size}", path=str(p))
        out.append(a[0])
    return np.asarray(out)


def check_product(ctx, i: int, inputs) -> None:
    """Per-scan checks the engine runs before the group (a bad scan is left out of it)."""
    for name, v in inputs.items():
        if name in _SCAN_INPUTS:
            _scalar([v], name, [ctx.paths[i]])


_SCAN_INPUTS = ("scan", "run", "dataset", "mode", "cs_emis_set", "cs_emission", "os_emission", "pressure", "ip")


def inms_crosstalk_algorithm(ctx):
    """Recipe ``inms-crosstalk``: per-run dataset statistics, background-subtracted spectra
    and OSNB/CSN crosstalk ratios, with the mass-spectrum bar plots."""
    import astropy.units as u
    from astropy.table import MaskedColumn, Table

    from pdsgen.calib.plots_inms import ms_bar
    from pdsgen.errors import DataError, RecipeError
    from pdsgen.recipes.context import AlgorithmResult

    paths = ctx.paths
    if not paths:
        raise RecipeError("no mass scans given")
    inp = ctx.inputs
    scan_no = _scalar(inp["scan"], "scan", paths).astype(np.int64)
    run_no = _scalar(inp["run"], "run", paths).astype(np.int64)
    raw_ds = np.char.strip(_scalar(inp["dataset"], "dataset", paths).astype(str))
    mode = np.char.strip(_scalar(inp["mode"], "mode", paths).astype(str))
    iset = _scalar(inp["cs_emis_set"], "cs_emis_set", paths).astype(float)
    cs_e = _scalar(inp["cs_emission"], "cs_emission", paths).astype(float)
    os_e = _scalar(inp["os_emission"], "os_emission", paths).astype(float)
    press = _scalar(inp["pressure"], "pressure", paths).astype(float)
    ip = _scalar(inp["ip"], "ip", paths).astype(float)
    if len(set(run_no.tolist())) != 1:
        raise DataError(f"scans of several runs in one group ({sorted(set(run_no.tolist()))}): group by run",
                        path=str(paths[0]))
    run = int(run_no[0])
    dup = np.unique(scan_no, return_counts=True)
    if np.any(dup[1] > 1):
        raise DataError(f"run {run}: scan number {int(dup[0][dup[1] > 1][0])} appears twice", path=str(paths[0]))

    p = ctx.params
    rule = str(p["emission_monitor"])
    emission = {"cs": cs_e, "os": os_e, "none": np.ones_like(cs_e),
                "source": np.where(np.char.upper(mode) == "CSN", cs_e, os_e)}[rule]
    if not bool(p["scale_pressure"]):
        press = np.ones_like(press)
    on_min = float(u.Quantity(p["filament_on_min"], u.uA).value)

    plan_rows = []
    for f in ctx.calibrations("datasets"):
        plan_rows += [r for r in read_dataset_plan(f) if r["run"] == run]
    sets: dict[str, list[tuple[str, str]]] = {}
    if plan_rows:
        ranges: dict[str, tuple[int, int]] = {}
        for r in plan_rows:
            rng_ = (r["first"], r["last"])
            if ranges.setdefault(r["dataset"], rng_) != rng_:
                raise DataError(f"run {run}: dataset {r['dataset']} is given two scan ranges in the plan",
                                path=str(paths[0]))
            sets.setdefault(r["set"], []).append((r["dataset"], r["role"]))
        # Plan ranges may overlap (shared datasets): membership by range, per dataset.
        members_of = {name: np.flatnonzero((scan_no >= a) & (scan_no <= b)) for name, (a, b) in ranges.items()}
        source = "dataset plan"
    else:
        names = sorted(set(raw_ds.tolist()))
        members_of = {name: np.flatnonzero(raw_ds == name) for name in names}
        sets[DEFAULT_SET] = [(name, "other") for name in names]
        source = "raw dataset field"
    for xset, entries in sets.items():
        roles = [role for _n, role in entries]
        for role in ROLES:
            if roles.count(role) > 1:
                where = f" set {xset!r}:" if len(sets) > 1 else ""
                raise DataError(f"run {run}:{where} role {role!r} is given to {roles.count(role)} datasets",
                                path=str(paths[0]))

    used = np.zeros(len(paths), dtype=bool)
    for m in members_of.values():
        used[m] = True
    notes = [f"run {run}: {len(paths)} scans in {len(members_of)} datasets, {len(sets)} set(s) ({source})"]
    if not used.all():
        notes.append(f"run {run}: {int(np.sum(~used))} scans outside every dataset range, not used")

    # ---- per dataset: scale, sum, H2/H2O statistics (once, even when sets share it)
    stats: dict[str, dict] = {}
    sums: dict[str, np.ndarray] = {}
    masses_of: dict[str, np.ndarray] = {}
    for name, members in members_of.items():
        if members.size == 0:
            raise DataError(f"run {run}: dataset {name} has no scans in its range", path=str(paths[0]))
        members = members[np.argsort(scan_no[members])]
        mlists = [_values(inp["mass"][i]).astype(float) for i in members]
        empty = [i for i, m in zip(members, mlists, strict=True) if m.size == 0]
        if empty:
            raise DataError(f"run {run}: scan {int(scan_no[empty[0]])} has no mass channel (empty DATA table)",
                            path=str(paths[empty[0]]))
        m0 = mlists[0]
        if any(m.shape != m0.shape or np.any(m != m0) for m in mlists[1:]):
            raise DataError(f"run {run}: the scans of dataset {name} do not share one mass list", path=str(paths[members[0]]))
        counts = np.stack([_values(inp["counts"][i]).astype(float) for i in members])
        if not np.all(np.isfinite(counts)):
            raise DataError(f"run {run}: dataset {name} has NaN counts", path=str(paths[members[0]]))
        bad = ~((press[members] > 0) & (emission[members] > 0))
        if bad.any():
            raise DataError(f"run {run}: scan {int(scan_no[members][bad][0])} has a non-positive pressure or "
                            f"{rule} emission monitor: cannot scale (--set emission_monitor=none or "
                            "scale_pressure=false to skip)", path=str(paths[members[bad][0]]))
        f = scale_factors(press[members], emission[members])
        scaled = counts * f[:, None]
        one = np.zeros(len(members), dtype=np.intp)
        row = {"DATASET": name, "MODE": str(mode[members[-1]]),
               "CS_FILAMENT": "on" if iset[members[-1]] >= on_min else "off",
               "FIRST_SCAN": int(scan_no[members[0]]), "LAST_SCAN": int(scan_no[members[-1]]),
               "N_SCANS": len(members), "IP": float(ip[members[-1]]),
               "MEAN_PRESSURE": float(np.mean(press[members])), "MEAN_EMISSION": float(np.mean(emission[members]))}
        for label, mass in (("H2", H2_MASS), ("H2O", H2O_MASS)):
            try:
                col = mass_column(m0, mass)
            except KeyError:
                notes.append(f"run {run}: dataset {name} has no {mass:g} amu/e channel")
                for key in ("SUM", "MEAN", "STD", "VAR"):
                    row[f"{label}_{key}"] = np.nan
                continue
            st = dataset_stats(scaled[:, col], one, 1)
            for key in ("sum", "mean", "std", "var"):
                row[f"{label}_{key.upper()}"] = float(st[key][0])
        r, sig = counting_ratio(row["H2_MEAN"], row["H2O_MEAN"])
        row["H2_H2O_RATIO"], row["H2_H2O_SIGMA"] = float(r), float(sig)
        stats[name] = row
        sums[name] = dataset_sums(scaled, one, 1)[0]
        masses_of[name] = m0

    # ---- per crosstalk set: background subtraction and ratios
    out_rows: list[dict] = []
    bkgsub: dict[tuple[str, str], np.ndarray] = {}
    ratio: dict[tuple[str, str], np.ndarray] = {}
    n_sig = float(p["ratio_min_sigma"])
    for xset, entries in sets.items():
        rows_here = [{**stats[name], "SET": xset, "ROLE": role} for name, role in entries]
        out_rows += rows_here
        role_of = {role: name for name, role in entries if role != "other"}
        tag = f" set {xset}" if len(sets) > 1 else ""
        if all(role in role_of for role in ROLES):
            target = masses_of[role_of["csn"]]
            try:
                aligned = {role: align_to_masses(sums[role_of[role]], masses_of[role_of[role]], target) for role in ROLES}
            except KeyError as exc:
                raise DataError(f"run {run}{tag}: {exc.args[0]} in a dataset of the crosstalk set",
                                path=str(paths[0])) from None
            x = crosstalk(aligned, {role: stats[role_of[role]]["H2_MEAN"] for role in ROLES})
            for role, key in (("csn", "csn_bkgsub"), ("osnb_on", "osnb_on_bkgsub"), ("osnb_off", "osnb_off_bkgsub")):
                bkgsub[(xset, role_of[role])] = x[key]
            # channels where the CSN signal is not above its counting noise give meaningless
            # ratios (0/0 noise): masked unless ratio_min_sigma = 0 (the seed's plain ratio)
            weak = ~significant(x["csn_bkgsub"], aligned["csn"], aligned["bkgc"], n_sig) if n_sig > 0 else None
            for role in ("osnb_on", "osnb_off"):
                r_pct = x[f"ratio_{role[5:]}_percent"].copy()
                if weak is not None:
                    r_pct[weak] = np.nan
                ratio[(xset, role_of[role])] = r_pct
            h2col = mass_column(target, H2_MASS)
            csn_h2o = stats[role_of["csn"]]["H2O_MEAN"]
            for row in rows_here:
                if row["ROLE"] in ("osnb_on", "osnb_off"):
                    key = row["ROLE"][5:]
                    row["H2_RATIO"] = x[f"h2_ratio_{key}"]
                    row["H2_RATIO_SIGMA"] = x[f"h2_ratio_{key}_sigma"]
                    row["H2_RATIO_BKGSUB"] = float(ratio[(xset, row["DATASET"])][h2col]) / 100.0
                    # seed compute_water_ratios: H2(OSNB)/H2O(CSN). The seed's sigma uses
                    # sqrt(1/m_H2 + 1/m_H2(CSN)), an apparent typo: the counts in the ratio
                    # are H2 (OSNB) and H2O (CSN), so sqrt(1/m_H2 + 1/m_H2O(CSN)) is used.
                    r_w, s_w = counting_ratio(row["H2_MEAN"], csn_h2o)
                    row["H2_CSN_H2O_RATIO"], row["H2_CSN_H2O_SIGMA"] = float(r_w), float(s_w)
            notes.append(f"run {run}{tag}: H2 crosstalk OSNB/CSN CS on {x['h2_ratio_on']:.3e} +- "
                         f"{x['h2_ratio_on_sigma']:.1e}, CS off {x['h2_ratio_off']:.3e} +- {x['h2_ratio_off_sigma']:.1e}")
        elif role_of:
            missing = [role for role in ROLES if role not in role_of]
            notes.append(f"run {run}{tag}: no crosstalk ratios, datasets missing for roles {', '.join(missing)}")
        else:
            notes.append(f"run {run}{tag}: no dataset roles (no dataset plan): statistics only")

    def col(key, unit=None):
        v = np.array([r.get(key, np.nan) for r in out_rows], dtype=float)
        return MaskedColumn(v, mask=~np.isfinite(v), unit=unit)

    main = Table()
    main["RUN"] = [run] * len(out_rows)
    for key in ("SET", "DATASET", "ROLE", "MODE", "CS_FILAMENT"):
        main[key] = [r[key] for r in out_rows]
    for key in ("FIRST_SCAN", "LAST_SCAN", "N_SCANS"):
        main[key] = [r[key] for r in out_rows]
    main["IP"] = col("IP", u.ms)
    main["MEAN_PRESSURE"] = col("MEAN_PRESSURE", u.Torr)
    main["MEAN_EMISSION"] = col("MEAN_EMISSION", u.uA)
    for key in ("H2_SUM", "H2_MEAN", "H2_STD", "H2O_SUM", "H2O_MEAN", "H2O_STD"):
        main[key] = col(key, u.count)
    main["H2_VAR"] = col("H2_VAR", u.count**2)
    main["H2O_VAR"] = col("H2O_VAR", u.count**2)
    for key in ("H2_H2O_RATIO", "H2_H2O_SIGMA", "H2_RATIO", "H2_RATIO_SIGMA", "H2_RATIO_BKGSUB",
                "H2_CSN_H2O_RATIO", "H2_CSN_H2O_SIGMA"):
        main[key] = col(key)

    sp_rows = []
    for row in out_rows:
        key = (row["SET"], row["DATASET"])
        for j, m in enumerate(masses_of[row["DATASET"]]):
            sp_rows.append((row["SET"], row["DATASET"], row["ROLE"], float(m), float(sums[row["DATASET"]][j]),
                            float(bkgsub[key][j]) if key in bkgsub else np.nan,
                            float(ratio[key][j]) if key in ratio else np.nan))
    spec = Table()
    spec["RUN"] = [run] * len(sp_rows)
    spec["SET"] = [r[0] for r in sp_rows]
    spec["DATASET"] = [r[1] for r in sp_rows]
    spec["ROLE"] = [r[2] for r in sp_rows]
    spec["MASS"] = np.array([r[3] for r in sp_rows]) * u.u
    for key, k, unit in (("COUNTS", 4, u.count), ("COUNTS_BKGSUB", 5, u.count), ("RATIO", 6, u.percent)):
        v = np.array([r[k] for r in sp_rows], dtype=float)
        spec[key] = MaskedColumn(v, mask=~np.isfinite(v), unit=unit)

    plots = {}
    for row in out_rows:
        name, xset = row["DATASET"], row["SET"]
        prefix = f"{_slug(xset)}_" if len(sets) > 1 else ""
        bkg = row["ROLE"].startswith("bkg")
        sttl = f"{row['MODE']} {'Background ' if bkg else ''}- {name} - R{run}"
        if row["MODE"].upper() == "OSNB" and not bkg:
            sttl = f"OSNB - CS {row['CS_FILAMENT'].capitalize()} - {name} - R{run}"
        ttl = f"IP={row['IP']:g}ms, {row['N_SCANS']} scan summation, H2counts={row['H2_SUM']:.0f}"
        if f"ms_{_slug(name)}" not in plots:  # a dataset shared by two sets is drawn once
            plots[f"ms_{_slug(name)}"] = ms_bar(masses_of[name], sums[name], sttl, ttl)
        if (xset, name) in bkgsub:
            plots[f"ms_{prefix}{_slug(name)}_bkgsub"] = ms_bar(
                masses_of[name], bkgsub[(xset, name)], sttl + " Bkg Subtract", ttl)
        if (xset, name) in ratio:
            r_pct = ratio[(xset, name)]
            h2 = float(r_pct[mass_column(masses_of[name], H2_MASS)])
            plots[f"crosstalk_{prefix}cs_{row['CS_FILAMENT']}"] = ms_bar(
                masses_of[name], r_pct, f"Crosstalk Ratio, CS {row['CS_FILAMENT'].capitalize()}"
                f"{' ' + xset if len(sets) > 1 else ''} - R{run}",
                f"IP={row['IP']:g}ms, {row['N_SCANS']} scan summation, H2 ratio={h2:.3f}%", ylabel="Percent")
    meta = {"description": f"Cassini INMS REU run {run}: per-dataset H2/H2O statistics and OSNB/CSN crosstalk."}
    return AlgorithmResult(tables={"": main, "spectra": spec}, plots=plots, meta=meta, notes=notes)


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "x"


inms_crosstalk_algorithm.check_product = check_product
