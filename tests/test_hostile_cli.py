"""Hostile and broken input through the CLI (issue 11, "One line, right exit code").

Each case is built in ``tmp_path`` and checked against the README's error contract:
unusable input → exit 2 and one ``error:`` line naming the file, the object and the
problem; findings / unreadable objects / failed products → exit 1; a bug → exit 3 with one
line naming a log file. Never a traceback, never "Exception ignored".
"""

from __future__ import annotations

import os
import sqlite3
import struct
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from test_data_readers import (
    field_binary,
    field_character,
    field_delimited,
    table_binary,
    table_character,
    table_delimited,
    write_product,
)

from pdsgen.cli import main


def cli(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env, prog_name="pdsgen")


def no_traceback(result) -> None:
    assert "Traceback" not in result.output and "Exception ignored" not in result.output, result.output


def one_error_line(result, *words: str) -> str:
    """The result's standard error is exactly one ``error:`` line holding ``words``."""
    no_traceback(result)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


# --- PDS3 builders ----------------------------------------------------------------------

PDS3_TABLE = """PDS_VERSION_ID = PDS3
RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 12
FILE_RECORDS = 2
^TABLE = "T.TAB"
OBJECT = TABLE
  INTERCHANGE_FORMAT = ASCII
  ROW_BYTES = 12
  ROWS = {rows}
  COLUMNS = {columns}
  OBJECT = COLUMN
    NAME = A
    DATA_TYPE = {data_type}
    START_BYTE = 1
    BYTES = {a_bytes}
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = B
    DATA_TYPE = ASCII_REAL
    START_BYTE = {b_start}
    BYTES = 5
  END_OBJECT = COLUMN
END_OBJECT = TABLE
END
"""
# two 12-byte records: A in bytes 1-4, B in bytes 6-10, CR LF
PDS3_ROWS = b"   1  2.5 \r\n   2 1000 \r\n"


def pds3_table(folder: Path, *, rows=2, columns=2, data_type="ASCII_INTEGER", a_bytes=4, b_start=6,
               data: bytes = PDS3_ROWS) -> Path:
    label = folder / "T.LBL"
    label.write_text(PDS3_TABLE.format(rows=rows, columns=columns, data_type=data_type, a_bytes=a_bytes,
                                       b_start=b_start))
    (folder / "T.TAB").write_bytes(data)
    return label


PDS3_SPREADSHEET = """PDS_VERSION_ID = PDS3
RECORD_TYPE = STREAM
^SPREADSHEET = "S.CSV"
OBJECT = SPREADSHEET
  ROWS = 2
  ROW_BYTES = 20
  FIELDS = {fields}
  FIELD_DELIMITER = "COMMA"
  OBJECT = FIELD
    NAME = "A"
    FIELD_NUMBER = 1
    BYTES = 10
    DATA_TYPE = "CHARACTER"
  END_OBJECT = FIELD
  OBJECT = FIELD
    NAME = "B"
    FIELD_NUMBER = 2
    BYTES = 8
    DATA_TYPE = "ASCII_REAL"
  END_OBJECT = FIELD
END_OBJECT = SPREADSHEET
END
"""


def spreadsheet(folder: Path, data: bytes, fields: int = 2) -> Path:
    label = folder / "S.LBL"
    label.write_text(PDS3_SPREADSHEET.format(fields=fields))
    (folder / "S.CSV").write_bytes(data)
    return label


def binary_product(folder: Path, extra: str = "", length: int = 4, records: int = 1, offset: int = 0,
                   data_type: str = "SignedMSB4") -> Path:
    body = table_binary(records, 4, field_binary("V", data_type, 1, length, extra), offset=offset)
    return write_product(folder, body, struct.pack(">i", 7))


# --- inspect's rule -----------------------------------------------------------------------

BROKEN_OBJECTS = {
    "unknown data type": (lambda d: binary_product(d, data_type="SignedMSB3"), "unknown data type 'SignedMSB3'"),
    "zero field_length": (lambda d: write_product(d, table_character(1, 4, field_character("V", "ASCII_Integer", 1, 0)),
                                                  b"  1\n"), "field length 0"),
    "NaN scaling_factor": (lambda d: binary_product(d, "<scaling_factor>NaN</scaling_factor>"),
                           "scaling_factor nan is not a finite number"),
    "negative records": (lambda d: binary_product(d, records=-5), "records -5 is negative"),
    "negative offset": (lambda d: binary_product(d, offset=-10), "offset -10 is negative"),
    "wrong <fields> count": (
        lambda d: write_product(d, table_binary(1, 4, field_binary("V", "SignedMSB4", 1, 4)).replace(
            "<fields>1</fields>", "<fields>3</fields>"), b"\0\0\0\7"),
        "says <fields>3</fields> but has 1 Field_*"),
    "PDS3 overlapping columns": (lambda d: pds3_table(d, b_start=3), "field 'B' (bytes 3..7) overlaps field 'A'"),
    "PDS3 unknown DATA_TYPE": (lambda d: pds3_table(d, data_type="FOO_TYPE"), "unknown DATA_TYPE 'FOO_TYPE'"),
    "PDS3 ROWS = -1": (lambda d: pds3_table(d, rows=-1), "records -1 is negative"),
    "PDS3 negative BYTES": (lambda d: pds3_table(d, a_bytes=-4), "field length -4"),
}


@pytest.mark.parametrize("case", sorted(BROKEN_OBJECTS))
def test_inspect_object_that_cannot_be_read_exits_1_and_export_2(tmp_path, case):
    build, problem = BROKEN_OBJECTS[case]
    label = build(tmp_path)
    result = cli("inspect", label)
    assert result.exit_code == 1, result.output
    line = one_error_line(result, problem, "object ")
    assert str(tmp_path) in line  # the file
    # keep-going: the whole product is still described on standard output
    assert "identifier" in result.stdout and problem.split()[0] in result.stdout
    out = tmp_path / "out.csv"
    result = cli("export", label, "--to", "csv", out)
    assert result.exit_code == 2
    one_error_line(result, problem, str(tmp_path))
    assert not out.exists() and not list(tmp_path.glob(".out.csv*"))


def test_inspect_json_keeps_going_and_exits_1(tmp_path):
    import json

    good = field_binary("A", "SignedMSB4", 1, 4)
    body = (table_binary(1, 4, good)
            + table_binary(1, 4, field_binary("V", "SignedMSB3", 1, 4)).replace("<offset unit='byte'>0", "<offset unit='byte'>0"))
    label = write_product(tmp_path, body, struct.pack(">i", 7))
    result = cli("inspect", label, "--json")
    assert result.exit_code == 1
    info = json.loads(result.stdout)
    first, second = info["objects"]
    assert first["rows"] == [[7]] and "error" not in first
    assert "unknown data type 'SignedMSB3'" in second["error"]
    one_error_line(result, "Table_Binary_2", "SignedMSB3")


def test_inspect_good_product_exits_0(tmp_path):
    result = cli("inspect", pds3_table(tmp_path))
    assert result.exit_code == 0 and result.stderr == ""
    assert "1000" in result.stdout


@pytest.mark.parametrize("text", ["", "   \n\n", "/* only a comment */\n"])
def test_empty_pds3_label_is_unusable(tmp_path, text):
    label = tmp_path / "e.lbl"
    label.write_text(text)
    for args in (["inspect", label], ["export", label, "--to", "csv", tmp_path / "o.csv"]):
        result = cli(*args)
        assert result.exit_code == 2
        one_error_line(result, str(label))


def test_label_path_that_is_a_folder_is_one_usage_line(tmp_path):
    folder = tmp_path / "x.lbl"
    folder.mkdir()
    for args in (["inspect", folder], ["export", folder, "--to", "csv", tmp_path / "o.csv"]):
        result = cli(*args)
        assert result.exit_code == 2
        one_error_line(result, "is a directory", f"pdsgen {args[0]}", "--help")
    result = cli("export", pds3_table(tmp_path), tmp_path / "o.out")  # no --to, and a suffix that names no format
    assert result.exit_code == 2
    one_error_line(result, "--to")


def test_unreadable_label_is_one_line(tmp_path, monkeypatch):
    label = pds3_table(tmp_path)
    if os.geteuid() != 0:
        label.chmod(0)
    else:  # root reads anything: the OS refusal is simulated at the same call
        real_open = Path.open

        def refuse(self, *args, **kwargs):
            if self == label:
                raise PermissionError(13, "Permission denied", str(self))
            return real_open(self, *args, **kwargs)

        monkeypatch.setattr(Path, "open", refuse)
    result = cli("inspect", label)
    assert result.exit_code == 2
    one_error_line(result, str(label), "Permission denied")


def test_symlink_loop_is_one_line(tmp_path):
    a, b = tmp_path / "a.lbl", tmp_path / "b.lbl"
    a.symlink_to(b)
    b.symlink_to(a)
    for args in (["inspect", a], ["export", a, "--to", "csv", tmp_path / "o.csv"]):
        result = cli(*args)
        assert result.exit_code == 2
        one_error_line(result, str(a))
    result = cli("validate", a, "--offline", "--no-context", "-j", "1")
    no_traceback(result)
    assert result.exit_code == 1 and "error.label" in result.output
    result = cli("archive", "index", tmp_path, "-q")
    no_traceback(result)
    assert result.exit_code == 1 and "2 unreadable" in result.stdout
    assert "symbolic links" in result.stderr


def test_thousands_of_nested_objects_is_a_label_error(tmp_path):
    label = tmp_path / "n.lbl"
    label.write_text("PDS_VERSION_ID = PDS3\n" + "OBJECT = X\n" * 5000 + "END_OBJECT = X\n" * 5000 + "END\n")
    result = cli("inspect", label)
    assert result.exit_code == 2
    one_error_line(result, f"{label}:102:1", "nest deeper than 100 levels")
    result = cli("validate", label, "--offline", "--no-context", "-j", "1")
    no_traceback(result)
    assert result.exit_code == 1 and "nest deeper" in result.output and "internal_error" not in result.output


# --- resolve ------------------------------------------------------------------------------

def test_resolve_unreadable_data_is_unusable_input(tmp_path):
    label = spreadsheet(tmp_path, b'"caf\xe9",1.5\r\n"d\xff",2.5\r\n')
    result = cli("resolve", "CPHA:dp:B", "--dp", label, "--sensor", "S.LBL=CPHA")
    # resolution reads strictly (issue 12): text that is not ASCII is kept when reading
    # leniently, but a resolved value never comes from a product with recovered values
    assert result.exit_code == 2
    one_error_line(result, "S.CSV", "object 'SPREADSHEET'", "not 7-bit ASCII")
    good = tmp_path / "g"
    good.mkdir()
    result = cli("resolve", "CPHA:dp:B", "--dp", spreadsheet(good, b'"abc",1.5\r\n"def",2.5\r\n'),
                 "--sensor", "S.LBL=CPHA")
    assert result.exit_code == 0 and result.stdout.split() == ["1.5", "2.5"]


def test_shorthand_syntax_error_is_one_line(tmp_path):
    cal = tmp_path / "cal.csv"
    cal.write_text("sep_distance(cm)\n10\n")
    result = cli("resolve", "CPHA:cdf:sep_distance(cm", "--cdp", cal)
    assert result.exit_code == 2
    one_error_line(result, "unclosed '('", "at character", "'CPHA:cdf:sep_distance(cm'")


# --- pyarrow's "Exception ignored" ------------------------------------------------------------

@pytest.mark.parametrize("data", [b'"abc",1.5\r\n"d\xff\xfe"\r\n', b'"abc",1.5\r\n"d\xff",1,2,\xff\r\n'])
def test_non_utf8_short_or_long_rows_never_print_arrow_tracebacks(tmp_path, data):
    label = spreadsheet(tmp_path, data)
    result = cli("inspect", label)
    assert result.exit_code == 1
    one_error_line(result, "object 'SPREADSHEET'", "Expected 2 columns")
    result = cli("export", label, "--to", "csv", tmp_path / "o.csv")
    assert result.exit_code == 2
    one_error_line(result, "object 'SPREADSHEET'")
    result = cli("validate", label, "--offline", "--no-context", "-j", "1")
    no_traceback(result)
    assert result.exit_code == 1 and "error.table.bad_file_read" in result.output


def test_non_utf8_pds4_delimited_rows(tmp_path):
    body = table_delimited(2, "Comma", field_delimited("I", "ASCII_Integer") + field_delimited("S", "ASCII_String"))
    label = write_product(tmp_path, body, "1,caf\xe9,\xff\r\n2\r\n".encode("latin-1"))
    result = cli("validate", label, "--offline", "--no-context", "-j", "1")
    no_traceback(result)
    result = cli("inspect", label)
    assert result.exit_code == 1
    one_error_line(result, "Table_Delimited_1")


# --- validate: read problems are findings, PDS3 mistakes fail ---------------------------------

def _validate(label, *extra):
    result = cli("validate", label, "--offline", "--no-context", "-j", "1", *extra)
    no_traceback(result)
    assert "internal_error" not in result.output, result.output
    return result


def test_validate_unreadable_data_file_is_a_finding(tmp_path, monkeypatch):
    label = write_product(tmp_path, table_character(2, 4, field_character("V", "ASCII_Integer", 1, 2)),
                          b" 1\r\n 2\r\n")
    data = tmp_path / "p.dat"
    if os.geteuid() != 0:
        data.chmod(0)
    else:
        def refuse(*args, **kwargs):
            raise PermissionError(13, "Permission denied", str(data))

        from pdsgen.validate import columns

        monkeypatch.setattr(np, "fromfile", refuse)
        monkeypatch.setattr(np, "memmap", refuse)
        monkeypatch.setattr(columns, "read_block", refuse)  # (small tables are read with it)
    result = _validate(label)
    assert result.exit_code == 1
    assert "error.table.bad_file_read" in result.output and "Permission denied" in result.output


@pytest.mark.parametrize("kwargs, message", [
    ({"offset": -10}, "offset -10 is negative"),
    ({"records": -5}, "records -5 is negative"),
])
def test_validate_negative_offsets_and_counts_are_findings(tmp_path, kwargs, message):
    result = _validate(binary_product(tmp_path, **kwargs))
    assert result.exit_code == 1
    assert "error.label.table_definition_problem" in result.output and message in result.output


@pytest.mark.parametrize("kwargs, data, kind, message", [
    ({"rows": -1}, PDS3_ROWS, "error.label.table_definition_problem", "ROWS = -1"),
    ({"a_bytes": -4}, PDS3_ROWS, "error.label.table_definition_problem", "BYTES = -4"),
    ({"data_type": "FOO_TYPE"}, PDS3_ROWS, "error.label.invalid_object_definition", "unknown DATA_TYPE 'FOO_TYPE'"),
    ({"columns": 5}, PDS3_ROWS, "error.label.table_definition_problem", "COLUMNS = 5 but the object holds 2"),
    ({}, b"   1 1e999\r\n   2 1000 \r\n", "error.table.field_value_data_type_mismatch",
     "'1e999' is outside the range of an ASCII_Real"),
])
def test_validate_fails_wrong_pds3_tables(tmp_path, kwargs, data, kind, message):
    assert _validate(pds3_table(tmp_path)).exit_code == 0  # the same table, right, passes
    bad = tmp_path / "bad"
    bad.mkdir()
    result = _validate(pds3_table(bad, data=data, **kwargs))
    assert result.exit_code == 1
    assert kind in result.output and message in result.output


def test_validate_fails_absurd_label_values(tmp_path):
    label = pds3_table(tmp_path)
    text = label.read_text().replace("RECORD_TYPE", "START_TIME = 12345678901234567890-01-01T00:00:00\n"
                                                    "MAXIMUM = 1e999999\nRECORD_TYPE")
    label.write_text(text)
    result = _validate(label)
    assert result.exit_code == 1
    assert "a year has four digits" in result.output and "out of range" in result.output


@pytest.mark.parametrize("data, ok", [(b'"abc",1.5\r\n"def",2.5\r\n', True), (b'"abc",1.5\r\n"def",2.5\r', False),
                                      (b'"abc",1.5\r\n"def",2.5', False)])
def test_validate_spreadsheet_missing_its_last_bytes(tmp_path, data, ok):
    result = _validate(spreadsheet(tmp_path, data))
    assert result.exit_code == (0 if ok else 1)
    assert ("error.table.missing_CRLF" in result.output) != ok


def test_validate_spreadsheet_fields_count(tmp_path):
    result = _validate(spreadsheet(tmp_path, b'"abc",1.5\r\n"def",2.5\r\n', fields=3))
    assert result.exit_code == 1 and "FIELDS = 3 but the object holds 2 FIELD" in result.output


# --- writing: report and index on a full disk --------------------------------------------------

def test_report_on_a_full_disk_names_the_report(tmp_path):
    label = pds3_table(tmp_path)
    if Path("/dev/full").exists():
        result = cli("validate", label, "--offline", "--no-context", "-j", "1", "--report", "/dev/full")
        assert result.exit_code == 2
        one_error_line(result, "/dev/full", "cannot write the report", "No space left")
        assert Path("/dev/full").is_char_device()  # written in place, never replaced
    missing = tmp_path / "nope" / "r.txt"
    result = cli("validate", label, "--offline", "--no-context", "-j", "1", "--report", missing)
    assert result.exit_code == 2
    one_error_line(result, str(missing), "cannot write the report")


def test_report_write_failure_leaves_no_partial_file(tmp_path, monkeypatch):
    import errno

    label = pds3_table(tmp_path)
    dest = tmp_path / "r.json"

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    result = cli("validate", label, "--offline", "--no-context", "-j", "1", "--format", "json", "--report", dest)
    assert result.exit_code == 2
    one_error_line(result, str(dest), "No space left")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["T.LBL", "T.TAB"]


def test_archive_index_on_a_full_disk_stays_consistent(tmp_path, monkeypatch):
    from pdsgen.archive.index import SQLiteIndex

    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    pds3_table(root / "a")
    assert cli("archive", "index", root, "-q").exit_code == 0
    db = root / ".pdsgen" / "archive.sqlite"
    with sqlite3.connect(db) as conn:
        before = conn.execute("SELECT label_path FROM products").fetchall()
    for n in range(30):  # new products whose rows need new pages
        (root / f"b{n}").mkdir()
        pds3_table(root / f"b{n}")
    connect = SQLiteIndex.connect

    def full_disk(self):  # SQLite's own SQLITE_FULL: no page beyond those the file has now
        conn = connect(self)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")
        return conn

    monkeypatch.setattr(SQLiteIndex, "connect", full_disk)
    result = cli("archive", "index", root, "-q")
    assert result.exit_code == 2
    one_error_line(result, str(db), "database or disk is full", "rolled back")
    monkeypatch.undo()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT label_path FROM products").fetchall() == before
    result = cli("archive", "index", root, "-q")  # space again: the rest is indexed
    assert result.exit_code == 0 and "31 products indexed: 30 added" in result.stdout


# --- run: staging leftovers of a killed run ------------------------------------------------------

def test_next_run_removes_a_killed_runs_staging_folders(tmp_path):
    import socket
    import subprocess
    import sys

    from pdsgen.instruments.chems import demo as chems
    from pdsgen.recipes.run import STAGING_PREFIX, staging_name

    raw = tmp_path / "raw"
    raw.mkdir()
    cal = chems.write_calibration(raw)
    pha = chems.write_pha(raw, 2004, 183, 10, np.random.default_rng(1))
    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    host = staging_name()[len(STAGING_PREFIX):].rsplit("-", 2)[0]
    assert host and socket.gethostname()
    killed = out / f"{STAGING_PREFIX}{host}-{dead}-0123456789ab"  # a killed run's, with a partial product
    (killed / "cpha0").mkdir(parents=True)
    (killed / "cpha0" / "half.dat").write_bytes(b"\0" * 10)
    old_style = out / f"{STAGING_PREFIX}0123456789ab"  # empty, from before pids were in the name
    (old_style / "sub").mkdir(parents=True)
    live = out / f"{STAGING_PREFIX}{host}-{os.getpid()}-0123456789ab"  # this process: alive
    (live / "x").mkdir(parents=True)
    (live / "x" / "f").write_bytes(b"1")
    result = cli("run", "chems-pha", pha, "--cal", cal, "--out", out, "-q")
    assert result.exit_code == 0, result.output
    left = sorted(p.name for p in out.iterdir() if p.name.startswith(STAGING_PREFIX))
    assert left == [live.name]
    assert list(out.glob("*.xml"))


# --- the CLI's own error mapping (issue 17 item 6) ----------------------------------------------

def test_a_bug_is_one_internal_error_line_with_a_log(tmp_path, monkeypatch):
    import pdsgen.cli.inspect as inspect_module

    def broken(product, rows):
        return {}["no such key"]  # a KeyError: a bug, not bad input

    monkeypatch.setattr(inspect_module, "summary", broken)
    logs = tmp_path / "logs"
    result = cli("inspect", pds3_table(tmp_path), env={"PDSGEN_LOG_DIR": str(logs)})
    assert result.exit_code == 3
    line = one_error_line(result, "internal error, please report", "KeyError", "details in")
    (log,) = logs.iterdir()
    assert str(log) in line
    text = log.read_text()
    assert "Traceback" in text and "KeyError: 'no such key'" in text and "inspect" in text


def test_os_errors_are_no_longer_hidden_as_bad_input(tmp_path, monkeypatch):
    """An OSError that escapes pdsgen's I/O edges is a bug (exit 3), not exit 2."""
    import pdsgen.cli.inspect as inspect_module

    def broken(product, rows):
        raise OSError("something pdsgen did not convert")

    monkeypatch.setattr(inspect_module, "summary", broken)
    result = cli("inspect", pds3_table(tmp_path), env={"PDSGEN_LOG_DIR": str(tmp_path / "logs")})
    assert result.exit_code == 3
    one_error_line(result, "internal error, please report", "OSError")


def test_internal_error_in_a_real_process(tmp_path):
    """The whole chain in a separate interpreter: exit 3, one line, a log, no traceback."""
    import subprocess
    import sys

    script = ("import sys, pdsgen.cli.inspect as m\n"
              "m.summary = lambda p, r: 1 / 0\n"
              "from pdsgen.cli import main\n"
              "sys.argv = ['pdsgen', 'inspect', sys.argv[1]]\n"
              "main()\n")
    env = {**os.environ, "PDSGEN_LOG_DIR": str(tmp_path / "logs")}
    proc = subprocess.run([sys.executable, "-c", script, str(pds3_table(tmp_path))], capture_output=True,
                          text=True, env=env)
    assert proc.returncode == 3
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1
    assert "ZeroDivisionError" in proc.stderr
    assert "ZeroDivisionError" in next((tmp_path / "logs").iterdir()).read_text()


def test_outputs_that_cannot_be_written_are_one_line(tmp_path):
    from pdsgen.cli.app import OutputError, write_output

    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder is needed")
    result = cli("demo", "--out", blocker / "out")
    assert result.exit_code == 2
    one_error_line(result, str(blocker / "out"), "cannot create the output folder")
    result = cli("export", pds3_table(tmp_path), blocker / "o.csv", "--to", "csv")
    assert result.exit_code == 2
    one_error_line(result, str(blocker / "o.csv"), "cannot write the export")
    with pytest.raises(OutputError, match="cannot write the recipe") as info:
        write_output(blocker / "r.toml", "x", "the recipe")
    assert info.value.exit_code == 2 and info.value.path == str(blocker / "r.toml")
    write_output(tmp_path / "r.toml", "name = 'x'\n", "the recipe")
    assert (tmp_path / "r.toml").read_text() == "name = 'x'\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["T.LBL", "T.TAB", "file", "r.toml"]


def test_inspect_short_table_cites_the_labels_record_count(tmp_path):
    """The preview reads 5 records; a file with fewer is reported against the label's count."""
    body = table_delimited(10, "Comma", field_delimited("I", "ASCII_Integer"))
    label = write_product(tmp_path, body, b"1\r\n2\r\n")
    result = cli("inspect", label)
    assert result.exit_code == 1
    one_error_line(result, "file has 2 records, the label says 10")
