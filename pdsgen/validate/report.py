"""Reports of a validation run: validate-shaped JSON, plain text, and a self-contained HTML page.

The JSON follows NASA validate's report (``summary`` with ``totalErrors``,
``totalWarnings``, ``productValidation`` {passed, failed, skipped, total},
``referentialIntegrity`` {…}, ``messageTypes`` as ``[{"messageType", "total"}]``, and
``productLevelValidationResults`` with per-product messages) so tools that read validate's
report read pdsgen's. HTML is rendered with Jinja from ``templates/report/`` and inlines
its CSS and script (one file to share).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from pdsgen.validate.findings import Finding
from pdsgen.validate.results import RunResult

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2, "debug": 3}


def _message(f: Finding) -> dict[str, Any]:
    m: dict[str, Any] = {"severity": f.severity.upper(), "type": f.type, "message": f.message}
    if f.file:
        m["file"] = f.file
    for key in ("line", "column", "record", "field"):
        v = getattr(f, key)
        if v is not None:
            m[key] = v
    if f.context:
        m["context"] = f.context
    return m


def summary(result: RunResult, *, include_info: bool = False) -> dict[str, Any]:
    counts: Counter[str] = Counter()
    for f in result.all_findings():
        if f.severity in ("error", "warning") or include_info:
            counts[f.type] += 1
    products = result.products
    passed = sum(1 for p in products if p.status == "PASS")
    failed = sum(1 for p in products if p.status == "FAIL")
    skipped = sum(1 for p in products if p.status == "SKIP")
    ri_failed = 1 if any(f.is_error for f in result.integrity) else 0
    ri_total = 1 if result.integrity_checked else 0
    return {
        "totalErrors": result.total_errors,
        "totalWarnings": result.total_warnings,
        "productValidation": {"passed": passed, "failed": failed, "skipped": skipped, "total": len(products)},
        "referentialIntegrity": {"passed": ri_total - ri_failed, "failed": ri_failed, "skipped": 0,
                                 "total": ri_total},
        "messageTypes": [{"messageType": t, "total": n} for t, n in sorted(counts.items())],
    }


def to_dict(result: RunResult) -> dict[str, Any]:
    from pdsgen import __version__

    return {
        "title": "pdsgen validate report",
        "pdsgenVersion": __version__,
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ruleType": result.rule,
        "targets": result.targets,
        "configuration": configuration(result),
        "productLevelValidationResults": [
            {"status": p.status, "label": p.label, "standard": p.standard,
             "messages": [_message(f) for f in sorted(p.findings, key=_order)]}
            for p in result.products
        ],
        "referentialIntegrityResults": [_message(f) for f in result.integrity],
        "executionMessages": [_message(f) for f in result.execution],
        "summary": summary(result),
    }


def configuration(result: RunResult) -> dict[str, Any]:
    """What the run was given and did (validate's report header): targets, rule, catalog,
    context lists with their dates, which checks ran, and the checks that did not."""
    return {
        "targets": result.targets,
        "rule": result.rule,
        "catalog": result.catalog,
        "contextProducts": [{"file": f, "date": d} for f, d in result.context_sources],
        "checks": result.checks,
        "skippedChecks": result.skipped,
    }


def collapse(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Identical messages (severity, type, text) as one entry with a count and the places
    (lines/records) of its occurrences, in first-seen order."""
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    for m in messages:
        key = (m["severity"], m["type"], m["message"])
        place = ", ".join(f"{k} {m[k]}" for k in ("line", "record", "field") if k in m)
        entry = merged.get(key)
        if entry is None:
            merged[key] = entry = {**m, "count": 0, "places": []}
        entry["count"] += 1
        if place:
            entry["places"].append(place)
    return list(merged.values())


def _order(f: Finding) -> tuple[int, int, int, str]:
    return (SEVERITY_ORDER.get(f.severity, 9), f.line or 0, f.record or 0, f.type)


def to_json(result: RunResult) -> str:
    return json.dumps(to_dict(result), indent=2)


def to_xml(result: RunResult) -> str:
    """validate's ``-s xml`` style: the JSON report's content as XML elements (lists as
    repeated elements named by their singular, e.g. ``<message>``)."""
    from lxml import etree

    singular = {"productLevelValidationResults": "product", "messages": "message", "messageTypes": "messageType",
                "referentialIntegrityResults": "message", "executionMessages": "message", "targets": "target",
                "contextProducts": "list", "skippedChecks": "check"}

    def add(parent: etree._Element, key: str, value: object) -> None:
        if isinstance(value, list):
            holder = etree.SubElement(parent, key)
            for item in value:
                add(holder, singular.get(key, "item"), item)
        elif isinstance(value, dict):
            el = etree.SubElement(parent, key)
            for k, v in value.items():
                add(el, k.replace(" ", "_"), v)
        else:
            etree.SubElement(parent, key).text = "" if value is None else str(value)

    root = etree.Element("validateReport")
    for k, v in to_dict(result).items():
        add(root, k, v)
    xml: bytes = etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8")
    return xml.decode("utf-8")


def to_text(result: RunResult, *, verbose: bool = False) -> str:
    """Human-readable report: one block per product with problems, then the summary."""
    lines = []
    for p in result.products:
        shown = [f for f in sorted(p.findings, key=_order) if verbose or f.severity in ("error", "warning")]
        if not shown and not verbose:
            continue
        lines.append(f"{p.status}: {p.label}")
        for f in shown:
            where = []
            if f.line is not None:
                where.append(f"line {f.line}")
            if f.record is not None:
                where.append(f"record {f.record}")
            if f.field is not None:
                where.append(f"field {f.field}")
            loc = f" [{', '.join(where)}]" if where else ""
            lines.append(f"  {f.severity.upper():7} {f.type}{loc}: {f.message}")
    for title, items in (("Referential integrity", result.integrity), ("Execution", result.execution)):
        shown = [f for f in items if verbose or f.severity in ("error", "warning")]
        if shown:
            lines.append(f"{title}:")
            for f in shown:
                at = f"{f.file}: " if f.file else ""
                lines.append(f"  {f.severity.upper():7} {f.type}: {at}{f.message}")
    lines = [_one_line(line) for line in lines]  # a file name with a newline must not forge a line
    s = summary(result)
    pv = s["productValidation"]
    lines.append("")
    lines.append(f"Summary: {s['totalErrors']} error(s), {s['totalWarnings']} warning(s); products: "
                 f"{pv['passed']} passed, {pv['failed']} failed, {pv['skipped']} skipped ({pv['total']} total)")
    for what in result.skipped:
        lines.append(f"  WARNING not checked: {what}")
    for mt in s["messageTypes"]:
        lines.append(f"  {mt['total']:6d}  {mt['messageType']}")
    return "\n".join(lines) + "\n"


_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


def _one_line(text: str) -> str:
    """Control characters (of file names, mostly) shown escaped, as Python's repr does."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def to_html(result: RunResult) -> str:
    """Self-contained HTML (inline CSS/JS): summary counts, messages grouped by type, filters."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from pdsgen.resources import templates_dir

    env = Environment(loader=FileSystemLoader(str(templates_dir() / "report")),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    template = env.get_template("validate.html.j2")
    data = to_dict(result)
    products = []
    for p in result.products:
        groups: dict[str, list[dict[str, Any]]] = {}
        for f in sorted(p.findings, key=_order):
            groups.setdefault(f.type, []).append(_message(f))
        groups = {t: collapse(msgs) for t, msgs in groups.items()}
        products.append({"label": p.label, "status": p.status, "groups": groups,
                         "severities": sorted({f.severity for f in p.findings})})
    types = sorted({f.type for f in result.all_findings()})
    return template.render(report=data, summary=data["summary"], products=products, types=types,
                           config=data["configuration"],
                           integrity=collapse([_message(f) for f in result.integrity]),
                           execution=collapse([_message(f) for f in result.execution]))
