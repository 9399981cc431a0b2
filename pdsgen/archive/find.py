"""Retrieval from the index: products by time range, type, LID and instrument (as mica
retrieves ACA products), and the calibration in force at a product's time."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pdsgen.archive.errors import ArchiveInputError
from pdsgen.archive.index import ArchiveIndex, ProductRecord
from pdsgen.errors import PdsgenError
from pdsgen.times import normalize_time


def _time_arg(text: str | None, what: str) -> str | None:
    if text is None:
        return None
    try:
        return normalize_time(text)
    except ValueError as exc:
        raise ArchiveInputError(f"{what}: {exc}") from exc


def _glob(pattern: str) -> tuple[str, str]:
    """(SQL LIKE prefilter, fnmatch pattern); a pattern with no wildcard matches a substring."""
    pat = pattern.lower()
    if not any(c in pat for c in "*?["):
        pat = f"*{pat}*"
    like = re.sub(r"\[[^\]]*\]", "_", pat).replace("*", "%").replace("?", "_")
    return like, pat


def find(index: ArchiveIndex, **filters: Any) -> list[ProductRecord]:
    """`iter_find` as a list."""
    return list(iter_find(index, **filters))


def iter_find(
    index: ArchiveIndex,
    *,
    types: list[str] | tuple[str, ...] = (),
    start: str | None = None,
    stop: str | None = None,
    lid: str | None = None,
    instrument: str | None = None,
    recipe: str | None = None,
    calibration: bool | None = None,
) -> Iterator[ProductRecord]:
    """Products overlapping [start, stop] that match every given filter, in time order,
    streamed from the index (arguments are checked before the first one is read).

    ``types`` match product type or class, case-insensitively, with or without the
    ``Product_`` prefix; ``lid`` is a glob over LID (or PDS3 PRODUCT_ID).
    """
    t0, t1 = _time_arg(start, "--start"), _time_arg(stop, "--stop")
    if t0 and t1 and t0 > t1:
        raise ArchiveInputError(f"--start {start} is after --stop {stop}")
    kinds: list[str] = []
    for t in types:
        kinds.append(t)
        if not t.lower().startswith("product_"):
            kinds.append(f"Product_{t}")
    like = pat = None
    if lid:
        like, pat = _glob(lid)
    found = index.iter_query(start=t0, stop=t1, lid_like=like, types=kinds, instrument=instrument,
                             calibration=calibration)
    if pat is not None:
        found = (r for r in found if fnmatch.fnmatchcase((r.lid or r.product_id or "").lower(), pat))
    if recipe is not None:
        found = (r for r in found if r.recipe_name == recipe)
    return found


def vid_key(vid: str | None) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in (vid or "0").split("."))
    except ValueError:
        return (0,)


def resolve_product(index: ArchiveIndex, ident: str, root: Path | None = None) -> ProductRecord:
    """The product ``ident`` names: LIDVID, LID (latest version), PRODUCT_ID or label path."""
    found = index.by_identifier(ident)
    if not found and root is not None:
        p = Path(ident)
        try:
            rel = p.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            rel = None
        if rel:
            found = index.by_identifier(rel)
    if not found:
        raise ArchiveInputError(f"no indexed product {ident!r} (run `pdsgen archive index` first?)")
    return max(found, key=lambda r: vid_key(r.vid))


def calibration_for(
    index: ArchiveIndex,
    ident: str,
    *,
    root: Path | None = None,
    types: list[str] | tuple[str, ...] = (),
) -> ProductRecord:
    """The calibration in force at product ``ident``'s start time: the latest calibration
    product dated (start time) at or before it, of the same instrument when both say one.

    Several versions of the same calibration LID: the highest VID wins.
    """
    product = resolve_product(index, ident, root)
    if not product.start_time:
        raise ArchiveInputError(f"{product.identifier}: the product has no start time, so no calibration can be chosen")
    candidates = find(index, types=types, calibration=True)
    best: ProductRecord | None = None
    for cal in candidates:
        if not cal.start_time or cal.start_time > product.start_time:
            continue
        if cal.label_path == product.label_path:
            continue
        if product.instrument and cal.instrument and product.instrument.lower() != cal.instrument.lower():
            continue
        key = (cal.start_time, vid_key(cal.vid))
        if best is None or key > (best.start_time, vid_key(best.vid)):
            best = cal
    if best is None:
        raise PdsgenError(
            f"{product.identifier}: no calibration product dated at or before {product.start_time}"
            + (f" for instrument {product.instrument}" if product.instrument else "")
        )
    return best
