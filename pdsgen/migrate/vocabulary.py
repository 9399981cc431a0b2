"""PDS3 → PDS4 vocabulary: data types, units, LIDs and context products.

Everything here is a look-up; nothing is invented. A PDS3 value without a PDS4
counterpart is either kept as written (units: PDS4's ``unit`` element is free text, the
``Units_of_*`` lists are the preferred spellings) or refused with a reason (data types,
context references).
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from lxml import etree

from pdsgen.errors import UnsupportedError

# --------------------------------------------------------------------------- data types

#: Field_Character / Field_Delimited data types of the PDS4 Standards Reference (§4C) that
#: the core Schematron (1M00) accepts.
CHARACTER_TYPES = frozenset({
    "ASCII_AnyURI", "ASCII_Boolean", "ASCII_DOI", "ASCII_Date_DOY", "ASCII_Date_Time_DOY",
    "ASCII_Date_Time_DOY_UTC", "ASCII_Date_Time_YMD", "ASCII_Date_Time_YMD_UTC", "ASCII_Date_YMD",
    "ASCII_Directory_Path_Name", "ASCII_File_Name", "ASCII_File_Specification_Name", "ASCII_Integer",
    "ASCII_LID", "ASCII_LIDVID", "ASCII_LIDVID_LID", "ASCII_MD5_Checksum", "ASCII_NonNegative_Integer",
    "ASCII_Numeric_Base16", "ASCII_Numeric_Base2", "ASCII_Numeric_Base8", "ASCII_Real", "ASCII_String",
    "ASCII_Time", "ASCII_VID", "UTF8_String",
})
#: Element_Array / Field_Binary numeric types (the Schematron's list).
NUMERIC_TYPES = frozenset({
    "ComplexLSB16", "ComplexLSB8", "ComplexMSB16", "ComplexMSB8", "IEEE754LSBDouble", "IEEE754LSBSingle",
    "IEEE754MSBDouble", "IEEE754MSBSingle", "SignedByte", "SignedLSB2", "SignedLSB4", "SignedLSB8",
    "SignedMSB2", "SignedMSB4", "SignedMSB8", "UnsignedByte", "UnsignedLSB2", "UnsignedLSB4",
    "UnsignedLSB8", "UnsignedMSB2", "UnsignedMSB4", "UnsignedMSB8",
})
BIT_TYPES = frozenset({"SignedBitString", "UnsignedBitString"})
#: Field_Binary may also hold character fields (and bit strings, as Packed_Data_Fields parents).
BINARY_FIELD_TYPES = NUMERIC_TYPES | CHARACTER_TYPES | BIT_TYPES


def pds4_data_type(data_type: str, allowed: frozenset[str], *, where: str, label_type: str | None) -> str:
    """``data_type`` (pdsgen's normalised name) if PDS4 has it in ``allowed``, else refuse.

    VAX and IBM reals, binary BOOLEAN and PDS3's LSB bit strings have no PDS4 data type:
    their bytes can only be described by a new data file, which migration never writes.
    """
    if data_type in allowed:
        return data_type
    raise UnsupportedError(f"{where}: PDS3 data type {label_type or data_type!r} has no PDS4 data type "
                           "(VAX/IBM reals, binary BOOLEAN and LSB bit strings cannot be described "
                           "without rewriting the data)")


# --------------------------------------------------------------------------- units

_POWERS = {"SQUARE": 2, "SQUARED": 2, "CUBIC": 3}
_POWER_WORDS = re.compile(r"\b(SQUARE|SQUARED|CUBIC)\s+([A-Za-z]+)", re.IGNORECASE)
_NO_UNIT = {"N/A", "NA", "NONE", "UNK", "NULL", "", "DIMENSIONLESS", "UNITLESS"}


def _shipped_xsd() -> Path:
    from pdsgen.validate.catalog import BUNDLED_DIR

    return Path(BUNDLED_DIR) / "pds" / "v1" / "PDS4_PDS_1M00.xsd"


@lru_cache(maxsize=1)
def unit_vocabulary() -> dict[str, str]:
    """Every ``Units_of_*`` value of the shipped PDS4 schema, keyed by the astropy unit it
    means (``"m / s2"`` → ``"m/s**2"``); the first spelling wins."""
    import warnings

    from pdsgen.units import read_unit

    tree = etree.parse(str(_shipped_xsd()))
    xs = "{http://www.w3.org/2001/XMLSchema}"
    out: dict[str, str] = {}
    for st in tree.iter(f"{xs}simpleType"):
        if not str(st.get("name", "")).startswith("Units_of_"):
            continue
        for en in st.iter(f"{xs}enumeration"):
            value = str(en.get("value"))
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    unit = read_unit(value)
            except Exception:  # noqa: BLE001 - a vocabulary entry astropy cannot parse is matched by text only
                unit = None
            key = _unit_key(unit) if unit is not None else None
            out.setdefault(f"text:{value.lower()}", value)
            if key is not None:
                out.setdefault(key, value)
    return out


def _unit_key(unit: Any) -> str | None:
    try:
        d = unit.decompose()
        powers = ",".join(f"{b}^{p}" for b, p in sorted(zip((str(b) for b in d.bases), d.powers, strict=True)))
        return f"unit:{float(d.scale):.12g}|{powers}"
    except Exception:  # noqa: BLE001 - e.g. logarithmic units
        return None


def pds4_unit(pds3_unit: str | None) -> tuple[str | None, str | None]:
    """(PDS4 unit text or None, a note) for a PDS3 UNIT.

    ``N/A``/``NONE`` → no unit. A unit astropy understands that equals a ``Units_of_*``
    value → that spelling (``METERS/SECOND/SECOND`` → ``m/s**2``); anything else is kept
    as the PDS3 label wrote it, with a note (``DEGREES NORTH``).
    """
    if pds3_unit is None:
        return None, None
    return _pds4_unit(str(pds3_unit))


@lru_cache(maxsize=1024)
def _pds4_unit(pds3_unit: str) -> tuple[str | None, str | None]:
    """`pds4_unit` of a UNIT's text, once per spelling (astropy's parse costs ~0.05 ms
    a column; the vocabulary does not change within a process)."""
    if pds3_unit.strip().upper() in _NO_UNIT:
        return None, None
    text = " ".join(pds3_unit.split())
    vocab = unit_vocabulary()
    parsed = _POWER_WORDS.sub(lambda m: f"{m.group(2)}**{_POWERS[m.group(1).upper()]}", text)
    if f"text:{text.lower()}" in vocab and text == vocab[f"text:{text.lower()}"]:
        return text, None
    import warnings

    from pdsgen.units import read_unit

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            unit = read_unit(parsed)
    except Exception:  # noqa: BLE001 - not a unit astropy understands
        unit = None
    key = _unit_key(unit) if unit is not None else None
    if key is not None and key in vocab:
        return vocab[key], None
    return text, f"unit {text!r} has no PDS4 unit-vocabulary equivalent; kept as written"


# --------------------------------------------------------------------------- LIDs

_BAD = re.compile(r"[^a-z0-9\-._]+")


def lid_component(text: str) -> str:
    """PRODUCT_ID (or a name) → one LID component: lower case, runs of characters outside
    ``a-z 0-9 - . _`` become ``_``, no leading/trailing ``_``."""
    out = _BAD.sub("_", str(text).strip().lower()).strip("_")
    if not out:
        raise UnsupportedError(f"{text!r} gives an empty LID component")
    return out


# --------------------------------------------------------------------------- context products

_KINDS = ("investigation", "instrument_host", "instrument", "target")
#: a registered context LID of any agency and its kind
_CONTEXT_LID = re.compile(r"^urn:[a-z0-9-]+:[a-z0-9_.-]+:context:(investigation|instrument_host|instrument|target):")


@dataclass
class ContextIndex:
    """Registered context products by kind and upper-case name: name → [(lid, type)]."""

    by_name: dict[str, dict[str, list[tuple[str, str]]]] = field(default_factory=dict)
    #: LID → (its first registered name, its type)
    by_lid: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: (LID, upper-case name) → the name as registered
    spelled: dict[tuple[str, str], str] = field(default_factory=dict)
    #: LID → its upper-case registered names
    names: dict[str, list[str]] = field(default_factory=dict)
    #: a periodic comet's registered name without its number (``TEMPEL 1`` for ``9P/TEMPEL 1``)
    #: → [(lid, type, the registered upper-case name)]
    comets: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)

    @classmethod
    def load(cls, paths: list[Path]) -> ContextIndex:
        idx = cls({k: {} for k in _KINDS})
        for p in paths:
            raw = p.read_bytes()
            if raw[:2] == b"\x1f\x8b":
                raw = gzip.decompress(raw)
            entries = json.loads(raw).get("Product_Context", [])
            for e in entries:
                lid = str(e.get("lidvid") or e.get("lid") or "").partition("::")[0].lower()
                # context products of every agency (urn:nasa:pds:…, urn:isro:isda:…, urn:esa:psa:…)
                found = _CONTEXT_LID.match(lid)
                if found is None:
                    continue
                kind = found.group(1)
                types = [str(t) for t in (e.get("type") or [])] or ["N/A"]
                names = [str(n) for n in e.get("name") or []]
                if names:
                    idx.by_lid.setdefault(lid, (names[0], types[0]))
                for n in names:
                    key = " ".join(str(n).upper().split())
                    idx.spelled.setdefault((lid, key), str(n))
                    if key not in idx.names.setdefault(lid, []):
                        idx.names[lid].append(key)
                    comet = _PERIODIC_COMET.match(key) if kind == "target" else None
                    if comet is not None:
                        rest = _PROVISIONAL.sub("", key[comet.end():]).strip()
                        if rest and not any(c[0] == lid for c in idx.comets.get(rest, [])):
                            idx.comets.setdefault(rest, []).append((lid, types[0], key))
                    slot = idx.by_name[kind].setdefault(key, [])
                    if (lid, types[0]) not in slot:
                        slot.append((lid, types[0]))
        return idx

    def registered(self, lid: str) -> tuple[str, str] | None:
        """(name, type) of the registered context product ``lid`` (a LIDVID's version ignored)."""
        return self.by_lid.get(lid.partition("::")[0].lower())

    def find(self, kind: str, names: list[str], *, within: str | None = None
             ) -> tuple[str | None, str | None, str, str | None]:
        """(lid, type, note, the name to write): the one registered product of ``kind`` whose name matches one
        of ``names``; ``within``: a host LID's last part that an instrument LID must carry
        (``ody`` for ``urn:…:instrument:ody.accel``). No match or an ambiguous one → no LID."""
        tried = [n for n in names if n]
        for n in tried:
            hits = self._hits(kind, " ".join(n.upper().split()))
            if within is not None and len(hits) > 1:
                hits = [h for h in hits if within in h[0].rsplit(":", 1)[-1].split(".")]
            hits = _one_agency(hits)
            if len(hits) == 1:
                return hits[0][0], hits[0][1], f"{kind} {n!r} → {hits[0][0]}", n
            if len(hits) > 1:
                return None, None, (f"{kind} {n!r} matches {len(hits)} registered context products "
                                    f"({', '.join(h[0] for h in hits[:4])}); no reference written"), None
        for n in tried:  # PDS3 spellings of registered names
            for alt in _alternate_names(kind, n):
                hits = _one_agency(self._hits(kind, alt))
                if len(hits) == 1:
                    return self._as_registered(kind, n, alt, hits[0])
        for n in tried if kind == "target" else []:
            number, alts = _numbered_minor_planet(n)
            for alt in alts:  # only a product whose LID carries the same number (asteroid.433_eros)
                hits = [h for h in self._hits(kind, alt)
                        if h[0].rsplit(":", 1)[-1].split(".", 1)[-1].startswith(f"{number}_")]
                if len(hits) == 1:
                    return self._as_registered(kind, n, alt, hits[0])
        for n in tried if kind == "target" else []:
            # a periodic comet named without its number (TEMPEL 1 → the one registered 9P/Tempel 1)
            key = _PROVISIONAL.sub("", " ".join(n.upper().replace("_", " ").split()))
            comets = self.comets.get(key, []) if not _PERIODIC_COMET.match(key) else []
            if len(comets) == 1:
                lid, type_, registered = comets[0]
                return self._as_registered(kind, n, registered, (lid, type_))
        return None, None, (f"no registered {kind} context product named {' / '.join(map(repr, tried))}; "
                            "no reference written" if tried else f"no {kind} name in the PDS3 label"), None

    def mission_of_host(self, host_lid: str, host_names: list[str]
                        ) -> tuple[str, str, str, str] | None:
        """(lid, type, note, the name to write) of the investigation of a registered host
        when the PDS3 label names no mission: the one registered investigation whose name is
        the leading words of the host's name (``VIKING ORBITER 1`` → ``VIKING``, ``CASSINI
        ORBITER`` → ``CASSINI``, ``MARS EXPLORATION ROVER 1`` → ``MARS EXPLORATION ROVER``),
        tried on the PDS3 names and the host's registered names, the longest leading words
        first. The registered list carries no host → investigation relation, and PDS names a
        spacecraft after its mission; a prefix that is a registered target name (``MARS``),
        two investigations under one prefix, or two names leading to different
        investigations give None (the caller refuses, as before)."""
        found: set[tuple[str, str]] = set()
        spelled: dict[tuple[str, str], str] = {}
        targets = self.by_name.get("target", {})
        for name in [*host_names, *self.names.get(host_lid.lower(), [])]:
            words = [w for w in re.split(r"[\s_-]+", name.upper()) if w]
            if words[:1] == ["THE"]:
                words = words[1:]
            for k in range(len(words) - 1, 0, -1):
                key = " ".join(words[:k])
                # a bare prefix that names a body (PHOBOS, MARS) is no mission; "<prefix> MISSION" may be
                hits = [] if key in targets or len(key) < 3 else self._hits("investigation", key)
                hits = [h for h in hits or self._hits("investigation", f"{key} MISSION")
                        or self._hits("investigation", f"THE {key} MISSION") if h[1] == "Mission"]
                if len(hits) > 1:
                    return None
                if hits:
                    found.add(hits[0])
                    spelled.setdefault(hits[0], key)
                    break
        if len(found) != 1:
            return None
        lid, type_ = found.pop()
        key = spelled[(lid, type_)]
        written = next((self.spelled[(lid, k)] for k in (key, f"{key} MISSION", f"THE {key} MISSION")
                        if (lid, k) in self.spelled), key)
        host = host_names[0] if host_names else host_lid
        return lid, type_, (f"no MISSION_NAME: investigation {written!r} ({lid}), the registered investigation "
                            f"whose name begins the registered host's name {host!r}"), written

    def _as_registered(self, kind: str, name: str, alt: str, hit: tuple[str, str]
                       ) -> tuple[str, str, str, str]:
        """`find`'s answer for ``name`` found under the registered spelling ``alt``: the name
        written is the registered one (validate compares it with the registered names), the
        note keeps the PDS3 one."""
        lid, type_ = hit
        written = self.spelled.get((lid, alt)) or self.by_lid.get(lid, (name, type_))[0]
        return lid, type_, f"{ALTERNATE_SPELLING}{kind} {name!r} (as {written!r}) → {lid}", written

    def _hits(self, kind: str, key: str) -> list[tuple[str, str]]:
        """Registered products of ``kind`` under the upper-case name ``key``; a key ending in
        ``/`` (a periodic comet's number, ``9P/``): those whose name starts with it."""
        names = self.by_name.get(kind, {})
        if not key.endswith("/"):
            return names.get(key, [])
        found: list[tuple[str, str]] = []
        for name, hits in names.items():
            if name.startswith(key):
                found.extend(h for h in hits if h not in found)
        return found


def _one_agency(hits: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Hits of one name registered by several agencies as the same kind of thing (Vega:
    ESA's ``star.hd_172167`` and NASA's ``star.alf_lyr``): NASA PDS's one, when there is
    exactly one — a PDS3 product is NASA PDS's. Any other several hits stay ambiguous."""
    if len(hits) > 1 and len({t for _, t in hits}) == 1:
        nasa = [h for h in hits if h[0].startswith("urn:nasa:pds:")]
        if len(nasa) == 1 and len({h[0].split(":")[1] for h in hits}) > 1:
            return nasa
    return hits


#: how a note of a context product found under another spelling of its name begins
ALTERNATE_SPELLING = "registered under another spelling: "
#: PDS3 names of ring systems (``S RINGS``) → the planet's
_RING_PLANETS = {"J": "JUPITER", "S": "SATURN", "U": "URANUS", "N": "NEPTUNE"}
#: the word registered names of a kind end with ("CASSINI-HUYGENS MISSION")
_KIND_WORDS = {"investigation": "MISSION", "instrument_host": "SPACECRAFT"}
_PROVISIONAL = re.compile(r"\s*\([^()]*\)$")
_PERIODIC_COMET = re.compile(r"^(\d+P)/")


def _alternate_names(kind: str, name: str) -> list[str]:
    """Other spellings under which a PDS3 name may be registered, most specific first:
    underscores as blanks (``SOLAR_WIND``, ``MARS_GLOBAL_SURVEYOR``); for a mission or host
    with ``THE`` before and ``MISSION``/``SPACECRAFT`` after; for a target also
    without the provisional designation
    PDS3 comet names carry (``9P/TEMPEL 1 (1867 G1)`` → ``9P/TEMPEL 1``), a ring system
    by its planet (``S RINGS`` → ``SATURN RINGS``), and last a periodic comet by its number
    alone (``19P/BORRELLY 1 (1904 Y2)`` → the one registered ``19P/…``). Numbered minor
    planets: `_numbered_minor_planet`."""
    key = " ".join(name.upper().replace("_", " ").split())
    out = [key]
    if kind != "target":
        # registered names often add an article and the kind: "INTERNATIONAL ULTRAVIOLET
        # EXPLORER" is registered as "... EXPLORER MISSION", hosts as "THE ... SPACECRAFT"
        word = _KIND_WORDS.get(kind)
        out += [f"THE {key}", *([f"{key} {word}", f"THE {key} {word}"] if word else [])]
        upper = " ".join(name.upper().split())
        return [a for a in out if a != upper]
    out.append(_PROVISIONAL.sub("", key))
    ring = re.fullmatch(r"([JSUN]) RINGS?", key)
    if ring:
        out.append(f"{_RING_PLANETS[ring.group(1)]} RINGS")
    comet = _PERIODIC_COMET.match(key)
    if comet:
        out.append(f"{comet.group(1)}/")
    upper = " ".join(name.upper().split())
    return [a for i, a in enumerate(out) if a and a != upper and a not in out[:i]]


_NUMBERED = re.compile(r"^\(?(\d+)\)?(?:\s+(.*))?$")


def _numbered_minor_planet(name: str) -> tuple[str | None, list[str]]:
    """(number, the registered spellings) of a numbered minor planet written
    ``486958 ARROKOTH``, ``(486958) ARROKOTH (2014 MU69)`` or ``486958``: with and without
    the parentheses, by its name alone, and a bare number as ``MINOR PLANET 486958``. The
    caller keeps only a product whose LID carries that number, so ``51 PEG`` (a star) or
    ``2014 MU69`` (a provisional designation) never become asteroid 51 or 2014."""
    key = _PROVISIONAL.sub("", " ".join(name.upper().replace("_", " ").split()))
    found = _NUMBERED.match(key)
    if found is None:
        return None, []
    number, rest = found.group(1), (found.group(2) or "").strip()
    if not rest:
        return number, [f"MINOR PLANET {number}"]
    return number, [a for a in (f"({number}) {rest}", f"{number} {rest}", rest) if a != key]


# --------------------------------------------------------------------------- generic targets

#: The values of Target_Identification/type the core Schematron allows (PDS4_PDS_1M00.sch,
#: rule ``pds:Target_Identification/pds:type``; a test compares the two).
TARGET_TYPES = frozenset({
    "Asteroid", "Astrophysical", "Calibration", "Calibration Field", "Calibrator", "Centaur", "Comet", "Dust",
    "Dwarf Planet", "Equipment", "Exoplanet System", "Galaxy", "Globular Cluster", "Laboratory Analog",
    "Lunar Sample", "Magnetic Field", "Meteorite", "Meteoroid", "Meteoroid Stream", "Nebula", "Open Cluster",
    "Planet", "Planetary Nebula", "Planetary System", "Plasma Cloud", "Plasma Stream", "Ring", "Sample",
    "Satellite", "Sky", "Star", "Star Cluster", "Synthetic Sample", "Terrestrial Sample",
    "Trans-Neptunian Object",
})

#: PDS3 TARGET_NAMEs of what is no registered body — a region, a medium, a calibration
#: scene — → the PDS4 target type, for a Target_Identification written without an
#: Internal_Reference (the schema makes the reference optional, the type required). Each
#: type is the one the registered context list gives the same kind of target:
#: ``plasma_stream.solar_wind`` (Plasma Stream), ``magnetic_field.interplanetary_magnetic_field``
#: (Magnetic Field), ``dust.dust`` (Dust), ``calibrator.bias``/``calibrator.flat_field``
#: (Calibrator), ``calibration_field.sky`` (Calibration Field); a name that is itself one of
#: the `TARGET_TYPES` (``SKY``, ``STAR``, ``CALIBRATION``) is that type.
GENERIC_TARGET_TYPES: dict[str, str] = {
    "SOLAR WIND": "Plasma Stream",
    "HELIOSPHERE": "Plasma Stream",  # the region the solar wind fills
    "HELIOSHEATH": "Plasma Stream",
    "INTERPLANETARY MEDIUM": "Plasma Stream",
    "INTERPLANETARY SPACE": "Plasma Stream",
    "PLASMA TORUS": "Plasma Cloud",
    "MAGNETOSPHERE": "Magnetic Field",
    "MAGNETOTAIL": "Magnetic Field",
    "MAGNETOSHEATH": "Magnetic Field",
    "MAGNETIC FIELD": "Magnetic Field",
    "DUST": "Dust",
    "BIAS": "Calibrator",
    "DARK": "Calibrator",
    "DARK CURRENT": "Calibrator",
    "FLAT FIELD": "Calibrator",
    "FLATFIELD": "Calibrator",
    "CALIBRATION LAMP": "Calibrator",
    "CALIBRATION TARGET": "Calibrator",
    "CALIBRATION PLATE": "Calibrator",
    "CALIBRATION SOURCE": "Calibrator",
    "CALIBRATION": "Calibration",  # a name that holds the word (CALIBRATION IMAGE): the type of that name
    "DARK SKY": "Calibration Field",
    "BLANK SKY": "Calibration Field",
    "STARFIELD": "Calibration Field",
    "STAR FIELD": "Calibration Field",
}
#: phrases of `GENERIC_TARGET_TYPES` that also name the kind inside a longer name
#: (``JUPITER MAGNETOSPHERE``, ``IO PLASMA TORUS``, ``INTERPLANETARY DUST``)
_GENERIC_PHRASES = re.compile(r"\b(SOLAR WIND|MAGNETOSPHERE|MAGNETOTAIL|MAGNETOSHEATH|PLASMA TORUS|DUST"
                              r"|CALIBRATION (?:TARGET|LAMP|PLATE|SOURCE)|CALIBRATION)\b")


def generic_target_type(name: str) -> str | None:
    """The PDS4 target type of a PDS3 target name that names a kind of target rather than a
    registered body (`GENERIC_TARGET_TYPES`): the whole name (``HELIOSPHERE``); a name equal
    to a PDS4 target type is that type (``SKY``); else a region's or medium's phrase in it
    (``JUPITER MAGNETOSPHERE``, ``IO PLASMA TORUS``, ``INTERPLANETARY DUST``). None if
    nothing fits (the caller refuses: no type is guessed)."""
    key = " ".join(name.upper().replace("_", " ").split())
    by_type = {t.upper(): t for t in TARGET_TYPES}
    if key in GENERIC_TARGET_TYPES:
        return GENERIC_TARGET_TYPES[key]
    if key in by_type:
        return by_type[key]
    found = _GENERIC_PHRASES.search(key)
    return GENERIC_TARGET_TYPES[found.group(1)] if found else None


def default_context_files() -> list[Path]:
    """The registered-context-products list validate uses by default (one rule for both:
    the downloaded copy if any, else the one shipped with ``pdsgen.validate``)."""
    from pdsgen.validate.context_products import default_context_products

    return default_context_products()


@lru_cache(maxsize=8)
def context_index(paths: tuple[str, ...]) -> ContextIndex:
    return ContextIndex.load([Path(p) for p in paths])
