"""Escaping label values: XML text (PDS4) and ODL/PVL values (PDS3).

XML escaping is Jinja's autoescape (markupsafe) for ``.xml.j2`` templates; these
helpers are the explicit filters. PDS3 quoted strings have no escape for ``"`` and
must be ASCII, so such text is refused with a clear error rather than altered.
"""

from __future__ import annotations

import math
import re
import textwrap
from datetime import datetime
from typing import Any

import markupsafe

from pdsgen.errors import LabelError

#: characters XML 1.0 cannot hold, even as character references (C0 controls but tab, LF, CR;
#: lone surrogates; U+FFFE, U+FFFF)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_chars(value: Any) -> Any:
    """``value`` with the characters XML cannot hold replaced by U+FFFD (the replacement
    character), any other value as it is: every ``{{ … }}`` of a label template goes
    through it (Jinja's ``finalize``), so text from an untrusted label (a NUL or an ESC in
    a PDS3 description) never makes the written label malformed XML. A string without
    them is returned itself (one regular-expression search)."""
    if isinstance(value, str) and _NOT_XML.search(value) is not None:
        return type(value)(_NOT_XML.sub("\ufffd", value)) if isinstance(value, markupsafe.Markup) \
            else _NOT_XML.sub("\ufffd", value)
    return value


def xml_escape(value: Any) -> markupsafe.Markup:
    """XML text content/attribute escape (& < > " ')."""
    return markupsafe.escape(value)


def pds3_string(value: Any, *, what: str = "value") -> str:
    """A PDS3 double-quoted string literal; refuses ``"`` and non-ASCII characters."""
    text = str(value)
    if '"' in text:
        raise LabelError(f"PDS3 {what} {text[:60]!r} contains a double quote, which ODL cannot quote")
    if not text.isascii():
        raise LabelError(f"PDS3 {what} {text[:60]!r} contains non-ASCII characters")
    if _NOT_XML.search(text):
        raise LabelError(f"PDS3 {what} {text[:60]!r} contains control characters")
    return f'"{text}"'


def pds3_text(value: Any, *, indent: int = 2, width: int = 78, first: int = 31,
              what: str = "text") -> str:
    """A long PDS3 quoted string wrapped to ``width`` columns: the first line starts at
    column ``first`` (after ``KEYWORD = ``), continuation lines are indented by ``indent``."""
    text = " ".join(str(value).split())
    quoted = pds3_string(text, what=what)
    lead = " " * max(first - indent, 0)
    lines = textwrap.wrap(quoted, width=width - indent, initial_indent=lead,
                          break_long_words=False, break_on_hyphens=False) or [lead + '""']
    lines[0] = lines[0][len(lead):]
    pad = " " * indent
    return ("\n" + pad).join(lines)


def pds3_symbol(value: Any, *, what: str = "value") -> str:
    """A PDS3 identifier/enumerated value: bare if it is a plain identifier, else quoted."""
    text = str(value)
    if text.replace("_", "").isalnum() and text.isascii() and not text[:1].isdigit():
        return text.upper()
    return pds3_string(text, what=what)


def pds3_value(value: Any, *, what: str = "value", first: int | None = None, width: int = 78) -> str:
    """Any Python value as PDS3 ODL: numbers bare, times bare ISO, strings quoted, lists ``(a, b)``.

    With ``first`` (the column the value starts at), a list that would run past ``width``
    is written one element per line, aligned under the first."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise LabelError(f"PDS3 {what} {value!r} is not a finite number")
        return repr(value).upper() if "e" in repr(value) else repr(value)
    if hasattr(value, "dtype") and getattr(value, "shape", None) == ():
        return pds3_value(value.item(), what=what)
    if isinstance(value, datetime):
        from pdsgen.times import iso_utc

        return iso_utc(value)
    if isinstance(value, list | tuple):
        items = [pds3_value(v, what=what) for v in value]
        one_line = "(" + ", ".join(items) + ")"
        if first is None or first + len(one_line) <= width:
            return one_line
        return "(" + (",\n" + " " * (first + 1)).join(items) + ")"
    return pds3_string(value, what=what)
