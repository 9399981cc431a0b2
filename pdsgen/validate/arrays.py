"""Array elements against their label, as validate's ArrayContentValidator compares them.

validate reads an array element by element (in file order, last index fastest) as the Java
number of its data type (Byte, Short, Integer, Long, Float, Double) and, per element:

1. with Special_Constants, asks `SpecialConstantChecker.isConformantSpecialConstant`
   whether the element is a special constant. A constant matches when the element written
   as Java writes it (``Float.toString``: ``-999.0``, ``1.0E10``, ``NaN``) is the constant's
   text; a constant spelt INF/INFINITY/NAN (any case, one sign) matches any infinity/NaN of
   a float array; a constant with a ``.`` (or an exponent, not hex) matches nothing else —
   ``-999.0`` never matches an integer element; any other constant is an integer (``0x``,
   ``16#…#``, ``0o``, ``0b`` radixes) compared with the element's low 64 bits — for a float
   array its *bit pattern* (``0xFF7FFFFF``; ``-999`` never matches the float ``-999.0``).
   The valid range is compared as doubles for a float array or a decimal constant (a
   radix-prefixed constant is a bit pattern: a float's, a double's when more than 32 bits
   are set), as longs otherwise, by Java's ``compareTo`` (NaN above every number, so a NaN
   element is above any valid_maximum): a value beyond it is
   ``warning.array.value_out_of_special_constant_min_max_range``, and a value *equal* to
   valid_minimum (or, with no valid_minimum, to valid_maximum) counts as a special constant;
2. any other element is compared with Object_Statistics (`checkObjectStats`): below
   ``minimum`` / above ``maximum`` as doubles, then again on the value's Java text cut to
   the length of the statistic's Java text (``Double.toString``) — ``-0.5`` against a
   minimum ``0.0`` is cut to ``-0.`` and passes; a cut text that is no number (``1.0E-``,
   ``Infin``) throws, which ends the array: one ``error.array.bad_file_read``;
3. with a scaling_factor or value_offset, value × scaling_factor + value_offset against
   ``minimum_scaled_value`` / ``maximum_scaled_value`` (a NaN or infinite scaled value
   throws the same way).

All of it runs on whole blocks of elements with numpy; Java texts are built only for the
elements already beyond a statistic, once per distinct value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import numpy as np

from pdsgen.data.types import java_text
from pdsgen.validate.columns import RANGE_CONSTANTS, SpecialConstants

ARRAY_BAD_READ = "error.array.bad_file_read"
OUT_OF_RANGE = "error.array.value_out_of_min_max_range"
OUT_OF_SCALED = "error.array.value_out_of_scaled_min_max_range"
OUT_OF_VALID = "warning.array.value_out_of_special_constant_min_max_range"

_INF = ("INF", "-INF", "+INF", "INFINITY", "-INFINITY", "+INFINITY")
_NAN = ("NAN", "-NAN", "+NAN")
_U64 = (1 << 64) - 1


# --------------------------------------------------------------------------- Java texts


def _decimal_text(text: str) -> bool:
    """validate's test for a constant written as a decimal number (not an integer or bit pattern)."""
    return "." in text or (("e" in text or "E" in text) and not text.startswith(("0x", "0X", "16#")))


def _big_int(text: str) -> int | None:
    """``SpecialConstantBitPatternTransforms.asBigInt``: an integer with an optional radix
    prefix (``0x``/``16#``, ``0o``/``8#``, ``0b``/``2#``) and trailing ``#``."""
    t, radix = text.strip(), 10
    for prefixes, r in ((("0x", "0X", "16#"), 16), (("0o", "0O", "8#"), 8), (("0b", "0B", "2#"), 2)):
        for p in prefixes:
            if t.startswith(p):
                t, radix = t[len(p):], r
                break
    t = t[:-1] if t.endswith("#") else t
    try:
        return int(t, radix) if t and "_" not in t and t.strip() == t else None
    except ValueError:
        return None


def _signed64(n: int) -> int:
    n &= _U64
    return n - (1 << 64) if n >> 63 else n


# --------------------------------------------------------------------------- special constants


def label_texts(constants: SpecialConstants, dtype: np.dtype) -> dict[str, str]:
    """Special constants as label text: PDS4 labels give text (kept as written); PDS3 labels
    give typed values (pvl), written here as their own text — an integer's digits, a real as
    Java writes it in the array's type (so it matches the elements of that value), the valid
    range as the exact double."""
    out = {}
    for key, v in constants.items():
        if isinstance(v, str):
            out[key] = v
        elif isinstance(v, bool) or v is None:
            continue
        elif isinstance(v, int):
            out[key] = str(v)
        elif isinstance(v, float):
            if key in RANGE_CONSTANTS:
                out[key] = repr(v)
            elif dtype.kind == "f":
                out[key] = java_text(float(dtype.type(v)), single=dtype.itemsize == 4)
            else:
                out[key] = str(int(v)) if v.is_integer() else repr(v)
    return out


def constant_mask(values: np.ndarray, constants: dict[str, str]) -> np.ndarray:
    """Elements (native byte order) validate takes for one of the ten non-range special
    constants (sameContent)."""
    hit = np.zeros(values.shape, dtype=bool)
    floats = values.dtype.kind == "f"
    single = floats and values.dtype.itemsize == 4
    bits = values.view(f"u{values.dtype.itemsize}") if floats else None
    wrapped = None
    for key, text in constants.items():
        if key in RANGE_CONSTANTS:
            continue
        up = text.upper()
        if floats and up in _INF:
            hit |= np.isinf(values)
            continue
        if floats and up in _NAN:
            hit |= np.isnan(values)
            continue
        if floats:
            try:
                c = values.dtype.type(float(text))
            except (ValueError, OverflowError):
                c = None
            if c is not None and not np.isnan(c) and java_text(float(c), single=single) == text:
                hit |= bits == np.array([c], dtype=values.dtype).view(f"u{values.dtype.itemsize}")[0]
                continue
        if _decimal_text(text):
            continue  # a decimal constant equals no integer nor bit pattern (BigDecimal.equals)
        n = _big_int(text)
        if n is None:
            continue
        if floats:
            low = n & _U64
            if low < (1 << (8 * values.dtype.itemsize)):
                hit |= bits == low
        else:
            if values.dtype.kind == "u" and str(n) == text and 0 <= n <= np.iinfo(values.dtype).max:
                hit |= values == n  # UnsignedInteger/UnsignedLong.toString equals the text
            if wrapped is None:
                wrapped = _wrapped(values)
            hit |= wrapped == _signed64(n)
    return hit


def _wrapped(values: np.ndarray) -> np.ndarray:
    """Integer elements as the BigInteger sameContent compares: unsigned 4- and 8-byte ones
    through intValue/longValue (wrapped to signed), the others as they are."""
    if values.dtype.kind == "u" and values.dtype.itemsize in (4, 8):
        return values.view(f"i{values.dtype.itemsize}").astype(np.int64, copy=False)
    return values.astype(np.int64, copy=False)


def _big_decimal(text: str) -> float | None:
    """``SpecialConstantBitPatternTransforms.asBigDecimal`` as a double: a radix-prefixed
    constant is a bit pattern (a double's when more than 32 bits are set, else a float's),
    any other a decimal number."""
    t = text.strip()
    if t.startswith(("0x", "0X", "16#", "0o", "0O", "8#", "0b", "0B", "2#")):
        n = _big_int(t)
        if n is None:
            return None
        if bin(n & _U64).count("1") > 32:
            return float(np.array([_signed64(n)], dtype=np.int64).view(np.float64)[0])
        return float(np.array([n & 0xFFFFFFFF], dtype=np.uint32).view(np.float32)[0])
    try:
        d = Decimal(t)
    except InvalidOperation:
        return None
    return float(d) if d.is_finite() else None  # BigDecimal reads no Infinity/NaN


def range_beyond(values: np.ndarray, vals: np.ndarray, text: str, *, below: bool,
                 edge: bool = True) -> tuple[np.ndarray, np.ndarray | None] | None:
    """(beyond, equal) of each element against a valid_minimum (below) / valid_maximum as
    validate compares them: float elements and decimal constants as doubles by Java's
    compareTo (NaN above every number, -0.0 below 0.0), integer elements with an integer
    constant as longs. `vals`: the elements as doubles. None: a constant validate could not
    read. `edge`: whether the elements equal to the bound are wanted (else None)."""
    if values.dtype.kind == "f" or _decimal_text(text):
        ref = _big_decimal(text)
        if ref is None:
            return None
        if below:
            beyond = vals < ref
        else:  # NaN compares above every number
            beyond = ~(vals <= ref) if values.dtype.kind == "f" else vals > ref
        if not edge and ref != 0:
            return beyond, None
        equal = vals == ref
        if values.dtype.kind == "f":
            if ref == 0:  # -0.0 is below 0.0 and 0.0 above -0.0 (only the zeros looked at)
                idx = np.flatnonzero(equal)
                flip = idx[np.signbit(vals[idx]) != np.signbit(ref)]
                equal[flip] = False
                if below != bool(np.signbit(ref)):
                    beyond[flip] = True
        return beyond, equal
    n = _big_int(text)
    if n is None:
        return None
    con = _signed64(n)
    longs = values.view(np.int64) if values.dtype.kind == "u" and values.dtype.itemsize == 8 else values
    # Number.longValue (unsigned longs wrap)
    return (longs < con if below else longs > con), (longs == con if edge else None)


# --------------------------------------------------------------------------- statistics


def _cut_beyond(values: np.ndarray, idx: np.ndarray, limit: float, below: bool) -> tuple[np.ndarray, np.ndarray]:
    """Of the elements idx (already beyond the limit as doubles): which are still beyond once
    their Java text is cut to the length of the limit's (reported), and which cut texts are
    no number (validate throws: the array's reading ends)."""
    m = java_text(limit, single=False)
    length = len(m)
    beyond = np.zeros(idx.size, dtype=bool)
    broken = np.zeros(idx.size, dtype=bool)
    if idx.size == 0:
        return beyond, broken
    vals = values[idx]
    if vals.dtype.kind in "iu":  # Integer/Long texts: digits only, always a number once cut
        cut = vals.astype(str).astype(f"U{length}").astype(np.float64)
        beyond = cut < limit if below else cut > limit
        return beyond, broken
    single = vals.dtype.itemsize == 4
    uniq, inverse = np.unique(vals, return_inverse=True)
    ub = np.zeros(uniq.size, dtype=bool)
    ux = np.zeros(uniq.size, dtype=bool)
    lim = Decimal(m)
    for i, u in enumerate(uniq.tolist()):
        s = java_text(u, single=single)[:length]
        try:
            if "I" in s or "N" in s:
                raise InvalidOperation
            d = Decimal(s)
        except InvalidOperation:
            ux[i] = True
            continue
        ub[i] = d < lim if below else d > lim
    return ub[inverse.ravel()], ux[inverse.ravel()]


@dataclass
class Step:
    """One check of validate's per-element sequence: reported elements and, where the check
    throws, the elements that end the reading."""

    type: str
    bad: np.ndarray
    fatal: np.ndarray | None = None
    what: str = ""
    values: np.ndarray | None = field(default=None, repr=False)


def check_block(values: np.ndarray, constants: dict[str, str], stats: dict[str, float | None],
                scale: tuple[float, float] | None) -> list[Step]:
    """validate's per-element sequence on a block of elements, in its order (warnings of the
    valid range, minimum, maximum, scaled minimum, scaled maximum)."""
    steps: list[Step] = []
    values = values.astype(values.dtype.newbyteorder("="), copy=False)
    vals = values.astype(np.float64, copy=False)
    special = None
    if constants:
        special = constant_mask(values, constants)
        edge = None
        last = "valid_minimum" if "valid_minimum" in constants else "valid_maximum"
        for key, below in (("valid_maximum", False), ("valid_minimum", True)):
            text = constants.get(key)
            found = None if text is None else range_beyond(values, vals, text, below=below, edge=key == last)
            if found is None:
                continue
            steps.append(Step(OUT_OF_VALID, found[0] & ~special, what=f"outside {key} {text}"))
            if found[1] is not None:
                edge = found[1]  # the last bound compared decides (validate's matchEdge)
        if edge is not None:
            special |= edge
    check = None if special is None or not special.any() else ~special
    for key, below in (("minimum", True), ("maximum", False)):
        limit = stats.get(key)
        if limit is None:
            continue
        beyond = (vals < limit) if below else (vals > limit)
        idx = np.flatnonzero(beyond if check is None else check & beyond)
        beyond, broken = _cut_beyond(values, idx, limit, below)
        bad = np.zeros(values.shape, dtype=bool)
        fatal = np.zeros(values.shape, dtype=bool)
        bad[idx[beyond & ~broken]] = True
        fatal[idx[broken]] = True
        steps.append(Step(OUT_OF_RANGE, bad, fatal, what=f"{'below minimum' if below else 'above maximum'} {limit:g}",
                          values=vals))
    if scale is not None:
        scaled = vals * scale[0] + scale[1]
        for key, below in (("minimum_scaled_value", True), ("maximum_scaled_value", False)):
            limit = stats.get(key)
            if limit is None:
                continue
            broken = ~np.isfinite(scaled) if check is None else check & ~np.isfinite(scaled)
            bad = ~broken & ((scaled < limit) if below else (scaled > limit))
            if check is not None:
                bad &= check
            steps.append(Step(OUT_OF_SCALED, bad, broken, what=f"scaled value {'below' if below else 'above'} "
                                                               f"{key} {limit:g}", values=scaled))
    return steps


def first_fatal(steps: list[Step]) -> tuple[int, int] | None:
    """(element, step) where validate's reading of the array ends, if it does in this block."""
    best = None
    for s, step in enumerate(steps):
        if step.fatal is not None and step.fatal.any():
            i = int(np.argmax(step.fatal))
            if best is None or i < best[0]:
                best = (i, s)
    return best


def truncate(steps: list[Step], stop: tuple[int, int]) -> None:
    """Keep only what validate reports before its reading ends at `stop` (element, step):
    earlier elements, and the stopping element's checks that come before the one that threw."""
    i, s = stop
    for k, step in enumerate(steps):
        keep_to = i + 1 if k < s else i
        step.bad = step.bad.copy()
        step.bad[keep_to:] = False
