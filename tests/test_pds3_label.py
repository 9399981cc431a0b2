"""PDS3 label parser: same result as pvl.load (values and Python types), clear errors."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pvl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pvl.collections import OrderedMultiDict, PVLGroup, PVLModule, PVLObject, Quantity

from pdsgen import LabelError
from pdsgen.pds3 import load, loads
from tests.conftest import CORPUS, SEEDS

PVL_DIR = CORPUS / "pds3" / "pvl"
GOOD = sorted(p for p in PVL_DIR.glob("*") if p.is_file())
BROKEN = sorted((PVL_DIR / "broken").glob("*"))


def same(a, b) -> bool:
    """Equal and of the same Python types all the way down (== alone mixes 1 and 1.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, OrderedMultiDict):
        return len(a) == len(b) and all(
            k1 == k2 and same(v1, v2) for (k1, v1), (k2, v2) in zip(a.items(), b.items(), strict=True)
        )
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, (dt.datetime, dt.time)):
        return a == b and a.tzinfo == b.tzinfo
    return a == b


@pytest.mark.shared
@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.name)
def test_corpus_label_equals_pvl(path: Path):
    ref = pvl.load(str(path))
    got = load(path)
    assert got == ref
    assert same(got, ref)


@pytest.mark.shared
def test_corpus_is_not_empty():
    assert len(GOOD) >= 30 and len(BROKEN) >= 16


@pytest.mark.shared
@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.name)
def test_broken_labels(path: Path):
    try:
        ref = pvl.load(str(path))
    except Exception:  # noqa: BLE001 - pvl raises several types
        ref = None
    if ref is not None:
        # pvl accepts it (empty values become EmptyValueAtLine): same result ...
        got = load(path)
        assert same(got, ref)
        assert got.errors == ref.errors
        # ... and the strict reading pdsgen.open uses names the line.
        with pytest.raises(LabelError) as info:
            load(path, strict=True)
        assert info.value.line == ref.errors[0]
        assert f"{path}:{ref.errors[0]}:" in str(info.value)
    else:
        # pvl stops at the first byte that is not UTF-8; pdsgen reads it as Latin-1.
        got = load(path)
        assert got["PDS_VERSION_ID"] == "PDS3"
        assert "°" in got["NOTE"]


@pytest.mark.shared
def test_broken_label_through_cli_exits_2():
    from pdsgen.cli.app import main

    path = PVL_DIR / "broken" / "broken1.lbl"
    result = CliRunner().invoke(main, ["inspect", str(path)])
    assert result.exit_code == 2
    assert f"{path}:2:" in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_error_has_line_and_column():
    text = 'A = 1\nOBJECT = T\n  B = "x"\nEND_OBJECT = U\nEND\n'
    with pytest.raises(LabelError) as info:
        loads(text, path="x.lbl")
    assert info.value.line == 4 and info.value.column is not None
    assert str(info.value).startswith("x.lbl:4:")
    assert "\n" not in str(info.value)


SYNTHETIC = r"""PDS_VERSION_ID = PDS3
/* a comment */ RECORD_BYTES = 512 ; FILE_RECORDS = 2
^TABLE = ("DATA.TAB", 12)
^IMAGE = 1200 <BYTES>
MSL:COMMENT = "namespaced"
HEX = 16#FF7FFFFB#
NEG_HEX = 16#-4B#
BIN = 2#1010#
SPEED = 3.5 <KM/S>
SEQ = ((1, 2), (3.5, "x"), (A, 2001-01-01))
SET = {RED, "GREEN", 3}
EMPTY_SEQ = ()
UNITS_SEQ = (1 <M>, 2.0 <KM>)
LONG_TEXT = "first line
    second line,  with   spaces
    and a hyphen-
    ated word"
SINGLE = 'symbol text'
T1 = 2009-03-12T14:11:25.000
T2 = 2009-071T14:11:25.5Z
T3 = 12:30
T4 = 01:12:22+07
D1 = 2024-06-15
D2 = 2024-366
NUL = NULL
YES = true
INFVAL = Infinity
VERSION = V1.0
NA = N/A
REAL = -1.E-3
UNDER = 1_000
GROUP = G1
  X = 1 # a hash comment
END_GROUP = G1
BEGIN_OBJECT = O1
  OBJECT = O2
    Y = 2
  END_OBJECT
END_OBJECT = O1
END
binary data after END: \x00\x01 = ( "unbalanced
"""


def test_synthetic_label_equals_pvl_types():
    ref = pvl.loads(SYNTHETIC)
    got = loads(SYNTHETIC)
    assert same(got, ref)
    assert got["HEX"] == 0xFF7FFFFB and got["NEG_HEX"] == -0x4B and got["BIN"] == 10
    assert got["SPEED"] == Quantity(3.5, "KM/S")
    assert got["^TABLE"] == ["DATA.TAB", 12]
    assert got["^IMAGE"] == Quantity(1200, "BYTES")
    assert got["LONG_TEXT"] == "first line second line, with spaces and a hyphenated word"
    assert got["T1"] == dt.datetime(2009, 3, 12, 14, 11, 25, tzinfo=dt.UTC)
    assert got["T4"].utcoffset() == dt.timedelta(hours=7)
    assert got["SET"] == frozenset({"RED", "GREEN", 3})
    assert isinstance(got["G1"], PVLGroup) and isinstance(got["O1"]["O2"], PVLObject)
    assert isinstance(got, PVLModule) and got.errors == []


def test_attached_label_bytes_stop_at_end(tmp_path: Path):
    label = b"PDS_VERSION_ID = PDS3\r\nRECORD_BYTES = 64\r\nLABEL_RECORDS = 1\r\n^IMAGE = 2\r\nEND\r\n"
    data = label.ljust(64, b" ") + bytes(range(256)) * 4
    path = tmp_path / "attached.img"
    path.write_bytes(data)
    got = load(path)
    assert got == pvl.loads(label.decode())
    from pdsgen.pds3 import read_label

    _module, text = read_label(path)
    assert text.end_byte == len(label)


def test_end_inside_quoted_text_is_not_the_end():
    text = 'A = "line one\nEND\nline three"\nB = 2\nEND\n'
    got = loads(text.encode())
    assert got["B"] == 2 and same(got, pvl.loads(text))


def test_fallback_is_logged(caplog):
    text = "A = 1\nB =\nC = 3\nEND\n"
    with caplog.at_level(logging.DEBUG, logger="pdsgen.pds3.label"):
        got = loads(text)
    assert same(got, pvl.loads(text))
    assert any("fell back to pvl" in r.message for r in caplog.records)


@pytest.mark.shared
def test_seed_002_label_from_web_page():
    path = next(SEEDS.glob("002_*"))
    module = load(path)
    assert module["INSTRUMENT_ID"] == "MIMI"
    doc = module["ASCII_DOCUMENT"]
    assert doc["DOCUMENT_NAME"] == "CHEMS PULSE HEIGHT ANALYSIS ALGORITHM DESCRIPTION"
    assert doc["PUBLICATION_DATE"] == dt.date(2005, 3, 1)


# --- property test: random well-formed labels give what pvl gives ------------------------
_names = st.from_regex(r"[A-Z][A-Z0-9_]{0,10}", fullmatch=True).filter(
    lambda s: s.casefold() not in {"end", "object", "group", "end_object", "end_group", "begin_object",
                                   "begin_group", "inf", "nan", "infinity", "null", "true", "false"}
)
_scalars = st.one_of(
    st.integers(-10**12, 10**12).map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),
    _names,
    st.text(alphabet=st.sampled_from('abc XYZ-\n\t/*#,()=01'), max_size=20).map(lambda s: '"' + s.replace('"', "") + '"'),
    st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)).map(str),
    st.times().map(lambda t: t.isoformat(timespec="milliseconds")),
    st.sampled_from(["16#4B#", "2#101#", "8#-17#", "N/A", "NULL", "TRUE", "1.", ".5", "-0.45e6", "+7"]),
)
_units = st.sampled_from(["", " <KM>", " <M/S>", " <BYTES>"])
_values = st.recursive(
    st.tuples(_scalars, _units).map("".join),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda xs: "(" + ", ".join(xs) + ")"),
        st.lists(_scalars, max_size=3).map(lambda xs: "{" + ",".join(xs) + "}"),
    ),
    max_leaves=6,
)
_statements = st.lists(st.tuples(_names, _values), min_size=1, max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_statements, st.booleans())
def test_random_labels_equal_pvl(statements, in_object):
    lines = [f"{k} = {v}" for k, v in statements]
    if in_object:
        lines = ["OBJECT = THING", *lines, "END_OBJECT = THING"]
    text = "\n".join(["PDS_VERSION_ID = PDS3", *lines, "END", ""])
    try:
        ref = pvl.loads(text)
    except Exception:  # noqa: BLE001 - e.g. unhashable set members: pdsgen must fail too
        with pytest.raises(LabelError):
            loads(text)
        return
    assert same(loads(text), ref)


def test_unclosed_block_same_as_pvl_but_strict_says_where():
    text = "A = 1\nOBJECT = X\n  B = 2\nEND\n"
    assert same(loads(text), pvl.loads(text))  # pvl drops the unclosed block's content
    with pytest.raises(LabelError) as info:
        loads(text, strict=True)
    assert (info.value.line, info.value.column) == (2, 1) and "'X' is not closed" in str(info.value)


@pytest.mark.parametrize("text", ["GROUP=", 'A = "unterminated', "A = (1, 2", "A = {1,", "B = 1\nA =",
                                  "OBJECT = X\nEND_OBJECT = Y\n"])
def test_truncated_or_mismatched_labels_raise_label_error(text):
    with pytest.raises(LabelError) as info:
        loads(text, strict=True)
    assert info.value.line is not None or "middle of a statement" in str(info.value)


def test_malformed_based_integer_is_a_label_error():
    with pytest.raises(LabelError) as info:
        loads('PDS_VERSION_ID = PDS3\nA = 2#000"0111#\nEND\n')
    assert info.value.line == 2


def test_label_longer_than_first_read_uses_fast_path(tmp_path: Path, caplog):
    columns = "".join(
        f'OBJECT = COLUMN\n  NAME = "C{i}"\n  DESCRIPTION = "column {i}, text /* not a comment */ here"\n'
        f"  START_BYTE = {i + 1}\nEND_OBJECT = COLUMN\n"
        for i in range(1500)
    )
    text = f"PDS_VERSION_ID = PDS3\nOBJECT = TABLE\n{columns}END_OBJECT = TABLE\nEND\n" + "\0" * 1000
    path = tmp_path / "long.lbl"
    path.write_text(text)
    assert path.stat().st_size > 1 << 16
    with caplog.at_level(logging.DEBUG, logger="pdsgen.pds3.label"):
        module = load(path)
    assert not any("fell back" in r.message for r in caplog.records)
    cols = module["TABLE"].getall("COLUMN")
    assert len(cols) == 1500 and cols[-1]["START_BYTE"] == 1500
    assert cols[7]["DESCRIPTION"] == "column 7, text /* not a comment */ here"


END_MISMATCH = """PDS_VERSION_ID = PDS3
OBJECT = TABLE
  ROWS = 2
  OBJECT = COLUMN
    NAME = V
{inner_end}
{outer_end}
AFTER = 1
END
"""


@pytest.mark.parametrize(("inner_end", "outer_end", "mismatch"), [
    # the END names another block: it closes the open one
    ("  END_OBJECT = COLUMN", "END_OBJECT = IMAGE", ("TABLE", "IMAGE")),
    # the column's END line is missing: the table's END closes both
    ("", "END_OBJECT = TABLE", ("COLUMN", "TABLE (no END for COLUMN)")),
    # case differs: ODL names are case-insensitive, no mismatch (pvl refuses it)
    ("  END_OBJECT = column", "END_OBJECT = Table", None),
])
def test_end_names_that_differ_are_read_leniently_by_the_product_reader(tmp_path, inner_end, outer_end, mismatch):
    from pdsgen.pds3.label import read_label

    text = END_MISMATCH.format(inner_end=inner_end, outer_end=outer_end)
    path = tmp_path / "x.lbl"
    path.write_text(text)
    module, _ = read_label(path, strict=True, lenient_ends=True)
    assert module["TABLE"]["ROWS"] == 2 and module["TABLE"]["COLUMN"]["NAME"] == "V" and module["AFTER"] == 1
    assert module.end_name_mismatches == ([mismatch] if mismatch else [])
    if mismatch is None:
        assert same(loads(text, strict=True), module)
        return
    # the label reader (and PDS3 validation, which uses it) still refuses it, with the line
    with pytest.raises(LabelError, match="does not close the open block") as info:
        loads(text, strict=True, path="x.lbl")
    assert info.value.line == text.splitlines().index(outer_end) + 1


def test_product_reader_warns_of_an_end_name_that_differs(tmp_path):
    import numpy as np

    import pdsgen

    np.arange(4, dtype=">i4").tofile(tmp_path / "T.DAT")
    (tmp_path / "T.LBL").write_text(
        'PDS_VERSION_ID = PDS3\nRECORD_TYPE = FIXED_LENGTH\nRECORD_BYTES = 4\nFILE_RECORDS = 4\n^TABLE = "T.DAT"\n'
        "OBJECT = TABLE\n  INTERCHANGE_FORMAT = BINARY\n  ROWS = 4\n  ROW_BYTES = 4\n  COLUMNS = 1\n"
        "  OBJECT = COLUMN\n    NAME = V\n    DATA_TYPE = MSB_INTEGER\n    START_BYTE = 1\n    BYTES = 4\n"
        "  END_OBJECT = COLUMN\nEND_OBJECT = IMAGE\nEND\n")
    product = pdsgen.open(tmp_path / "T.LBL")
    assert list(product.objects[0].data["V"]) == [0, 1, 2, 3]
    assert [w.code for w in product.warnings] == ["end_name_mismatch"]
    assert "END_OBJECT/END_GROUP = IMAGE closes the block 'TABLE'" in product.warnings[0].message


def test_migrate_reports_what_the_pds3_reading_recovered_from(tmp_path):
    import json

    from test_migrate import CONTEXT, make_binary, options

    from pdsgen.migrate import migrate_product

    label = make_binary(tmp_path / "in")
    label.write_text(label.read_text().replace("END_OBJECT = TABLE", "END_OBJECT = IMAGE"))
    ctx = tmp_path / "context.json"
    ctx.write_text(json.dumps(CONTEXT))
    r = migrate_product(label, options(tmp_path, ctx))
    assert r.status == "migrated", r.reason
    assert any(n.startswith("PDS3 reading: object 'TABLE': END_OBJECT/END_GROUP = IMAGE closes the block") for n in r.notes)
