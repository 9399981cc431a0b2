"""PDS4 XML labels: parse with lxml, then small namespace-blind look-ups.

PDS4 labels put the core classes in the ``pds`` namespace and discipline classes in
others; the reader only needs core classes, found by local name so that labels that
(wrongly) omit or alias the namespace still read.
"""

from __future__ import annotations

from pathlib import Path

from pdsgen.errors import LabelError
from pdsgen.untrusted import parse_label_xml


def parse(path: Path):
    """The label as an lxml ElementTree; malformed XML → `LabelError` with line/column, and
    a DOCTYPE declaring entities (never expanded) → `LabelError` too (`pdsgen.untrusted`)."""
    return parse_label_xml(path, remove_comments=False)


def local(element) -> str:
    """Local name of an element (namespace dropped); '' for comments and PIs."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def children(element, name: str | None = None) -> list:
    return [c for c in element if isinstance(c.tag, str) and (name is None or local(c) == name)]


def child(element, name: str):
    for c in element:
        if isinstance(c.tag, str) and local(c) == name:
            return c
    return None


def find_path(element, *names: str):
    """Follow a chain of child names; None if any is missing."""
    for name in names:
        if element is None:
            return None
        element = child(element, name)
    return element


def text(element, name: str | None = None, default: str | None = None) -> str | None:
    """Stripped text of ``element`` (or of its child ``name``)."""
    node = element if name is None else (child(element, name) if element is not None else None)
    if node is None or node.text is None:
        return default
    value = " ".join(node.text.split()) if name in ("title", "description") else node.text.strip()
    return value if value != "" else default


def integer(element, name: str, *, path: Path, obj: str | None, required: bool = True) -> int | None:
    value = text(element, name)
    if value is None:
        if required:
            raise LabelError(f"<{name}> is missing", path=str(path), obj=obj, line=_line(element))
        return None
    try:
        n = int(value)
    except ValueError:
        try:
            as_float = float(value)
        except ValueError:
            as_float = None
        if as_float is None or not as_float.is_integer():
            raise LabelError(f"<{name}> is not an integer: {value!r}", path=str(path), obj=obj,
                             line=_line(child(element, name))) from None
        n = int(as_float)
    if not -INT64 <= n < INT64:  # offsets, counts and lengths beyond any file or array
        raise LabelError(f"<{name}> {value!r} is out of range", path=str(path), obj=obj,
                         line=_line(child(element, name)))
    return n


#: label integers are 64-bit (what numpy and the OS take for sizes and offsets)
INT64 = 2**63


def number(element, name: str) -> float | int | None:
    value = text(element, name)
    if value is None:
        return None
    try:
        n = int(value)
    except ValueError:
        try:
            return float(value)
        except ValueError:
            return None
    if -INT64 <= n < INT64:
        return n
    try:
        return float(n)
    except OverflowError:
        return float("inf") if n > 0 else float("-inf")


def _line(element) -> int | None:
    return getattr(element, "sourceline", None) if element is not None else None
