"""Hostile input to `pdsgen migrate` (issue 18) and the PDS3 reader it uses.

Every case builds its hostile product in ``tmp_path`` next to a folder ``outside`` (the
files a label must never reach) and checks the rule of docs/migrate.md ("Hostile input"):
the product fails with a reason naming the file, the object and the problem (or, where the
reader is lenient by design, migrates to a label that validates); nothing is left in
``--out`` for it, hidden staging folders included; no file under ``outside`` is opened or
listed (a Python audit hook watches ``open``, ``os.listdir`` and ``os.scandir``); sizes a
label claims are refused before anything of that size is allocated (tracemalloc's peak).
The CLI cases run ``python -m pdsgen`` in a subprocess (exit status, no traceback on
stderr, a time-out where a regression would hang)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from conftest import CATALOG_ARG
from lxml import etree
from test_migrate import CONTEXT, CT, NS, binary_values, ident, make_binary, make_image

import pdsgen
from pdsgen.errors import LabelError
from pdsgen.migrate import MigrateOptions, MigrationMap, migrate_product

# --------------------------------------------------------------------------- watching file access
_OPENED: list[str] = []
_WATCH = threading.Event()


def _audit(event: str, args: tuple) -> None:
    if _WATCH.is_set() and event in ("open", "os.listdir", "os.scandir") and args and args[0] is not None \
            and not isinstance(args[0], int):
        _OPENED.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)


@pytest.fixture()
def world(tmp_path):
    """(input folder, the folder outside it with a file of the product's own bytes, out, options)."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.dat").write_bytes(binary_values().tobytes())
    ctx = tmp_path / "context.json"
    ctx.write_text(json.dumps(CONTEXT))
    out = tmp_path / "out"
    opts = MigrateOptions(out=out, bundle_lid="urn:nasa:pds:test_bundle", catalog_path=CATALOG_ARG,
                          context_products=(str(ctx),), creation_time=CT)
    return tmp_path / "in", outside, out, opts


def run(label: Path, world, *, memory_mb: int | None = None):
    """`migrate_product` with file access outside watched (and the peak of traced memory)."""
    _folder, outside, out, opts = world
    _OPENED.clear()
    if memory_mb:
        tracemalloc.start()
    _WATCH.set()
    try:
        r = migrate_product(label, opts)
    finally:
        _WATCH.clear()
        peak = tracemalloc.get_traced_memory()[1] if memory_mb else 0
        if memory_mb:
            tracemalloc.stop()
    reached = [p for p in _OPENED if str(outside) in os.path.realpath(p) or p.startswith(str(outside))]
    assert reached == [], reached
    if memory_mb:
        assert peak < memory_mb << 20, f"peak {peak >> 20} MB"
    if r.status != "migrated":
        left = sorted(str(p.relative_to(out)) for p in out.rglob("*")) if out.exists() else []
        assert left == [], left  # nothing of a failed product, no staging folder
    return r


def edit(label: Path, old: str, new: str) -> Path:
    text = label.read_text()
    assert old in text, old
    label.write_text(text.replace(old, new, 1))
    return label


def binary(folder: Path, old: str | None = None, new: str | None = None) -> Path:
    label = make_binary(folder)
    return edit(label, old, new) if old is not None and new is not None else label


def failed(r, *words: str) -> str:
    assert r.status == "failed", (r.status, r.pds4_label)
    for w in words:
        assert w in r.reason, (w, r.reason)
    return r.reason


STRUCTURE_OUTSIDE = '^STRUCTURE = "{ref}"\n'


def with_structure(folder: Path, ref: str) -> Path:
    """The binary product with its columns replaced by ``^STRUCTURE = ref``."""
    label = make_binary(folder)
    text = label.read_text()
    start, stop = text.index("  OBJECT = COLUMN"), text.rindex("END_OBJECT = TABLE")
    label.write_text(text[:start] + "  " + STRUCTURE_OUTSIDE.format(ref=ref) + text[stop:])
    return label


# --------------------------------------------------------------------------- pointers leaving the folder


@pytest.mark.parametrize("ref, words", [
    ("../outside/secret.dat", ["'../outside/secret.dat' leads outside the label's folder; not read"]),
    ("{outside}/secret.dat", ["is an absolute path or empty: a label may only reference files inside its own folder"]),
    ("~/secret.dat", ["names '~/secret.dat', which is not next to the label"]),
    ("in/../../outside/secret.dat", ["leads outside the label's folder; not read"]),
])
def test_table_pointer_outside_the_folder(world, ref, words):
    folder, outside, _out, _opts = world
    ref = ref.format(outside=outside)
    label = binary(folder, '^TABLE = "BIN.DAT"', f'^TABLE = "{ref}"')
    failed(run(label, world), str(label), "object 'TABLE'", f"^TABLE {ref!r}" if "names" not in words[0] else "^TABLE",
           *words)


@pytest.mark.parametrize("name", ["BIN.DAT", "bin.dat"])  # the exact name and a case variant
def test_data_file_that_is_a_link_out_of_the_folder(world, name):
    folder, outside, _out, _opts = world
    label = make_binary(folder)
    (folder / "BIN.DAT").unlink()
    (folder / name).symlink_to(outside / "secret.dat")
    failed(run(label, world), str(label), "object 'TABLE'", "^TABLE 'BIN.DAT' leads outside the label's folder")


def test_link_to_dev_zero_is_not_read(world):
    folder, *_ = world
    label = make_binary(folder)
    (folder / "BIN.DAT").unlink()
    (folder / "BIN.DAT").symlink_to("/dev/zero")
    failed(run(label, world), "^TABLE 'BIN.DAT' leads outside the label's folder (through a symbolic link)")


def test_label_linked_in_from_outside_is_not_read(world):
    folder, outside, _out, _opts = world
    real = make_binary(outside / "lab")  # a whole, valid product outside
    folder.mkdir()
    (folder / "BIN.LBL").symlink_to(real)
    failed(run(folder / "BIN.LBL", world), str(folder / "BIN.LBL"),
           "label 'BIN.LBL' leads outside the label's folder (through a symbolic link); not read")
    # a link to a label inside the folder is read as the label
    make_binary(folder / "real")
    (folder / "LINKED.LBL").symlink_to("real/BIN.LBL")
    assert run(folder / "LINKED.LBL", world).status == "failed"  # (its data is not beside the link)


@pytest.mark.parametrize("special, kind", [("folder", "a folder"), ("fifo", "a FIFO")])
def test_pointer_to_a_folder_or_fifo(world, special, kind):
    folder, *_ = world
    label = make_binary(folder)
    (folder / "BIN.DAT").unlink()
    if special == "folder":
        (folder / "BIN.DAT").mkdir()
    else:
        os.mkfifo(folder / "BIN.DAT")  # opening it would block for ever
    failed(run(label, world), str(label), "object 'TABLE'",
           f"^TABLE names 'BIN.DAT', which is {kind}, not a regular file; not read")


@pytest.mark.parametrize("ref, words", [
    ("../../etc/passwd", ["^STRUCTURE '../../etc/passwd' leads outside the label's folder; not read"]),
    ("/etc/passwd", ["^STRUCTURE '/etc/passwd' is an absolute path"]),
    ("../outside/secret.dat", ["^STRUCTURE '../outside/secret.dat' leads outside"]),
])
def test_structure_include_outside(world, ref, words):
    folder, *_ = world
    label = with_structure(folder, ref)
    failed(run(label, world), str(label), "object 'TABLE'", *words)


def test_structure_include_that_is_a_fifo(world):
    folder, *_ = world
    label = with_structure(folder, "COLS.FMT")
    os.mkfifo(folder / "COLS.FMT")
    failed(run(label, world), "^STRUCTURE names 'COLS.FMT', which is a FIFO, not a regular file; not read")


def test_catalog_pointers_outside_are_never_followed(world):
    """^DATA_SET_MAP_PROJECTION / ^DATA_SET / catalog pointers describe no data: migrate
    does not open them, wherever they point (the audit hook sees no access outside)."""
    folder, outside, _out, _opts = world
    label = binary(folder, "RECORD_TYPE", f'^DATA_SET_MAP_PROJECTION = "../outside/secret.dat"\n'
                                          f'^DATA_SET_CATALOG = "{outside}/secret.dat"\n'
                                          '^INSTRUMENT_CATALOG = "/etc/passwd"\nRECORD_TYPE')
    r = run(label, world)
    assert r.status == "migrated", r.reason
    assert "secret" not in Path(r.pds4_label).read_text()


# --------------------------------------------------------------------------- sizes


@pytest.mark.parametrize("old, new, words", [
    ("ROWS = 5", "ROWS = 1000000000000",
     ["BIN.DAT: object 'TABLE': file is shorter than the label says: object needs bytes 0..50000000000000 but the "
      "file has 250 bytes"]),
    ("  ROW_BYTES = 50", "  ROW_BYTES = 1000000000000", ["object needs bytes 0..5000000000000 but the file has 250"]),
    ("ROWS = 5", "ROWS = 100000000000000000000", ["object 'TABLE': ROWS = 100000000000000000000 is out of range"]),
    ("ROWS = 5", "ROWS = -5", ["object 'TABLE': records -5 is negative"]),
    ("ROWS = 5", "ROWS = 0", ["object 'TABLE': ROWS = 0; a PDS4 table has at least 1 record"]),
    ("  ROW_BYTES = 50", "  ROW_BYTES = 0", ["field 'COUNT' (bytes 1..4) lies beyond the record length 0"]),
    ("ITEMS = 4", "ITEMS = 1000000000000",
     ["object 'TABLE': field 'SPECTRUM' (bytes 25..2000000000024) lies beyond the record length 50"]),
    ("REPETITIONS = 3", "REPETITIONS = 1000000000000",
     ["object 'TABLE': field 'A' (bytes 33..6000000000028) lies beyond the record length 50"]),
    ("START_BYTE = 19", "START_BYTE = 1900", ["field 'NAME' (bytes 1900..1905) lies beyond the record length 50"]),
    ("BYTES = 6\n  END", "BYTES = 0\n  END", ["object 'TABLE': column 'NAME': BYTES is missing"]),
    ('^TABLE = "BIN.DAT"', '^TABLE = ("BIN.DAT", 100000)',
     ["object needs bytes 4999950..5000200 but the file has 250 bytes"]),
    ('^TABLE = "BIN.DAT"', '^TABLE = ("BIN.DAT", 10000000000000 <BYTES>)', ["but the file has 250 bytes"]),
    ('^TABLE = "BIN.DAT"', '^TABLE = ("BIN.DAT", -3)', ["pointer ^TABLE offset -3 is not a positive integer"]),
])
def test_table_sizes_fail_fast(world, old, new, words):
    folder, *_ = world
    label = binary(folder, old, new)
    failed(run(label, world, memory_mb=100), "'TABLE'", *words)


@pytest.mark.parametrize("old, new, words", [
    ("LINES = 3", "LINES = 1000000\n  LINE_SAMPLES = 1000000",
     ["object 'IMAGE': IMG.IMG has 56 bytes; the label places 2000000000000 bytes at offset 32"]),
    ("BANDS = 1", "BANDS = 100000000000", ["the label places 2400000000000 bytes at offset 32"]),
    ("SAMPLE_BITS = 16", "SAMPLE_BITS = 0", ["object 'IMAGE': SAMPLE_BITS = 0 is not 1..64"]),
    ("LINES = 3", "LINES = -3", ["IMAGE: axis 'Line' has -3 elements"]),
])
def test_image_sizes_fail_fast(world, old, new, words):
    folder, *_ = world
    label, _ = make_image(folder)
    if "LINE_SAMPLES = 1000000" in new:
        edit(label, "LINE_SAMPLES = 4", "")
    edit(label, old, new)
    failed(run(label, world, memory_mb=100), *words)


def test_ten_thousand_nested_objects(world):
    folder, *_ = world
    label = make_binary(folder)
    text = label.read_text()
    label.write_text(text[:-4] + "OBJECT = X\n" * 10000 + "END_OBJECT = X\n" * 10000 + "END\n")
    failed(run(label, world), f"{label}:184:1: OBJECT/GROUP blocks nest deeper than 100 levels")


def wide_table(folder: Path, columns: int) -> tuple[Path, np.ndarray]:
    folder.mkdir(parents=True)
    values = np.arange(2 * columns, dtype=np.uint8).reshape(2, columns)
    (folder / "W.DAT").write_bytes(values.tobytes())
    cols = "".join(f"  OBJECT = COLUMN\n    NAME = C{i}\n    DATA_TYPE = MSB_UNSIGNED_INTEGER\n    START_BYTE = {i + 1}\n"
                   "    BYTES = 1\n  END_OBJECT = COLUMN\n" for i in range(columns))
    (folder / "W.LBL").write_text(ident("W_1") + f'RECORD_TYPE = FIXED_LENGTH\nRECORD_BYTES = {columns}\n'
                                  f'FILE_RECORDS = 2\n^TABLE = "W.DAT"\nOBJECT = TABLE\n  INTERCHANGE_FORMAT = BINARY\n'
                                  f'  ROWS = 2\n  ROW_BYTES = {columns}\n  COLUMNS = {columns}\n{cols}'
                                  "END_OBJECT = TABLE\nEND\n")
    return folder / "W.LBL", values


def test_wide_records_skip_only_the_quadratic_pds4_tools_read(world):
    """pds4_tools' table reading takes time quadratic in the fields (~20 s for 2,000, hours
    for 100,000): past `PDS4_TOOLS_MAX_FIELDS` the values are read back through pdsgen's
    PDS4 reading only, with a note; the label still validates and reads back equal."""
    from pdsgen.migrate.run import PDS4_TOOLS_MAX_FIELDS

    folder, _outside, _out, opts = world
    label, values = wide_table(folder, PDS4_TOOLS_MAX_FIELDS + 1)
    r = run(label, world)
    assert r.status == "migrated", r.reason
    assert any(f"a record of {PDS4_TOOLS_MAX_FIELDS + 1:,} fields: the values were not read back through pds4_tools"
               in n for n in r.notes), r.notes
    data = pdsgen.open(r.pds4_label)["TABLE"].data
    assert [int(data[f"C{i}"][1]) for i in (0, 500, PDS4_TOOLS_MAX_FIELDS)] == \
        [int(values[1, i]) for i in (0, 500, PDS4_TOOLS_MAX_FIELDS)]


def test_field_overlap_refuses_unbelievable_counts_without_allocating():
    from pdsgen.data.io import MAX_ELEMENTS, field_overlap
    from pdsgen.model import Field

    a = Field(name="A", data_type="UnsignedByte", location=0, length=1, shape=(10**12,), strides=(1,))
    b = Field(name="B", data_type="UnsignedByte", location=0, length=1)
    tracemalloc.start()
    try:
        found = field_overlap([a, b])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert found == (f"the fields hold {10**12 + 1:,} elements in a record, more than pdsgen checks "
                     f"({MAX_ELEMENTS:,}): the repetition counts are not believable")
    assert peak < 1 << 20


# --------------------------------------------------------------------------- malformed label text


@pytest.mark.parametrize("mangle, outcome", [
    (lambda b: b.replace(b"ROWS = 5", b"ROWS\0 = 5"), "failed:BIN.LBL:17:7:"),
    (lambda b: b.replace(b'PRODUCT_NAME = "Synthetic BIN_0001"', b'PRODUCT_NAME = "Synthetic BIN_0001'),
     "failed:BIN.LBL:5:22:"),  # an unterminated string swallows the next statements
    (lambda b: b.replace(b"RECORD_TYPE", b"/* never closed\nRECORD_TYPE"), "failed:BIN.LBL:11:1:"),
    (lambda b: b.replace(b"COLUMNS = 7", b"COLUMNS = 7\n  <x> = 1"), "failed:BIN.LBL:84:1: Expecting an Aggregation Block"),  # pvl 1.3 loops on it
    (lambda b: b.replace(b"COLUMNS = 7", b"COLUMNS = 7 = 8"), "failed:BIN.LBL:83:1: Expecting an Aggregation Block"),  # so it does on this
    (lambda b: b.replace(b"COLUMNS = 7", b"1COLUMNS = 7\n  CO LUMNS = 7"), "failed:BIN.LBL:84:1: Expecting"),
    (lambda b: b.replace(b"ROWS = 5", b'ROWS = "abc"'), "failed:object 'TABLE': ROWS = 'abc' is not an integer"),
    (lambda b: b.replace(b"ROWS = 5", b"ROWS = 1.5"), "failed:object 'TABLE': ROWS = 1.5 is not an integer"),
    (lambda b: b.replace(b"ROWS = 5", b"ROWS = (1,2)"), "failed:object 'TABLE': ROWS = [1, 2] is not an integer"),
    (lambda b: b.replace(b"START_BYTE = 19", b"START_BYTE = 19.5"),
     "failed:column 'NAME': START_BYTE = 19.5 is not an integer"),
    (lambda b: b.replace(b"DATA_TYPE = CHARACTER", b"DATA_TYPE = (CHARACTER, X)"),
     "failed:column 'NAME': unknown DATA_TYPE ['CHARACTER', 'X']"),
    (lambda b: b.replace(b'^TABLE = "BIN.DAT"', b'^TABLE = ("BIN.DAT", "x", 5)'),
     "failed:pointer ^TABLE offset 'x' is not a positive integer"),
    # lenient by design (docs/pds3.md): read, with the same values
    (lambda b: b.replace(b"Synthetic BIN", b"Synth\xff\xfe\xc3tic BIN"), "migrated"),  # Latin-1, not UTF-8
    (lambda b: b"\xef\xbb\xbf" + b, "migrated"),  # a byte-order mark
    (lambda b: b.replace(b"\n", b"\r"), "migrated"),  # CR-only line ends
    (lambda b: b.rstrip()[:-3], "migrated"),  # no END
    (lambda b: b.replace(b"ROWS = 5", b"ROWS = 5\n  ROWS = 5"), "migrated"),  # a repeated keyword, same value
    (lambda b: b.replace(b"ROWS = 5", b"ROWS = 5\n  ROWS = 7"),
     "failed:object 'TABLE': ROWS is given 2 times with different values (5, 7): which one holds is not known"),
    (lambda b: b.replace(b"START_BYTE = 19", b"START_BYTE = 19\n    START_BYTE = 20"),
     "failed:column 'NAME': START_BYTE is given 2 times with different values (19, 20)"),
], ids=["nul", "unterminated-string", "unterminated-comment", "units-at-statement", "two-equals",
        "not-identifiers", "rows-str", "rows-real", "rows-seq", "start-real", "type-seq", "pointer-seq",
        "latin1", "bom", "cr-only", "no-end", "duplicate-same", "duplicate-rows", "duplicate-start"])
def test_malformed_label_text(world, mangle, outcome):
    folder, *_ = world
    label = make_binary(folder)
    label.write_bytes(mangle(label.read_bytes()))
    r = run(label, world)
    if outcome == "migrated":
        assert r.status == "migrated", r.reason
        assert pdsgen.open(r.pds4_label)["TABLE"].data["COUNT"].tolist() == binary_values()["COUNT"].tolist()
    else:
        failed(r, str(folder), outcome.removeprefix("failed:"))


def test_label_without_end_in_its_first_16_mb_is_refused_unread(tmp_path):
    from pdsgen.pds3.label import read_label

    label = tmp_path / "BIG.LBL"
    with open(label, "wb") as fh:
        fh.write(b"PDS_VERSION_ID = PDS3\r\nNOTE = \"")
        fh.write(b"x" * (17 << 20))  # one 17 MB line
        fh.write(b"\"\r\nEND\r\n")
    with pytest.raises(LabelError) as err:
        read_label(label)
    assert str(err.value) == (f"{label}: no END statement in the first 16 MB: not a PDS3 label pdsgen reads "
                              "(labels are far smaller; an attached label's END comes before its data)")


def test_general_parser_is_not_run_on_big_labels():
    """Labels the fast parser leaves to pvl (~30-50 KB/s) are refused past `PVL_MAX_CHARS`."""
    from pdsgen.pds3.label import PVL_MAX_CHARS, loads

    body = "".join(f"K{i} = {i}\n" for i in range(PVL_MAX_CHARS // 8))
    with pytest.raises(LabelError, match=r"uses a form only the general ODL parser \(pvl\) takes, which is not "
                                         r"run on labels over 512 KB"):
        loads("PDS_VERSION_ID = PDS3\n" + body + "X = 1 = 2\nEND\n")
    assert loads("PDS_VERSION_ID = PDS3\nA = 1\nB = \nEND\n")["A"] == 1  # pvl's recovery still works


# --------------------------------------------------------------------------- XML markup and control characters


def test_markup_and_control_characters_are_escaped_and_the_label_validates(world):
    folder, *_ = world
    label = make_binary(folder)
    edit(label, 'PRODUCT_ID = "BIN_0001"', 'PRODUCT_ID = "A<b>&c]]>d"')
    edit(label, 'PRODUCT_NAME = "Synthetic BIN_0001"', 'PRODUCT_NAME = "a <![CDATA[x]]> & </title> \x01\x07 z"')
    edit(label, 'DESCRIPTION = "Counts, scaled."', 'DESCRIPTION = "<b>&amp;\x1b[31m ]]>"')
    r = run(label, world)
    assert r.status == "migrated", r.reason
    assert r.lid == "urn:nasa:pds:test_bundle:data:a_b_c_d"  # LID rules: the markup is not in it
    tree = etree.parse(r.pds4_label)
    assert tree.findtext(".//p:Identification_Area/p:title", namespaces=NS) == "a <![CDATA[x]]> & </title> \ufffd\ufffd z"
    fields = tree.xpath("//p:Field_Binary[p:name='COUNT']/p:description/text()", namespaces=NS)
    assert fields == ["<b>&amp;\ufffd[31m ]]>"]
    assert "PRODUCT_ID = A<b>&c]]>d" in tree.xpath("string(//p:Reference_List)", namespaces=NS)


def test_xml_chars_keeps_plain_values_and_markup_type():
    import markupsafe

    from pdsgen.render.escape import xml_chars

    plain = "plain text\twith\nline ends"
    assert xml_chars(plain) is plain and xml_chars(5) == 5
    assert xml_chars("a\x00b\ud800c\uffff") == "a\ufffdb\ufffdc\ufffd"
    m = xml_chars(markupsafe.Markup("<x>\x02</x>"))
    assert isinstance(m, markupsafe.Markup) and str(m) == "<x>\ufffd</x>"


# --------------------------------------------------------------------------- the output folder


@pytest.mark.parametrize("name, make, kind", [
    ("BIN.xml", "link", "a symbolic link"), ("BIN.DAT", "link", "a symbolic link"),
    ("BIN.xml", "folder", "a folder"), ("BIN.DAT", "folder", "a folder"),
])
def test_nothing_is_written_through_what_stands_in_out(world, name, make, kind):
    folder, outside, out, _opts = world
    label = make_binary(folder)
    out.mkdir()
    victim = outside / "victim.txt"
    victim.write_text("untouched")
    if make == "link":
        (out / name).symlink_to(victim)
    else:
        (out / name).mkdir()
    r = migrate_product(label, world[3])
    failed(r, f"{out / name} exists and is {kind}, not a file of a migrated product; not replaced")
    assert victim.read_text() == "untouched"
    assert sorted(p.name for p in out.iterdir()) == [name]


def test_out_inside_the_input_folder(world):
    """--out inside the folder migrated: its labels are PDS4 (.xml) and its staging folders
    hidden, so a second run finds the same one PDS3 label and replaces its own files."""
    folder, _outside, _out, opts = world
    label = make_binary(folder)
    out = folder / "pds4"
    from pdsgen.migrate import migrate

    for _ in range(2):
        results = migrate([folder], MigrateOptions(**{**opts.__dict__, "out": out}))
        assert [(r.source, r.status) for r in results] == [(str(label), "migrated")]
    assert sorted(p.name for p in out.iterdir()) == ["BIN.DAT", "BIN.xml"]


# --------------------------------------------------------------------------- --map and --templates


@pytest.mark.parametrize("text, message", [
    ("x = [", "not TOML: "),
    ("[product]\ntitle = 5\n", "[product] title must be a string"),
    ("[product]\nfoo = 'x'\n", "[product] has unknown key 'foo'"),
    ("[x]\n", "unknown section [x]"),
    ("[context]\ninvestigation = 'not a lid <&>'\n",
     "[context] investigation: logical_identifier 'not a lid <&>' must start with one of urn:nasa:pds:"),
    ("[lid]\npattern = '{bundle}:<&>:{product_id}'\n",
     "[lid] pattern '{bundle}:<&>:{product_id}' does not give a LID: logical_identifier 'urn:nasa:pds:b:<&>:p': "
     "component '<&>' may only hold"),
    ("[lid]\npattern = '{bundle.__class__}'\n", "[lid] pattern '{bundle.__class__}': only the fields {bundle}, "
     "{collection}, {product_id}, {data_set_id}, {stem} may be used (no attributes, indexes or formats)"),
    ("[lid]\npattern = '{bundle}:{x}'\n", "[lid] pattern '{bundle}:{x}': only the fields"),
    ("[lid]\npattern = '{bundle:>300}'\n", "[lid] pattern '{bundle:>300}': only the fields"),
    ("[keywords]\nTARGET_NAME = {a = 1}\n", "[keywords] TARGET_NAME must be a string or a number, not {'a': 1}"),
    ("[units]\nKM = 5\n", "[units] 'KM' must be a string, not 5"),
])
def test_map_file_problems_are_unusable_input(tmp_path, text, message):
    path = tmp_path / "map.toml"
    path.write_text(text)
    with pytest.raises(LabelError) as err:
        MigrationMap.load(path)
    assert str(err.value).startswith(f"{path}: {message}"), str(err.value)


def test_map_values_with_markup_are_escaped(world):
    folder, _outside, _out, opts = world
    label = make_binary(folder)
    mapping = MigrationMap(units={"KM/S": "<b>km/s</b>&"}, product={"title": "T <i>&\x01"})
    r = migrate_product(label, MigrateOptions(**{**opts.__dict__, "mapping": mapping}))
    assert r.status == "migrated", r.reason
    tree = etree.parse(r.pds4_label)
    assert tree.findtext(".//p:Identification_Area/p:title", namespaces=NS) == "T <i>&\ufffd"
    assert tree.xpath("//p:Field_Binary[p:name='COUNT']/p:unit/text()", namespaces=NS) == ["<b>km/s</b>&"]


@pytest.mark.parametrize("template, message", [
    ('{% include "/etc/passwd" %}', "template '/etc/passwd' not found (includes and imports are looked up inside "
                                    "the template folders only"),
    ('{% include "../../../etc/passwd" %}', "template '../../../etc/passwd' not found"),
    ("{{ ''.__class__.__mro__ }}", "access to attribute '__class__' of 'str' object is unsafe"),
    ("{{ cycler.__init__.__globals__.os.getcwd() }}", "access to attribute '__init__' of 'type' object is unsafe"),
])
def test_project_templates_render_in_a_sandbox(world, template, message):
    """Decision: templates a team supplies (--templates) are configuration, not code: they
    render in Jinja's sandbox (no attribute starting with ``_``, no unsafe callable) and
    reach files only through the loader (no absolute path, no ``..``). pdsgen's own
    templates render unsandboxed."""
    folder, _outside, _out, opts = world
    tdir = folder.parent / "templates" / "pds4" / "migrate"
    tdir.mkdir(parents=True)
    (tdir / "Product_Observational.xml.j2").write_text(template)
    label = make_binary(folder)
    r = migrate_product(label, MigrateOptions(**{**opts.__dict__, "templates_dir": str(tdir.parent.parent)}))
    failed(r, str(tdir / "Product_Observational.xml.j2"), "line 1: ", message)
    assert "root:" not in r.reason


def test_sandboxed_templates_keep_ordinary_template_code(tmp_path):
    from pdsgen.render.env import LabelEnvironment

    (tmp_path / "t.xml.j2").write_text("{% set ns = namespace(n=0) %}{% for k, v in d.items() %}{% set ns.n = ns.n + 1 %}"
                                       "{{ k }}={{ v|upper }};{% endfor %}{{ ns.n }} {{ '%s-%d'|format('x', 3) }} "
                                       "{{ d.get('a') }} {{ [3, 1]|sort|join(',') }}")
    env = LabelEnvironment(tmp_path)
    assert env.render("t.xml.j2", {"d": {"a": "x<", "b": "y"}}) == "a=X&lt;;b=Y;2 x-3 x&lt; 1,3"


# --------------------------------------------------------------------------- through the CLI


def cli(args: list[str], tmp_path: Path, timeout: int = 240) -> subprocess.CompletedProcess:
    env = {**os.environ, "PDSGEN_LOG_DIR": str(tmp_path / "logs")}
    return subprocess.run([sys.executable, "-m", "pdsgen", "migrate", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env=env)


def common(tmp_path: Path) -> list[str]:
    ctx = tmp_path / "context.json"
    ctx.write_text(json.dumps(CONTEXT))
    return ["--bundle-lid", "urn:nasa:pds:test_bundle", "--context-products", ctx, "--creation-time", CT,
            *(["-C", CATALOG_ARG] if CATALOG_ARG else [])]


def no_traceback(res: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in res.stderr and "Traceback" not in res.stdout, res.stderr[-3000:]
    assert "internal error" not in res.stderr, res.stderr


def test_cli_failed_products_exit_1_without_traceback_or_leftovers(tmp_path):
    """Hostile products in one run (the ones that hung or crashed before: pvl's endless
    loop, ITEMS = 10**12, a FIFO, a label without END in 16 MB), next to a good one: each
    fails on its own line, the good one migrates, exit 1, nothing else in --out."""
    inp = tmp_path / "in"
    good = make_binary(inp / "good", pid="GOOD_1", stem="GOOD")
    loop = make_binary(inp / "loop", pid="LOOP_1", stem="LOOP")
    edit(loop, "COLUMNS = 7", "COLUMNS = 7\n  <x> = 1")
    items = make_binary(inp / "items", pid="ITEMS_1", stem="ITEMS")
    edit(items, "ITEMS = 4", "ITEMS = 1000000000000")
    fifo = make_binary(inp / "fifo", pid="FIFO_1", stem="FIFO")
    (inp / "fifo" / "FIFO.DAT").unlink()
    os.mkfifo(inp / "fifo" / "FIFO.DAT")
    big = inp / "big" / "BIG.LBL"
    big.parent.mkdir()
    with open(big, "wb") as fh:
        fh.write(b"PDS_VERSION_ID = PDS3\r\n" + b"/* " + b"x" * (17 << 20) + b" */\r\nEND\r\n")
    out = tmp_path / "out"
    res = cli([inp, "--out", out, *common(tmp_path), "--jobs", "2"], tmp_path)
    no_traceback(res)
    assert res.returncode == 1, res.stdout + res.stderr
    lines = {line.split()[1].rstrip(":"): line for line in res.stdout.splitlines() if line.startswith(("FAILED",
                                                                                                       "MIGRATED"))}
    assert lines[str(good)].startswith("MIGRATED")
    assert "no END statement in the first 16 MB" in lines[str(big)]
    assert "Expecting an Aggregation Block" in lines[str(loop)]
    assert "field 'SPECTRUM' (bytes 25..2000000000024) lies beyond the record length 50" in lines[str(items)]
    assert "which is a FIFO, not a regular file" in lines[str(fifo)]
    assert sorted(p.name for p in out.iterdir()) == ["GOOD.DAT", "GOOD.xml"]
    assert "4 failed" in res.stderr


@pytest.mark.parametrize("case", ["map", "templates", "out"])
def test_cli_unusable_input_exits_2_with_one_line(tmp_path, case):
    label = make_binary(tmp_path / "in")
    out = tmp_path / "out"
    extra: list = []
    if case == "map":
        (tmp_path / "m.toml").write_text("[lid]\npattern = '{bundle.__class__}'\n")
        extra = ["--map", tmp_path / "m.toml"]
        words = [str(tmp_path / "m.toml"), "[lid] pattern"]
    elif case == "templates":
        tdir = tmp_path / "t" / "pds4" / "migrate"
        tdir.mkdir(parents=True)
        (tdir / "Product_Observational.xml.j2").write_text("{% if %}")
        extra = ["--templates", tmp_path / "t"]
        words = [str(tdir / "Product_Observational.xml.j2"), "line 1"]
    else:
        (tmp_path / "file").write_text("x")
        out = tmp_path / "file" / "sub"
        words = [str(out), "cannot write in --out: Not a directory"]
    res = cli([label, "--out", out, *common(tmp_path), *extra], tmp_path)
    no_traceback(res)
    assert res.returncode == 2, res.stdout + res.stderr
    errors = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("error: "), res.stderr
    for w in words:
        assert w in errors[0], (w, errors[0])
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_pds3_strings_refuse_control_characters():
    """(PDS3 labels pdsgen writes: a control character is refused, as non-ASCII is, rather
    than turned into U+FFFD, which PDS3 text cannot hold either.)"""
    from pdsgen.render.escape import pds3_string

    assert pds3_string("plain\ttext") == '"plain\ttext"'
    with pytest.raises(LabelError, match=r"PDS3 value 'a\\x01b' contains control characters"):
        pds3_string("a\x01b")


def test_structure_label_folder_search_stops_at_the_volume_root(tmp_path):
    """^STRUCTURE files are looked up in LABEL folders up the tree (the PDS3 volume rule),
    but not above the volume's root (the folder holding VOLDESC.CAT) nor more than 8
    levels (PDS3's deepest volume) above the label."""
    from pdsgen.pds3.pointers import find_format_file

    (tmp_path / "LABEL").mkdir()
    (tmp_path / "LABEL" / "COLS.FMT").write_text("above the volume")
    volume = tmp_path / "VOL"
    deep = volume / "DATA" / "A"
    deep.mkdir(parents=True)
    label = deep / "X.LBL"
    label.write_text("")
    assert find_format_file(label, "COLS.FMT") == tmp_path / "LABEL" / "COLS.FMT"  # no volume root: found above
    (volume / "VOLDESC.CAT").write_text("")
    _listing_cache_clear()
    assert find_format_file(label, "COLS.FMT") is None
    (volume / "LABEL").mkdir()
    (volume / "LABEL" / "COLS.FMT").write_text("the volume's")
    _listing_cache_clear()
    assert find_format_file(label, "COLS.FMT") == volume / "LABEL" / "COLS.FMT"
    nine = tmp_path / "n" / "1" / "2" / "3" / "4" / "5" / "6" / "7" / "8" / "9"
    nine.mkdir(parents=True)
    (tmp_path / "n" / "LABEL").mkdir()
    (tmp_path / "n" / "LABEL" / "COLS.FMT").write_text("")
    (nine / "X.LBL").write_text("")
    assert find_format_file(nine / "X.LBL", "COLS.FMT") is None  # 10 levels up: not looked at


def _listing_cache_clear() -> None:
    from pdsgen.pds3 import pointers

    pointers._listing.cache_clear()
