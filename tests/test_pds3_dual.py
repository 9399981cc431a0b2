"""The dual-labelled corpus (../shared/corpus/pds3/dual/): every object of every product
through its PDS3 and its PDS4 label. Objects both labels read are compared by position
(names differ); the others are asserted with their specific reason. Expected values come
from the files themselves (csv module, struct, the text of fixed-width lines)."""

from __future__ import annotations

import csv
import struct
from pathlib import Path

import numpy as np
import pytest

import pdsgen
from pdsgen import DataError, LabelError, PdsgenError, UnsupportedError
from tests.conftest import CORPUS

pytestmark = pytest.mark.shared
DUAL = CORPUS / "pds3" / "dual"

#: Every label of the dual corpus → what each of its objects gives: "read", or the error
#: class and a fragment of its message (the reason).
OUTCOMES = {
    "fsb/fsb_01500_rhk_xib_85s238_v1.lbl": {"SPREADSHEET": "read"},
    "fsb/fsb_01500_rhk_xib_85s238_v1.xml": {"Header_1": "read", "Table_Delimited_2": "read",
                                            "Stream_Text_3": "read"},
    "lend/lend_rdr_dld_20240615.lbl": {"TABLE": (LabelError, "LEND_RDR_DLD.FMT")},
    "lend/lend_rdr_dlx_20240615.lbl": {"TABLE": (LabelError, "LEND_RDR_DLX.FMT")},
    "lend/lend_rdr_dld_20240615.xml": {"Table_Binary_1": "read", "Stream_Text_2": "read"},
    "lend/lend_rdr_dld_20240615.lblx": {"Table_Binary_1": "read", "Stream_Text_2": "read"},
    "mer_cif/m0154651923f6_2p_cif_gbl.lbl": {"HEADER": "read", "IMAGE": "read"},
    "mer_cif/m0154651923f6_2p_cif_gbl.xml": {"Header_1": "read", "image_array": "read",
                                             "Deblurred Image PDS3 Label": "read"},
    "mer_thm/s_00168901_thm.lbl": {"DOCUMENT": (UnsupportedError, "JPG")},
    "mer_thm/s_00168901_thm.xml": {"Low resolution browse image": (UnsupportedError, "Encoded_Image"),
                                   "Stream_Text_2": "read"},
    **{f"odya/{n}.LBL": {"TABLE": "read"} for n in ("ACCANCP007", "ACCANCP008")},
    **{f"odya/{n}.xml": {f"{n}_table_character": (DataError, "bytes 1..243"),
                         f"{n}_pds3file_stream": (DataError, "bytes 0..18834")}
       for n in ("ACCANCP007", "ACCANCP008")},
}


def test_every_dual_label_is_listed():
    labels = {str(p.relative_to(DUAL)) for p in DUAL.glob("*/*")
              if p.suffix.lower() in (".lbl", ".xml", ".lblx")}
    assert labels == set(OUTCOMES)


@pytest.mark.parametrize("label", sorted(OUTCOMES))
def test_dual_object_outcomes(label: str):
    product = pdsgen.open(DUAL / label)
    assert [o.name for o in product.objects] == list(OUTCOMES[label])
    for obj in product.objects:
        expected = OUTCOMES[label][obj.name]
        if expected == "read":
            assert obj.data is not None
        else:
            cls, reason = expected
            with pytest.raises(cls, match=reason):
                _ = obj.data


def _csv(path: Path) -> list[list[str]]:
    with open(path, newline="") as fh:
        return list(csv.reader(fh))


# --- fsb: a PDS3 SPREADSHEET whose first line has 1 field of 3 ------------------------------
def test_fsb_with_a_byte_that_is_not_utf8_reads_its_short_record_once(tmp_path):
    """A byte that is not UTF-8 (line 77's "NaN" -> b"\\xceaN") made the delimited reader
    parse twice, and the short title record was recorded twice (an arrow index error).
    Now: one pass, the title record masked once, every other value as before."""
    import shutil

    base = DUAL / "fsb" / "fsb_01500_rhk_xib_85s238_v1"
    for suffix in (".lbl", ".csv"):
        shutil.copy(base.with_suffix(suffix), tmp_path / base.with_suffix(suffix).name)
    csv_copy = tmp_path / base.with_suffix(".csv").name
    data = csv_copy.read_bytes()
    at = sum(len(line) for line in data.splitlines(keepends=True)[:76])
    at = data.index(b'"NaN"', at) + 1
    assert data[:at].count(b"\n") == 76
    csv_copy.write_bytes(data[:at] + b"\xce" + data[at + 1:])
    obj = pdsgen.open(tmp_path / base.with_suffix(".lbl").name)["SPREADSHEET"]
    good = pdsgen.open(base.with_suffix(".lbl"))["SPREADSHEET"].data
    d = obj.data
    assert len(d) == 116
    short = [w for w in obj.warnings if "fewer fields" in w.message]
    assert len(short) == 1 and "1 of 116 records" in short[0].message and short[0].record == 1
    col = [n for n in d.dtype.names if good[n][76] == b"NaN" or str(good[n][76]) == "nan"][0]
    for name in d.dtype.names:
        same = np.ones(116, dtype=bool)
        if name == col:
            same[76] = False
        assert np.array_equal(np.ma.getmaskarray(d[name])[same], np.ma.getmaskarray(good[name])[same])
        assert d[name][same].tolist() == good[name][same].tolist()


def test_fsb_short_title_record_and_values_equal_csv_module():
    base = DUAL / "fsb" / "fsb_01500_rhk_xib_85s238_v1"
    rows = _csv(base.with_suffix(".csv"))
    p3 = pdsgen.open(base.with_suffix(".lbl"))["SPREADSHEET"]
    d3 = p3.data
    assert len(d3) == p3.records == 116  # the label's ROWS counts the first 116 lines
    more, short = p3.warnings
    assert "1 of 116 records have fewer fields" in short.message and short.record == 1
    # ... and the file holds 3489 - 116 more lines, which the label does not describe.
    assert more.record == 117 and more.count == len(rows) - 116 and "not read" in more.message
    with pytest.raises(DataError, match="3373 more lines"):
        _ = pdsgen.open(base.with_suffix(".lbl"), strict=True)["SPREADSHEET"].data
    names = d3.dtype.names
    for j, name in enumerate(names):
        col = d3[name]
        mask = np.ma.getmaskarray(col)
        assert mask.tolist() == [j >= len(r) for r in rows[:116]]
        assert [v.decode() for v, m in zip(np.ma.getdata(col), mask, strict=True) if not m] == \
            [r[j] for r in rows[:116] if j < len(r)]
    assert rows[0] == ["Mini-RF Housekeeping Parameters File"]


def test_fsb_which_label_is_right_on_the_record_count():
    """The PDS4 label is right: 3488 records after a one-line header. The PDS3 label's
    ROWS = 116 (and FILE_RECORDS = 116, RECORD_BYTES = 85) copy the instrument file's own
    header ("Records in this file,116", "Characters per entry,85"): 116 *housekeeping
    records* of "Data entries per record,30" lines each, after "Header entries per
    file,9" lines. PDS3 SPREADSHEET ROWS counts rows (lines) of the file, so the PDS3
    label describes only the first 116 of its 3489 lines."""
    base = DUAL / "fsb" / "fsb_01500_rhk_xib_85s238_v1"
    rows = _csv(base.with_suffix(".csv"))
    header = {r[0]: r[1] for r in rows[1:9]}
    per_record, records = int(float(header["Data entries per record"])), int(float(header["Records in this file"]))
    head_lines = int(float(header["Header entries per file"]))
    assert records == pdsgen.open(base.with_suffix(".lbl"))["SPREADSHEET"].records == 116
    assert head_lines + records * per_record == len(rows) == 3489
    table = pdsgen.open(base.with_suffix(".xml")).objects[1]
    assert table.records == len(rows) - 1 == len(table.data)
    assert sum(r[0] == "Record Sequence Count" for r in rows) == records


def test_fsb_pds3_and_pds4_by_position():
    base = DUAL / "fsb" / "fsb_01500_rhk_xib_85s238_v1"
    rows = _csv(base.with_suffix(".csv"))
    d3 = pdsgen.open(base.with_suffix(".lbl"))["SPREADSHEET"].data
    p4 = pdsgen.open(base.with_suffix(".xml"))
    header, table, text = p4.objects
    d4 = table.data
    # PDS4: a 40-byte Header (the quoted title line and its CR LF), then 3488 three-field records.
    assert header.data == f'"{rows[0][0]}"\r\n'.encode()
    assert len(d4) == 3488 == len(rows) - 1
    for j, name in enumerate(d4.dtype.names):
        assert [v.decode() for v in np.asarray(d4[name])] == [r[j] for r in rows[1:]]
    # PDS3 record k+1 is PDS4 record k; PDS3 record 0 is the PDS4 Header.
    for n3, n4 in zip(d3.dtype.names, d4.dtype.names, strict=True):
        assert np.ma.getdata(d3[n3])[1:].tolist() == np.asarray(d4[n4])[:115].tolist()
    assert f'"{d3[d3.dtype.names[0]][0].decode()}"\r\n' == header.data.decode()
    assert text.data == base.with_suffix(".lbl").read_bytes().decode()


# --- MER CIF image ------------------------------------------------------------------------
def test_mer_image_same_values_through_both_labels():
    p3 = pdsgen.open(DUAL / "mer_cif" / "m0154651923f6_2p_cif_gbl.lbl")
    p4 = pdsgen.open(DUAL / "mer_cif" / "m0154651923f6_2p_cif_gbl.xml")
    a3 = [o for o in p3 if o.kind == "array"]
    a4 = [o for o in p4 if o.kind == "array"]
    assert len(a3) == len(a4) == 1
    assert a3[0].offset == a4[0].offset and p3.product_class == "IMAGE"
    assert np.array_equal(a3[0].data, a4[0].data, equal_nan=True)
    assert p3["HEADER"].data == p4.objects[0].data
    assert p4.objects[2].data == (DUAL / "mer_cif" / "m0154651923f6_2p_cif_gbl.lbl").read_bytes().decode()


# --- Odyssey accelerometer tables ---------------------------------------------------------
@pytest.mark.parametrize("name", ["ACCANCP007", "ACCANCP008"])
def test_odyssey_table_fields_agree(name: str):
    import pdr

    p3 = pdsgen.open(DUAL / "odya" / f"{name}.LBL")
    p4 = pdsgen.open(DUAL / "odya" / f"{name}.xml")
    t3 = p3["TABLE"]
    t4 = next(o for o in p4 if o.kind == "table")
    # Same fields by position: offsets, widths and normalised types agree.
    assert [(f.location, f.length, f.data_type) for f in t3.fields] == \
        [(f.location, f.length, f.data_type) for f in t4.fields]
    line = (DUAL / "odya" / f"{name}.TAB").read_bytes()
    d3 = t3.data
    reference = pdr.read(str(DUAL / "odya" / f"{name}.LBL"))["TABLE"]
    reals_in_integers = []
    for i, f in enumerate(t3.fields):
        text = line[f.location : f.location + f.length].decode().strip()
        got = d3[d3.dtype.names[i]][0]
        assert (got.decode() if isinstance(got, bytes) else got) == reference.iloc[0, i]
        if f.data_type == "ASCII_Integer" and "." in text:
            reals_in_integers.append(f.name)  # "1.00000" where both labels say ASCII_Integer
            assert got == float(text) and d3.dtype[i].kind == "i"
        elif f.data_type == "ASCII_Real":
            assert got == float(text)
        elif f.data_type == "ASCII_Integer":
            assert got == int(text)
        else:
            assert got.decode() == text
    assert reals_in_integers
    assert sorted(w.field for w in t3.warnings) == sorted(reals_in_integers)
    assert all(w.record == 1 and "read as the number" in w.message for w in t3.warnings)
    # The PDS4 label puts the table at byte 1 of a 242-byte file with 242-byte records:
    # misaligned fixed-width data stays an error (the PDS3 label is right, offset 0).
    assert t4.offset == 1
    with pytest.raises(PdsgenError):
        _ = t4.data


# --- LEND: the PDS3 labels need format files the corpus does not hold ----------------------
def test_lend_pds4_values_and_pds3_reason():
    dat = (DUAL / "lend" / "lend_rdr_dld_20240615.dat").read_bytes()
    for suffix in (".xml", ".lblx"):
        t4 = pdsgen.open(DUAL / "lend" / f"lend_rdr_dld_20240615{suffix}").objects[0]
        d = t4.data
        assert d["LRO_TIME"][0] == struct.unpack(">Q", dat[0:8])[0]
        assert d["UTC"][0].decode() == dat[8:31].decode().strip()
        assert d["LUNARCENTRIC_LATITUDE"][0] == np.float32(struct.unpack(">f", dat[33:37])[0])
    p3 = pdsgen.open(DUAL / "lend" / "lend_rdr_dld_20240615.lbl")
    assert p3.product_id == "LEND_RDR_DLD_20240615_DAT" and p3.instrument == "LEND"
    with pytest.raises(LabelError, match="'LEND_RDR_DLD.FMT', not found"):
        _ = p3["TABLE"].data
