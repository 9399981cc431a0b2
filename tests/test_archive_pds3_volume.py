"""PDS3 volumes (`pdsgen archive volume`, `pdsgen validate --rule volume`): built from a
recipe's PDS3 output, from small PDS3 products written here and from the corpus's real
PDS3 products; INDEX.TAB read back through INDEX.LBL with pdsgen and the labels with pvl,
against values computed independently (the products' own labels, byte positions found in
the table's text, MD5s by hashlib); each refusal and each problem `validate` must find."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import datetime
from pathlib import Path

import numpy as np
import pvl
import pytest
from click.testing import CliRunner

import pdsgen
from pdsgen.archive.errors import ArchiveInputError
from pdsgen.archive.pds3volume import (
    CHECKSUM_COLUMNS,
    INDEX_COLUMNS,
    DataProducer,
    VolumeInfo,
    build_volume,
    fixed_table,
    uppercase_pointers,
)
from pdsgen.cli import main
from pdsgen.errors import LabelError
from pdsgen.render import write_table
from pdsgen.untrusted import ReferenceEscapeError, pds3_name_problem
from pdsgen.validate.runner import Options, run
from tests._render_helpers import context
from tests.conftest import validate_options

CREATED = "2021-03-04T05:06:07Z"
PRODUCER = DataProducer("Jane Doe", "Example University", "Example Laboratory", "1 Example Road, Example Town")
DSID = "PDSGEN-TEST-DATA-V1.0"


def _info(*data_set_ids: str, volume_id: str = "PDSGEN_0001") -> VolumeInfo:
    return VolumeInfo(volume_id, "USA_NASA_PDS_PDSGEN_0001", data_set_ids or (DSID,), PRODUCER)


def _table(n: int = 5) -> dict[str, np.ndarray]:
    return {"t": np.arange(n, dtype=np.int32), "v": np.linspace(0.5, 2.5, n)}


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def _volume_findings(vol: Path, **kw):
    result = run([str(vol)], Options(**validate_options(**kw)))
    return result, [f for f in result.all_findings() if f.severity in ("error", "warning")]


def _types(findings) -> set[str]:
    return {f.type for f in findings}


# ------------------------------------------------------------------ the table layout
def test_fixed_table_layout_by_hand():
    specs = (("A", "CHARACTER", True, "a"), ("T", "TIME", False, "t"))
    data, layout = fixed_table(specs, [["x", "yy"], ["1", "22"]], where="here")
    # '"x ",1 \r\n': quote, 2 bytes, quote, comma, 2 bytes, CR LF
    assert data == b'"x ",1 \r\n"yy",22\r\n'
    assert layout.row_bytes == 9 and layout.rows == 2
    assert [(c.start_byte, c.bytes) for c in layout.columns] == [(2, 2), (6, 2)]
    with pytest.raises(ArchiveInputError, match="double quote"):
        fixed_table(specs, [['a"b'], ["1"]], where="here")
    with pytest.raises(ArchiveInputError, match="comma"):
        fixed_table(specs, [["a"], ["1,2"]], where="here")


def test_pds3_names():
    assert pds3_name_problem("DATA/CHEMS/CPHA0_2004183_0001_CAL.LBL") is None
    assert "27.3" in pds3_name_problem("DATA/cpha.lbl")
    assert "27.3" in pds3_name_problem("DATA/" + "A" * 28 + ".LBL")  # base of 28 characters
    assert "27.3" in pds3_name_problem("DATA/A.LBLX")  # extension of 4
    assert "folder name" in pds3_name_problem("DATA/sub/A.LBL")
    assert "deep" in pds3_name_problem("/".join(["D"] * 9) + "/A.LBL")


def test_uppercase_pointers_keep_the_length():
    label = (b'PDS_VERSION_ID = PDS3\r\n^TABLE = ("x_1.tab", 3)\r\nOBJECT = FILE\r\n  FILE_NAME = "x_1.tab"\r\n'
             b'  ^STRUCTURE = "fmt.fmt"\r\nEND_OBJECT = FILE\r\nNOTE = "x_1.tab"\r\nEND\r\n^TABLE = "x_1.tab"')
    out = uppercase_pointers(label, ["x_1.tab", "fmt.fmt"])
    assert len(out) == len(label)
    assert out.count(b'"X_1.TAB"') == 2 and b'"FMT.FMT"' in out
    assert b'NOTE = "x_1.tab"' in out  # not a pointer line
    assert out.endswith(b'^TABLE = "x_1.tab"')  # after END: data, never touched


# ------------------------------------------------------------------ from a recipe's PDS3 output
@pytest.fixture(scope="module")
def recipe_output(tmp_path_factory) -> Path:
    """chems-pha on the demo's CHEMS inputs, written as PDS3 (lower-case names, as recipes write)."""
    from pdsgen.recipes.demo_data import generate

    base = tmp_path_factory.mktemp("recipe")
    demo = generate("chems", base / "raw")
    out = base / "cal"
    res = CliRunner().invoke(main, ["run", demo.recipe, str(base / "raw"), "--cal", str(demo.calibrations[0]),
                                    "--standard", "pds3", "--out", str(out), "--creation-time", CREATED])
    assert res.exit_code == 0, res.output
    return out


def _build_cli(src: Path, out: Path, *extra: str, dsid: str) -> object:
    return CliRunner().invoke(main, [
        "archive", "volume", str(src), "--out", str(out), "--volume-id", "COMIMI_0001",
        "--volume-set-id", "USA_NASA_PDS_COMIMI_0001", "--data-set-id", dsid,
        "--producer-name", PRODUCER.full_name, "--producer-institution", PRODUCER.institution_name,
        "--producer-facility", PRODUCER.facility_name, "--producer-address", PRODUCER.address_text,
        "--creation-time", CREATED, *extra])


def test_volume_from_recipe_output(recipe_output, tmp_path):
    src_labels = sorted(recipe_output.glob("*.lbl"))
    assert len(src_labels) == 3
    dsid = pvl.load(str(src_labels[0]))["DATA_SET_ID"]
    vol = tmp_path / "VOL"
    refused = _build_cli(recipe_output, vol, dsid=dsid)  # recipe names are lower case
    assert refused.exit_code == 2 and "27.3" in refused.output and "--uppercase" in refused.output
    assert not vol.exists() and not list(tmp_path.iterdir())
    res = _build_cli(recipe_output, vol, "--uppercase", dsid=dsid)
    assert res.exit_code == 0, res.output
    again = _build_cli(recipe_output, tmp_path / "VOL2", "--uppercase", "--json", dsid=dsid)
    doc = json.loads(again.output)
    assert doc["volume_id"] == "COMIMI_0001" and len(doc["products"]) == 3
    assert doc["products"][0]["files"] == [f"DATA/{sorted(recipe_output.glob('*.tab'))[0].name.upper()}"]

    data = [f"DATA/{p.name.upper()}" for p in sorted(recipe_output.iterdir())]
    assert _files(vol) == sorted(["AAREADME.TXT", "VOLDESC.CAT", "INDEX/INDEX.LBL", "INDEX/INDEX.TAB",
                                  "INDEX/CHECKSUM.LBL", "INDEX/CHECKSUM.TAB", *data])
    # data files are the source's bytes, hard-linked; labels have upper-case pointers
    for p in sorted(recipe_output.glob("*.tab")):
        copy = vol / "DATA" / p.name.upper()
        assert copy.stat().st_ino == p.stat().st_ino
    for p in src_labels:
        label = pvl.load(str(vol / "DATA" / p.name.upper()))
        assert label["^TABLE"] == pvl.load(str(p))["^TABLE"].upper()
        source_table = pdsgen.open(p)["TABLE"].data
        assert np.array_equal(pdsgen.open(vol / "DATA" / p.name.upper())["TABLE"].data, source_table)

    # INDEX.TAB through INDEX.LBL (pdsgen) against the products' labels (pvl)
    index = pdsgen.open(vol / "INDEX" / "INDEX.LBL")["INDEX_TABLE"].to_table()
    assert len(index) == 3
    assert index.colnames == [c[0] for c in INDEX_COLUMNS]
    for row, p in zip(index, src_labels, strict=True):
        label = pvl.load(str(p))
        assert row["VOLUME_ID"] == "COMIMI_0001"
        assert row["FILE_SPECIFICATION_NAME"] == f"DATA/{p.name.upper()}"
        assert row["PRODUCT_ID"] == label["PRODUCT_ID"]
        assert row["DATA_SET_ID"] == label["DATA_SET_ID"]
        for key in ("START_TIME", "STOP_TIME", "PRODUCT_CREATION_TIME"):
            assert datetime.fromisoformat(str(row[key]).replace("Z", "+00:00")) == label[key]

    # the label's layout against the table's bytes, found by hand
    tab = (vol / "INDEX" / "INDEX.TAB").read_bytes()
    lines = tab.split(b"\r\n")
    assert lines[-1] == b"" and len(lines) == 4
    idx_label = pvl.load(str(vol / "INDEX" / "INDEX.LBL"))
    table = idx_label["INDEX_TABLE"]
    assert table["ROWS"] == 3 == idx_label["FILE_RECORDS"]
    assert {len(line) + 2 for line in lines[:-1]} == {table["ROW_BYTES"]} == {idx_label["RECORD_BYTES"]}
    columns = {c["NAME"]: c for c in table.getall("COLUMN")}
    assert table["COLUMNS"] == len(columns) == 7
    first = lines[0].decode("ascii")
    first_label = pvl.load(str(src_labels[0]))
    for name, value in (("PRODUCT_ID", first_label["PRODUCT_ID"]), ("VOLUME_ID", "COMIMI_0001"),
                        ("FILE_SPECIFICATION_NAME", f"DATA/{src_labels[0].name.upper()}")):
        at = first.index(f'"{value}') + 2  # 1-based, after the opening quote
        assert columns[name]["START_BYTE"] == at
        width = max(len(str(r[name])) for r in index)
        assert columns[name]["BYTES"] == width
    assert first.split(",")[0] == '"COMIMI_0001"'

    # checksums: every other file, md5 by hashlib
    sums = pdsgen.open(vol / "INDEX" / "CHECKSUM.LBL")["TABLE"].to_table()
    listed = {str(r["FILE_SPECIFICATION_NAME"]): str(r["MD5_CHECKSUM"]) for r in sums}
    assert sorted(listed) == [f for f in _files(vol) if not f.startswith("INDEX/CHECKSUM.")]
    for rel, md5 in listed.items():
        assert hashlib.md5((vol / rel).read_bytes()).hexdigest() == md5
    assert [c["NAME"] for c in pvl.load(str(vol / "INDEX" / "CHECKSUM.LBL"))["TABLE"].getall("COLUMN")] == [
        c[0] for c in CHECKSUM_COLUMNS]

    # VOLDESC.CAT and AAREADME.TXT
    volume = pvl.load(str(vol / "VOLDESC.CAT"))["VOLUME"]
    assert volume["VOLUME_ID"] == "COMIMI_0001" and volume["DATA_SET_ID"] == dsid
    assert volume["DATA_PRODUCER"]["FULL_NAME"] == PRODUCER.full_name
    assert str(volume["PUBLICATION_DATE"]) == CREATED[:10]
    readme = (vol / "AAREADME.TXT").read_bytes()
    pointer = pvl.load(str(vol / "AAREADME.TXT"))["^TEXT"]
    assert readme[pointer.value - 1:].startswith(b"VOLUME COMIMI_0001")
    assert readme[:pointer.value - 1].rstrip().endswith(b"END")
    assert readme.isascii() and all(len(line) <= 78 for line in readme.split(b"\r\n"))
    assert b"\n" not in readme.replace(b"\r\n", b"")
    assert pdsgen.open(vol / "AAREADME.TXT")["TEXT"].data.startswith("VOLUME COMIMI_0001")

    # pdsgen's PDS3 checks: detected as a volume by VOLDESC.CAT, nothing wrong but the catalog
    result, findings = _volume_findings(vol)
    assert result.rule == "volume"
    assert [f.type for f in findings] == ["warning.volume.no_catalog"]
    assert len(result.products) == 3 + 2 + 2  # products, index + checksum labels, VOLDESC + AAREADME


def test_volume_is_deterministic(recipe_output, tmp_path):
    dsid = pvl.load(str(next(recipe_output.glob("*.lbl"))))["DATA_SET_ID"]
    a = build_volume(recipe_output, tmp_path / "A", _info(dsid), uppercase=True, creation_time=CREATED)
    b = build_volume(recipe_output, tmp_path / "B", _info(dsid), uppercase=True, creation_time=CREATED, link=False)
    assert _files(a.root) == _files(b.root)
    for rel in _files(a.root):
        assert (a.root / rel).read_bytes() == (b.root / rel).read_bytes(), rel


# ------------------------------------------------------------------ products written here
def _products(src: Path) -> dict[str, Path]:
    """A detached product in CHEMS/, an attached one in RAW/, one without times in CAL/
    (the writers name files ``PROD_A.lbl``/``.tab``: volumes of them need ``uppercase``)."""
    out = {}
    for folder in ("CHEMS", "RAW", "CAL"):
        (src / folder).mkdir(parents=True)
    out["A"] = write_table(_table(), src / "CHEMS", basename="PROD_A", context=context(product_id="PROD_A"),
                           standard="pds3", creation_time=CREATED).label_path
    out["B"] = write_table(_table(7), src / "RAW", basename="PROD_B", context=context(product_id="PROD_B"),
                           standard="pds3", attached=True, creation_time=CREATED).label_path
    out["C"] = write_table(_table(3), src / "CAL", basename="PROD_C",
                           context=context(product_id="PROD_C", start_time=None, stop_time=None),
                           standard="pds3", creation_time=CREATED).label_path
    return out


def test_attached_labels_subfolders_and_missing_times(tmp_path):
    src = tmp_path / "src"
    made = _products(src)
    (tmp_path / "cat").mkdir()
    catalog = tmp_path / "cat" / "DATASET.CAT"
    catalog.write_text('PDS_VERSION_ID = PDS3\r\nRECORD_TYPE = STREAM\r\nOBJECT = DATA_SET\r\n'
                       f'  DATA_SET_ID = "{DSID}"\r\nEND_OBJECT = DATA_SET\r\nEND\r\n')
    docs = tmp_path / "docs"
    docs.mkdir()
    note = "A document of the volume.\r\n"
    head = ('PDS_VERSION_ID = PDS3\r\nRECORD_TYPE = STREAM\r\n^TEXT = {n} <BYTES>\r\nOBJECT = TEXT\r\n'
            '  PUBLICATION_DATE = 2021-03-04\r\n  NOTE = "test"\r\nEND_OBJECT = TEXT\r\nEND\r\n')
    size = len(head.format(n=100))
    (docs / "docinfo.txt").write_text(head.format(n=size + 1) + note)
    r = build_volume(src, tmp_path / "VOL", _info(), catalogs=[catalog], creation_time=CREATED, uppercase=True,
                     documents=docs)
    assert r.documents == 1
    assert pdsgen.open(r.root / "DOCUMENT" / "DOCINFO.TXT")["TEXT"].data == "A document of the volume.\r\n"
    vol = r.root
    assert [p.label for p in r.products] == ["DATA/CAL/PROD_C.LBL", "DATA/CHEMS/PROD_A.LBL", "DATA/RAW/PROD_B.TAB"]
    assert made["B"].name == "PROD_B.tab"  # the attached label is the data file itself
    index = pdsgen.open(vol / "INDEX" / "INDEX.LBL")["INDEX_TABLE"]
    rows = {str(r["PRODUCT_ID"]): r for r in index.to_table()}
    assert sorted(rows) == ["PROD_A", "PROD_B", "PROD_C"]
    assert rows["PROD_B"]["FILE_SPECIFICATION_NAME"] == "DATA/RAW/PROD_B.TAB"
    raw = index.data  # as stored: the label gives no time for PROD_C
    c = [r for r in raw if r["PRODUCT_ID"].strip() == b"PROD_C"][0]
    assert c["START_TIME"].strip() == b"N/A" and c["STOP_TIME"].strip() == b"N/A"
    assert rows["PROD_A"]["START_TIME"] == "2004-01-01T00:00:00Z"
    assert pvl.load(str(vol / "VOLDESC.CAT"))["VOLUME"]["CATALOG"]["^DATA_SET_CATALOG"] == "DATASET.CAT"
    assert (vol / "CATALOG" / "DATASET.CAT").read_bytes() == catalog.read_bytes()
    assert pdsgen.open(vol / "DATA" / "RAW" / "PROD_B.TAB")["TABLE"].data["t"].tolist() == list(range(7))
    result, findings = _volume_findings(vol)
    assert result.rule == "volume"
    assert findings == [], [f.message for f in findings]
    labels = {Path(p.label).name for p in result.products}
    assert {"PROD_B.TAB", "VOLDESC.CAT", "AAREADME.TXT", "PROD_A.LBL", "PROD_C.LBL"} <= labels


# ------------------------------------------------------------------ refusals
def _write_label(path: Path, body: str, data: tuple[str, bytes] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body.replace("\n", "\r\n").encode("ascii"))
    if data:
        (path.parent / data[0]).write_bytes(data[1])
    return path


_MINIMAL = """PDS_VERSION_ID = PDS3
RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 4
FILE_RECORDS = 1
^TABLE = "{data}"
{ids}
OBJECT = TABLE
  INTERCHANGE_FORMAT = ASCII
  ROWS = 1
  COLUMNS = 1
  ROW_BYTES = 4
  OBJECT = COLUMN
    NAME = X
    DATA_TYPE = ASCII_INTEGER
    START_BYTE = 1
    BYTES = 2
  END_OBJECT = COLUMN
END_OBJECT = TABLE
END
"""


def _minimal(folder: Path, stem: str, ids: str, data: str | None = None) -> Path:
    name = data or f"{stem}.TAB"
    return _write_label(folder / f"{stem}.LBL", _MINIMAL.format(data=name, ids=ids), (name, b"12\r\n"))


def _refused(tmp_path: Path, match: str, error=ArchiveInputError, **kw) -> None:
    with pytest.raises(error, match=match) as info:
        build_volume(tmp_path / "src", tmp_path / "VOL", kw.pop("info", _info()), creation_time=CREATED, **kw)
    assert not (tmp_path / "VOL").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left
    return info.value


def test_missing_product_id(tmp_path):
    _minimal(tmp_path / "src", "P1", f'DATA_SET_ID = "{DSID}"')
    err = _refused(tmp_path, "no PRODUCT_ID")
    assert err.path.endswith("P1.LBL")


def test_missing_or_foreign_data_set_id(tmp_path):
    _minimal(tmp_path / "src", "P1", 'PRODUCT_ID = "P1"')
    _refused(tmp_path, "no DATA_SET_ID")
    _minimal(tmp_path / "src", "P1", 'PRODUCT_ID = "P1"\nDATA_SET_ID = "OTHER-V1.0"')
    _refused(tmp_path, "not one of the volume's")


def test_bad_names(tmp_path):
    _minimal(tmp_path / "src", "p1", f'PRODUCT_ID = "P1"\nDATA_SET_ID = "{DSID}"')
    _refused(tmp_path, r"27\.3.*--uppercase")
    shutil.rmtree(tmp_path / "src")
    _minimal(tmp_path / "src", "A" * 28, f'PRODUCT_ID = "P1"\nDATA_SET_ID = "{DSID}"', data="P1.TAB")
    _refused(tmp_path, r"27\.3", uppercase=True)  # too long even in upper case: no --uppercase hint
    with pytest.raises(ArchiveInputError, match="VOLUME_ID"):
        build_volume(tmp_path / "src", tmp_path / "VOL", _info(volume_id="TOO_LONG_VOLUME"))
    with pytest.raises(ArchiveInputError, match="VOLUME_ID"):
        build_volume(tmp_path / "src", tmp_path / "VOL", _info(volume_id="lower"))


def test_collisions(tmp_path):
    src = tmp_path / "src"
    _minimal(src, "P1", f'PRODUCT_ID = "P1"\nDATA_SET_ID = "{DSID}"')
    _minimal(src, "p1", f'PRODUCT_ID = "P2"\nDATA_SET_ID = "{DSID}"', data="p1.tab")
    _refused(tmp_path, "two files would be DATA/P1.", uppercase=True)
    shutil.rmtree(src)
    _minimal(src, "P1", f'PRODUCT_ID = "SAME"\nDATA_SET_ID = "{DSID}"')
    _minimal(src, "P2", f'PRODUCT_ID = "SAME"\nDATA_SET_ID = "{DSID}"')
    _refused(tmp_path, "PRODUCT_ID 'SAME' is also the PRODUCT_ID of")
    shutil.rmtree(src)
    _minimal(src / "INDEX", "P1", f'PRODUCT_ID = "P1"\nDATA_SET_ID = "{DSID}"')
    with pytest.raises(ArchiveInputError, match="a folder of the volume's own"):
        build_volume(src, tmp_path / "VOL", _info(), creation_time=CREATED)


def test_unlabelled_file_escape_and_existing_output(tmp_path):
    src = tmp_path / "src"
    _minimal(src, "P1", f'PRODUCT_ID = "P1"\nDATA_SET_ID = "{DSID}"')
    (src / "NOTES.TXT").write_text("no label\r\n")
    _refused(tmp_path, "no label names it")
    (src / "NOTES.TXT").unlink()
    (tmp_path / "OUTSIDE.TAB").write_bytes(b"12\r\n")
    _minimal(src, "P2", f'PRODUCT_ID = "P2"\nDATA_SET_ID = "{DSID}"', data="../OUTSIDE.TAB")
    _refused(tmp_path, "outside", error=ReferenceEscapeError)
    (src / "P2.LBL").unlink()
    (tmp_path / "VOL").mkdir()
    with pytest.raises(ArchiveInputError, match="exists already"):
        build_volume(src, tmp_path / "VOL", _info(), creation_time=CREATED)
    with pytest.raises(ArchiveInputError, match="DATA_PRODUCER requires"):
        build_volume(src, tmp_path / "VOL2", VolumeInfo("V1", "S1", (DSID,), DataProducer("", "I", "F", "A")))


def test_a_symbolic_link_out_of_the_source_is_refused(tmp_path):
    src = tmp_path / "src"
    _minimal(src, "P1", f'PRODUCT_ID = "P1"\nDATA_SET_ID = "{DSID}"')
    (tmp_path / "SECRET.TXT").write_text("PDS_VERSION_ID = PDS3\r\nEND\r\n")
    (src / "LINK.TXT").symlink_to(tmp_path / "SECRET.TXT")
    err = _refused(tmp_path, "symbolic link leading outside", error=ReferenceEscapeError)
    assert err.path.endswith("LINK.TXT")


def test_a_failure_part_way_leaves_nothing(tmp_path):
    src = tmp_path / "src"
    _minimal(src, "P1", f'PRODUCT_ID = "P1"\nDATA_SET_ID = "{DSID}"')
    broken = tmp_path / "tpl" / "pds3" / "volume"
    broken.mkdir(parents=True)
    (broken / "voldesc.cat.j2").write_text("{{ no_such_variable }}\n")  # fails after the data are placed
    from pdsgen.errors import PdsgenError

    with pytest.raises(PdsgenError, match="no_such_variable"):
        build_volume(src, tmp_path / "VOL", _info(), creation_time=CREATED, templates=tmp_path / "tpl")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src", "tpl"]


def test_cli_errors_are_one_line(tmp_path):
    src = tmp_path / "src"
    _minimal(src, "P1", f'DATA_SET_ID = "{DSID}"')
    res = _build_cli(src, tmp_path / "VOL", dsid=DSID)
    assert res.exit_code == 2
    assert res.output.strip().startswith("error: ") and "P1.LBL" in res.output and "no PRODUCT_ID" in res.output
    assert "Traceback" not in res.output


# ------------------------------------------------------------------ validate finds what is wrong
@pytest.fixture
def volume(tmp_path) -> Path:
    _products(tmp_path / "src")
    return build_volume(tmp_path / "src", tmp_path / "VOL", _info(), creation_time=CREATED, link=False,
                        uppercase=True).root


def test_validate_checksum_mismatch(volume):
    data = volume / "DATA" / "CHEMS" / "PROD_A.TAB"
    raw = bytearray(data.read_bytes())
    raw[0:1] = b"9" if raw[0:1] != b"9" else b"8"
    data.write_bytes(bytes(raw))
    _result, findings = _volume_findings(volume)
    mismatch = [f for f in findings if f.type == "error.label.checksum_mismatch"]
    assert len(mismatch) == 1 and mismatch[0].file.endswith("PROD_A.TAB")
    res = CliRunner().invoke(main, ["validate", "--rule", "pds3.volume", str(volume), "--no-context", "--offline"])
    assert res.exit_code == 1 and "checksum_mismatch" in res.output


def test_validate_missing_product_and_unlisted_label(volume):
    (volume / "DATA" / "CHEMS" / "PROD_A.LBL").unlink()
    shutil.copy(volume / "DATA" / "CAL" / "PROD_C.LBL", volume / "DATA" / "CAL" / "EXTRA.LBL")
    _result, findings = _volume_findings(volume)
    types = _types(findings)
    assert "error.volume.index_file_not_found" in types
    assert "warning.volume.product_not_indexed" in types
    assert "error.label.missing_checksum" in types  # EXTRA.LBL is not in CHECKSUM.TAB
    assert "error.label.missing_file" in types  # PROD_A.LBL is, but is gone
    missing = [f for f in findings if f.type == "error.volume.index_file_not_found"][0]
    assert "DATA/CHEMS/PROD_A.LBL" in missing.message and missing.record is not None


def test_validate_volume_id_and_required_files(volume):
    voldesc = volume / "VOLDESC.CAT"
    voldesc.write_bytes(voldesc.read_bytes().replace(b'"PDSGEN_0001"', b'"PDSGEN_0002"'))
    (volume / "AAREADME.TXT").unlink()
    _result, findings = _volume_findings(volume)
    types = _types(findings)
    assert "error.volume.volume_id_mismatch" in types
    assert "error.volume.missing_required_file" in types
    assert any("AAREADME.TXT" in f.message for f in findings if f.type == "error.volume.missing_required_file")


def test_validate_index_label_that_does_not_describe_the_table(volume):
    label = volume / "INDEX" / "INDEX.LBL"
    text = label.read_text()
    label.write_text(text.replace("ROWS                       = 3", "ROWS                       = 4"))
    _result, findings = _volume_findings(volume)
    assert "error.volume.index_table_problem" in _types(findings)


def test_validate_duplicate_index_row(volume):
    tab = volume / "INDEX" / "INDEX.TAB"
    rows = tab.read_bytes().split(b"\r\n")[:-1]
    tab.write_bytes(b"\r\n".join([*rows, rows[0]]) + b"\r\n")
    label = volume / "INDEX" / "INDEX.LBL"
    label.write_text(label.read_text().replace("= 3\n", "= 4\n"))  # ROWS and FILE_RECORDS
    _result, findings = _volume_findings(volume)
    dup = [f for f in findings if f.type == "error.volume.duplicate_index_entry"]
    assert len(dup) == 1 and dup[0].record == 4 and "row 1" in dup[0].message


def test_validate_index_value_and_name_problems(volume):
    tab = volume / "INDEX" / "INDEX.TAB"
    tab.write_bytes(tab.read_bytes().replace(b'"PROD_A"', b'"PROD_X"'))
    (volume / "DATA" / "lower").mkdir()
    _result, findings = _volume_findings(volume)
    mism = [f for f in findings if f.type == "error.volume.index_value_mismatch"]
    assert len(mism) == 1 and "'PROD_X'" in mism[0].message and "'PROD_A'" in mism[0].message
    names = [f for f in findings if f.type == "error.volume.file_naming_problem"]
    assert [Path(f.file).name for f in names] == ["lower"] and "'DATA/lower'" in names[0].message
    (volume / "DATA" / "lower" / "x.lbl").write_text("PDS_VERSION_ID = PDS3\r\nEND\r\n")
    _result, findings = _volume_findings(volume)
    names = [f for f in findings if f.type == "error.volume.file_naming_problem"]
    assert {Path(f.file).name for f in names} == {"lower", "x.lbl"}


# ------------------------------------------------------------------ the corpus's real PDS3 products
def _pointer_names(block) -> list[str]:
    """File names of every ^POINTER of a pvl label, nested ones included."""
    out = []
    for key, value in block.items():
        if key.startswith("^"):
            name = value[0] if isinstance(value, list) else value
            if isinstance(name, str):
                out.append(name)
        elif hasattr(value, "items"):
            out += _pointer_names(value)
    return out


@pytest.mark.shared
def test_volume_from_corpus_products(shared, tmp_path):
    dual = shared / "corpus" / "pds3" / "dual"
    src = tmp_path / "src"
    labels, incomplete = [], []
    for folder in sorted(p for p in dual.iterdir() if p.is_dir()):
        for label in sorted(folder.glob("*")):
            if label.suffix.lower() != ".lbl":
                continue
            parsed = pvl.load(str(label))
            present = {p.name.lower(): p for p in folder.iterdir()}
            files = [present.get(n.lower()) for n in _pointer_names(parsed)]
            if None in files:  # a ^STRUCTURE file the corpus does not hold
                incomplete.append(label)
                continue
            (src / folder.name).mkdir(parents=True, exist_ok=True)
            for f in [*files, label]:
                shutil.copy(f, src / folder.name / f.name)
            labels.append((folder.name, label, parsed))
    if not labels:
        pytest.skip("no complete PDS3 products in the corpus")
    dsids = tuple(sorted({str(p["DATA_SET_ID"]) for _f, _l, p in labels}))
    r = build_volume(src, tmp_path / "VOL", _info(*dsids), uppercase=True, creation_time=CREATED)
    vol = r.root
    index = pdsgen.open(vol / "INDEX" / "INDEX.LBL")["INDEX_TABLE"].to_table()
    assert len(index) == len(labels) >= 5
    by_spec = {str(row["FILE_SPECIFICATION_NAME"]): row for row in index}
    for folder, label, parsed in labels:
        row = by_spec[f"DATA/{folder.upper()}/{label.name.upper()}"]
        assert row["PRODUCT_ID"] == parsed["PRODUCT_ID"]
        assert row["DATA_SET_ID"] == parsed["DATA_SET_ID"]
        if "START_TIME" in parsed:
            got = datetime.fromisoformat(str(row["START_TIME"]).replace("Z", "+00:00"))
            assert got.replace(tzinfo=None) == parsed["START_TIME"].replace(tzinfo=None)
    sums = pdsgen.open(vol / "INDEX" / "CHECKSUM.LBL")["TABLE"].to_table()
    for row in sums:
        assert hashlib.md5((vol / str(row["FILE_SPECIFICATION_NAME"])).read_bytes()).hexdigest() == row["MD5_CHECKSUM"]
    # the volume-level checks find nothing wrong (the corpus labels' own quirks are product findings)
    _result, findings = _volume_findings(vol)
    volume_level = [f for f in findings if ".volume." in f.type or "checksum" in f.type]
    assert [f.type for f in volume_level] == ["warning.volume.no_catalog"], [f.message for f in volume_level]
    # a product whose ^STRUCTURE file is missing is refused, naming the label and the pointer
    for label in incomplete[:1]:
        bad = tmp_path / "bad"
        bad.mkdir()
        for f in label.parent.iterdir():
            if f.suffix.lower() in (".lbl", ".dat"):
                shutil.copy(f, bad / f.name)
        with pytest.raises(LabelError, match="STRUCTURE") as info:
            build_volume(bad, tmp_path / "VOL2", _info(*dsids), uppercase=True)
        assert info.value.path.endswith(".lbl")
        assert not (tmp_path / "VOL2").exists()


def test_archive_index_of_a_volume_holds_its_products_only(recipe_output, tmp_path):
    """INDEX/INDEX.LBL (an INDEX_TABLE) and INDEX/CHECKSUM.LBL describe the volume, not
    products: `archive index` on the volume records the three data products, nothing else."""
    from pdsgen.archive.index import SQLiteIndex
    from pdsgen.archive.scan import scan

    dsid = pvl.load(str(sorted(recipe_output.glob("*.lbl"))[0]))["DATA_SET_ID"]
    vol = tmp_path / "VOL"
    assert _build_cli(recipe_output, vol, "--uppercase", dsid=dsid).exit_code == 0
    with SQLiteIndex(tmp_path / "index.sqlite") as index:
        report = scan(vol, index)
        products = index.products()
    assert not report.errors
    assert sorted(p.label_path for p in products) == sorted(
        f"DATA/{p.name.upper()}" for p in recipe_output.glob("*.lbl"))
    ids = {str(pvl.load(str(p))["PRODUCT_ID"]) for p in recipe_output.glob("*.lbl")}
    assert {p.product_id for p in products} == ids
    # an INDEX_TABLE is an index wherever it lies; a TABLE in a folder named INDEX that is
    # not at a volume's root is a product like any other
    loose = tmp_path / "loose" / "INDEX"
    loose.mkdir(parents=True)
    shutil.copy(vol / "INDEX" / "INDEX.LBL", loose / "IDX.LBL")
    shutil.copy(vol / "INDEX" / "CHECKSUM.LBL", loose / "CHECKSUM.LBL")
    with SQLiteIndex(tmp_path / "other.sqlite") as other:
        scan(tmp_path / "loose", other)
        assert [p.label_path for p in other.products()] == ["INDEX/CHECKSUM.LBL"]
