"""Read a MIMI calibration algorithm document and turn it into a recipe skeleton.

The documents (seed 002) are PDS3 ``ASCII_DOCUMENT`` labels with the text attached.
The text has headed sections; four of them name the algorithm's variables::

    RESULT VARIABLES:                          M/Q = 2(tau/dist)^2*(E'/Q)
    INPUT VARIABLES FROM A DATA PRODUCT:       tau: CPHA:dp:Time_of_Flight(Microsec)/1000000 (in seconds), ...
    INPUT VARIABLES FROM A CALIBRATION FILE:   (E/Q): CPHA:cdf:step_(step)_E/Q(keV/e), ...
    VARIABLES TO BE PROVIDED BY DATA USERS:    alpha: ... a number always less than 1

An entry starts at column 0 and continues on indented lines; an input entry is
``name: <reference><conversion> (in <unit>), <description>``. The reference is read with
the shorthand grammar (so multi-line references work), the conversion with
`parse_conversion`. `to_recipe_toml` writes the recipe format of docs/recipes.md.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from pdsgen.errors import LabelError, RecipeError, ShorthandError
from pdsgen.shorthand.grammar import Conversion, Reference, split_conversion

SECTIONS = {
    "RESULT VARIABLES": "results",
    "INPUT VARIABLES FROM A DATA PRODUCT": "dp_inputs",
    "INPUT VARIABLES FROM A CALIBRATION FILE": "cdp_inputs",
    "VARIABLES TO BE PROVIDED BY DATA USERS": "parameters",
}

#: Unit words of "(in seconds)" notes → astropy unit strings.
UNIT_WORDS = {
    "seconds": "s", "second": "s", "sec": "s", "s": "s",
    "milliseconds": "ms", "microseconds": "us", "nanoseconds": "ns",
    "m": "m", "meters": "m", "metres": "m", "meter": "m", "cm": "cm", "mm": "mm", "km": "km",
    "kev": "keV", "ev": "eV", "mev": "MeV", "kev/e": "keV/e",
}

_HEADER = re.compile(r"^([A-Z][A-Za-z0-9/&,'\- ]*?)\s*:\s*(.*)$")
_ENTRY = re.compile(r"^(\([^()]+\)|[^\s:()][^\s:]*)\s*:\s*(.*)$")
_IN_UNIT = re.compile(r"^\s*\(\s*in\s+([^)]*?)\s*\)")
_BOUNDS = {
    "max": re.compile(r"\b(?:less|smaller|lower) than\s+(-?[0-9.]+)"),
    "min": re.compile(r"\b(?:greater|more|larger|bigger) than\s+(-?[0-9.]+)"),
}
_BETWEEN = re.compile(r"\bbetween\s+(-?[0-9.]+)\s+and\s+(-?[0-9.]+)")
_UNITS_SUFFIX = re.compile(r"(?<=[A-Za-z0-9])\(([^()]+)\)$")


@dataclass
class InputEntry:
    """One input variable of the document."""

    symbol: str  # as written, parentheses removed: "E/Q"
    reference: Reference
    ref_text: str  # the reference as written, whitespace collapsed
    conversion: Conversion | None
    unit: str | None
    description: str
    line: int  # 1-based line in the file

    @property
    def key(self) -> str:
        return identifier(self.symbol)


@dataclass
class ParameterEntry:
    symbol: str
    description: str
    min: float | None = None
    max: float | None = None

    @property
    def key(self) -> str:
        return identifier(self.symbol)


@dataclass
class ResultEntry:
    symbol: str
    formula: str

    @property
    def key(self) -> str:
        return identifier(self.symbol)


@dataclass
class AlgorithmDocument:
    path: Path | None
    title: str
    version: str | None = None
    date: str | None = None
    introduction: str = ""
    results: list[ResultEntry] = field(default_factory=list)
    inputs: list[InputEntry] = field(default_factory=list)
    parameters: list[ParameterEntry] = field(default_factory=list)


def identifier(symbol: str) -> str:
    """A recipe key from a document symbol: ``E/Q`` → ``E_Q``, ``M/Q`` → ``M_Q``."""
    key = re.sub(r"[^A-Za-z0-9_]+", "_", symbol).strip("_") or "x"
    return key if not key[0].isdigit() else f"v_{key}"


def _split_label(text: str) -> tuple[str | None, str, int]:
    """(label text or None, attached text, line number where the text starts)."""
    lines = text.split("\n")
    start = next((i for i, ln in enumerate(lines) if ln.strip().startswith("PDS_VERSION_ID")), None)
    if start is None:
        return None, text, 1
    for i in range(start, len(lines)):
        if lines[i].strip() == "END":
            return "\n".join(lines[start : i + 1]), "\n".join(lines[i + 1 :]), i + 2
    raise LabelError("PDS3 label without an END line", line=start + 1)


def _label_info(label: str, path: Path | None) -> dict[str, str]:
    import pvl

    try:
        module = pvl.loads(label)
    except Exception as exc:  # pvl raises several types; all mean "bad label"
        raise LabelError(f"cannot parse the attached PDS3 label: {exc}", path=str(path) if path else None) from exc
    doc = module.get("ASCII_DOCUMENT") or module.get("TEXT") or module.get("DOCUMENT") or {}
    info = {}
    for key in ("DOCUMENT_NAME", "PUBLICATION_DATE", "DESCRIPTION"):
        value = doc.get(key) if hasattr(doc, "get") else None
        if value is not None:
            info[key] = " ".join(str(value).split())
    return info


def parse_document(text: str, path: Path | None = None) -> AlgorithmDocument:
    """Parse a MIMI algorithm document's text (label + attached text)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    label, body, first_line = _split_label(text)
    info = _label_info(label, path) if label else {}
    title = info.get("DOCUMENT_NAME") or (path.stem if path else "algorithm")
    version = None
    m = re.search(r"\bVersion\s+([0-9][0-9.]*)", info.get("DESCRIPTION", ""))
    if m:
        version = m.group(1).rstrip(".")
    doc = AlgorithmDocument(path=path, title=title, version=version, date=info.get("PUBLICATION_DATE"))

    sections: dict[str, list[tuple[int, str]]] = {}
    current: str | None = None
    for offset, raw in enumerate(body.split("\n")):
        line = raw.rstrip()
        number = first_line + offset
        if not line.strip():
            if current is not None:
                sections.setdefault(current, []).append((number, ""))
            continue
        if not line[0].isspace():
            header = _header(line)
            if header is not None:
                name, rest = header
                current = name
                if rest:
                    sections.setdefault(current, []).append((number, rest))
                continue
        if current is not None:
            sections.setdefault(current, []).append((number, line))

    doc.introduction = _paragraph(sections.get("INTRODUCTION", []))
    for heading, kind in SECTIONS.items():
        entries = _entries(sections.get(heading, []))
        for number, head, rest in entries:
            if kind == "results":
                symbol, _, formula = head.partition("=")
                doc.results.append(ResultEntry(symbol.strip(), " ".join((formula + " " + rest).split())))
            elif kind == "parameters":
                doc.parameters.append(_parameter(head, rest))
            else:
                doc.inputs.append(_input(head, rest, number, path))
    if not doc.inputs and not doc.results:
        where = str(path) if path else "<document>"
        raise RecipeError(
            f"{where}: no RESULT VARIABLES or INPUT VARIABLES sections (not a MIMI algorithm document?)"
        )
    return doc


def _header(line: str) -> tuple[str, str] | None:
    """``SECTION NAME: rest`` when the name is a heading (first word in capitals, not a
    variable entry such as ``tau: CPHA:dp:...``)."""
    m = _HEADER.match(line)
    if not m:
        return None
    name = m.group(1).strip()
    first = name.split()[0]
    if name.upper() in SECTIONS or name.upper() in ("INTRODUCTION", "ALGORITHM"):
        return name.upper(), m.group(2).strip()
    if len(first) >= 3 and first.isupper() and first.isalpha() and not _looks_like_reference(m.group(2)):
        return name.upper(), m.group(2).strip()
    return None


def _looks_like_reference(text: str) -> bool:
    return bool(re.match(r"^\s*([A-Za-z]+:)?(dp|cdp|cdf):", text, re.IGNORECASE))


def _paragraph(lines: list[tuple[int, str]]) -> str:
    return " ".join(" ".join(t for _n, t in lines).split())


def _entries(lines: list[tuple[int, str]]) -> list[tuple[int, str, str]]:
    """Group a section's lines into entries: a line at column 0 starts one, indented
    lines continue it. Returns (line number, head, continuation text)."""
    out: list[tuple[int, str, list[str]]] = []
    for number, text in lines:
        if not text:
            continue
        if not text[0].isspace() or not out:
            out.append((number, text.strip(), []))
        else:
            out[-1][2].append(text.strip())
    return [(n, h, "".join(" " + r for r in rest)) for n, h, rest in out]


def _input(head: str, rest: str, number: int, path: Path | None) -> InputEntry:
    m = _ENTRY.match(head)
    if not m:
        raise RecipeError(f"{path or '<document>'}:{number}: expected 'name: reference', got {head!r}")
    symbol = m.group(1).strip()
    if symbol.startswith("(") and symbol.endswith(")"):
        symbol = symbol[1:-1].strip()
    text = (m.group(2) + rest).strip()
    try:
        ref, conversion, end = split_conversion(text)
    except ShorthandError as exc:
        raise RecipeError(f"{path or '<document>'}:{number}: input {symbol!r}: {exc}") from exc
    tail = text[end:]
    unit = None
    um = _IN_UNIT.match(tail)
    if um:
        unit = UNIT_WORDS.get(um.group(1).lower(), um.group(1))
        tail = tail[um.end() :]
    elif ref.column.parts and not ref.column.parts[-1].variable:
        sm = _UNITS_SUFFIX.search(ref.column.parts[-1].text)
        if sm and conversion is None:
            unit = sm.group(1)
    description = tail.strip().lstrip(",;-").strip()
    return InputEntry(
        symbol=symbol,
        reference=ref,
        ref_text=re.sub(r":\s+(?=[(\"\[])", ":", " ".join(ref.text.split())),
        conversion=conversion,
        unit=unit,
        description=" ".join(description.split()),
        line=number,
    )


def _parameter(head: str, rest: str) -> ParameterEntry:
    symbol, _, text = head.partition(":")
    description = " ".join((text + " " + rest).split())
    p = ParameterEntry(symbol.strip().strip("()"), description)
    between = _BETWEEN.search(description)
    if between:
        p.min, p.max = float(between.group(1)), float(between.group(2))
    for bound, rx in _BOUNDS.items():
        bm = rx.search(description)
        if bm:
            setattr(p, bound, float(bm.group(1).rstrip(".")))
    return p


def read_document(path: str | os.PathLike[str]) -> AlgorithmDocument:
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise RecipeError(f"{p}: cannot read: {exc.strerror}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # old documents: one byte per character
    try:
        return parse_document(text, p)
    except LabelError as exc:
        exc.path = exc.path or str(p)
        raise


# ---------------------------------------------------------------------------- TOML


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def _toml_num(value: float) -> str:
    return repr(float(value))


def slug(title: str) -> str:
    words = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    words = re.sub(r"-?algorithm-description$|-?algorithm$", "", words)
    return words or "recipe"


def to_recipe_toml(doc: AlgorithmDocument, *, name: str | None = None) -> str:
    """A recipe skeleton in the recipe TOML format (docs/recipes.md).

    Everything the document says is filled in; what it cannot say (the expressions in
    pdsgen's syntax, output units, the product naming) is left as commented guidance,
    so the file parses as TOML and `pdsgen recipe check` names what is still missing.
    """
    source = doc.title + (f", version {doc.version}" if doc.version else "") + (f", {doc.date}" if doc.date else "")
    if doc.path is not None:
        source += f" ({doc.path.name})"
    out = [
        f"# Recipe skeleton written by `pdsgen recipe from-document` from {doc.path.name if doc.path else 'a document'}.",
        "# Still to do: translate the formulas into [expressions], give output units, fill [product].",
        "",
        "[recipe]",
        f"name = {_toml_str(name or slug(doc.title))}",
        'version = "0.1.0"',
        f"title = {_toml_str(doc.title)}",
    ]
    if doc.introduction:
        out.append(f"description = {_toml_str(doc.introduction)}")
    out += [f"source_document = {_toml_str(source)}", 'algorithm = "expressions"', ""]

    by_column = {}
    for entry in doc.inputs:
        if entry.reference.file_type == "dp" and entry.reference.column.literal and not entry.reference.rows:
            by_column[entry.symbol] = entry.reference.column.literal
    for entry in doc.inputs:
        out.append(f"[inputs.{entry.key}]")
        if entry.key != entry.symbol:
            out.append(f"# document name: {entry.symbol}")
        out.append(f"ref = {_toml_str(entry.ref_text)}")
        if entry.conversion is not None:
            out.append(f"convert = {_toml_str(str(entry.conversion))}")
        if entry.unit:
            out.append(f"unit = {_toml_str(entry.unit)}")
        binds = {}
        for var in entry.reference.variables:
            if var in by_column and entry.reference.file_type == "cdp":
                binds[var] = by_column[var]
        if binds:
            inner = ", ".join(f"{identifier(k) if identifier(k) == k else _toml_str(k)} = {_toml_str(v)}" for k, v in binds.items())
            out.append(f"bind = {{ {inner} }}")
        unbound = [v for v in entry.reference.variables if v not in binds]
        if unbound:
            out.append(f"# variables to bind (bind = {{ name = \"COLUMN\" }}): {', '.join(unbound)}")
        if entry.description:
            out.append(f"description = {_toml_str(entry.description)}")
        out.append("")
    for p in doc.parameters:
        out.append(f"[parameters.{p.key}]")
        if p.min is not None:
            out.append(f"min = {_toml_num(p.min)}")
        if p.max is not None:
            out.append(f"max = {_toml_num(p.max)}")
        out.append(f"description = {_toml_str(p.description)}")
        out.append("")
    for r in doc.results:
        out += [
            "[[outputs]]",
            f"name = {_toml_str(r.key)}",
            f"description = {_toml_str(f'{r.symbol} = {r.formula} (document formula)')}",
            "",
        ]
    if doc.results:
        out.append("# [expressions]  (the document's formulas, to rewrite over the inputs and parameters)")
        for r in doc.results:
            out.append(f"# {r.key} = ...   # {r.symbol} = {r.formula}")
        out.append("")
    out += [
        "# [product]",
        '# lid = "urn:nasa:pds:<bundle>:<collection>:{stem}_cal"',
        '# product_id = "{STEM}_CAL"',
        '# file_name = "{stem}_cal.tab"',
        "",
    ]
    return "\n".join(out)
