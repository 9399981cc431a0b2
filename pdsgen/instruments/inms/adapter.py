"""Recipe adapter of inms: wires the recipe engine's context (products, calibration files,
parameters) to the pure functions of `pdsgen.instruments.inms.algorithm`."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from pdsgen.instruments.inms.algorithm import (
    H2_MASS,
    H2O_MASS,
    ROLES,
    align_to_masses,
    counting_ratio,
    crosstalk,
    dataset_stats,
    dataset_sums,
    mass_column,
    scale_factors,
)
from pdsgen.recipes.api import with_product_check

if TYPE_CHECKING:

    from pdsgen.recipes.api import AlgorithmResult, RecipeContext

# --------------------------------------------------------------------------- recipe edge
# Adapts the recipe engine's context to the pure functions above: the dataset plan file is
# read here and the per-scan inputs are stacked into arrays per dataset.

PLAN_COLUMNS = ("run", "dataset", "first_scan", "last_scan", "role")
DEFAULT_SET = "main"  # the set of plan rows without one, and of runs without a plan


def read_dataset_plan(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
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


def _values(v: object) -> np.ndarray:
    return np.asarray(getattr(v, "value", v))


def _scalar(values: Sequence[object], name: str, paths: Sequence[object]) -> np.ndarray:
    from pdsgen.errors import DataError

    out = []
    for v, p in zip(values, paths, strict=True):
        a = np.atleast_1d(_values(v))
        if a.size != 1:
            raise DataError(f"input {name!r}: expected one value per scan, found {a.size}", path=str(p))
        out.append(a[0])
    return np.asarray(out)


def check_product(ctx: RecipeContext, i: int, inputs: Mapping[str, Any]) -> None:
    """Per-scan checks the engine runs before the group (a bad scan is left out of it)."""
    from pdsgen.errors import DataError

    for name, v in inputs.items():
        if name in _SCAN_INPUTS:
            _scalar([v], name, [ctx.paths[i]])
    counts = inputs.get("counts")
    if counts is not None:
        c = _values(counts).astype(float)
        bad = ~np.isfinite(c)
        if bad.any():  # a missing (special-constant) count cannot be summed
            raise DataError(f"input 'counts': {int(bad.sum())} of {c.size} mass channels have missing values",
                            path=str(ctx.paths[i]))


_SCAN_INPUTS = ("scan", "run", "dataset", "mode", "cs_emis_set", "cs_emission", "os_emission", "pressure", "ip")


def inms_crosstalk_algorithm(ctx: RecipeContext) -> AlgorithmResult:
    """Recipe ``inms-crosstalk``: per-run dataset statistics, background-subtracted spectra
    and OSNB/CSN crosstalk ratios, with the mass-spectrum bar plots."""
    import astropy.units as u
    from astropy.table import MaskedColumn, Table

    from pdsgen.errors import DataError, RecipeError
    from pdsgen.instruments.inms.plots import ms_bar
    from pdsgen.recipes.api import AlgorithmResult

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
    for plan_file in ctx.calibrations("datasets"):
        plan_rows += [r for r in read_dataset_plan(plan_file) if r["run"] == run]
    sets: dict[str, list[tuple[str, str]]] = {}
    if plan_rows:
        ranges: dict[str, tuple[int, int]] = {}
        for entry in plan_rows:
            rng_ = (entry["first"], entry["last"])
            if ranges.setdefault(entry["dataset"], rng_) != rng_:
                raise DataError(f"run {run}: dataset {entry['dataset']} is given two scan ranges in the plan",
                                path=str(paths[0]))
            sets.setdefault(entry["set"], []).append((entry["dataset"], entry["role"]))
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
    stats: dict[str, dict[str, Any]] = {}
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
        row: dict[str, Any] = {"DATASET": name, "MODE": str(mode[members[-1]]),
               "CS_FILAMENT": "on" if iset[members[-1]] >= on_min else "off",
               "FIRST_SCAN": int(scan_no[members[0]]), "LAST_SCAN": int(scan_no[members[-1]]),
               "N_SCANS": len(members), "IP": float(ip[members[-1]]),
               "MEAN_PRESSURE": float(np.mean(press[members])), "MEAN_EMISSION": float(np.mean(emission[members]))}
        for label, mass in (("H2", H2_MASS), ("H2O", H2O_MASS)):
            try:
                channel = mass_column(m0, mass)
            except KeyError:
                notes.append(f"run {run}: dataset {name} has no {mass:g} amu/e channel")
                for key in ("SUM", "MEAN", "STD", "VAR"):
                    row[f"{label}_{key}"] = np.nan
                continue
            st = dataset_stats(scaled[:, channel], one, 1)
            for key in ("sum", "mean", "std", "var"):
                row[f"{label}_{key.upper()}"] = float(st[key][0])
        r, sig = counting_ratio(row["H2_MEAN"], row["H2O_MEAN"])
        row["H2_H2O_RATIO"], row["H2_H2O_SIGMA"] = float(r), float(sig)
        stats[name] = row
        sums[name] = dataset_sums(scaled, one, 1)[0]
        masses_of[name] = m0

    # ---- per crosstalk set: background subtraction and ratios
    out_rows: list[dict[str, Any]] = []
    bkgsub: dict[tuple[str, str], np.ndarray] = {}
    variance: dict[tuple[str, str], np.ndarray] = {}
    ratio: dict[tuple[str, str], np.ndarray] = {}
    ratio_sigma: dict[tuple[str, str], np.ndarray] = {}
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
            n_of = {role: stats[role_of[role]]["N_SCANS"] for role in ROLES}
            x: dict[str, Any] = crosstalk(aligned, {role: stats[role_of[role]]["H2_MEAN"] for role in ROLES}, n_of)
            for role, bkg in (("csn", "bkgc"), ("osnb_on", "bkgo"), ("osnb_off", "bkgo")):
                if n_of[role] != n_of[bkg]:
                    notes.append(f"run {run}{tag}: background {role_of[bkg]} ({n_of[bkg]} scans) scaled by "
                                 f"{n_of[role]}/{n_of[bkg]} to the {n_of[role]} scans of {role_of[role]}")
            for role, key in (("csn", "csn_bkgsub"), ("osnb_on", "osnb_on_bkgsub"), ("osnb_off", "osnb_off_bkgsub")):
                bkgsub[(xset, role_of[role])] = x[key]
                variance[(xset, role_of[role])] = x[f"{role}_var"]
            # channels where the CSN signal is not above its counting noise give meaningless
            # ratios (0/0 noise): masked unless ratio_min_sigma = 0 (the seed's plain ratio)
            weak = ~(x["csn_bkgsub"] > n_sig * np.sqrt(x["csn_var"])) if n_sig > 0 else None
            for role in ("osnb_on", "osnb_off"):
                r_pct = x[f"ratio_{role[5:]}_percent"].copy()
                s_pct = x[f"ratio_{role[5:]}_sigma"] * 100.0
                if weak is not None:
                    r_pct[weak] = np.nan
                    s_pct[weak] = np.nan
                ratio[(xset, role_of[role])] = r_pct
                ratio_sigma[(xset, role_of[role])] = s_pct
            h2col = mass_column(target, H2_MASS)
            csn_h2o = stats[role_of["csn"]]["H2O_MEAN"]
            headline = {}
            for row in rows_here:
                if row["ROLE"] in ("osnb_on", "osnb_off"):
                    key = row["ROLE"][5:]
                    row["H2_RATIO"] = x[f"h2_ratio_{key}"]
                    row["H2_RATIO_SIGMA"] = x[f"h2_ratio_{key}_sigma"]
                    # the headline: background-subtracted, per scan — the number the plots show
                    row["H2_RATIO_BKGSUB"] = float(ratio[(xset, row["DATASET"])][h2col]) / 100.0
                    row["H2_RATIO_BKGSUB_SIGMA"] = float(ratio_sigma[(xset, row["DATASET"])][h2col]) / 100.0
                    headline[key] = (row["H2_RATIO_BKGSUB"], row["H2_RATIO_BKGSUB_SIGMA"])
                    # seed compute_water_ratios: H2(OSNB)/H2O(CSN). The seed's sigma uses
                    # sqrt(1/m_H2 + 1/m_H2(CSN)), an apparent typo: the counts in the ratio
                    # are H2 (OSNB) and H2O (CSN), so sqrt(1/m_H2 + 1/m_H2O(CSN)) is used.
                    r_w, s_w = counting_ratio(row["H2_MEAN"], csn_h2o)
                    row["H2_CSN_H2O_RATIO"], row["H2_CSN_H2O_SIGMA"] = float(r_w), float(s_w)
            (r_on, s_on), (r_off, s_off) = headline["on"], headline["off"]
            notes.append(f"run {run}{tag}: H2 crosstalk OSNB/CSN (background-subtracted, per scan) CS on "
                         f"{r_on * 100:.3f}% +- {s_on * 100:.3f}%, CS off {r_off * 100:.3f}% +- {s_off * 100:.3f}%")
        elif role_of:
            missing = [role for role in ROLES if role not in role_of]
            notes.append(f"run {run}{tag}: no crosstalk ratios, datasets missing for roles {', '.join(missing)}")
        else:
            notes.append(f"run {run}{tag}: no dataset roles (no dataset plan): statistics only")

    def col(key: str, unit: Any = None) -> MaskedColumn:
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
                "H2_RATIO_BKGSUB_SIGMA", "H2_CSN_H2O_RATIO", "H2_CSN_H2O_SIGMA"):
        main[key] = col(key)

    sp_rows = []
    for row in out_rows:
        pair = (row["SET"], row["DATASET"])
        for j, m in enumerate(masses_of[row["DATASET"]]):
            sp_rows.append((row["SET"], row["DATASET"], row["ROLE"], float(m), float(sums[row["DATASET"]][j]),
                            float(bkgsub[pair][j]) if pair in bkgsub else np.nan,
                            float(ratio[pair][j]) if pair in ratio else np.nan,
                            float(np.sqrt(variance[pair][j])) if pair in variance else np.nan,
                            float(ratio_sigma[pair][j]) if pair in ratio_sigma else np.nan))
    spec = Table()
    spec["RUN"] = [run] * len(sp_rows)
    spec["SET"] = [r[0] for r in sp_rows]
    spec["DATASET"] = [r[1] for r in sp_rows]
    spec["ROLE"] = [r[2] for r in sp_rows]
    spec["MASS"] = np.array([r[3] for r in sp_rows]) * u.u
    for key, k, unit in (("COUNTS", 4, u.count), ("COUNTS_BKGSUB", 5, u.count), ("COUNTS_BKGSUB_SIGMA", 7, u.count),
                         ("RATIO", 6, u.percent), ("RATIO_SIGMA", 8, u.percent)):
        v = np.array([r[k] for r in sp_rows], dtype=float)
        spec[key] = MaskedColumn(v, mask=~np.isfinite(v), unit=unit)

    plots = {}  # drawn by the recipe engine (matplotlib is the optional `plots` extra)
    for row in out_rows:
        name, xset = row["DATASET"], row["SET"]
        prefix = f"{_slug(xset)}_" if len(sets) > 1 else ""
        bkg = row["ROLE"].startswith("bkg")
        sttl = f"{row['MODE']} {'Background ' if bkg else ''}- {name} - R{run}"
        if row["MODE"].upper() == "OSNB" and not bkg:
            sttl = f"OSNB - CS {row['CS_FILAMENT'].capitalize()} - {name} - R{run}"
        ttl = f"IP={row['IP']:g}ms, {row['N_SCANS']} scan summation, H2counts={row['H2_SUM']:.0f}"
        if f"ms_{_slug(name)}" not in plots:  # a dataset shared by two sets is drawn once
            plots[f"ms_{_slug(name)}"] = partial(ms_bar, masses_of[name], sums[name], sttl, ttl)
        if (xset, name) in bkgsub:
            plots[f"ms_{prefix}{_slug(name)}_bkgsub"] = partial(
                ms_bar, masses_of[name], bkgsub[(xset, name)], sttl + " Bkg Subtract", ttl,
                sigma=np.sqrt(variance[(xset, name)]))
        if (xset, name) in ratio:
            r_pct = ratio[(xset, name)]
            h2 = float(r_pct[mass_column(masses_of[name], H2_MASS)])
            plots[f"crosstalk_{prefix}cs_{row['CS_FILAMENT']}"] = partial(
                ms_bar, masses_of[name], r_pct, f"Crosstalk Ratio, CS {row['CS_FILAMENT'].capitalize()}"
                f"{' ' + xset if len(sets) > 1 else ''} - R{run}",
                f"IP={row['IP']:g}ms, {row['N_SCANS']} scan summation, H2 ratio={h2:.3f}%", ylabel="Percent",
                sigma=ratio_sigma[(xset, name)], log=True)
    meta = {"description": f"Cassini INMS REU run {run}: per-dataset H2/H2O statistics and OSNB/CSN crosstalk."}
    return AlgorithmResult(tables={"": main, "spectra": spec}, plots=plots, meta=meta, notes=notes)


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "x"


inms_crosstalk_algorithm = with_product_check(inms_crosstalk_algorithm, check_product)
