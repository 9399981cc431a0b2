"""Unit strings as archives spell them, parsed by astropy.

PDS column names and calibration documents write units as ``Microsec``, ``keV/e``,
``amu`` or ``counts``; astropy knows none of ``Microsec``/``e``. We add the elementary
charge as a unit named ``e`` (so ``keV/e`` is an energy per charge, i.e. kV, and a charge
state ``Q`` is a number of elementary charges) and map the archive spellings to astropy
names. Everything else is astropy's own parser.
"""

from __future__ import annotations

import re

import astropy.constants as const
import astropy.units as u

from pdsgen.errors import RecipeError

#: The elementary charge as a unit: ``keV/e`` is an energy per charge, ``e`` a charge state.
E_CHARGE = u.def_unit(["e", "elementary_charge"], const.e.si, doc="elementary charge")

#: Archive spellings (lower-cased) → astropy unit strings.
ALIASES: dict[str, str] = {
    "microsec": "us",
    "microsecond": "us",
    "microseconds": "us",
    "usec": "us",
    "nanosec": "ns",
    "nanoseconds": "ns",
    "millisec": "ms",
    "msec": "ms",
    "milliseconds": "ms",
    "sec": "s",
    "secs": "s",
    "second": "s",
    "seconds": "s",
    "amu": "u",
    "da": "u",
    "degrees": "deg",
    "degree": "deg",
    "degc": "deg_C",
    "celsius": "deg_C",
    "c": "deg_C",
    "counts": "count",
    "kev": "keV",
    "mev": "MeV",
    "ev": "eV",
    "kev/e": "keV/e",
    "kev/q": "keV/e",
    "day": "d",
    "days": "d",
    "cm**2*sr": "cm2 sr",
    "none": "",
    "n/a": "",
    "unitless": "",
    "dimensionless": "",
}

_UNIT_CACHE: dict[str, u.UnitBase] = {}
_BAD_UNITS: dict[str, str] = {}  # failures are cached too: astropy's "did you mean" costs ~70 ms each


def parse_unit(text: str | None, *, what: str = "unit") -> u.UnitBase:
    """Parse an archive unit string (``None``/``""`` → dimensionless); RecipeError if unknown."""
    if text is None:
        return u.dimensionless_unscaled
    key = text.strip()
    cached = _UNIT_CACHE.get(key)
    if cached is not None:
        return cached
    if key in _BAD_UNITS:
        raise RecipeError(f"{what}: {text!r} is not a unit astropy understands ({_BAD_UNITS[key]})")
    spelled = ALIASES.get(key.lower(), key)
    # "mm2" / "cm-2" are fine for astropy; "(keV/e)-1" is not: parse each "(X)-1" alone and divide.
    inverted = re.findall(r"\(([^()]*)\)\s*-1\b", spelled)
    rest = re.sub(r"\(([^()]*)\)\s*-1\b", " ", spelled).strip()
    try:
        with u.add_enabled_units([E_CHARGE]):
            try:
                unit = u.Unit(rest) if rest else u.dimensionless_unscaled
            except ValueError:
                if not (rest.isupper() and rest.lower() != rest):
                    raise
                # PDS3 labels shout (MICROSECOND, CENTIMETER): try the quiet spelling
                unit = u.Unit(ALIASES.get(rest.lower(), rest.lower()))
            for inner in inverted:
                unit = unit / parse_unit(inner, what=what)
    except (ValueError, RecipeError) as exc:
        reason = exc.message if isinstance(exc, RecipeError) else str(exc)
        _BAD_UNITS[key] = reason
        raise RecipeError(f"{what}: {text!r} is not a unit astropy understands ({reason})") from None
    _UNIT_CACHE[key] = unit
    return unit


def unit_from_name(column: str) -> u.UnitBase | None:
    """The unit written in parentheses at the end of a MIMI column name (``Energy(keV)``)."""
    m = re.search(r"\(([^()]+)\)\s*$", column)
    if not m:
        return None
    try:
        return parse_unit(m.group(1))
    except RecipeError:
        return None


def unit_string(unit: u.UnitBase) -> str:
    """A unit as astropy's generic string ("" for dimensionless)."""
    if unit == u.dimensionless_unscaled:
        return ""
    with u.add_enabled_units([E_CHARGE]):
        return unit.to_string()


def enabled():
    """Context manager making ``e`` parseable inside astropy calls (Quantity(..., 'keV/e'))."""
    return u.add_enabled_units([E_CHARGE])
