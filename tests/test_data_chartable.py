"""The block reader of fixed-width character tables (`pdsgen.data.chartable`).

Blocks are made tiny here so a few dozen records span many blocks, and every case that
makes the fast path give up (a block arrow cannot parse, a bad record delimiter deep in
the file) is checked against independently computed values / the precise error, and
against the whole-table reader (`chartable.read_blocks` disabled)."""

from __future__ import annotations

import numpy as np
import pytest
from test_data_readers import field_character, table_character, write_product

import pdsgen
from pdsgen.data import chartable
from pdsgen.errors import DataError

FIELDS = (field_character("TIME", "ASCII_Date_Time_YMD_UTC", 1, 24)
          + field_character("COUNT", "ASCII_Integer", 26, 10)
          + field_character("X", "ASCII_Real", 37, 15)
          + field_character("NAME", "ASCII_String", 53, 6))
WIDTH = 60  # 58 bytes of fields and blanks + CR LF


def _lines(counts: list[str], reals: list[str], names: list[str]) -> bytes:
    lines = []
    for i, (c, x, s) in enumerate(zip(counts, reals, names, strict=True)):
        line = f"2020-01-01T00:00:{i % 60:02d}.000Z {c:>10s} {x:>15s} {s:6s}\r\n"
        assert len(line) == WIDTH
        lines.append(line)
    return "".join(lines).encode()


def _read(tmp_path, data: bytes, name: str = "p", whole: bool = False, monkeypatch=None, strict: bool = False):
    n = len(data) // WIDTH
    obj = pdsgen.open(write_product(tmp_path, table_character(n, WIDTH, FIELDS), data, name=name),
                      strict=strict)[0]
    if whole:
        monkeypatch.setattr(chartable, "read_blocks", lambda *a: None)
    return obj.data


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(chartable, "BLOCK_BYTES", 7 * WIDTH)  # 7 records per block
    return monkeypatch


def _expected(counts, reals):
    return [int(c) for c in counts], [float(x) for x in reals]


def test_many_blocks_match_python_parsing_and_whole_table_reader(tmp_path, small_blocks):
    rng = np.random.default_rng(5)
    n = 50
    counts = [f"{v:d}" for v in rng.integers(-10**9, 10**9, n)]
    counts[3] = "-999999999"  # fills the field
    reals = [f"{v:.7e}" for v in rng.normal(0, 1e3, n)]
    reals[:6] = ["-0.0", "1e300", "5e-324", "0.1", "123456789012345", "-2.5E-3"]
    names = [f"n{i % 7}" for i in range(n)]
    names[40] = "  left"  # only a late block has a blank before a string: still trimmed
    got = _read(tmp_path, _lines(counts, reals, names))
    obj = pdsgen.open(tmp_path / "p.xml")[0]
    assert chartable.read_blocks(obj, ["TIME", "COUNT", "X", "NAME"]) is not None  # the fast path read it
    ints, floats = _expected(counts, reals)
    assert not isinstance(got, np.ma.MaskedArray)
    assert got["COUNT"].tolist() == ints
    assert got["X"].tolist() == floats
    assert np.signbit(got["X"][0])  # -0.0 keeps its sign
    assert got["NAME"][40] == b"left" and got["NAME"][0] == b"n0"
    assert got["TIME"][49] == b"2020-01-01T00:00:49.000Z"
    whole = _read(tmp_path, _lines(counts, reals, names), name="q", whole=True, monkeypatch=small_blocks)
    assert got.dtype == whole.dtype
    for name in got.dtype.names:
        assert np.array_equal(got[name], whole[name]), name


def test_blank_numbers_in_later_blocks_are_masked(tmp_path, small_blocks):
    n = 30
    counts = [str(i) for i in range(n)]
    reals = [f"{i}.5" for i in range(n)]
    counts[22] = ""
    reals[29] = ""
    got = _read(tmp_path, _lines(counts, reals, ["a"] * n))
    assert chartable.read_blocks(pdsgen.open(tmp_path / "p.xml")[0], ["TIME", "COUNT", "X", "NAME"]) is not None
    assert isinstance(got, np.ma.MaskedArray)
    mask = np.ma.getmaskarray(got)
    assert np.flatnonzero(mask["COUNT"]).tolist() == [22]
    assert np.flatnonzero(mask["X"]).tolist() == [29]
    assert got["COUNT"].data[21] == 21 and got["X"].data[28] == 28.5


@pytest.mark.parametrize("count,real,expect_count,expect_real", [
    ("+12", "1.0", 12, 1.0),          # arrow refuses a leading '+' on integers: numpy decides
    ("12", "1.5D3", 12, 1500.0),      # Fortran exponent: numpy path after the D→E rewrite
    ("12", "NaN", 12, float("nan")),
    ("12", "+7.", 12, 7.0),
])
def test_spellings_arrow_refuses_fall_back_exactly(tmp_path, small_blocks, count, real, expect_count,
                                                   expect_real):
    n = 20
    counts, reals = [str(i) for i in range(n)], [f"{i}.25" for i in range(n)]
    counts[17], reals[17] = count, real
    got = _read(tmp_path, _lines(counts, reals, ["a"] * n))
    assert got["COUNT"][17] == expect_count
    assert got["X"][17] == expect_real or (np.isnan(expect_real) and np.isnan(got["X"][17]))
    assert got["COUNT"][16] == 16 and got["X"][16] == 16.25


def test_integer_beyond_int64_is_masked_naming_the_value(tmp_path, monkeypatch):
    monkeypatch.setattr(chartable, "BLOCK_BYTES", 4 * 24)
    lines = "".join(f"{v:>20s}  \r\n" for v in ["1", "2", "3", "4", "5", "9223372036854775808"]).encode()
    body = table_character(6, 24, field_character("BIG", "ASCII_Integer", 1, 20))
    label = write_product(tmp_path, body, lines)
    obj = pdsgen.open(label)[0]
    big = obj.data["BIG"]
    assert np.ma.getmaskarray(big).tolist() == [False] * 5 + [True]
    assert np.ma.getdata(big)[:5].tolist() == [1, 2, 3, 4, 5]
    [w] = obj.warnings
    assert (w.field, w.record, w.value) == ("BIG", 6, "9223372036854775808")
    with pytest.raises(DataError, match=r"field 'BIG'.*record 6.*9223372036854775808"):
        _ = pdsgen.open(label, strict=True)[0].data


def test_bad_delimiter_in_a_late_block_names_the_record(tmp_path, small_blocks):
    n = 30
    data = bytearray(_lines([str(i) for i in range(n)], ["1.0"] * n, ["a"] * n))
    data[26 * WIDTH - 1] = ord(" ")  # record 26 loses its LF
    with pytest.raises(DataError, match=r"record 26 does not end with"):
        _read(tmp_path, bytes(data))


def test_bad_number_in_a_late_block_names_field_value_and_record(tmp_path, small_blocks):
    n = 30
    reals = ["1.0"] * n
    reals[24] = "1.0x"
    data = _lines([str(i) for i in range(n)], reals, ["a"] * n)
    with pytest.raises(DataError, match=r"field 'X'.*record 25.*1\.0x"):
        _read(tmp_path, data, strict=True)
    got = _read(tmp_path, data, name="lenient")
    assert np.ma.getmaskarray(got["X"]).nonzero()[0].tolist() == [24]
    assert np.ma.getdata(got["X"])[23] == 1.0 and got["COUNT"][24] == 24


def test_short_file_is_still_reported(tmp_path, small_blocks):
    data = _lines(["1"] * 10, ["1.0"] * 10, ["a"] * 10)
    body = table_character(12, WIDTH, FIELDS)
    obj = pdsgen.open(write_product(tmp_path, body, data))[0]
    with pytest.raises(DataError, match="shorter than the label says"):
        _ = obj.data


@pytest.mark.parametrize("mode", ["threads", "no-preadv"])
def test_threaded_and_portable_block_reads_agree(tmp_path, small_blocks, mode):
    n = 64
    counts = [str(i * 7 - 200) for i in range(n)]
    reals = [f"{i / 3:.6e}" for i in range(n)]
    counts[50] = ""  # a mask written from some worker thread
    names = ["b" if i != 33 else " lead" for i in range(n)]
    data = _lines(counts, reals, names)
    serial = _read(tmp_path, data, name="serial")
    if mode == "threads":
        small_blocks.setattr(chartable, "PARALLEL_BYTES", 0)
        small_blocks.setattr(chartable, "PARALLEL_CPUS", 1)
        small_blocks.setattr(chartable, "MAX_THREADS", 3)
        small_blocks.setattr(chartable.os, "cpu_count", lambda: 8)
        assert chartable.threads(1) == 3
    else:
        small_blocks.delattr(chartable.os, "preadv")
    got = _read(tmp_path, data, name="other")
    assert got.dtype == serial.dtype
    for name in got.dtype.names:
        assert np.array_equal(got[name], serial[name]), name
    assert np.flatnonzero(np.ma.getmaskarray(got)["COUNT"]).tolist() == [50]
    assert got["COUNT"][49] == 49 * 7 - 200 and got["X"][63] == float(f"{63 / 3:.6e}")
    assert got["NAME"][33] == b"lead"


@pytest.mark.parametrize("dtype,texts", [
    ("float64", ["1.5", "-0.0", "  -2.5e-3", "1e300", "nan", "-inf", "0.1", "123456789012345", ".5", "5."]),
    ("int64", ["0", "-7", "9223372036854775807", "-9223372036854775808", "00012", "-0012"]),
])
@pytest.mark.parametrize("align", ["right", "left", "centre", "tab"])
def test_parse_block_alignments_match_python(dtype, texts, align):
    from pdsgen.data import arrowtext

    width = 24
    pad = {"right": lambda t: t.rjust(width), "left": lambda t: t.ljust(width),
           "centre": lambda t: t.center(width), "tab": lambda t: ("\t" + t).rjust(width)}[align]
    record = 30
    rows = [("##" + pad(t)).ljust(record - 2) + "\r\n" for t in texts]
    buffer = np.frombuffer("".join(rows).encode(), dtype=np.uint8)
    values, mask = arrowtext.parse_block(buffer, len(rows), record, 2, width, dtype)
    parse = float if dtype == "float64" else int
    expected = np.array([parse(t) for t in texts], dtype=dtype)
    assert mask is None
    assert values.tobytes() == expected.tobytes()  # bit-identical (signed zero, NaN pattern of float('nan'))


def test_parse_block_refuses_internal_blanks_and_reports_blank_values():
    from pdsgen.data import arrowtext

    def block(texts):
        return np.frombuffer("".join(t.rjust(8) + "\r\n" for t in texts).encode(), dtype=np.uint8), len(texts)

    buffer, n = block(["1 5", "2"])
    assert arrowtext.parse_block(buffer, n, 10, 0, 8, "float64") is None  # numpy decides (and reports)
    buffer, n = block(["1.5", "", "-3"])
    values, mask = arrowtext.parse_block(buffer, n, 10, 0, 8, "float64")
    assert mask.tolist() == [False, True, False] and values[[0, 2]].tolist() == [1.5, -3.0]


@pytest.mark.parametrize("blocks", [True, False])
def test_hexadecimal_integer_is_an_error_not_a_number(tmp_path, monkeypatch, blocks):
    # arrow's integer cast accepts "0x10" (= 16); PDS4 ASCII_Integer and numpy do not.
    if not blocks:
        monkeypatch.setattr(chartable, "read_blocks", lambda *a: None)  # the whole-table arrow path
    lines = "".join(f"{v:>6s}\r\n" for v in ["12", "0x10", "7"]).encode()
    body = table_character(3, 8, field_character("N", "ASCII_Integer", 1, 6))
    label = write_product(tmp_path, body, lines)
    with pytest.raises(DataError, match=r"field 'N'.*record 2.*0x10"):
        _ = pdsgen.open(label, strict=True)[0].data
    data = pdsgen.open(label)[0].data["N"]  # lenient: masked, never 16
    assert np.ma.getmaskarray(data).tolist() == [False, True, False] and data[0] == 12 and data[2] == 7


def test_hexadecimal_integer_in_a_delimited_table_is_an_error(tmp_path):
    from test_data_readers import field_delimited, table_delimited

    body = table_delimited(3, "Comma", field_delimited("N", "ASCII_Integer") + field_delimited("R", "ASCII_Real"))
    label = write_product(tmp_path, body, b"12,1.5\r\n0x10,2\r\n7,3\r\n")
    with pytest.raises(DataError, match=r"field 'N'.*0x10"):
        _ = pdsgen.open(label, strict=True)[0].data
    obj = pdsgen.open(label)[0]
    assert np.ma.getmaskarray(obj.data["N"]).tolist() == [False, True, False]
    assert (obj.warnings[0].field, obj.warnings[0].record) == ("N", 2)
