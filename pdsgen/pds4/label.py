"""PDS4 XML labels: parse with lxml, then small namespace-blind look-ups — pdsgen's one PDS4
XML helper module (the reader, the validator and the archive indexer use it).

PDS4 labels put the core classes in the ``pds`` namespace and discipline classes in
others; look-ups go by local name (lxml's C-level ``{*}name`` wildcard) so that labels that
(wrongly) omit or alias the namespace still read. Where a caller must tell namespaces apart
(XPath-like iteration over the core namespace), it uses the constants below.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any, Literal, overload

from lxml import etree

from pdsgen.errors import LabelError
from pdsgen.untrusted import parse_label_xml


def parse(path: Path) -> etree._ElementTree:
    """The label as an lxml ElementTree; malformed XML → `LabelError` with line/column, and
    a DOCTYPE declaring entities (never expanded) → `LabelError` too (`pdsgen.untrusted`)."""
    return parse_label_xml(path, remove_comments=False)


#: the PDS4 core (``pds``) namespace, the Schematron and XML Schema instance namespaces
PDS_NS = "http://pds.nasa.gov/pds4/pds/v1"
SCHEMATRON_NS = "http://purl.oclc.org/dsdl/schematron"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"


def local(element: etree._Element) -> str:
    """Local name of an element (namespace dropped); '' for comments and PIs."""
    return local_name(element.tag)


def local_name(tag: Any) -> str:
    """Local name of a tag (``{ns}name`` → ``name``); '' for the tags of comments and PIs."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def children(element: etree._Element, name: str | None = None) -> list[etree._Element]:
    """Child elements (any namespace), optionally only those named ``name``."""
    if name is None:
        return [c for c in element if isinstance(c.tag, str)]
    # (iterchildren's tag matcher runs in C: ~2x faster than find's path language)
    return list(element.iterchildren(f"{{*}}{name}"))


def child(element: etree._Element | None, name: str) -> etree._Element | None:
    """First child element named ``name`` in any namespace; None if there is none (or no
    ``element``)."""
    if element is None:
        return None
    return next(element.iterchildren(f"{{*}}{name}"), None)


def child_text(element: etree._Element | None, name: str) -> str | None:
    """Stripped text of the first child ``name`` of ``element`` (None if ``element`` or the
    child is missing, or the text is empty)."""
    c = next(element.iterchildren(f"{{*}}{name}"), None) if element is not None else None
    if c is None or c.text is None:
        return None
    t = c.text.strip()
    return t or None


def find_path(element: etree._Element | None, *names: str) -> etree._Element | None:
    """Follow a chain of child names; None if any is missing."""
    for name in names:
        if element is None:
            return None
        element = child(element, name)
    return element


def text(element: etree._Element | None, name: str | None = None, default: str | None = None) -> str | None:
    """Stripped text of ``element`` (or of its child ``name``)."""
    node = element if name is None else (child(element, name) if element is not None else None)
    return _value(node, name, default)


def _value(node: etree._Element | None, name: str | None, default: str | None = None) -> str | None:
    """`text`'s value of `node`, the child called `name` (title and description: blanks collapsed)."""
    if node is None or node.text is None:
        return default
    value = " ".join(node.text.split()) if name in ("title", "description") else node.text.strip()
    return value if value != "" else default


def first_children(element: etree._Element, names: Collection[str]) -> dict[str, etree._Element]:
    """The first child element of each of `names` that `element` has (any namespace), from
    one pass over the children (cheaper than a look-up per name when several are read)."""
    first: dict[str, etree._Element] = {}
    for c in element:
        tag = c.tag
        if isinstance(tag, str):
            name = tag.rsplit("}", 1)[-1]
            if name in names and name not in first:
                first[name] = c
    return first


def texts(element: etree._Element, *names: str) -> dict[str, str | None]:
    """``text(element, name)`` of each of `names`, from one pass over the children."""
    first = first_children(element, set(names))
    return {name: _value(first.get(name), name) for name in names}


@overload
def integer(element: etree._Element | None, name: str, *, path: Path, obj: str | None,
            required: Literal[True] = True) -> int: ...
@overload
def integer(element: etree._Element | None, name: str, *, path: Path, obj: str | None,
            required: bool) -> int | None: ...
def integer(element: etree._Element | None, name: str, *, path: Path, obj: str | None, required: bool = True) -> int | None:
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


def number(element: etree._Element | None, name: str) -> float | int | None:
    return to_number(text(element, name))


def to_number(value: str | None) -> float | int | None:
    """A label value as `number` reads it: an int (64-bit), else a float, else None."""
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


def _line(element: etree._Element | None) -> int | None:
    return getattr(element, "sourceline", None) if element is not None else None
