"""Agreement of `pdsgen validate` with NASA validate on the corpus scenarios.

For each case of ``../shared/corpus/validate/scenarios.json`` the validate arguments are
passed to pdsgen's CLI, which reads validate's options itself (see ``map_args``: the
shared catalog stands in for validate's online schema look-ups, the shared registered-context-products list is
the default list, debugging options are dropped), pdsgen runs in-process through its CLI
with a JSON report, and two things are compared:

* verdict: errors found or not (validate's ``summary:totalErrors``);
* error types: the set of ``error.*`` message types reported, exactly;
* (also printed) warning types: the set of ``warning.*`` types, exactly.

Cases whose expected errors are all of out-of-scope formats (PDF/A, JPEG/PNG/MP4
compliance, file mime types) are excluded; in other cases those types are dropped from the
expected set (pdsgen reports such content as "not checked").

A second pair of figures leaves out the cases this copy cannot run offline as validate ran
them: a label of the target names a data file that is not in the copy, or cites a schema
that neither the shared catalog nor the case folder holds (an online-only schema), while
validate's expectation reports no missing file (nor unresolvable resource). Which cases
those are is decided from the case's files and the expectation, before pdsgen runs. Usage::

    python bench/validate_agreement.py [--verbose]
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("PDSGEN_SHARED") or ROOT.parent / "shared")
CORPUS = SHARED / "corpus" / "validate"
CATALOG = SHARED / "pds4-schemas" / "catalog.xml"
CONTEXT = SHARED / "pds4-context" / "registered_context_products.json"

OUT_OF_SCOPE_PREFIXES = ("error.pdf.", "error.file.not_", "warning.file.not_")
#: validate options pdsgen does not take (debug output, progress, registry-only checks): dropped
DROPPED_FLAGS = {"--debug-mode"}
DROPPED_WITH_VALUE = {"-progress", "--progress"}


def parse_expected(exp: str) -> dict:
    """validate's expectation string → {"errors": n, "warnings": n, "types": {type: n}}."""
    out = {"errors": 0, "warnings": 0, "types": {}}
    for item in filter(None, (x.strip() for x in exp.split(","))):
        key, _, value = item.partition("=")
        parts = key.split(":")
        try:
            n = int(value)
        except ValueError:
            continue
        if parts[:2] == ["summary", "totalErrors"]:
            out["errors"] = n
        elif parts[:2] == ["summary", "totalWarnings"]:
            out["warnings"] = n
        elif parts[:2] == ["summary", "messageTypes"] and len(parts) > 2:
            out["types"][":".join(parts[2:])] = n
    return out


def map_args(args: str, datasrc: Path) -> list[str]:
    """validate's argument string → pdsgen validate's arguments.

    pdsgen's CLI reads validate's spellings itself (``-t``, ``-R pds4.*``, ``-x``/``-S``,
    single-dash long options, ``-M``, ``--target-manifest``, …), so the arguments are passed
    on as they are, but: the shared catalog stands in for validate's online schema look-ups
    (``--schema-catalog``: pdsgen's chain, offline), a ``-C`` catalog of the case is kept
    when the case holds it (validate's catalog-alone semantics) and dropped otherwise, the
    shared registered context products are the default list, and options of validate's
    debugging and registry modes are dropped.
    """
    toks = shlex.split(args.replace("{datasrc}", str(datasrc)))
    out = ["--context-products", str(CONTEXT), "--offline"]
    kept: list[str] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t in ("-C", "--catalog", "-catalog"):
            i += 1
            while i < len(toks) and not toks[i].startswith("-") and toks[i].lower().endswith(".xml"):
                if Path(toks[i]).is_file():
                    kept += ["-C", toks[i]]
                i += 1
            continue
        if t in DROPPED_FLAGS:
            i += 1
            continue
        if t in DROPPED_WITH_VALUE:
            i += 2 if i + 1 < len(toks) and toks[i + 1].isdigit() else 1
            continue
        out.append(t)
        i += 1
    return (kept or ["--schema-catalog", str(CATALOG)]) + out


def run_pdsgen(argv: list[str]) -> tuple[int, dict]:
    from pdsgen.cli.app import main

    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        try:
            main.main(["validate", *argv, "--jobs", "1", "--format", "json", "--report", str(report)],
                      standalone_mode=False)
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        except Exception as exc:  # noqa: BLE001 - a crash is a disagreement, shown as such
            return 3, {"crash": f"{type(exc).__name__}: {exc}"}
        data = json.loads(report.read_text()) if report.is_file() else {}
    return code, data


_FILE_NAME = "{http://pds.nasa.gov/pds4/pds/v1}file_name"
_XSI_LOCATION = "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation"
_PDS4_URL = ("http://pds.nasa.gov/pds4/", "https://pds.nasa.gov/pds4/")


def _target_labels(argv: list[str]) -> list[Path]:
    labels: list[Path] = []
    for tok in argv:
        p = Path(tok)
        if not str(p).startswith(str(CORPUS)) or not p.exists():
            continue
        labels += sorted(p.rglob("*.xml")) if p.is_dir() else [p] if p.suffix.lower() == ".xml" else []
    return labels


def offline_gaps(argv: list[str], expected_types: set[str]) -> list[str]:
    """What this copy lacks to run the case as validate ran it (see the module docstring)."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    gaps: list[str] = []
    for label in _target_labels(argv):
        try:
            root = etree.parse(str(label), parser).getroot()
        except etree.XMLSyntaxError:
            continue
        if "error.label.missing_file" not in expected_types:
            for el in root.iter(_FILE_NAME):
                name = (el.text or "").strip()
                if name and not (label.parent / name).exists():
                    gaps.append(f"{label.name}: data file {name} not in this copy")
        if not any(t.endswith("unresolvable_resource") for t in expected_types):
            words = (root.get(_XSI_LOCATION) or "").split()
            for url in words[1::2]:
                local = next((SHARED / "pds4-schemas" / "pds4" / url[len(p):] for p in _PDS4_URL
                              if url.startswith(p)), None)
                if local is None and "://" not in url:
                    local = label.parent / url
                if local is None or not local.is_file():
                    gaps.append(f"{label.name}: schema {url} not available offline")
    return gaps


def out_of_scope(t: str) -> bool:
    return t.startswith(OUT_OF_SCOPE_PREFIXES)


def evaluate(verbose: bool = False) -> dict:
    cases = json.loads((CORPUS / "scenarios.json").read_text())
    rows = []
    for case in cases:
        exp = parse_expected(case["exp"])
        exp_errors = {t for t in exp["types"] if t.startswith("error.")}
        if exp_errors and all(out_of_scope(t) for t in exp_errors):
            rows.append({"case": f"{case['src']}/{case['sub']}", "excluded": True})
            continue
        exp_errors = {t for t in exp_errors if not out_of_scope(t)}
        exp_verdict = exp["errors"] > 0 and any(
            n for t, n in exp["types"].items() if t.startswith("error.") and not out_of_scope(t)) or (
            exp["errors"] > 0 and not exp["types"])
        argv = map_args(case["args"], CORPUS / case["src"])
        gaps = offline_gaps(argv, set(exp["types"]))
        code, data = run_pdsgen(argv)
        got_types = {m["messageType"] for m in data.get("summary", {}).get("messageTypes", [])}
        got_errors = {t for t in got_types if t.startswith("error.")}
        exp_warnings = {t for t in exp["types"] if t.startswith("warning.") and not t.endswith("_mimetype")}
        got_warnings = {t for t in got_types if t.startswith("warning.")}
        got_verdict = data.get("summary", {}).get("totalErrors", 0) > 0 or code >= 2
        rows.append({
            "case": f"{case['src']}/{case['sub']}", "excluded": False, "argv": argv, "code": code,
            "verdict_ok": got_verdict == exp_verdict, "types_ok": got_errors == exp_errors,
            "warnings_ok": got_warnings == exp_warnings,
            "expected": sorted(exp_errors), "got": sorted(got_errors), "exp_verdict": exp_verdict,
            "got_verdict": got_verdict, "crash": data.get("crash"), "gaps": gaps,
        })
    used = [r for r in rows if not r["excluded"]]
    verdict = sum(r["verdict_ok"] for r in used)
    types = sum(r["types_ok"] for r in used)
    warnings = sum(r["warnings_ok"] for r in used)
    runnable = [r for r in used if not r["gaps"]]
    return {"rows": rows, "cases": len(rows), "used": len(used), "excluded": len(rows) - len(used),
            "verdict_agreement": verdict / len(used) if used else 0.0,
            "type_agreement": types / len(used) if used else 0.0,
            "verdict_ok": verdict, "types_ok": types, "warnings_ok": warnings,
            "runnable": len(runnable), "runnable_verdict_ok": sum(r["verdict_ok"] for r in runnable),
            "runnable_types_ok": sum(r["types_ok"] for r in runnable)}


def main(argv: list[str]) -> int:
    verbose = "--verbose" in argv
    res = evaluate(verbose)
    for r in res["rows"]:
        if r["excluded"]:
            if verbose:
                print(f"excluded  {r['case']} (only out-of-scope formats expected)")
            continue
        if r["verdict_ok"] and r["types_ok"] and not verbose:
            continue
        flag = ("ok " if r["verdict_ok"] else "VERDICT ") + ("" if r["types_ok"] else "TYPES")
        print(f"{flag:14} {r['case']}: expected {r['expected']} got {r['got']}"
              + (f" crash={r['crash']}" if r.get("crash") else "")
              + (f"  [not runnable offline: {r['gaps'][0]}{' …' if len(r['gaps']) > 1 else ''}]"
                 if r["gaps"] else ""))
        if verbose:
            print("      pdsgen validate " + " ".join(r["argv"]))
    print(f"\ncases: {res['cases']} ({res['excluded']} excluded as out-of-scope formats only, {res['used']} used)")
    print(f"verdict agreement:    {res['verdict_ok']}/{res['used']} = {100 * res['verdict_agreement']:.1f}% "
          "(target >= 98%)")
    print(f"error-type agreement: {res['types_ok']}/{res['used']} = {100 * res['type_agreement']:.1f}% "
          "(target >= 95%)")
    print(f"warning-type agreement (exact set, out-of-scope mime types dropped): {res['warnings_ok']}/{res['used']}"
          f" = {100 * res['warnings_ok'] / res['used']:.1f}%")
    n = res["runnable"]
    if n:
        print(f"runnable offline ({res['used'] - n} left out: a data file or schema this copy lacks): {n} cases; "
              f"verdict {res['runnable_verdict_ok']}/{n} = {100 * res['runnable_verdict_ok'] / n:.1f}%, "
              f"error types {res['runnable_types_ok']}/{n} = {100 * res['runnable_types_ok'] / n:.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
