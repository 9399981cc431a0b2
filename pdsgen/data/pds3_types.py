"""PDS3-only element types, registered in `pdsgen.data.types` (VAX and IBM reals, booleans).

Each decoder is a pure vectorised function ``raw (…, nbytes) uint8 → values (…)``:
the bytes are assembled into unsigned integers with one ``view``, then sign, exponent
and fraction are taken apart with integer arithmetic and recombined with ``np.ldexp``
in float64 (exact for VAX F and G, correctly rounded for the 55-bit VAX D fraction).
numpy has no VAX or IBM floating point, hence these few lines.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from pdsgen.data.types import binary_type, register_binary_type, unpack_bits


def _words_le(raw: np.ndarray, nwords: int) -> np.ndarray:
    """Little-endian 16-bit words of each value, as uint64, shape (…, nwords)."""
    return np.ascontiguousarray(raw).view("<u2").astype(np.uint64).reshape(raw.shape[:-1] + (nwords,))


def _vax_assemble(raw: np.ndarray, nwords: int) -> np.ndarray:
    """VAX words are little-endian but ordered most significant first: one uint64."""
    words = _words_le(raw, nwords)
    out = np.zeros(raw.shape[:-1], dtype=np.uint64)
    for k in range(nwords):  # 2 or 4 iterations over whole arrays, not per value
        out = (out << np.uint64(16)) | words[..., k]
    return out


def _vax_value(bits: np.ndarray, total_bits: int, exp_bits: int, bias: int) -> np.ndarray:
    frac_bits = total_bits - 1 - exp_bits
    sign = (bits >> np.uint64(total_bits - 1)) & np.uint64(1)
    exponent = ((bits >> np.uint64(frac_bits)) & np.uint64((1 << exp_bits) - 1)).astype(np.int64)
    fraction = bits & np.uint64((1 << frac_bits) - 1)
    # value = 0.1f (binary) × 2^(e - bias) = (2^frac_bits + f) × 2^(e - bias - frac_bits - 1)
    mantissa = (fraction | np.uint64(1 << frac_bits)).astype(np.float64)
    value = np.ldexp(mantissa, (exponent - bias - frac_bits - 1).astype(np.int32))
    value = np.where(sign == 1, -value, value)
    zero = exponent == 0
    # e = 0: zero when the sign is clear, a "reserved operand" (no value) when set.
    value = np.where(zero, np.where(sign == 1, np.nan, 0.0), value)
    return value


def vax_f(raw: np.ndarray) -> np.ndarray:
    """VAX F_floating (4 bytes): 8-bit exponent bias 128, 23-bit fraction → float64."""
    return _vax_value(_vax_assemble(raw, 2), 32, 8, 128)


def vax_d(raw: np.ndarray) -> np.ndarray:
    """VAX D_floating (8 bytes): 8-bit exponent bias 128, 55-bit fraction → float64."""
    return _vax_value(_vax_assemble(raw, 4), 64, 8, 128)


def vax_g(raw: np.ndarray) -> np.ndarray:
    """VAX G_floating (8 bytes): 11-bit exponent bias 1024, 52-bit fraction → float64."""
    return _vax_value(_vax_assemble(raw, 4), 64, 11, 1024)


def _vax_complex(real_part: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """A VAX complex decoder: the real part in the first half of the bytes, the imaginary
    part in the second, each a VAX real of *real_part*'s format → complex128."""

    def decode(raw: np.ndarray) -> np.ndarray:
        half = raw.shape[-1] // 2
        return real_part(np.ascontiguousarray(raw[..., :half])) + 1j * real_part(np.ascontiguousarray(raw[..., half:]))

    return decode


def _ibm(raw: np.ndarray, nbytes: int) -> np.ndarray:
    """IBM System/360 hexadecimal float: sign, 7-bit base-16 exponent bias 64, fraction."""
    bits = np.ascontiguousarray(raw).view(f">u{nbytes}")[..., 0].astype(np.uint64)
    total = nbytes * 8
    frac_bits = total - 8
    sign = (bits >> np.uint64(total - 1)) & np.uint64(1)
    exponent = ((bits >> np.uint64(frac_bits)) & np.uint64(0x7F)).astype(np.int64)
    fraction = (bits & np.uint64((1 << frac_bits) - 1)).astype(np.float64)
    value = np.ldexp(fraction, (4 * (exponent - 64) - frac_bits).astype(np.int32))
    return np.where(sign == 1, -value, value)


def ibm_single(raw: np.ndarray) -> np.ndarray:
    return _ibm(raw, 4)


def ibm_double(raw: np.ndarray) -> np.ndarray:
    return _ibm(raw, 8)


def _boolean(raw: np.ndarray) -> np.ndarray:
    """PDS3 binary BOOLEAN: zero is false, anything else true."""
    return np.asarray(np.ascontiguousarray(raw).any(axis=-1))


def lsb_bit_string(raw: np.ndarray) -> np.ndarray:
    """An LSB bit string as raw bytes, most significant byte first."""
    flipped = np.ascontiguousarray(raw[..., ::-1])
    return flipped.view(f"S{raw.shape[-1]}")[..., 0] if raw.shape[-1] else np.zeros(raw.shape[:-1], "S1")


def lsb_bit_field_type(nbytes: int, start_bit: int, stop_bit: int, signed: bool) -> str:
    """The element type of bits ``start_bit..stop_bit`` (0-based from the most significant
    bit) of an *nbytes* little-endian integer, registered on first use.

    The shared bit reader assembles bytes big-endian; a field of an LSB bit string that
    straddles bytes needs its bytes reversed first, so it is read as a decoded element
    type of its own (name ``PDS3_LSBBits<n>_<start>_<stop>_<U|S>``).
    """
    name = f"PDS3_LSBBits{nbytes}_{start_bit}_{stop_bit}_{'S' if signed else 'U'}"
    try:
        binary_type(name)
    except KeyError:
        def decode(raw: np.ndarray) -> np.ndarray:
            return unpack_bits(np.ascontiguousarray(raw[..., ::-1]), start_bit, stop_bit, signed)

        register_binary_type(name, decode, kind="int" if signed else "uint", itemsize=nbytes)
    return name


def register() -> None:
    register_binary_type("VAX_F_Float", vax_f, kind="float", itemsize=4)
    register_binary_type("VAX_D_Float", vax_d, kind="float", itemsize=8)
    register_binary_type("VAX_G_Float", vax_g, kind="float", itemsize=8)
    register_binary_type("VAX_F_Complex", _vax_complex(vax_f), kind="complex", itemsize=8)
    register_binary_type("VAX_D_Complex", _vax_complex(vax_d), kind="complex", itemsize=16)
    register_binary_type("VAX_G_Complex", _vax_complex(vax_g), kind="complex", itemsize=16)
    register_binary_type("IBM_Single", ibm_single, kind="float", itemsize=4)
    register_binary_type("IBM_Double", ibm_double, kind="float", itemsize=8)
    for n in (1, 2, 4, 8):
        register_binary_type(f"PDS3_Boolean{n}", _boolean, kind="uint", itemsize=n)
    register_binary_type("PDS3_LSBBitString", lsb_bit_string, kind="bits")


register()
