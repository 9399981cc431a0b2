"""Agreement of `pdsgen validate` with NASA validate on the corpus scenarios.

For each case of ``../shared/corpus/validate/scenarios.json`` the validate arguments are
mapped onto pdsgen's CLI (``-R pds4.bundle`` → ``--rule bundle``, ``pds4.label`` /
``pds4.folder`` → ``product``, ``--skip-content-validation`` → ``--no-content``,
``--skip-context-validation`` → ``--no-context``, ``--disable-context-mismatch-warnings`` →
``--no-context-mismatch-warnings``, ``--skip-product-validation`` → ``--no-product``, ``-e`` → ``-e``, ``--add-context-products F`` → an extra
``--context-products F``, ``--schema``/``--schematron`` as given, ``-C`` → the shared
catalog; the shared registered-context-products list is always passed), pdsgen runs
in-process through its CLI with a JSON report, and two things are compared:

* verdict: errors found or not (validate's ``summary:totalErrors``);
* error types: the set of ``error.*`` message types reported, exactly;
* (also printed) warning types: the set of ``warning.*`` types, exactly.

Cases whose expected errors are all of out-of-scope formats (PDF/A, JPEG/PNG/MP4
compliance, file mime types) are excluded; in other cases those types are dropped from the
expected set (pdsgen reports such content as "not checked"). Usage::

    python bench/validate_agreement.py [--verbose]
"""

from __future__ import annotations

import json
import shlex
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus" / "validate"
CATALOG = SHARED / "pds4-schemas" / "catalog.xml"
CONTEXT = SHARED / "pds4-context" / "registered_context_products.json"

OUT_OF_SCOPE_PREFIXES = ("error.pdf.", "error.file.not_", "warning.file.not_")
RULES = {"pds4.bundle": "bundle", "pds4.collection": "collection", "pds4.label": "product",
         "pds4.folder": "product", "pds4.product": "product"}
FLAGS = {
    "--skip-content-validation": ["--no-content"],
    "-skip-content-validation": ["--no-content"],
    "--skip-context-validation": ["--no-context"],
    "-skip-context-validation": ["--no-context"],
    "--skip-context-reference-check": ["--no-context"],
    "--disable-context-mismatch-warnings": ["--no-context-mismatch-warnings"],
    "--skip-product-validation": ["--no-product"],
    "--strict-field-checks": ["--strict-field-checks"],
}
IGNORED_FLAGS = {"--debug-mode",
                 "--skip-strict-collection-membership", "-v1", "-v", "--verbose"}
WITH_VALUE_IGNORED = {"-progress", "--progress", "-v", "--verbose"}


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
    """validate's argument string → pdsgen validate's arguments."""
    toks = shlex.split(args.replace("{datasrc}", str(datasrc)))
    out = ["-C", str(CATALOG), "--context-products", str(CONTEXT), "--offline"]
    targets: list[str] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t in ("-t", "--target"):
            i += 1
            while i < len(toks) and not toks[i].startswith("-"):
                targets.append(toks[i])
                i += 1
            continue
        if t in ("-R", "--rule"):
            out += ["--rule", RULES.get(toks[i + 1], "auto")]
            i += 2
            continue
        if t in ("-e", "--label-extension"):
            out += ["-e", toks[i + 1]]
            i += 2
            continue
        if t in ("--add-context-products",):
            out += ["--context-products", toks[i + 1]]
            i += 2
            continue
        if t in ("--schema", "--schematron"):
            out += [t, toks[i + 1]]
            i += 2
            continue
        if t in ("-C", "--catalog"):
            i += 2
            continue
        if t in FLAGS:
            out += FLAGS[t]
        elif t in WITH_VALUE_IGNORED and i + 1 < len(toks) and toks[i + 1].isdigit():
            i += 1
        elif t.startswith("-"):
            pass  # options without a pdsgen equivalent (debug output, strict checks)
        else:
            targets.append(t)
        i += 1
    return out + targets


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
            "got_verdict": got_verdict, "crash": data.get("crash"),
        })
    used = [r for r in rows if not r["excluded"]]
    verdict = sum(r["verdict_ok"] for r in used)
    types = sum(r["types_ok"] for r in used)
    warnings = sum(r["warnings_ok"] for r in used)
    return {"rows": rows, "cases": len(rows), "used": len(used), "excluded": len(rows) - len(used),
            "verdict_agreement": verdict / len(used) if used else 0.0,
            "type_agreement": types / len(used) if used else 0.0,
            "verdict_ok": verdict, "types_ok": types, "warnings_ok": warnings}


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
              + (f" crash={r['crash']}" if r.get("crash") else ""))
        if verbose:
            print("      pdsgen validate " + " ".join(r["argv"]))
    print(f"\ncases: {res['cases']} ({res['excluded']} excluded as out-of-scope formats only, {res['used']} used)")
    print(f"verdict agreement:    {res['verdict_ok']}/{res['used']} = {100 * res['verdict_agreement']:.1f}% "
          "(target >= 95%)")
    print(f"error-type agreement: {res['types_ok']}/{res['used']} = {100 * res['type_agreement']:.1f}% "
          "(target >= 85%)")
    print(f"warning-type agreement (exact set, out-of-scope mime types dropped): {res['warnings_ok']}/{res['used']}"
          f" = {100 * res['warnings_ok'] / res['used']:.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
