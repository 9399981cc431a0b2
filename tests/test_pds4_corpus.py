"""pdsgen against pds4_tools on every real PDS4 label of the corpus.

For each label pds4_tools reads without error and that holds tables or arrays, every
table field and array must agree with pds4_tools object by object in label order
(same shapes, same numbers, same strings after trimming, same masks). Labels
pds4_tools rejects must give pdsgen's own errors (PdsgenError), never a crash.

Run as a script (``python tests/test_pds4_corpus.py``) to print the counts.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np
import pytest

import pdsgen
from pdsgen.data import physical_data
from pdsgen.data.io import ShortFileError
from pdsgen.errors import PdsgenError

try:
    from conftest import CORPUS
except ImportError:  # run as a script from elsewhere
    CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"

pytestmark = pytest.mark.shared


def corpus_labels() -> list[Path]:
    roots = [CORPUS / "validate"]
    labels = []
    for root in roots:
        if root.is_dir():
            labels += sorted(root.rglob("*.xml")) + sorted(root.rglob("*.lblx"))
    dual = CORPUS / "pds3" / "dual"
    if dual.is_dir():
        labels += sorted(dual.rglob("*.xml"))
    return labels


_REFERENCE: dict[Path, object] = {}


def reference(path: Path):
    """pds4_tools' tables/arrays as [(type, data)], or the exception it raised (cached)."""
    if path in _REFERENCE:
        return _REFERENCE[path]
    import pds4_tools

    logging.getLogger("PDS4ToolsLogger").setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            structures = pds4_tools.read(str(path), lazy_load=True, quiet=True)
            result = []
            for s in structures:
                if s.is_table() or s.is_array():
                    result.append((s.type, s.id, s.data))
    except Exception as exc:  # noqa: BLE001 - pds4_tools' own failures are data for this test
        result = exc
    _REFERENCE[path] = result
    return result


def _strings(values) -> np.ndarray:
    values = np.ma.getdata(values)
    if values.dtype.kind == "S":
        values = np.char.decode(values, "latin-1")
    return np.char.strip(values.astype(str))


def _compare(ref, ours, what: str) -> list[str]:
    problems = []
    ref_mask = np.ma.getmaskarray(ref) if isinstance(ref, np.ma.MaskedArray) else None
    our_mask = np.ma.getmaskarray(ours) if isinstance(ours, np.ma.MaskedArray) else np.zeros(np.shape(ours), bool)
    if np.shape(ref) != np.shape(ours):
        return [f"{what}: shape {np.shape(ours)} != pds4_tools {np.shape(ref)}"]
    ref_data, our_data = np.ma.getdata(ref), np.ma.getdata(ours)
    if ref_data.dtype.kind in "SUO" or our_data.dtype.kind in "SU":
        if not np.array_equal(_strings(ref_data), _strings(our_data)):
            return [f"{what}: strings differ"]
        return []
    if ref_mask is not None and not np.array_equal(ref_mask, our_mask):
        problems.append(f"{what}: masks differ ({int(ref_mask.sum())} vs {int(our_mask.sum())})")
    keep = ~our_mask if ref_mask is None else ~(our_mask | ref_mask)
    a, b = ref_data[keep], our_data[keep]
    if a.dtype.kind in "fc" or b.dtype.kind in "fc":
        equal = np.array_equal(a.astype(np.complex128 if "c" in (a.dtype.kind + b.dtype.kind) else np.float64),
                               b.astype(np.complex128 if "c" in (a.dtype.kind + b.dtype.kind) else np.float64),
                               equal_nan=True)
    else:
        equal = np.array_equal(a, b)
    if not equal:
        problems.append(f"{what}: values differ")
    return problems


def check_label(path: Path) -> tuple[str, list[str]]:
    """('agree'|'stricter'|'differ'|'rejected'|'skipped', problems) for one label."""
    ref = reference(path)
    if isinstance(ref, Exception) or not ref:
        # pds4_tools rejects it (or it holds no tables/arrays): pdsgen must not crash.
        try:
            product = pdsgen.open(path)
            for obj in product.objects:
                if obj.kind in ("table", "array", "header", "text"):
                    try:
                        physical_data(obj)
                    except PdsgenError:
                        pass
        except PdsgenError:
            pass
        return ("rejected" if isinstance(ref, Exception) else "skipped"), []
    product = pdsgen.open(path)
    ours = [o for o in product.objects if o.kind in ("table", "array")]
    if len(ours) != len(ref):
        return "differ", [f"{len(ours)} tables/arrays, pds4_tools has {len(ref)}"]
    problems: list[str] = []
    stricter: list[str] = []
    for obj, (rtype, _rid, rdata) in zip(ours, ref, strict=True):
        where = f"{obj.name!r} ({obj.label_type})"
        if obj.label_type != rtype:
            problems.append(f"{where}: pds4_tools sees {rtype}")
            continue
        try:
            values = physical_data(obj)
        except PdsgenError as exc:
            if isinstance(exc, ShortFileError) or "<fields>" in exc.message:
                # a <fields> count that disagrees with the Field_* given: pds4_tools reads
                # the fields it finds, pdsgen refuses (a lost field means wrong values).
                # pds4_tools pads or truncates silently when the file holds fewer records
                # than the label declares; pdsgen reports the short file (deliberately).
                stricter.append(f"{where}: {exc}")
                continue
            problems.append(f"{where}: pdsgen cannot read it: {exc}")
            continue
        if obj.kind == "array":
            problems += _compare(rdata, values, where)
            continue
        ref_names = rdata.dtype.names
        our_fields = [(f, name) for f, name in zip(obj.fields, values, strict=True) if f.bits is None]
        if len(our_fields) != len(ref_names):
            problems.append(f"{where}: {len(our_fields)} fields, pds4_tools has {len(ref_names)}")
            continue
        for (f, name), rname in zip(our_fields, ref_names, strict=True):
            problems += _compare(rdata[rname], values[name], f"{where} field {f.name!r}")
    if problems:
        return "differ", problems
    return ("stricter", stricter) if stricter else ("agree", [])


LABELS = corpus_labels()


@pytest.mark.parametrize("path", LABELS, ids=[str(p.relative_to(CORPUS)) for p in LABELS])
def test_label_agrees_with_pds4_tools(path: Path) -> None:
    status, problems = check_label(path)
    assert status != "differ", "\n".join(problems)


def main() -> None:
    counts: dict[str, int] = {}
    for path in LABELS:
        try:
            status, problems = check_label(path)
        except Exception as exc:  # noqa: BLE001 - report every crash
            status, problems = "crash", [f"{type(exc).__name__}: {exc}"]
        counts[status] = counts.get(status, 0) + 1
        if problems:
            print(f"{status}: {path.relative_to(CORPUS)}")
            for p in problems[:5]:
                print("   ", p)
    read = sum(counts.get(k, 0) for k in ("agree", "stricter", "differ", "crash"))
    print(f"labels: {len(LABELS)}; read by pds4_tools with tables/arrays: {read}; "
          f"agreeing: {counts.get('agree', 0)}; short files pdsgen reports as errors: "
          f"{counts.get('stricter', 0)}; rejected by pds4_tools: {counts.get('rejected', 0)}; "
          f"no tables/arrays: {counts.get('skipped', 0)}; crashes: {counts.get('crash', 0)}")


if __name__ == "__main__":
    main()
