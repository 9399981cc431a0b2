"""Units from labels: PDS4 as written, PDS3 shouted spellings mapped (pdsgen.units)."""

from __future__ import annotations

import astropy.units as u

import pdsgen


def _pds3_table(tmp_path, unit: str):
    (tmp_path / "t.tab").write_bytes(b" 1.5\r\n 2.5\r\n")
    lbl = tmp_path / "t.lbl"
    lbl.write_text(
        'PDS_VERSION_ID = PDS3\r\nRECORD_TYPE = FIXED_LENGTH\r\nRECORD_BYTES = 6\r\nFILE_RECORDS = 2\r\n'
        '^TABLE = "t.tab"\r\nOBJECT = TABLE\r\n  INTERCHANGE_FORMAT = ASCII\r\n  ROWS = 2\r\n  COLUMNS = 1\r\n'
        '  ROW_BYTES = 6\r\n  OBJECT = COLUMN\r\n    NAME = V\r\n    DATA_TYPE = ASCII_REAL\r\n'
        f'    START_BYTE = 1\r\n    BYTES = 4\r\n    UNIT = "{unit}"\r\n  END_OBJECT = COLUMN\r\n'
        'END_OBJECT = TABLE\r\nEND\r\n')
    return pdsgen.open(lbl)[0]


def test_pds3_shouted_units_are_read_as_meant(tmp_path):
    cases = {"KM/S": u.km / u.s, "DN/S": u.DN / u.s, "COUNTS": u.count, "KM": u.km, "NT": u.nT}
    for text, expected in cases.items():
        t = _pds3_table(tmp_path, text).to_table()
        assert t["V"].unit == expected, text
        assert t["V"].tolist() == [1.5, 2.5]


def test_unknown_unit_stays_named_not_wrong(tmp_path):
    t = _pds3_table(tmp_path, "FURLONGS PER FORTNIGHT").to_table()
    assert isinstance(t["V"].unit, u.UnrecognizedUnit)
    assert t["V"].unit.name == "FURLONGS PER FORTNIGHT"
