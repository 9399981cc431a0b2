"""PDS3 "fixed-width" ASCII tables whose records are tab- or comma/quote-separated
(issue 12, item 3): read by splitting on the separator with a warning, as pdr does;
misaligned data a separator does not explain stays an error. The products are built
from the PDS3 Standards Reference TABLE/COLUMN keywords; values are checked against
pdr (computed in the test) where pdr reads the table, by hand otherwise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import pdsgen
from pdsgen import DataError

NAMES = ["ALPHA", "B C", "DELTA"]
VALUES = [1.5, -2250.0, 0.125]
COUNTS = [7, -12, 100000]


def label(data: str, extra: str = "", row_bytes: int = 32) -> str:
    return f"""PDS_VERSION_ID = PDS3
RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = {row_bytes}
FILE_RECORDS = 3
^TABLE = "{data}"
OBJECT = TABLE
  INTERCHANGE_FORMAT = ASCII
  ROWS = 3
  COLUMNS = 3
  ROW_BYTES = {row_bytes}
{extra}  OBJECT = COLUMN
    NAME = NAME
    DATA_TYPE = CHARACTER
    START_BYTE = 2
    BYTES = 8
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = VALUE
    DATA_TYPE = ASCII_REAL
    START_BYTE = 12
    BYTES = 10
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = COUNT
    DATA_TYPE = ASCII_INTEGER
    START_BYTE = 23
    BYTES = 8
  END_OBJECT = COLUMN
END_OBJECT = TABLE
END
""".replace("\n", "\r\n")


def product(tmp_path: Path, lines: list[str], extra: str = "", row_bytes: int = 32) -> Path:
    (tmp_path / "t.tab").write_bytes("".join(f"{line}\r\n" for line in lines).encode())
    path = tmp_path / "t.lbl"
    path.write_text(label("t.tab", extra, row_bytes), newline="")
    return path


def check_against_pdr(path: Path, data: np.ndarray) -> None:
    pdr = pytest.importorskip("pdr")
    ref = pdr.read(str(path))["TABLE"]
    assert [s.decode() for s in data["NAME"]] == ref["NAME"].tolist()
    assert data["VALUE"].tolist() == ref["VALUE"].tolist()
    assert data["COUNT"].tolist() == ref["COUNT"].tolist()


def test_quote_and_comma_separated_records(tmp_path: Path):
    path = product(tmp_path, ['"ALPHA",1.5,7', '"B C",-2.25E3,-12', '"DELTA",0.125,100000'])
    table = pdsgen.open(path)["TABLE"]
    data = table.data
    assert [s.decode() for s in data["NAME"]] == NAMES
    assert data["VALUE"].tolist() == VALUES and data["COUNT"].tolist() == COUNTS
    [warning] = table.warnings
    assert "comma-separated" in warning.message and warning.count == 3
    check_against_pdr(path, data)


def test_tab_separated_records_with_field_delimiter(tmp_path: Path):
    lines = ["ALPHA\t1.5\t7", "B C\t-2.25E3\t-12", "DELTA\t0.125\t100000"]
    path = product(tmp_path, lines, "  FIELD_DELIMITER = TAB\r\n")
    table = pdsgen.open(path)["TABLE"]
    data = table.data
    assert data["VALUE"].tolist() == VALUES and data["COUNT"].tolist() == COUNTS
    assert "tab-separated" in table.warnings[0].message
    check_against_pdr(path, data)


def test_separated_records_are_an_error_when_strict(tmp_path: Path):
    path = product(tmp_path, ['"ALPHA",1.5,7', '"B C",-2.25E3,-12', '"DELTA",0.125,100000'])
    with pytest.raises(DataError, match="comma-separated"):
        _ = pdsgen.open(path, strict=True)["TABLE"].data


def test_fixed_width_with_commas_is_not_split(tmp_path: Path):
    # A clean fixed-width table whose columns happen to be comma-separated: read at the
    # label's columns, no warning (the fast path).
    lines = [f' {n:<8}, {v:>10},{c:>8}' for n, v, c in zip(NAMES, ["1.5", "-2.25E3", "0.125"], COUNTS, strict=True)]
    table = pdsgen.open(product(tmp_path, lines))["TABLE"]
    assert table.data["VALUE"].tolist() == VALUES and table.data["COUNT"].tolist() == COUNTS
    assert table.warnings == []


def test_misaligned_data_a_separator_does_not_explain_stays_an_error(tmp_path: Path):
    # Row 1 is a 32-byte record; the others are longer lines with 2 comma-separated values
    # where the label has 3: neither lines nor a separator explain them.
    lines = [f"{' ALPHA      1.5       7':<30}", "B C-THE-SECOND-NAME-IS-LONGER,-2.25E3",
             "DELTA-THE-LAST-OF-THE-NAMES-HERE,0.125"]
    with pytest.raises(DataError, match="does not end with"):
        _ = pdsgen.open(product(tmp_path, lines))["TABLE"].data


def test_value_wider_than_its_field_is_not_split(tmp_path: Path):
    # "ALPHABETICAL" (12 bytes) does not fit NAME's 8 bytes: the separator does not explain
    # the records; short lines are read line by line (issue 12 item 3) instead.
    lines = ['"ALPHABETICAL",1.5,7', '"B C",-2.25E3,-12', '"DELTA",0.125,100000']
    table = pdsgen.open(product(tmp_path, lines))["TABLE"]
    _ = table.data
    assert not any("separated" in w.message for w in table.warnings)
    assert any("line by line" in w.message for w in table.warnings)
