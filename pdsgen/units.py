"""Unit strings as archives spell them, parsed by astropy (shared by the readers'
`to_table` and the recipe engine).

PDS column names and calibration documents write units as ``Microsec``, ``keV/e``,
``amu`` or ``counts``; astropy knows none of ``Microsec``/``e``. We add the elementary
charge as a unit named ``e`` (so ``keV/e`` is an energy per charge, i.e. kV, and a charge
state ``Q`` is a number of elementary charges) and map the archive spellings to astropy
names. Everything else is astropy's own parser.
"""

from __future__ import annotations

import functools
import re
from contextlib import AbstractContextManager

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

#: Archive spellings of single words inside a unit string (lower-cased), used only when the
#: word is not an astropy unit name as written: ``COUNTS/S``, ``amu/e``, ``counts/(cm2-s-sr-keV)``.
WORDS: dict[str, str] = {
    **{k: v for k, v in ALIASES.items() if v and re.fullmatch(r"[a-z_]+", k) and k != "c"},
    "count": "count",
    "cnt": "count",
    "cnts": "count",
    "electrons": "electron",
    "photons": "photon",
    "pixels": "pix",
    "volt": "V",
    "volts": "V",
    "amp": "A",
    "amps": "A",
    "ampere": "A",
    "amperes": "A",
    "watt": "W",
    "watts": "W",
    "kelvin": "K",
    "ohm": "Ohm",
    "ohms": "Ohm",
    "hz": "Hz",
    "khz": "kHz",
    "nt": "nT",
    "gauss": "G",
    "millibar": "mbar",  # Mars and Venus meteorology (Viking, Pathfinder, Pioneer Venus)
    "millibars": "mbar",
    "pascals": "Pa",
    "mm": "mm",
    "rad": "rad",
    "sr": "sr",
    "steradian": "sr",
    "steradians": "sr",
    "radians": "rad",
    "minutes": "min",
    "minute": "min",
    "hours": "h",
    "hour": "h",
    "hr": "h",
    "year": "yr",
    "years": "yr",
    "meters": "m",
    "kilometers": "km",
    "centimeters": "cm",
    "millimeters": "mm",
}

#: Shouted (all upper-case) PDS3 words whose lower-case reading is not the right one.
SHOUTED: dict[str, str] = {
    "S": "s", "M": "m", "K": "K", "V": "V", "A": "A", "W": "W", "J": "J", "N": "N", "T": "T",
    "G": "G", "C": "C", "H": "h", "D": "d", "MA": "mA", "MV": "mV", "MW": "mW", "PA": "Pa",
    "NT": "nT", "HZ": "Hz", "KHZ": "kHz", "MHZ": "MHz", "GHZ": "GHz", "DN": "DN",
}

_UNIT_CACHE: dict[str, u.UnitBase] = {}
_BAD_UNITS: dict[str, str] = {}  # failures are cached too: astropy's "did you mean" costs ~5-50 ms each
_WORD = re.compile(r"[A-Za-z_]+")
_INVERTED = re.compile(r"\(([^()]*)\)\s*-1\b")


def parse_unit(text: str | None, *, what: str = "unit") -> u.UnitBase:
    """Parse an archive unit string (``None``/``""`` → dimensionless); RecipeError if unknown.

    Parsed units and failures are cached by their text, and every word is checked against
    astropy's registry before astropy parses the string, so an unknown unit costs
    microseconds (astropy's own failure path computes "did you mean" suggestions: ~10 ms).
    """
    if text is None:
        return u.dimensionless_unscaled
    key = text.strip()
    cached = _UNIT_CACHE.get(key)
    if cached is not None:
        return cached
    if key not in _BAD_UNITS:
        try:
            _UNIT_CACHE[key] = _parse(key)
            return _UNIT_CACHE[key]
        except (ValueError, RecipeError) as exc:
            _BAD_UNITS[key] = exc.message if isinstance(exc, RecipeError) else str(exc)
    raise RecipeError(f"{what}: {text!r} is not a unit astropy understands ({_BAD_UNITS[key]})")


def read_unit(text: str | None) -> u.UnitBase | None:
    """A unit as a label writes it, leniently: ``None`` for no unit, an
    `astropy.units.UnrecognizedUnit` (a named unit with no dimension) when it cannot be
    parsed. The engine decides later whether the input needs that unit converted
    (`pdsgen.recipes.engine.convert_value`): only then is an unknown unit an error.
    """
    if text is None or not str(text).strip():
        return None
    try:
        return parse_unit(str(text))
    except RecipeError:
        return u.UnrecognizedUnit(str(text).strip())


def unit_problem(text: str) -> str:
    """Why ``text`` is not a unit (the cached reason), for error messages."""
    try:
        parse_unit(text)
    except RecipeError:
        return _BAD_UNITS.get(text.strip(), "")
    return ""


def _parse(key: str) -> u.UnitBase:
    spelled = key[1:-1].strip() if key.startswith("<") and key.endswith(">") else key  # PDS3 <unit>
    whole = ALIASES.get(spelled.lower())
    if whole is not None:
        spelled = whole
    else:
        spelled = re.sub(r"(?<![A-Za-z])e-(?=\s*(?:/|\*|$))", "electron", spelled)  # e-/s
        spelled = re.sub(r"(?<=[A-Za-z0-9)])-(?=[A-Za-z(])", " ", spelled)  # cm2-s-sr: "-" joins words
    # "mm2" / "cm-2" are fine for astropy; "(keV/e)-1" is not: parse each "(X)-1" alone and divide.
    inverted = _INVERTED.findall(spelled)
    rest = _INVERTED.sub(" ", spelled).strip()
    with u.add_enabled_units([E_CHARGE]):
        unit = _astropy_unit(rest) if rest else u.dimensionless_unscaled
        for inner in inverted:
            unit = unit / parse_unit(inner)
    return unit


def _astropy_unit(text: str) -> u.UnitBase:
    """Words mapped to astropy names (archive spellings, PDS3 shouting), then astropy's parser."""
    registry = u.get_current_unit_registry().registry
    shouting = any(c.isalpha() for c in text) and text == text.upper()
    unknown: list[str] = []

    def word(m: re.Match[str]) -> str:
        w = m.group(0)
        low = w.lower()
        if shouting:
            if w in SHOUTED:
                return SHOUTED[w]
            if low in registry:
                return low
        elif w in registry:
            return w
        if low in WORDS:
            return WORDS[low]
        if w in registry:
            return w
        if low in registry:
            return low
        unknown.append(w)
        return w

    spelled = _WORD.sub(word, text)
    if unknown:
        raise RecipeError(f"{', '.join(repr(w) for w in unknown)} is not a unit name")
    return u.Unit(spelled)


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
        return str(unit.to_string())


def enabled() -> AbstractContextManager[object]:
    """Context manager making ``e`` parseable inside astropy calls (Quantity(..., 'keV/e'))."""
    context: AbstractContextManager[object] = u.add_enabled_units([E_CHARGE])
    return context


# --------------------------------------------------------------------------- PDS4 vocabulary

@functools.lru_cache(maxsize=1)
def pds4_unit_vocabulary() -> dict[str, tuple[str, ...]]:
    """``Units_of_*`` type → its enumerated unit spellings, from the newest PDS4 common
    schema pdsgen ships (`pdsgen/validate/schemas/pds/v1/PDS4_PDS_1*.xsd`)."""
    from pathlib import Path

    folder = Path(__file__).resolve().parent / "validate" / "schemas" / "pds" / "v1"
    schemas = sorted(folder.glob("PDS4_PDS_1*.xsd"))
    if not schemas:
        return {}
    text = schemas[-1].read_text(encoding="utf-8")
    out: dict[str, tuple[str, ...]] = {}
    for m in re.finditer(r'<xs:simpleType name="(Units_of_\w+)".*?</xs:simpleType>', text, re.S):
        out[m.group(1)] = tuple(re.findall(r'<xs:enumeration value="([^"]*)"', m.group(0)))
    return out


@functools.lru_cache(maxsize=512)
def _pds4_spelling(text: str) -> str:
    vocab = {v for values in pds4_unit_vocabulary().values() for v in values}
    if text in vocab:
        return text
    import warnings

    for v in sorted(vocab):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the vocabulary's "W/m**2/sr/nm": several slashes
            parsed = read_unit(v)
        if parsed is not None and not isinstance(parsed, u.UnrecognizedUnit) and unit_string(parsed) == text:
            return v  # the same unit, spelled as PDS4's vocabulary spells it (deg_C → degC)
    return text


def label_unit_text(unit: u.UnitBase | str | None) -> str | None:
    """A unit as a label writes it: PDS4's ``Units_of_*`` spelling where the vocabulary has
    that unit (``degC``, not astropy's ``deg_C``; ``electrons``), else astropy's generic
    string (``u``, ``keV / e``, ``s3 / m6``: units the vocabulary has no term for).
    Strings are written as given."""
    if unit is None:
        return None
    if isinstance(unit, str):
        return unit or None
    text = unit_string(unit)
    return _pds4_spelling(text) if text else None
