"""Find a keyword's value in a product: FITS header, PDS3 label or PDS4 label.

Recipes name label keywords (``FLIGHT_SOFTWARE_VERSION_ID``, ``START_TIME``) and FITS
header keywords (``INT_TIME``, ``MCP_VOLT``) the same way; this looks in the FITS headers
of the product's data files first (when it has any), then in the label. Units come from
the label when it states them (PDS3 ``<unit>``, PDS4 ``unit=`` attribute).
"""

from __future__ import annotations

from typing import Any

import astropy.units as u

from pdsgen.units import read_unit


def find_keyword(product: Any, keyword: str, *, hdu: int | str | None = None) -> tuple[Any, u.UnitBase | None]:
    """``(value, unit or None)``; ``(None, None)`` when the product has no such keyword."""
    value = _fits_keyword(product, keyword, hdu)
    if value is not None:
        return value, None
    if product.standard == "PDS3":
        return _pds3_keyword(product.label, keyword)
    return _pds4_keyword(product.label, keyword)


def _fits_keyword(product: Any, keyword: str, hdu: int | str | None) -> Any:
    files = []
    for obj in product.objects:
        name = str(obj.file).lower()
        if obj.layout == "fits" or name.endswith((".fits", ".fit", ".fits.gz", ".fts")):
            if obj.file not in files:
                files.append(obj.file)
    if not files:
        return None
    from astropy.io import fits

    key = keyword.upper()
    with fits.open(files[0], memmap=False) as hdul:
        order = [hdu] if hdu is not None else list(range(len(hdul)))
        for h in order:
            try:
                header = hdul[h].header
            except (IndexError, KeyError):
                continue
            if key in header:
                return header[key]
    return None


def _pds3_keyword(label: Any, keyword: str) -> tuple[Any, u.UnitBase | None]:
    key = keyword.upper()

    def walk(node: Any) -> Any:
        items = node.items() if hasattr(node, "items") else []
        for k, v in items:
            if str(k).upper() == key:
                return v
        for _k, v in items:
            if hasattr(v, "items"):
                found = walk(v)
                if found is not None:
                    return found
        return None

    value = walk(label)
    if value is None:
        return None, None
    units = getattr(value, "units", None)
    if units is not None and hasattr(value, "value"):
        return value.value, read_unit(str(units))
    return value, None


def _pds4_keyword(tree: Any, keyword: str) -> tuple[Any, u.UnitBase | None]:
    root = tree.getroot() if hasattr(tree, "getroot") else tree
    for el in root.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        local = tag.rsplit("}", 1)[-1]
        if local == keyword or local.lower() == keyword.lower():
            text = (el.text or "").strip()
            unit = el.get("unit")
            return _number(text), read_unit(unit)
    return None, None


def _number(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text
