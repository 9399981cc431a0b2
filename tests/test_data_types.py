"""The type registry and the text parsers, checked against Python's own parsing
(``float()``, ``int()``, ``int(x, base)``) and ``struct`` on random inputs."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pdsgen.data import arrowtext, types
from pdsgen.data.ascii import parse_text, text_view

WIDTH = 26


def _matrix(texts: list[str], width: int = WIDTH) -> np.ndarray:
    """Records of ``width`` bytes + CR LF, as the (n, width + 2) byte matrix of a table."""
    raw = "".join(f"{t}\r\n" for t in texts).encode()
    return np.frombuffer(raw, dtype=np.uint8).reshape(len(texts), width + 2).copy()


def _both_parsers(matrix: np.ndarray, dtype: str):
    """(arrow result, numpy result) for the text in the first WIDTH bytes of each record."""
    n = matrix.shape[0]
    fast = arrowtext.parse_field(arrowtext.records_array(matrix), n, 0, WIDTH, (), (), dtype)
    slow = parse_text(text_view(matrix[:, :WIDTH]), dtype)
    return fast, slow


real_text = st.tuples(
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.sampled_from(["{:.17g}", "{:.6e}", "{:.3f}", "{!r}", "{:.10E}", "{:+.2e}"]),
    st.sampled_from([">", "<", "^"]),
).map(lambda t: (t[1].format(t[0]), t[2])).filter(lambda t: len(t[0]) <= WIDTH)


@settings(max_examples=150, deadline=None)
@given(st.lists(real_text, min_size=1, max_size=30))
def test_ascii_real_matches_python_float(items):
    texts = [f"{text:{align}{WIDTH}}" for text, align in items]
    expected = [float(text) for text, _ in items]
    fast, slow = _both_parsers(_matrix(texts), "float64")
    assert slow[0].tolist() == expected and slow[1] is None
    if fast is not None:  # arrow may decline a spelling; numpy then decides
        assert fast[0].tolist() == expected and fast[1] is None


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.integers(-2**63, 2**63 - 1), st.none()), min_size=1, max_size=30),
       st.sampled_from([">", "<"]))
def test_ascii_integer_matches_python_int_and_masks_blanks(values, align):
    texts = [f"{'' if v is None else v:{align}{WIDTH}}" for v in values]
    fast, slow = _both_parsers(_matrix(texts), "int64")
    for values_out, mask in (slow, fast):
        assert values_out.tolist() == [0 if v is None else v for v in values]
        expected_mask = [v is None for v in values]
        assert (mask.tolist() if mask is not None else [False] * len(values)) == expected_mask


@pytest.mark.parametrize("base,name", [(2, "ASCII_Numeric_Base2"), (8, "ASCII_Numeric_Base8"),
                                       (16, "ASCII_Numeric_Base16")])
def test_numeric_bases(base, name):
    values = [0, 1, 5, 255, 4095, 2**40 + 3]
    digits = {2: "b", 8: "o", 16: "X"}[base]
    texts = [f"{v:{digits}}".rjust(48) for v in values]
    matrix = np.frombuffer("".join(texts).encode(), dtype=np.uint8).reshape(len(values), 48)
    got = types.character_type(name).decoder(matrix)
    assert got.tolist() == [int(f"{v:{digits}}", base) for v in values]


def test_numeric_base_rejects_bad_digit():
    matrix = np.frombuffer(b" 102", dtype=np.uint8).reshape(1, 4)
    with pytest.raises(ValueError, match="not a base-2 number"):
        types.character_type("ASCII_Numeric_Base2").decoder(matrix)


def test_boolean_text():
    matrix = np.frombuffer(b"true FALSE1    0    ", dtype=np.uint8).reshape(4, 5)
    assert types.character_type("ASCII_Boolean").decoder(matrix).tolist() == [True, False, True, False]


def test_strings_and_dates_are_text():
    for name in ("ASCII_String", "ASCII_Date_Time_YMD_UTC", "ASCII_LID", "UTF8_Text_Preserved"):
        assert types.is_character(name) and types.character_type(name).kind == "str"


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**64 - 1), st.integers(1, 8), st.data())
def test_bit_fields_match_integer_arithmetic(word, nbytes, data):
    word &= (1 << (8 * nbytes)) - 1
    start = data.draw(st.integers(0, 8 * nbytes - 1))
    stop = data.draw(st.integers(start, min(8 * nbytes - 1, start + 63)))
    signed = data.draw(st.booleans())
    raw = np.frombuffer(word.to_bytes(nbytes, "big"), dtype=np.uint8).reshape(1, nbytes)
    width = stop - start + 1
    expected = (word >> (8 * nbytes - 1 - stop)) & ((1 << width) - 1)
    if signed and expected >> (width - 1):
        expected -= 1 << width
    assert types.unpack_bits(raw, start, stop, signed).tolist() == [expected]


def test_binary_registry_round_trip_and_custom_decoder():
    raw = np.frombuffer(struct.pack(">hh", -2, 513), dtype=np.uint8).reshape(2, 2)
    assert types.binary_type("SignedMSB2").decode(raw).tolist() == [-2, 513]

    def twice(r: np.ndarray) -> np.ndarray:
        return r.view(">u2")[..., 0].astype(np.int64) * 2

    types.register_binary_type("Test_Twice", twice, kind="int", itemsize=2)
    try:
        assert types.binary_type("Test_Twice").decode(raw).tolist() == [2 * 65534, 1026]
        with pytest.raises(KeyError, match="already registered at priority 0"):
            types.register_binary_type("Test_Twice", twice, kind="int", itemsize=2)
        # a higher priority overrides the built-in SignedMSB2 without touching it
        types.register_binary_type("SignedMSB2", twice, kind="int", itemsize=2, priority=5)
        assert types.binary_type("SignedMSB2").decode(raw).tolist() == [2 * 65534, 1026]
    finally:
        types.BINARY_TYPES.unregister("Test_Twice")
        types.BINARY_TYPES.unregister("SignedMSB2", priority=5)
    assert types.binary_type("SignedMSB2").decode(raw).tolist() == [-2, 513]
    with pytest.raises(ValueError, match="needs kind"):
        types.register_binary_type("Test_NoKind", twice)


def test_binary_dtype_length_mismatch():
    raw = np.zeros((1, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match="4 bytes, the field has 3"):
        types.binary_type("SignedMSB4").decode(raw)


def test_fortran_d_exponents_and_blanks():
    values = np.array([b" 1.5D+03", b"-2.0d-1 ", b"        ", b"3"], dtype="S8")
    got, mask = parse_text(values, "float64")
    assert got.tolist()[:2] == [1500.0, -0.2] and got[3] == 3.0
    assert mask.tolist() == [False, False, True, False]
    with pytest.raises(ValueError, match=r"'1\.5x' \(record 1\)"):
        parse_text(np.array([b"1.5x"]), "float64")
