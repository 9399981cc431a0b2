"""The element-type registry: how the bytes of one value become a number or a string.

Every reader in `pdsgen.data` looks data types up here by their *normalised* name (the
PDS4 spelling, e.g. ``SignedMSB4``, ``IEEE754LSBDouble``, ``ASCII_Real``), so a label
reader only has to map its own type names onto this vocabulary, and a standard with
extra types (PDS3: VAX reals, IBM reals ...) registers them from its own module.

Contract (read this if you register a type)
-------------------------------------------
``register_binary_type(name, dtype_or_decoder, *, kind=None)``
    For values stored as raw bytes (binary tables, arrays, bit-string parents).

    * a numpy dtype (or anything ``np.dtype()`` accepts, e.g. ``">i4"``): the bytes are
      read in place with that dtype; a field's ``length`` must equal ``dtype.itemsize``.
      Arrays and binary tables are then read with one ``np.frombuffer``/``np.fromfile``
      without copying.
    * a callable ``decoder(raw: np.ndarray) -> np.ndarray``: ``raw`` is a C-contiguous
      ``uint8`` array of shape ``(..., length)`` holding the bytes of each value (last
      axis = the value's bytes in file order); return an array of shape ``raw.shape[:-1]``
      with any numeric dtype. It must be vectorised (numpy over the whole array, no
      Python loop per value) and must not do I/O. Raise ``ValueError`` for bytes that are
      not a valid value; the caller turns it into a `DataError` naming file/object/field.
      For decoders, pass ``itemsize=`` when the type has a fixed size (arrays need it).

    ``kind`` is one of ``"int"``, ``"uint"``, ``"float"``, ``"complex"``, ``"bits"``,
    ``"bytes"`` (derived from the dtype when omitted; required for decoders).

``register_character_type(name, decoder, *, kind, text_dtype=None)``
    For values written as text (Table_Character, Table_Delimited, ASCII fields inside
    binary tables). ``decoder(chars: np.ndarray) -> np.ndarray`` gets a ``uint8`` matrix
    of shape ``(n, width)`` (one row per value, the field's bytes, space padded) and
    returns ``n`` values. Empty (all-blank) rows are the caller's business: decoders
    receive them as they are and must return some value for them (the reader masks
    them afterwards), never raise for them. ``text_dtype`` (e.g. ``"float64"``) says
    that numpy's/arrow's own number parsing reads the type; readers then skip
    ``decoder``. Types not registered here and starting with ``ASCII_`` or ``UTF8_``
    are strings, surrounding blanks trimmed: ``ASCII_*`` as bytes (``S``), ``UTF8_*``
    as ``str``; dates and times too (numpy's datetime64 has no leap seconds).

Look-ups: `binary_type(name)` / `character_type(name)` return the registered
`BinaryType` / `CharacterType` or raise `KeyError`; `is_character(name)` says whether
a type is text. Names are case-sensitive, as in the PDS4 dictionary. Both tables are
`pdsgen.plugins.Registry` objects (``BINARY_TYPES``, ``CHARACTER_TYPES``): a registration
with a higher ``priority`` than the built-in one (0) overrides it; the same name at the
same priority is an error unless ``replace=True``.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from pdsgen.plugins import Registry

BinaryDecoder = Callable[[np.ndarray], np.ndarray]
CharacterDecoder = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class BinaryType:
    """A raw-bytes element type: either a numpy dtype read in place, or a decoder."""

    name: str
    kind: str
    dtype: np.dtype | None = None
    decoder: BinaryDecoder | None = None
    itemsize: int | None = None

    def decode(self, raw: np.ndarray) -> np.ndarray:
        """Values from a uint8 array of shape (..., length)."""
        if self.dtype is not None:
            raw = np.ascontiguousarray(raw)
            if raw.shape[-1] != self.dtype.itemsize:
                raise ValueError(
                    f"{self.name} values are {self.dtype.itemsize} bytes, the field has {raw.shape[-1]}"
                )
            return raw.view(self.dtype)[..., 0]
        assert self.decoder is not None
        return self.decoder(np.ascontiguousarray(raw))


@dataclass(frozen=True)
class CharacterType:
    """A text element type with its vectorised decoder."""

    name: str
    kind: str  # "int", "uint", "float", "bool", "str"
    decoder: CharacterDecoder | None = None
    #: numpy dtype whose own text parser reads this type (``S`` → ``astype``); readers use
    #: it in place of ``decoder`` on strided text views, avoiding the uint8 matrix copy.
    text_dtype: str | None = None


BINARY_TYPES: Registry[BinaryType] = Registry("binary element type")
CHARACTER_TYPES: Registry[CharacterType] = Registry("character element type")

_KIND_OF_DTYPE = {"i": "int", "u": "uint", "f": "float", "c": "complex", "S": "bytes", "V": "bytes"}


def register_binary_type(
    name: str, dtype_or_decoder: Any, *, kind: str | None = None, itemsize: int | None = None,
    priority: int = 0, replace: bool = False,
) -> None:
    """Register a raw-bytes element type; see the module docstring."""
    if callable(dtype_or_decoder) and not isinstance(dtype_or_decoder, (np.dtype, type)):
        if kind is None:
            raise ValueError(f"register_binary_type({name!r}): a decoder needs kind=")
        BINARY_TYPES.register(name, BinaryType(name, kind, decoder=dtype_or_decoder, itemsize=itemsize),
                              priority=priority, replace=replace)
        return
    dtype = np.dtype(dtype_or_decoder)
    BINARY_TYPES.register(name, BinaryType(name, kind or _KIND_OF_DTYPE[dtype.kind], dtype=dtype,
                                           itemsize=dtype.itemsize), priority=priority, replace=replace)


def register_character_type(
    name: str, decoder: CharacterDecoder | None, *, kind: str, text_dtype: str | None = None,
    priority: int = 0, replace: bool = False,
) -> None:
    """Register a text element type; ``decoder=None`` means a string.

    ``text_dtype`` (optional): a numpy dtype whose ``astype`` from ``S`` text parses
    the type exactly (e.g. ``"float64"``); readers then skip ``decoder``.
    """
    CHARACTER_TYPES.register(name, CharacterType(name, kind, decoder, text_dtype), priority=priority,
                             replace=replace)


def binary_type(name: str) -> BinaryType:
    return BINARY_TYPES.get(name)


def java_text(x: float, *, single: bool) -> str:
    """``Float.toString`` / ``Double.toString`` of x (how NASA validate, in Java, writes an
    element it compares with a label's special constants and statistics): the shortest digits that read back as
    x, plain from 1e-3 to 1e7 (``0.001``, ``100.0``), else ``d.dddE±n`` (``1.0E7``)."""
    if x != x:
        return "NaN"
    if x in (np.inf, -np.inf):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "-0.0" if np.signbit(x) else "0.0"
    sign, digits, exponent = decimal.Decimal(str(np.float32(x)) if single else repr(float(x))).as_tuple()
    ds = "".join(map(str, digits)).rstrip("0") or "0"
    exp = int(exponent) + len(digits) - len(ds)  # value = int(ds) × 10**exp
    point = len(ds) + exp  # digits before the decimal point
    head = "-" if sign else ""
    if 1e-3 <= abs(x) < 1e7:
        if point <= 0:
            return f"{head}0.{'0' * -point}{ds}"
        if point >= len(ds):
            return f"{head}{ds}{'0' * (point - len(ds))}.0"
        return f"{head}{ds[:point]}.{ds[point:]}"
    return f"{head}{ds[0]}.{ds[1:] or '0'}E{point - 1}"


def character_type(name: str) -> CharacterType:
    if name in CHARACTER_TYPES:
        return CHARACTER_TYPES.get(name)
    if name.startswith(("ASCII_", "UTF8_")):
        return CharacterType(name, "str", None)
    raise KeyError(name)


def is_character(name: str) -> bool:
    return name in CHARACTER_TYPES or name.startswith(("ASCII_", "UTF8_"))


def known(name: str) -> bool:
    return name in BINARY_TYPES or is_character(name)


# --- the PDS4 binary types -------------------------------------------------------------
for _order, _o in (("MSB", ">"), ("LSB", "<")):
    for _bytes in (2, 4, 8):
        register_binary_type(f"Signed{_order}{_bytes}", f"{_o}i{_bytes}")
        register_binary_type(f"Unsigned{_order}{_bytes}", f"{_o}u{_bytes}")
    register_binary_type(f"IEEE754{_order}Single", f"{_o}f4")
    register_binary_type(f"IEEE754{_order}Double", f"{_o}f8")
    register_binary_type(f"Complex{_order}8", f"{_o}c8")
    register_binary_type(f"Complex{_order}16", f"{_o}c16")
register_binary_type("SignedByte", "i1")
register_binary_type("UnsignedByte", "u1")


def _raw_bytes(raw: np.ndarray) -> np.ndarray:
    """Bit strings are kept as raw bytes (as pds4_tools does); Field_Bit unpacks them."""
    return raw.view(f"S{raw.shape[-1]}")[..., 0] if raw.shape[-1] else np.zeros(raw.shape[:-1], "S1")


register_binary_type("SignedBitString", _raw_bytes, kind="bits")
register_binary_type("UnsignedBitString", _raw_bytes, kind="bits")


def unpack_bits(raw: np.ndarray, start_bit: int, stop_bit: int, signed: bool) -> np.ndarray:
    """Bits ``start_bit..stop_bit`` (0-based from the first byte's MSB, inclusive) as integers.

    ``raw`` is uint8 of shape (..., nbytes); vectorised big-endian assembly into uint64
    (bit fields are numbered in file byte order regardless of the host), then shift/mask.
    """
    nbytes = raw.shape[-1]
    if nbytes > 8:
        # Only the bytes holding the bits are needed; keep them (at most 8 for <=64 bits).
        first, last = start_bit // 8, stop_bit // 8
        if last - first + 1 > 8:
            raise ValueError(f"bit field {start_bit}..{stop_bit} is wider than 64 bits")
        raw = raw[..., first : last + 1]
        start_bit -= first * 8
        stop_bit -= first * 8
        nbytes = raw.shape[-1]
    if not 0 <= start_bit <= stop_bit < nbytes * 8:
        raise ValueError(f"bit field {start_bit + 1}..{stop_bit + 1} is outside its {nbytes}-byte field")
    if nbytes in (1, 2, 4, 8):
        # The packed field is a big-endian unsigned integer: view it, no byte shuffling.
        word = np.ascontiguousarray(raw).view(f">u{nbytes}")[..., 0].astype(np.uint64)
    else:
        padded = np.zeros(raw.shape[:-1] + (8,), dtype=np.uint8)
        padded[..., 8 - nbytes :] = raw
        word = padded.view(">u8")[..., 0].astype(np.uint64)
    width = stop_bit - start_bit + 1
    shift = nbytes * 8 - 1 - stop_bit
    value = (word >> np.uint64(shift)) & np.uint64((1 << width) - 1 if width < 64 else 0xFFFFFFFFFFFFFFFF)
    if signed:
        out = value.astype(np.int64)
        if width < 64:
            sign = np.int64(1 << (width - 1))
            out = np.where(out >= sign, out - np.int64(1 << width), out)
        return out
    return value


# --- the PDS4 character types ------------------------------------------------------------
# Decoders are registered from pdsgen.data.ascii (numeric text parsing on byte matrices).
from pdsgen.data import ascii as _ascii  # noqa: E402  (after the registry exists)

register_character_type("ASCII_Real", _ascii.parse_real, kind="float", text_dtype="float64")
register_character_type("ASCII_Integer", _ascii.parse_integer, kind="int", text_dtype="int64")
register_character_type("ASCII_NonNegative_Integer", _ascii.parse_unsigned, kind="uint")
register_character_type("ASCII_Numeric_Base2", _ascii.base_parser(2), kind="int")
register_character_type("ASCII_Numeric_Base8", _ascii.base_parser(8), kind="int")
register_character_type("ASCII_Numeric_Base16", _ascii.base_parser(16), kind="int")
register_character_type("ASCII_Boolean", _ascii.parse_boolean, kind="bool")
