"""The MIMI dp:/cdp: shorthand: a hand-written lexer+parser producing typed references.

Hand-written because the notation is not a standard syntax any parser library knows,
and the loose form (``CPHA:dp:Time_of_Flight(Microsec)``) needs context rules — a
parenthesised group is units or a variable depending on what touches it — that a
regular grammar cannot state. One job per function: `_Scanner` reads characters,
`parse_prefix` builds a `Reference`, `Reference.__str__` encodes the canonical formal
form, which `parse` reads back to an equal object.

Formal form::

    <file type>:<sensor>:<row value 1>:...:<row value n>:[<column id>]

file type ``dp`` | ``cdp`` (``cdf`` accepted, the MIMI documents use it for calibration
files); sensor optional for ``cdp``; row values ``"literal"`` or ``(variable)``; column id
in brackets, a concatenation of ``"literal"`` and ``(variable)`` parts (the one-part forms
``["name"]`` and ``[(var)]`` are the seed's; several parts are pdsgen's canonical spelling
of a loose column with an embedded variable, ``["step_"(step)"_E/Q(keV/e)"]``).

Loose form (as the algorithm texts write it)::

    <sensor>:<file type>:[<row values>:]<bare column name>

where in the bare name a parenthesised group directly attached to a word character is
part of the name (units: ``Energy(keV)``), and a group at the start or after a
non-word character is a variable substituted into the name (``step_(step)_E/Q(keV/e)``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pdsgen.errors import ShorthandError

#: Sensor data types the MIMI documents list; others are accepted (the list is open)
#: but these are the ones the file name / product type mapping knows by default.
KNOWN_SENSORS = ("CACC", "CPHA", "CSCI", "IACC", "IIMG", "IPHA", "LFRT")

#: Spellings of the file types, normalised to the canonical two.
FILE_TYPES = {"dp": "dp", "cdp": "cdp", "cdf": "cdp"}

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_WORD_CHAR = re.compile(r"[A-Za-z0-9]")
#: Trailing arithmetic after a loose column name: ``/1000000``, ``*1e-3``.
_CONVERSION = re.compile(r"((?:\s*[*/]\s*[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?)+)\Z")
#: Characters that end a bare (loose) column name.
_BARE_STOP = set(':[]"\n\r\t ,;')


@dataclass(frozen=True)
class Selector:
    """One row value or one part of a column id: a literal text or a variable name."""

    text: str
    variable: bool = False
    #: match mode of a row variable: "latest at or before" (written ``(<=name)``)
    #: instead of equality; for validity-start fields such as Start_Year/Start_DDOY.
    latest: bool = False

    def __str__(self) -> str:
        if self.variable:
            inner = self.text if _IDENT.match(self.text) else f'"{self.text}"'
            return f"({'<=' if self.latest else ''}{inner})"
        return f'"{self.text}"'


@dataclass(frozen=True)
class ColumnId:
    """A column name, possibly with variables substituted into it."""

    parts: tuple[Selector, ...]

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(p.text for p in self.parts if p.variable)

    @property
    def literal(self) -> str | None:
        """The name when it has no variables, else None."""
        if self.variables:
            return None
        return "".join(p.text for p in self.parts)

    def render(self, values: dict[str, object]) -> str:
        """The column name with each variable replaced by ``format_value(values[name])``."""
        return "".join(format_value(values[p.text]) if p.variable else p.text for p in self.parts)

    def __str__(self) -> str:
        return "[" + "".join(str(p) for p in self.parts) + "]"


@dataclass(frozen=True)
class Reference:
    """A parsed shorthand reference; ``str()`` is the canonical formal form.

    ``form`` and ``spelling`` (how the text wrote the file type) are kept for messages
    but do not take part in equality: the loose and formal spellings of one reference
    are equal.
    """

    file_type: str  # "dp" or "cdp"
    sensor: str | None
    rows: tuple[Selector, ...]
    column: ColumnId
    form: str = field(default="formal", compare=False)
    spelling: str = field(default="", compare=False)
    text: str = field(default="", compare=False)

    @property
    def variables(self) -> tuple[str, ...]:
        """Variable names in order of first appearance (rows, then column)."""
        seen: dict[str, None] = {}
        for sel in self.rows:
            if sel.variable:
                seen.setdefault(sel.text)
        for name in self.column.variables:
            seen.setdefault(name)
        return tuple(seen)

    @property
    def row_variables(self) -> tuple[str, ...]:
        return tuple(s.text for s in self.rows if s.variable)

    @property
    def latest_variables(self) -> tuple[str, ...]:
        """Row variables marked ``(<=name)``: matched latest at or before."""
        return tuple(s.text for s in self.rows if s.variable and s.latest)

    def __str__(self) -> str:
        parts = [self.file_type]
        if self.sensor:
            parts.append(self.sensor)
        parts.extend(str(s) for s in self.rows)
        parts.append(str(self.column))
        return ":".join(parts)


def format_value(value: object) -> str:
    """How a variable's value is written into a column name: integral numbers without
    a decimal point (step 3.0 → ``3``), strings trimmed."""
    if isinstance(value, bool):
        return str(value)
    kind = getattr(getattr(value, "dtype", None), "kind", "")  # numpy scalars, 0-d arrays
    if isinstance(value, int) or kind in ("i", "u"):
        return str(int(value))  # type: ignore[call-overload]
    if isinstance(value, float) or kind == "f":
        f = float(value)  # type: ignore[arg-type]
        return str(int(f)) if f.is_integer() else repr(f)
    return str(value).strip()


class _Scanner:
    """Character cursor over the reference text, raising errors at the cursor."""

    def __init__(self, text: str, start: int = 0):
        self.text = text
        self.pos = start

    def error(self, message: str, pos: int | None = None) -> ShorthandError:
        # Newlines become spaces so that the caret under the text lines up.
        shown = self.text.replace("\r", " ").replace("\n", " ").replace("\t", " ")
        return ShorthandError(message, text=shown, position=self.pos if pos is None else pos)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def quoted(self) -> str:
        """A ``"..."`` literal (no escapes: the notation has none)."""
        start = self.pos
        assert self.peek() == '"'
        end = self.text.find('"', start + 1)
        if end < 0:
            raise self.error('unterminated "literal" (no closing double quote)', start)
        value = self.text[start + 1 : end]
        self.pos = end + 1
        return value

    def variable(self) -> tuple[str, bool]:
        """A ``(name)``, ``("name")`` or ``(<=name)`` variable; returns (name, latest)."""
        start = self.pos
        assert self.peek() == "("
        self.pos += 1
        self.skip_space()
        latest = self.text.startswith("<=", self.pos)
        if latest:
            self.pos += 2
            self.skip_space()
        if self.peek() == '"':
            name = self.quoted()
            self.skip_space()
        else:
            name_start = self.pos
            while self.pos < len(self.text) and self.text[self.pos] not in ')(:[]"\n':
                self.pos += 1
            name = self.text[name_start : self.pos].strip()
        if self.peek() != ")":
            raise self.error("expected ')' to close the (variable)", self.pos if not self.at_end() else start)
        self.pos += 1
        if not name:
            raise self.error("empty (variable) name", start)
        return name, latest

    def bare(self) -> tuple[str, int]:
        """A bare word up to a separator, with balanced parentheses inside."""
        start = self.pos
        depth = 0
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == "(":
                depth += 1
            elif ch == ")":
                if depth == 0:
                    raise self.error("unbalanced ')'")
                depth -= 1
            elif depth == 0 and ch in _BARE_STOP:
                break
            elif depth > 0 and ch in ':[]"\n':
                raise self.error("unclosed '(' in name", start)
            self.pos += 1
        if depth:
            raise self.error("unclosed '(' in name", start)
        return self.text[start : self.pos], start


def _split_loose_column(name: str, start: int, sc: _Scanner) -> ColumnId:
    """Split a bare column name into literal text and embedded ``(variable)`` parts."""
    parts: list[Selector] = []
    buf: list[str] = []
    i = 0
    while i < len(name):
        ch = name[i]
        if ch == "(":
            close = name.index(")", i)  # balanced: checked by the scanner
            inner = name[i + 1 : close]
            attached = i > 0 and _WORD_CHAR.match(name[i - 1]) is not None
            if not attached and _IDENT.match(inner.strip()):
                if buf:
                    parts.append(Selector("".join(buf)))
                    buf = []
                parts.append(Selector(inner.strip(), variable=True))
            elif not attached and not inner.strip():
                raise sc.error("empty (variable) name", start + i)
            else:
                buf.append(name[i : close + 1])  # units, part of the name
            i = close + 1
            continue
        buf.append(ch)
        i += 1
    if buf:
        parts.append(Selector("".join(buf)))
    return ColumnId(tuple(parts))


def _bracket_column(sc: _Scanner) -> ColumnId:
    start = sc.pos
    assert sc.peek() == "["
    sc.pos += 1
    parts: list[Selector] = []
    while True:
        sc.skip_space()
        ch = sc.peek()
        if ch == '"':
            parts.append(Selector(sc.quoted()))
        elif ch == "(":
            at = sc.pos
            name, latest = sc.variable()
            if latest:
                raise sc.error("'<=' (latest at or before) applies to row values, not to a column id", at + 1)
            parts.append(Selector(name, variable=True))
        elif ch == "]":
            sc.pos += 1
            break
        elif ch == "":
            raise sc.error("unterminated [column id] (no closing ']')", start)
        else:
            raise sc.error('column id parts are "literal" or (variable)')
    if not parts:
        raise sc.error("empty [column id]", start)
    return ColumnId(tuple(parts))


def _separator(sc: _Scanner) -> bool:
    """Consume a ':' (with whitespace and line breaks around it); False if none."""
    save = sc.pos
    sc.skip_space()
    if sc.peek() == ":":
        sc.pos += 1
        sc.skip_space()
        return True
    sc.pos = save
    return False


def _file_type(word: str) -> str | None:
    return FILE_TYPES.get(word.lower())


def parse_prefix(text: str, start: int = 0) -> tuple[Reference, int]:
    """Parse one reference starting at ``start``; return it and the index after it.

    Used for document lines where a description or a conversion follows the reference.
    A loose bare column name ends at whitespace, ``,`` or ``;``.
    """
    sc = _Scanner(text, start)
    sc.skip_space()
    ref_start = sc.pos
    if sc.at_end():
        raise sc.error("empty reference")
    word, wpos = sc.bare()
    if not word:
        raise sc.error("a reference starts with a file type (dp, cdp, cdf) or a sensor data type")
    sensor: str | None = None
    ftype = _file_type(word)
    spelling = word
    if ftype is not None:
        form = "formal"
    else:
        # loose form: SENSOR:filetype:...
        if not _IDENT.match(word):
            raise sc.error(
                f"{word!r} is neither a file type (dp, cdp, cdf) nor a sensor data type", wpos
            )
        if not _separator(sc):
            raise sc.error("expected ':' after the sensor data type")
        w2, w2pos = sc.bare()
        ftype = _file_type(w2)
        if ftype is None:
            if word.upper() in KNOWN_SENSORS:
                raise sc.error(f"expected a file type (dp, cdp, cdf) after sensor {word!r}, got {w2!r}", w2pos)
            raise sc.error(f"{word!r} is not a file type (dp, cdp, cdf) and no file type follows it", wpos)
        sensor, spelling, form = word.upper(), w2, "loose"
    if not _separator(sc):
        raise sc.error("expected ':' after the file type")

    rows: list[Selector] = []
    column: ColumnId | None = None
    while column is None:
        ch = sc.peek()
        if ch == "(" and _paren_is_segment(sc):
            save = sc.pos
            name, latest = sc.variable()
            if form == "loose" and not latest and not _separator(sc):
                column = ColumnId((Selector(name, variable=True),))  # loose: whole-name variable
                break
            sc.pos = save
            name, latest = sc.variable()
            rows.append(Selector(name, variable=True, latest=latest))
        elif ch == '"':
            rows.append(Selector(sc.quoted()))
        elif ch == "[":
            column = _bracket_column(sc)
            break
        elif ch == "":
            raise sc.error("missing [column id] at the end of the reference")
        else:
            word, wpos = sc.bare()
            if not word:
                raise sc.error('expected "literal", (variable), [column id] or a column name')
            save = sc.pos
            if _separator(sc):
                # a bare word followed by more segments can only be the sensor
                if form == "formal" and sensor is None and not rows and _IDENT.match(word):
                    sensor = word.upper()
                    continue
                sc.pos = save
                raise sc.error(
                    f"bare word {word!r} where a row value is expected: write \"literal\" or (variable)",
                    wpos,
                )
            column = _bare_column(word, wpos, sc)
            form = "loose"  # a bare column name is the loose spelling
            break
        if not _separator(sc):
            sc.skip_space()
            if sc.at_end():
                raise sc.error("missing [column id] at the end of the reference")
            raise sc.error("expected ':' between parts of the reference")
    if ftype == "dp" and sensor is None:
        raise sc.error("a dp reference needs a sensor data type (e.g. dp:CPHA:...)", ref_start)
    ref = Reference(
        file_type=ftype,
        sensor=sensor,
        rows=tuple(rows),
        column=column,
        form=form,
        spelling=spelling.lower(),
        text=text[ref_start : sc.pos],
    )
    return ref, sc.pos


def _paren_is_segment(sc: _Scanner) -> bool:
    """Is the ``(...)`` at the cursor a whole segment (a variable), rather than the start
    of a bare name such as ``(kind)_rate`` whose text goes on after the ``)``?"""
    save = sc.pos
    try:
        sc.variable()
        after = sc.peek()
    finally:
        sc.pos = save
    return not after or after in ": \t\r\n,;"


def _bare_column(word: str, wpos: int, sc: _Scanner) -> ColumnId:
    """A bare column name. Trailing arithmetic is not part of it: the scanner is moved
    back so that ``/1000000`` is left for the caller (`split_conversion`)."""
    m = _CONVERSION.search(word)
    if m and m.start() > 0:
        sc.pos = wpos + m.start()
        word = word[: m.start()]
    return _split_loose_column(word, wpos, sc)


def parse(text: str) -> Reference:
    """Parse a whole shorthand reference (formal or loose, possibly over several lines).

    Trailing arithmetic is refused here: it is a unit conversion that belongs to the
    document line (see `split_conversion`), not to the reference.
    """
    if not isinstance(text, str):
        raise ShorthandError(f"a reference is text, not {type(text).__name__}")
    ref, end = parse_prefix(text)
    sc = _Scanner(text, end)
    sc.skip_space()
    if not sc.at_end():
        rest = text[sc.pos :].strip()
        if _CONVERSION.match(rest) or _CONVERSION.fullmatch(rest):
            raise sc.error(
                f"trailing arithmetic {rest!r} is a unit conversion, not part of a reference "
                "(put it in the recipe's convert)"
            )
        raise sc.error("unexpected text after the reference")
    return ref


@dataclass(frozen=True)
class Conversion:
    """Arithmetic written after a reference in a document (``/1000000``): a sequence of
    (operator, number) applied left to right."""

    text: str
    steps: tuple[tuple[str, float], ...]

    def apply(self, values: Any) -> Any:
        """Apply the conversion to a number or numpy array (no I/O, pure; the result has
        the type of `values`, which is why both are Any)."""
        out = values
        for op, number in self.steps:
            out = out / number if op == "/" else out * number
        return out

    def __str__(self) -> str:
        return self.text


_STEP = re.compile(r"\s*([*/])\s*([0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?)")


def parse_conversion(text: str) -> Conversion | None:
    """``/1000000`` → Conversion; empty text → None; anything else → ShorthandError."""
    text = text.strip()
    if not text:
        return None
    steps = []
    pos = 0
    while pos < len(text):
        m = _STEP.match(text, pos)
        if not m:
            raise ShorthandError(
                "a conversion is '/number' or '*number' steps", text=text, position=pos
            )
        steps.append((m.group(1), float(m.group(2))))
        pos = m.end()
    return Conversion(text.replace(" ", ""), tuple(steps))


def split_conversion(text: str, start: int = 0) -> tuple[Reference, Conversion | None, int]:
    """Parse a reference and the arithmetic written right after it (document lines)."""
    ref, end = parse_prefix(text, start)
    m = re.compile(r"(?:\s*[*/]\s*[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?)+").match(text, end)
    if m:
        return ref, parse_conversion(m.group(0)), m.end()
    return ref, None, end
