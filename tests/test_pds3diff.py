"""Differential audit of pdsgen's PDS3 data reading against pdr (MillionConcepts/pdr), an
independent PDS3 reader, object by object and field by field.

Every product is written by the test: the label from the object definitions of the PDS3
Standards Reference (appendix A: TABLE, CONTAINER, COLUMN, BIT_COLUMN, SPREADSHEET, FIELD,
IMAGE, QUBE/SPECTRAL_QUBE, ARRAY, COLLECTION, ELEMENT, HISTOGRAM; chapter 3 / appendix C:
data types; chapter 14: pointers), the bytes from numpy arrays or text the test holds. The
expected values are those arrays — never what either reader gives — so a case decides who
is right by the standard, not by majority. pdsgen must equal them in every case; pdr must
equal them where the case says ``pdr="same"``; elsewhere the case names pdr's own
limitation (a refusal or a known quirk), and pdr is not asserted.

Disagreements found (docs/pds3.md, "Differential audit against pdr"): per-band
SCALING_FACTOR / OFFSET lists were ignored by pdsgen (physical = stored: wrong numbers;
pdr right); BIT_DATA_TYPE spellings SUN_/MAC_/PC_/VAX_INTEGER were read unsigned (pdr gives
bit text only; fixed by the standard); ASCII BOOLEAN written ``T``/``F`` (pdsgen masks with
a warning, pdr keeps the text; the standard defines BOOLEAN only as binary). Every other
disagreement (23 cases) is pdr's.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import pdsgen

pdr = pytest.importorskip("pdr")

HEAD = 'PDS_VERSION_ID = PDS3\nPRODUCT_ID = "DIFF"\n'


# --------------------------------------------------------------------------- label pieces
def col(name: str, data_type: str, start: int, nbytes: int, extra: str = "") -> str:
    return (f"  OBJECT = COLUMN\n    NAME = {name}\n    DATA_TYPE = {data_type}\n    START_BYTE = {start}\n"
            f"    BYTES = {nbytes}\n{extra}  END_OBJECT = COLUMN\n")


def bit_col(name: str, bit_type: str, start_bit: int, bits: int, extra: str = "") -> str:
    return (f"    OBJECT = BIT_COLUMN\n      NAME = {name}\n      BIT_DATA_TYPE = {bit_type}\n"
            f"      START_BIT = {start_bit}\n      BITS = {bits}\n{extra}    END_OBJECT = BIT_COLUMN\n")


def container(name: str, start: int, nbytes: int, reps: int, body: str) -> str:
    return (f"  OBJECT = CONTAINER\n    NAME = {name}\n    START_BYTE = {start}\n    BYTES = {nbytes}\n"
            f"    REPETITIONS = {reps}\n{body}  END_OBJECT = CONTAINER\n")


def table(body: str, rows: int, row_bytes: int, *, fmt: str = "BINARY", extra: str = "",
          record_bytes: int | None = None, pointer: str = '"T.DAT"', records: str | None = None) -> str:
    head = records or f"RECORD_TYPE = FIXED_LENGTH\nRECORD_BYTES = {record_bytes or row_bytes}\nFILE_RECORDS = {rows}\n"
    return (HEAD + head + f"^TABLE = {pointer}\nOBJECT = TABLE\n  INTERCHANGE_FORMAT = {fmt}\n  ROWS = {rows}\n"
            f"  ROW_BYTES = {row_bytes}\n{extra}{body}END_OBJECT = TABLE\nEND\n")


def image(keys: dict[str, Any], *, pointer: str = '"I.IMG"', record_bytes: int = 1, head: str = "") -> str:
    body = "".join(f"  {k} = {v}\n" for k, v in keys.items())
    return (HEAD + f"RECORD_TYPE = FIXED_LENGTH\nRECORD_BYTES = {record_bytes}\n{head}^IMAGE = {pointer}\n"
            f"OBJECT = IMAGE\n{body}END_OBJECT = IMAGE\nEND\n")


def obj_label(name: str, body: str) -> str:
    return HEAD + f'RECORD_TYPE = FIXED_LENGTH\nRECORD_BYTES = 1\n^{name} = "Q.DAT"\n{body}END\n'


def ascii_records(specs: list[tuple[str, str, str]], rows: list[list[str]]) -> tuple[str, str, int]:
    """Comma-joined right-justified fields, CR LF ends: (data, COLUMN objects, ROW_BYTES)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(specs))]
    recs = [",".join(v.rjust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
    cols, start = "", 1
    for (name, kind, more), w in zip(specs, widths, strict=True):
        cols += col(name, kind, start, w, more)
        start += w + 1
    return "".join(r + "\r\n" for r in recs), cols, len(recs[0]) + 2


# --------------------------------------------------------------------------- cases
@dataclass
class Case:
    """One PDS3 product: ``files`` (the label is the first), the object compared and the
    values the test wrote. Tables: ``expected`` maps field → (rows, *items) array; arrays:
    ``expected`` is one array whose axes are ``axes`` (names of pdsgen's axes)."""

    name: str
    files: dict[str, str | bytes]
    obj: str
    expected: Any
    axes: tuple[str, ...] = ()
    physical: bool = False  # compare physical values (scaling applied, constants masked)
    pdr: str = "same"  # "same", or pdr's limitation in this case
    pdr_physical: bool = False  # pdr's own scaled reading (``get_scaled``) for an array


def _rng_table() -> Case:
    """Every binary integer spelling of 1/2/4/8 bytes and real spelling of 4/8 bytes
    (Standards Reference chapter 3, table 3.2; appendix C: MSB = big-endian, LSB/PC/VAX
    = little-endian integers, IEEE/PC reals)."""
    ints = [("MSB_INTEGER", ">i"), ("INTEGER", ">i"), ("MAC_INTEGER", ">i"), ("SUN_INTEGER", ">i"),
            ("IBM_INTEGER", ">i"), ("LSB_INTEGER", "<i"), ("PC_INTEGER", "<i"), ("VAX_INTEGER", "<i"),
            ("MSB_UNSIGNED_INTEGER", ">u"), ("UNSIGNED_INTEGER", ">u"), ("MAC_UNSIGNED_INTEGER", ">u"),
            ("SUN_UNSIGNED_INTEGER", ">u"), ("IBM_UNSIGNED_INTEGER", ">u"), ("LSB_UNSIGNED_INTEGER", "<u"),
            ("PC_UNSIGNED_INTEGER", "<u"), ("VAX_UNSIGNED_INTEGER", "<u")]
    reals = [("IEEE_REAL", ">f"), ("REAL", ">f"), ("FLOAT", ">f"), ("MAC_REAL", ">f"), ("SUN_REAL", ">f"),
             ("PC_REAL", "<f")]
    spec = [(f"{t}_{n}", t, f"{c}{n}") for t, c in ints for n in (1, 2, 4, 8)]
    spec += [(f"{t}_{n}", t, f"{c}{n}") for t, c in reals for n in (4, 8)]
    dt = np.dtype([(name, code) for name, _, code in spec])
    rng = np.random.default_rng(18)
    rows = np.zeros(6, dt)
    for name in dt.names:
        ft = dt[name]
        if ft.kind in "iu":
            info = np.iinfo(ft)
            rows[name] = rng.integers(info.min, info.max, 6, dtype=ft.newbyteorder("="), endpoint=True)
        else:
            rows[name] = rng.normal(size=6) * 1e3
    body = "".join(col(name, t, dt.fields[name][1] + 1, dt[name].itemsize) for name, t, _ in spec)
    return Case("table_binary_type_spellings", {"T.LBL": table(body, 6, dt.itemsize), "T.DAT": rows.tobytes()},
                "TABLE", {n: rows[n] for n in dt.names})


def _vax_ibm_boolean() -> Case:
    """VAX F (appendix C: 8-bit exponent bias 128, 0.1f fraction, PDP-11 word order), IBM
    single (base-16 exponent bias 64), BOOLEAN (appendix C: zero false, else true)."""
    one_vax, minus_1p5_vax = bytes([0x80, 0x40, 0, 0]), bytes([0xC0, 0xC0, 0, 0])
    one_ibm, minus_1p5_ibm = bytes([0x41, 0x10, 0, 0]), bytes([0xC1, 0x18, 0, 0])
    data = one_vax + one_ibm + b"\x01" + minus_1p5_vax + minus_1p5_ibm + b"\x00"
    body = col("V", "VAX_REAL", 1, 4) + col("I", "IBM_REAL", 5, 4) + col("B", "BOOLEAN", 9, 1)
    return Case("table_vax_ibm_boolean", {"T.LBL": table(body, 2, 9), "T.DAT": data}, "TABLE",
                {"V": np.array([1.0, -1.5]), "I": np.array([1.0, -1.5]), "B": np.array([True, False])})


def _vax_ibm_double() -> Case:
    data = bytes([0x80, 0x40] + [0] * 6) + bytes([0x41, 0x10] + [0] * 6) + bytes([0x48, 0x41] + [0] * 6)
    body = col("VD", "VAX_DOUBLE", 1, 8) + col("ID", "IBM_DOUBLE", 9, 8) + col("VG", "VAXG_REAL", 17, 8)
    # VAX G first word 0x4148: sign 0, exponent 0x414 = 1044 (bias 1024), fraction 0.1|1000… → 0.75 × 2^20
    return Case("table_vax_d_g_ibm_double", {"T.LBL": table(body, 1, 24), "T.DAT": data}, "TABLE",
                {"VD": np.array([1.0]), "ID": np.array([1.0]), "VG": np.array([0.75 * 2**20])},
                pdr="refuses VAX_DOUBLE / IBM_DOUBLE (the table is not loaded)")


def _complex() -> Case:
    dt = np.dtype([("A", ">c8"), ("B", "<c16"), ("C", ">c16")])
    rows = np.zeros(2, dt)
    rows["A"], rows["B"], rows["C"] = [1 + 2j, 3 - 4j], [5 + 6j, -7j], [1j, 2]
    body = col("A", "IEEE_COMPLEX", 1, 8) + col("B", "PC_COMPLEX", 9, 16) + col("C", "COMPLEX", 25, 16)
    return Case("table_complex", {"T.LBL": table(body, 2, 40), "T.DAT": rows.tobytes()}, "TABLE",
                {n: rows[n] for n in "ABC"}, pdr="refuses the complex types (the table is not loaded)")


def _text_in_binary() -> Case:
    """CHARACTER, TIME, ASCII_INTEGER, ASCII_REAL columns of a BINARY table (appendix A.29:
    a binary table's columns may be character data)."""
    dt = np.dtype([("I", ">i4"), ("C", "S5"), ("T", "S23"), ("N", "S4"), ("R", "S6")])
    rows = np.zeros(2, dt)
    rows["I"], rows["C"] = [1, 2], [b"ab   ", b"cdefg"]
    rows["T"] = [b"2001-02-03T04:05:06.789", b"2002-12-31T23:59:59.000"]
    rows["N"], rows["R"] = [b"  12", b" -3 "], [b" 1.5E2", b"-0.250"]
    body = (col("I", "MSB_INTEGER", 1, 4) + col("C", "CHARACTER", 5, 5) + col("T", "TIME", 10, 23)
            + col("N", "ASCII_INTEGER", 33, 4) + col("R", "ASCII_REAL", 37, 6))
    return Case("table_binary_with_text_columns", {"T.LBL": table(body, 2, dt.itemsize), "T.DAT": rows.tobytes()},
                "TABLE", {"I": np.array([1, 2]), "C": np.array([b"ab", b"cdefg"]), "T": rows["T"],
                          "N": np.array([12, -3]), "R": np.array([150.0, -0.25])},
                pdr="reads one row and the MSB_INTEGER as text (its CHARACTER columns make it guess ASCII)")


def _prefix_suffix_items() -> Case:
    """ROW_PREFIX_BYTES / ROW_SUFFIX_BYTES (appendix A.29: not counted in ROW_BYTES; START_BYTE
    counts from the first byte after the prefix) and ITEMS / ITEM_BYTES."""
    dt = np.dtype([("P", "S3"), ("X", ">i2", (3,)), ("gap", "S2"), ("Y", "<f4"), ("S", "S4")])
    rows = np.zeros(3, dt)
    rows["P"], rows["S"] = b"pre", b"suff"
    rows["X"] = [[1, -2, 3], [4, 5, -6], [7, 8, 9]]
    rows["Y"] = [1.5, 2.5, 3.5]
    body = col("X", "MSB_INTEGER", 1, 6, "    ITEMS = 3\n    ITEM_BYTES = 2\n") + col("Y", "PC_REAL", 9, 4)
    lbl = table(body, 3, 12, extra="  ROW_PREFIX_BYTES = 3\n  ROW_SUFFIX_BYTES = 4\n", record_bytes=19)
    return Case("table_row_prefix_suffix_items", {"T.LBL": lbl, "T.DAT": rows.tobytes()}, "TABLE",
                {"X": rows["X"], "Y": rows["Y"]},
                pdr="steps rows by ROW_BYTES, leaving out ROW_PREFIX/SUFFIX_BYTES: rows 2.. read shifted")


def _item_offset() -> Case:
    """ITEM_OFFSET (appendix A.8 COLUMN: bytes from the start of one item to the next)."""
    words = np.arange(12, dtype=">i2").reshape(2, 6)
    body = col("X", "MSB_INTEGER", 1, 10, "    ITEMS = 3\n    ITEM_BYTES = 2\n    ITEM_OFFSET = 4\n")
    return Case("table_item_offset", {"T.LBL": table(body, 2, 12), "T.DAT": words.tobytes()}, "TABLE",
                {"X": words[:, ::2]}, pdr="steps rows by the column's BYTES instead of ROW_BYTES")


def _container() -> Case:
    """CONTAINER with REPETITIONS (appendix A.9: the sub-objects' START_BYTE is relative to
    the container; each repetition follows the last after BYTES)."""
    dt = np.dtype([("T", ">u2"), ("C", [("A", ">i2"), ("B", ">f4")], (3,))])
    rows = np.zeros(2, dt)
    rows["T"] = [7, 8]
    rows["C"]["A"] = [[1, 2, 3], [4, 5, 6]]
    rows["C"]["B"] = [[0.5, 1.5, 2.5], [3.5, 4.5, 5.5]]
    body = col("T", "MSB_UNSIGNED_INTEGER", 1, 2) + container(
        "C", 3, 6, 3, col("A", "MSB_INTEGER", 1, 2) + col("B", "IEEE_REAL", 3, 4))
    return Case("table_container_repetitions", {"T.LBL": table(body, 2, 20), "T.DAT": rows.tobytes()}, "TABLE",
                {"T": rows["T"], "A": rows["C"]["A"], "B": rows["C"]["B"]})


def _nested_container() -> Case:
    dt = np.dtype([("T", ">u2"), ("O", [("A", ">i2"), ("I", [("B", ">i2", (2,)), ("C", "u1")], (2,))], (2,))])
    rows = np.zeros(2, dt)
    rows["T"] = [1, 2]
    rows["O"]["A"] = [[10, 20], [30, 40]]
    rows["O"]["I"]["B"] = np.arange(16).reshape(2, 2, 2, 2)
    rows["O"]["I"]["C"] = np.arange(8).reshape(2, 2, 2) + 50
    inner = container("I", 3, 5, 2, col("B", "MSB_INTEGER", 1, 4, "    ITEMS = 2\n    ITEM_BYTES = 2\n")
                      + col("C", "UNSIGNED_INTEGER", 5, 1))
    body = col("T", "MSB_UNSIGNED_INTEGER", 1, 2) + container("O", 3, 12, 2, col("A", "MSB_INTEGER", 1, 2) + inner)
    return Case("table_nested_containers_with_items", {"T.LBL": table(body, 2, dt.itemsize), "T.DAT": rows.tobytes()},
                "TABLE", {"T": rows["T"], "A": rows["O"]["A"], "B": rows["O"]["I"]["B"], "C": rows["O"]["I"]["C"]},
                pdr="places the items of a column inside a repeated inner container wrongly")


def _table_scaling() -> Case:
    """SCALING_FACTOR / OFFSET (appendix A.8: true value = OFFSET + SCALING_FACTOR × stored)."""
    body = col("S", "MSB_INTEGER", 1, 2, "    SCALING_FACTOR = 0.5\n    OFFSET = 10\n")
    return Case("table_scaling_offset", {"T.LBL": table(body, 2, 2), "T.DAT": np.array([4, -6], ">i2").tobytes()},
                "TABLE", {"S": np.array([12.0, 7.0])}, physical=True)


def _table_constants() -> Case:
    """MISSING_CONSTANT as a real's bit pattern (16#FF7FFFFB#, the PDS3 IEEE missing value)
    and as an integer: masked in physical values."""
    dt = np.dtype([("F", ">f4"), ("P", "<f4"), ("I", ">i2")])
    rows = np.zeros(3, dt)
    missing = np.frombuffer(bytes.fromhex("FF7FFFFB"), ">f4")[0]
    rows["F"], rows["P"], rows["I"] = [1, missing, 2], [missing, 5, 6], [-32768, 1, 2]
    body = (col("F", "IEEE_REAL", 1, 4, "    MISSING_CONSTANT = 16#FF7FFFFB#\n")
            + col("P", "PC_REAL", 5, 4, "    MISSING_CONSTANT = 16#FF7FFFFB#\n")
            + col("I", "MSB_INTEGER", 9, 2, "    MISSING_CONSTANT = -32768\n"))
    exp = {"F": np.ma.masked_array([1.0, 0, 2.0], [0, 1, 0]), "P": np.ma.masked_array([0, 5.0, 6.0], [1, 0, 0]),
           "I": np.ma.masked_array([0, 1, 2], [1, 0, 0])}
    return Case("table_special_constants", {"T.LBL": table(body, 3, 10), "T.DAT": rows.tobytes()}, "TABLE",
                exp, physical=True, pdr="does not mask special constants in tables")


def _msb_bit_columns() -> Case:
    """BIT_COLUMNs (appendix A.3: START_BIT counts from 1 at the most significant bit of the
    MSB column; ITEMS / ITEM_BITS / ITEM_OFFSET in bits; signed = two's complement of BITS)."""
    raw = np.array([0x12345678, 0xF0F0F0F0], ">u4")
    bits = (bit_col("B", "MSB_UNSIGNED_INTEGER", 3, 12, "      ITEMS = 3\n      ITEM_BITS = 3\n      ITEM_OFFSET = 4\n")
            + bit_col("S", "MSB_INTEGER", 17, 16, "      SCALING_FACTOR = 0.5\n      OFFSET = 1\n"))
    body = col("W", "MSB_UNSIGNED_INTEGER", 1, 4, bits)
    # 0x1234: bits 3-5 = 010, 7-9 = 100, 11-13 = 110; 0xF0F0: 110, 001, 110; 0x5678 / 0xF0F0 signed
    exp = {"B_1": np.array([2, 6]), "B_2": np.array([4, 1]), "B_3": np.array([6, 6]),
           "S": np.array([0x5678 * 0.5 + 1, -0x0F10 * 0.5 + 1])}
    return Case("table_msb_bit_columns_items_offset_scaling", {"T.LBL": table(body, 2, 4), "T.DAT": raw.tobytes()},
                "TABLE", exp, physical=True,
                pdr="gives each BIT_COLUMN as text of 0/1 digits and ignores ITEM_OFFSET")


def _bit_signed_spellings() -> Case:
    """BIT_DATA_TYPE spellings of signed integers (chapter 3: SUN_, MAC_, PC_, VAX_INTEGER are
    signed integers as MSB_INTEGER is): 4 bits 1111 = -1. Before, only MSB_INTEGER / INTEGER
    / LSB_INTEGER were read signed (pdsgen misreading, fixed)."""
    raw = np.array([0xF000, 0x7000], ">u2")
    kinds = ["MSB_INTEGER", "SUN_INTEGER", "MAC_INTEGER", "PC_INTEGER", "VAX_INTEGER", "MSB_UNSIGNED_INTEGER"]
    # each COLUMN is the same 2 bytes, written once per column
    data = np.repeat(raw[:, None], len(kinds), axis=1)
    body = "".join(col(f"W{k}", "MSB_UNSIGNED_INTEGER", 2 * k + 1, 2, bit_col(f"A{k}", t, 1, 4))
                   for k, t in enumerate(kinds))
    exp = {f"A{k}": np.array([-1, 7]) if t != "MSB_UNSIGNED_INTEGER" else np.array([15, 7])
           for k, t in enumerate(kinds)}
    return Case("table_bit_column_signed_spellings",
                {"T.LBL": table(body, 2, 2 * len(kinds)), "T.DAT": data.astype(">u2").tobytes()}, "TABLE", exp,
                pdr="gives each BIT_COLUMN as text of 0/1 digits")


def _record_pointer_short_rows() -> Case:
    """A TABLE by record number (chapter 14: (file, record), records of RECORD_BYTES counted
    from 1) whose ROW_BYTES is less than RECORD_BYTES: the rows follow one another."""
    dt = np.dtype([("A", ">i2"), ("B", ">f4")])
    rows = np.zeros(4, dt)
    rows["A"], rows["B"] = [1, 2, 3, 4], [0.5, 1.5, 2.5, 3.5]
    body = col("A", "MSB_INTEGER", 1, 2) + col("B", "IEEE_REAL", 3, 4)
    lbl = table(body, 4, 6, record_bytes=12, pointer='("T.DAT", 2)')
    return Case("table_record_pointer_rows_shorter_than_records",
                {"T.LBL": lbl, "T.DAT": b"H" * 12 + rows.tobytes() + b"\0" * 12}, "TABLE",
                {"A": rows["A"], "B": rows["B"]})


def _rows_longer_than_records() -> Case:
    """ROW_BYTES greater than RECORD_BYTES (rows of 22 bytes in records of 10): the rows
    follow one another from the pointer's record, whatever the record length."""
    dt = np.dtype([("A", ">i4"), ("B", ">f8"), ("C", ">i2", (5,))])
    rows = np.zeros(3, dt)
    rows["A"], rows["B"], rows["C"] = [1, 2, 3], [0.5, 1.5, 2.5], np.arange(15).reshape(3, 5)
    body = col("A", "MSB_INTEGER", 1, 4) + col("B", "IEEE_REAL", 5, 8) + col("C", "MSB_INTEGER", 13, 10,
                                                                              "    ITEMS = 5\n")
    lbl = table(body, 3, 22, record_bytes=10, pointer='("T.DAT", 2)')
    return Case("table_rows_longer_than_records", {"T.LBL": lbl, "T.DAT": b"h" * 10 + rows.tobytes()}, "TABLE",
                {n: rows[n] for n in "ABC"}, pdr="reads rows 2.. shifted when ROW_BYTES exceeds RECORD_BYTES")


def _ascii_types() -> Case:
    """ASCII table types (chapter 3: ASCII_INTEGER, ASCII_REAL, CHARACTER, TIME, DATE; binary
    spellings in an ASCII table are text of that kind; ASCII_UNSIGNED_INTEGER)."""
    specs = [("I", "ASCII_INTEGER", ""), ("R", "ASCII_REAL", ""), ("C", "CHARACTER", ""), ("T", "TIME", ""),
             ("D", "DATE", ""), ("J", "INTEGER", ""), ("F", "REAL", ""),
             ("U", "UNSIGNED_INTEGER", "    SCALING_FACTOR = 2\n    OFFSET = 1\n"), ("K", "ASCII_UNSIGNED_INTEGER", ""),
             ("M", "MSB_INTEGER", ""), ("P", "PC_REAL", "")]
    rows = [["12", "-3.5E+02", "ABC", "2001-02-03T04:05:06.789", "2001-02-03", "+17", "1.25", "7", "5", "3", "1."],
            ["-45", "6.25E-01", "DE", "2002-12-31T23:59:59.000", "2002-12-31", "-2", "2.50", "12", "10", "-4", ".5"]]
    data, body, rb = ascii_records(specs, rows)
    exp = {"I": [12, -45], "R": [-350.0, 0.625], "C": [b"ABC", b"DE"],
           "T": [b"2001-02-03T04:05:06.789", b"2002-12-31T23:59:59.000"], "D": [b"2001-02-03", b"2002-12-31"],
           "J": [17, -2], "F": [1.25, 2.5], "U": [15.0, 25.0], "K": [5, 10], "M": [3, -4], "P": [1.0, 0.5]}
    return Case("table_ascii_types", {"T.LBL": table(body, 2, rb, fmt="ASCII"), "T.DAT": data}, "TABLE",
                {k: np.array(v) for k, v in exp.items()}, physical=True)


def _ascii_base16() -> Case:
    data, body, rb = ascii_records([("H", "ASCII_NUMERIC_BASE16", ""), ("O", "ASCII_NUMERIC_BASE8", "")],
                                   [["FF", "17"], ["1A", "7"]])
    return Case("table_ascii_numeric_bases", {"T.LBL": table(body, 2, rb, fmt="ASCII"), "T.DAT": data}, "TABLE",
                {"H": np.array([255, 26]), "O": np.array([15, 7])},
                pdr="keeps ASCII_NUMERIC_BASE16 text as strings and reads base 8 as decimal")


def _ascii_items() -> Case:
    data = "1 2 3 A\r\n4 5 6 B\r\n"
    body = col("X", "ASCII_INTEGER", 1, 5, "    ITEMS = 3\n    ITEM_BYTES = 1\n    ITEM_OFFSET = 2\n")
    body += col("S", "CHARACTER", 7, 1)
    return Case("table_ascii_items_item_offset", {"T.LBL": table(body, 2, 9, fmt="ASCII"), "T.DAT": data}, "TABLE",
                {"X": np.array([[1, 2, 3], [4, 5, 6]]), "S": np.array([b"A", b"B"])})


def _ascii_container() -> Case:
    data = "T1 1 2 3 4\r\nT2 5 6 7 8\r\n"
    body = col("N", "CHARACTER", 1, 2) + container(
        "PAIR", 4, 4, 2, col("P", "ASCII_INTEGER", 1, 1) + col("Q", "ASCII_INTEGER", 3, 1))
    return Case("table_ascii_container", {"T.LBL": table(body, 2, 12, fmt="ASCII"), "T.DAT": data}, "TABLE",
                {"N": np.array([b"T1", b"T2"]), "P": np.array([[1, 3], [5, 7]]), "Q": np.array([[2, 4], [6, 8]])},
                pdr="reads every column of an ASCII container as NaN")


def _ascii_prefix_suffix() -> Case:
    data = "PP 1 2.5SSS\r\nPP 3 4.5SSS\r\n"
    lbl = table(col("I", "ASCII_INTEGER", 1, 2) + col("R", "ASCII_REAL", 4, 3), 2, 6, fmt="ASCII",
                extra="  ROW_PREFIX_BYTES = 2\n  ROW_SUFFIX_BYTES = 5\n", record_bytes=13)
    return Case("table_ascii_row_prefix_suffix", {"T.LBL": lbl, "T.DAT": data}, "TABLE",
                {"I": np.array([1, 3]), "R": np.array([2.5, 4.5])})


def _stream_record_pointer() -> Case:
    """A record pointer into a STREAM file (chapter 14 / 15: the records of a stream file are
    its lines): row 1 is the third line, whatever the lines before it hold."""
    data = "# a header line\r\nshort\r\n 1, 2.5\r\n 3, 4.5\r\n"
    lbl = table(col("I", "ASCII_INTEGER", 1, 2) + col("R", "ASCII_REAL", 4, 4), 2, 9, fmt="ASCII",
                pointer='("T.DAT", 3)', records="RECORD_TYPE = STREAM\n")
    return Case("table_stream_record_pointer", {"T.LBL": lbl, "T.DAT": data}, "TABLE",
                {"I": np.array([1, 3]), "R": np.array([2.5, 4.5])})


def _ascii_letter_booleans() -> Case:
    data = " 1,T\r\n 2,F\r\n"
    body = col("N", "ASCII_INTEGER", 1, 2) + col("B", "BOOLEAN", 4, 1)
    return Case("table_ascii_letter_booleans", {"T.LBL": table(body, 2, 6, fmt="ASCII"), "T.DAT": data}, "TABLE",
                {"N": np.array([1, 2]), "B": np.ma.masked_array([False, False], [True, True])}, physical=True,
                pdr="keeps the letters as text (pdsgen: the standard defines BOOLEAN only as a binary type; "
                    "T/F are masked with a warning and migrate describes them as text)")


def _spreadsheet() -> Case:
    """SPREADSHEET of FIELDs (appendix A.27: FIELD_DELIMITER, ITEMS, empty fields missing)."""
    def fld(name: str, kind: str, nbytes: int, extra: str = "") -> str:
        return (f"  OBJECT = FIELD\n    NAME = {name}\n    DATA_TYPE = {kind}\n    BYTES = {nbytes}\n{extra}"
                "  END_OBJECT = FIELD\n")
    data = '1,"ab",2.5,3,4\r\n22,"c d",-1E3,5,6\r\n3,,,,\r\n'
    lbl = (HEAD + '^SPREADSHEET = "S.CSV"\nRECORD_TYPE = STREAM\nOBJECT = SPREADSHEET\n  ROWS = 3\n  ROW_BYTES = 20\n'
           "  FIELDS = 4\n  FIELD_DELIMITER = COMMA\n" + fld("I", "ASCII_INTEGER", 2) + fld("S", "CHARACTER", 5)
           + fld("R", "ASCII_REAL", 5, "    SCALING_FACTOR = 2\n") + fld("V", "ASCII_INTEGER", 1, "    ITEMS = 2\n")
           + "END_OBJECT = SPREADSHEET\nEND\n")
    exp = {"I": np.array([1, 22, 3]), "R": np.ma.masked_array([5.0, -2000.0, 0], [0, 0, 1]),
           "V": np.ma.masked_array([[3, 4], [5, 6], [0, 0]], [[0, 0], [0, 0], [1, 1]])}
    return Case("spreadsheet_fields_items_scaling_empty", {"S.LBL": lbl, "S.CSV": data}, "SPREADSHEET", exp,
                physical=True)


# images: one cube of (band, line, sample) values, stored in each order
CUBE = (np.arange(2 * 3 * 4).reshape(2, 3, 4) * 37 - 100).astype(">i2")
BASE = {"LINES": 3, "LINE_SAMPLES": 4, "SAMPLE_BITS": 16, "SAMPLE_TYPE": "MSB_INTEGER", "BANDS": 2}
#: BAND_STORAGE_TYPE → the stored order of the (band, line, sample) cube (appendix A.20 IMAGE)
STORAGE = {"BAND_SEQUENTIAL": (0, 1, 2), "LINE_INTERLEAVED": (1, 0, 2), "SAMPLE_INTERLEAVED": (1, 2, 0)}


def _image_storage(storage: str) -> Case:
    stored = np.ascontiguousarray(CUBE.transpose(STORAGE[storage]))
    return Case(f"image_{storage.lower()}", {"I.LBL": image({**BASE, "BAND_STORAGE_TYPE": storage}),
                                             "I.IMG": stored.tobytes()}, "IMAGE", CUBE, ("BAND", "LINE", "SAMPLE"))


def _image_prefix(storage: str) -> Case:
    """LINE_PREFIX_BYTES / LINE_SUFFIX_BYTES (appendix A.20: bytes before / after each image
    line; with interleaved bands a stored line holds that line of every band, as M3's
    line-interleaved frames with one prefix per line)."""
    stored = CUBE.transpose(STORAGE[storage])
    if storage == "BAND_SEQUENTIAL":
        lines = [stored[b, ln] for b in range(2) for ln in range(3)]
    else:
        lines = [stored[ln] for ln in range(3)]
    data = b"".join(b"PP" + np.ascontiguousarray(x).tobytes() + b"S" for x in lines)
    keys = {**BASE, "BAND_STORAGE_TYPE": storage, "LINE_PREFIX_BYTES": 2, "LINE_SUFFIX_BYTES": 1}
    return Case(f"image_{storage.lower()}_line_prefix_suffix", {"I.LBL": image(keys), "I.IMG": data}, "IMAGE",
                CUBE, ("BAND", "LINE", "SAMPLE"),
                pdr="refuses LINE_PREFIX/SUFFIX_BYTES on an image of several bands (not loaded)")


IMAGE_TYPES = [("LSB_INTEGER", "<i2"), ("PC_INTEGER", "<i2"), ("VAX_INTEGER", "<i2"), ("MSB_UNSIGNED_INTEGER", ">u2"),
               ("LSB_UNSIGNED_INTEGER", "<u2"), ("UNSIGNED_INTEGER", ">u2"), ("PC_UNSIGNED_INTEGER", "<u2"),
               ("VAX_UNSIGNED_INTEGER", "<u2"), ("INTEGER", ">i2"), ("SUN_INTEGER", ">i2"),
               ("MAC_UNSIGNED_INTEGER", ">u2"), ("MSB_INTEGER", ">i4"), ("LSB_INTEGER", "<i4"),
               ("UNSIGNED_INTEGER", "u1"), ("MSB_INTEGER", "i1"), ("LSB_INTEGER", "i1"), ("PC_UNSIGNED_INTEGER", "u1"),
               ("LSB_UNSIGNED_INTEGER", "<u4"),
               ("IEEE_REAL", ">f4"), ("PC_REAL", "<f4"), ("REAL", ">f4"), ("SUN_REAL", ">f4"), ("IEEE_REAL", ">f8"),
               ("PC_REAL", "<f8"), ("MAC_REAL", ">f8")]


def _image_type(kind: str, code: str) -> Case:
    dt = np.dtype(code)
    values = (np.arange(12).reshape(3, 4) * 37 - 100).astype(dt)
    keys = {"LINES": 3, "LINE_SAMPLES": 4, "SAMPLE_BITS": 8 * dt.itemsize, "SAMPLE_TYPE": kind}
    return Case(f"image_sample_type_{kind.lower()}_{dt.itemsize}", {"I.LBL": image(keys), "I.IMG": values.tobytes()},
                "IMAGE", values, ("LINE", "SAMPLE"))


def _image_vax_ibm() -> list[Case]:
    vax = bytes([0x80, 0x40, 0, 0, 0xC0, 0xC0, 0, 0] * 2)
    ibm = bytes([0x41, 0x10, 0, 0, 0xC1, 0x18, 0, 0] * 2)
    keys = {"LINES": 2, "LINE_SAMPLES": 2, "SAMPLE_BITS": 32}
    exp = np.array([[1.0, -1.5], [1.0, -1.5]])
    return [Case("image_vax_real", {"I.LBL": image({**keys, "SAMPLE_TYPE": "VAX_REAL"}), "I.IMG": vax}, "IMAGE", exp,
                 ("LINE", "SAMPLE")),
            Case("image_ibm_real", {"I.LBL": image({**keys, "SAMPLE_TYPE": "IBM_REAL"}), "I.IMG": ibm}, "IMAGE", exp,
                 ("LINE", "SAMPLE"), pdr="reads IBM_REAL samples as unsigned integers")]


def _image_packed() -> list[Case]:
    """SAMPLE_BITS not a multiple of 8 (appendix A.20: samples packed bit after bit, each
    line starting on a byte boundary)."""
    v12 = (np.arange(12, dtype=np.uint16).reshape(3, 4) * 300)
    bits = np.unpackbits(v12.astype(">u2").view(np.uint8).reshape(-1, 2), axis=1)[:, 4:]
    packed12 = np.packbits(bits.reshape(3, -1), axis=1)
    v1 = (np.arange(24).reshape(3, 8) % 3 == 0).astype(np.uint8)
    return [Case("image_packed_12_bit", {"I.LBL": image({"LINES": 3, "LINE_SAMPLES": 4, "SAMPLE_BITS": 12,
                                                         "SAMPLE_TYPE": "MSB_UNSIGNED_INTEGER"}),
                                         "I.IMG": packed12.tobytes()}, "IMAGE", v12, ("LINE", "SAMPLE"),
                 pdr="reads 12-bit samples as if each took 2 bytes"),
            Case("image_packed_1_bit", {"I.LBL": image({"LINES": 3, "LINE_SAMPLES": 8, "SAMPLE_BITS": 1,
                                                        "SAMPLE_TYPE": "UNSIGNED_INTEGER"}),
                                        "I.IMG": np.packbits(v1, axis=1).tobytes()}, "IMAGE", v1, ("LINE", "SAMPLE"),
                 pdr="refuses 1-bit samples")]


def _image_scaling() -> list[Case]:
    """OFFSET / SCALING_FACTOR (appendix A.20: true value = OFFSET + SCALING_FACTOR × stored)
    with a MISSING_CONSTANT; and one pair per band (``SCALING_FACTOR = (0.5, 2.0)``: before,
    pdsgen ignored a list and gave physical = stored; pdr applies each band's own)."""
    v = np.arange(12, dtype=">i2").reshape(3, 4)
    one = 100 + 0.5 * v.astype(float)
    keys = {"LINES": 3, "LINE_SAMPLES": 4, "SAMPLE_BITS": 16, "SAMPLE_TYPE": "MSB_INTEGER", "OFFSET": 100,
            "SCALING_FACTOR": 0.5, "MISSING_CONSTANT": 5}
    cube = CUBE.astype(float)
    per_band = np.stack([10 + 0.5 * cube[0], 20 + 2.0 * cube[1]])
    return [Case("image_offset_scaling_missing", {"I.LBL": image(keys), "I.IMG": v.tobytes()}, "IMAGE",
                 np.ma.masked_array(one, v == 5), ("LINE", "SAMPLE"), physical=True, pdr_physical=True)] + [
            Case(f"image_per_band_scaling_{storage.lower()}",
                 {"I.LBL": image({**BASE, "BAND_STORAGE_TYPE": storage, "SCALING_FACTOR": "(0.5, 2.0)",
                                  "OFFSET": "(10, 20)"}),
                  "I.IMG": np.ascontiguousarray(CUBE.transpose(STORAGE[storage])).tobytes()}, "IMAGE", per_band,
                 ("BAND", "LINE", "SAMPLE"), physical=True, pdr_physical=True)
            for storage in ("BAND_SEQUENTIAL", "SAMPLE_INTERLEAVED")]


def _pointers() -> list[Case]:
    """Pointer forms (chapter 14): (file, record) with RECORD_BYTES, (file, n <BYTES>),
    a bare file name; attached labels: record n after LABEL_RECORDS, n <BYTES>."""
    v = np.arange(12, dtype=">i2").reshape(3, 4)
    keys = {"LINES": 3, "LINE_SAMPLES": 4, "SAMPLE_BITS": 16, "SAMPLE_TYPE": "MSB_INTEGER"}
    cases = [Case(f"pointer_{tag}", {"I.LBL": image(keys, pointer=ptr, record_bytes=8), "I.IMG": pre + v.tobytes()},
                  "IMAGE", v, ("LINE", "SAMPLE"))
             for tag, ptr, pre in [("file_record", '("I.IMG", 3)', b"x" * 16),
                                   ("file_bytes", '("I.IMG", 17 <BYTES>)', b"x" * 16),
                                   ("file", '"I.IMG"', b"")]]
    w = np.arange(40, dtype="<i2").reshape(4, 10)
    for tag, ptr in [("record", lambda lr: f"{lr + 1}"), ("bytes", lambda lr: f"{lr * 80 + 1} <BYTES>")]:
        lr = 1
        while True:
            text = (HEAD + f"RECORD_TYPE = FIXED_LENGTH\nRECORD_BYTES = 80\nFILE_RECORDS = {lr + 1}\n"
                    f"LABEL_RECORDS = {lr}\n^IMAGE = {ptr(lr)}\nOBJECT = IMAGE\n  LINES = 4\n  LINE_SAMPLES = 10\n"
                    "  SAMPLE_BITS = 16\n  SAMPLE_TYPE = LSB_INTEGER\nEND_OBJECT = IMAGE\nEND\n")
            if len(text) <= lr * 80:
                break
            lr += 1
        cases.append(Case(f"pointer_attached_{tag}", {"A.IMG": text.encode().ljust(lr * 80) + w.tobytes()}, "IMAGE",
                          w, ("LINE", "SAMPLE")))
    return cases


def _qube(axis_names: tuple[str, str, str]) -> Case:
    """QUBE core (appendix A.26 / ISIS: AXIS_NAME lists the axes fastest first; CORE_ITEMS
    in the same order)."""
    order = {"BAND": 0, "LINE": 1, "SAMPLE": 2}
    perm = tuple(order[n] for n in reversed(axis_names))  # slowest first
    stored = np.ascontiguousarray(CUBE.transpose(perm))
    body = (f"OBJECT = QUBE\n  AXES = 3\n  AXIS_NAME = ({','.join(axis_names)})\n"
            f"  CORE_ITEMS = ({','.join(str(n) for n in reversed(stored.shape))})\n  CORE_ITEM_BYTES = 2\n"
            "  CORE_ITEM_TYPE = SUN_INTEGER\n  CORE_BASE = 0.0\n  CORE_MULTIPLIER = 1.0\n  SUFFIX_ITEMS = (0,0,0)\n"
            "END_OBJECT = QUBE\n")
    return Case(f"qube_{'_'.join(a.lower() for a in axis_names)}", {"Q.LBL": obj_label("QUBE", body),
                                                                    "Q.DAT": stored.tobytes()}, "QUBE", CUBE,
                ("BAND", "LINE", "SAMPLE"))


def _qube_suffixes() -> list[Case]:
    """Suffix planes (appendix A.26: SUFFIX_ITEMS per axis of SUFFIX_BYTES each, stored after
    the core items of that axis; a BSQ backplane after each band, a BIP band suffix after
    each pixel's bands, a sideplane after each line, a BIL bottomplane after each line's bands)."""
    suffix = "  SUFFIX_BYTES = 4\n  SUFFIX_ITEMS = ({})\n"
    typed = "  {0}_SUFFIX_ITEM_BYTES = 4\n  {0}_SUFFIX_ITEM_TYPE = SUN_INTEGER\n"
    head = ("  AXES = 3\n  AXIS_NAME = ({})\n  CORE_ITEMS = ({})\n  CORE_ITEM_BYTES = 2\n"
            "  CORE_ITEM_TYPE = SUN_INTEGER\n")
    cases = []
    # BSQ with a band suffix plane
    data = CUBE.tobytes() + np.full((3, 4), 99, ">i4").tobytes()
    body = ("OBJECT = SPECTRAL_QUBE\n" + head.format("SAMPLE,LINE,BAND", "4,3,2") + suffix.format("0,0,1")
            + typed.format("BAND") + "END_OBJECT = SPECTRAL_QUBE\n")
    cases.append(Case("qube_bsq_band_suffix", {"Q.LBL": obj_label("SPECTRAL_QUBE", body), "Q.DAT": data},
                      "SPECTRAL_QUBE", CUBE, ("BAND", "LINE", "SAMPLE")))
    # BIP with a band suffix after each pixel
    data = b"".join(CUBE[:, ln, s].tobytes() + np.array([1000 + 10 * ln + s], ">i4").tobytes()
                    for ln in range(3) for s in range(4))
    body = ("OBJECT = QUBE\n" + head.format("BAND,SAMPLE,LINE", "2,4,3") + suffix.format("1,0,0")
            + typed.format("BAND") + "END_OBJECT = QUBE\n")
    cases.append(Case("qube_bip_band_suffix", {"Q.LBL": obj_label("QUBE", body), "Q.DAT": data}, "QUBE", CUBE,
                      ("BAND", "LINE", "SAMPLE")))
    cases.append(Case("qube_bip_band_suffix_plane", {"Q.LBL": obj_label("QUBE", body), "Q.DAT": data},
                      "QUBE.BAND_SUFFIX", (1000 + 10 * np.arange(3)[:, None] + np.arange(4)).reshape(3, 4, 1),
                      ("LINE", "SAMPLE", "BAND_SUFFIX"), pdr="gives the core only (no suffix planes)"))
    # BSQ with a sample suffix (sideplane) after each line
    data = b"".join(CUBE[b, ln].tobytes() + np.array([100 * b + ln], ">i4").tobytes()
                    for b in range(2) for ln in range(3))
    body = ("OBJECT = QUBE\n" + head.format("SAMPLE,LINE,BAND", "4,3,2") + suffix.format("1,0,0")
            + typed.format("SAMPLE") + "END_OBJECT = QUBE\n")
    cases.append(Case("qube_bsq_sample_suffix", {"Q.LBL": obj_label("QUBE", body), "Q.DAT": data}, "QUBE", CUBE,
                      ("BAND", "LINE", "SAMPLE")))
    # BIL with sample and band suffixes (and their corner item)
    parts = []
    for ln in range(3):
        for b in range(2):
            parts.append(CUBE[b, ln].tobytes() + np.array([500 + 10 * ln + b], ">i4").tobytes())
        parts.append(np.array([900 + 10 * ln + s for s in range(4)] + [-1], ">i4").tobytes())
    body = ("OBJECT = QUBE\n" + head.format("SAMPLE,BAND,LINE", "4,2,3") + suffix.format("1,1,0")
            + typed.format("SAMPLE") + typed.format("BAND") + "END_OBJECT = QUBE\n")
    files = {"Q.LBL": obj_label("QUBE", body), "Q.DAT": b"".join(parts)}
    cases.append(Case("qube_bil_sample_and_band_suffixes", files, "QUBE", CUBE, ("BAND", "LINE", "SAMPLE"),
                      pdr="refuses suffixes on two axes (not loaded)"))
    cases.append(Case("qube_bil_band_suffix_plane", files, "QUBE.BAND_SUFFIX",
                      (900 + 10 * np.arange(3)[:, None] + np.arange(4)).reshape(3, 1, 4),
                      ("LINE", "BAND_SUFFIX", "SAMPLE"), pdr="gives the core only (no suffix planes)"))
    return cases


def _arrays() -> list[Case]:
    """ARRAY of ELEMENT (appendix A.2: AXIS_ITEMS, the last axis varying fastest), COLLECTION
    (A.7: ELEMENT and ARRAY members at their START_BYTE), HISTOGRAM (A.17: ITEMS of DATA_TYPE)."""
    v = np.arange(6, dtype="<f4").reshape(2, 3)
    arr = ("OBJECT = ARRAY\n  AXES = 2\n  AXIS_ITEMS = (2,3)\n  INTERCHANGE_FORMAT = BINARY\n  NAME = A\n"
           "  OBJECT = ELEMENT\n    NAME = E\n    DATA_TYPE = PC_REAL\n    BYTES = 4\n  END_OBJECT = ELEMENT\n"
           "END_OBJECT = ARRAY\n")
    h = (np.arange(10) * 7).astype(">u4")
    hv = np.array([-1, 2, -3], "<i2")
    hist_vax = ("OBJECT = HISTOGRAM\n  ITEMS = 3\n  DATA_TYPE = VAX_INTEGER\n  ITEM_BYTES = 2\n"
                "END_OBJECT = HISTOGRAM\n")
    hist = "OBJECT = HISTOGRAM\n  ITEMS = 10\n  DATA_TYPE = MSB_UNSIGNED_INTEGER\n  ITEM_BYTES = 4\nEND_OBJECT = HISTOGRAM\n"
    coll = ("OBJECT = COLLECTION\n  BYTES = 14\n  OBJECT = ELEMENT\n    NAME = A\n    DATA_TYPE = LSB_INTEGER\n"
            "    START_BYTE = 1\n    BYTES = 2\n  END_OBJECT = ELEMENT\n  OBJECT = ARRAY\n    NAME = B\n"
            "    START_BYTE = 3\n    AXES = 1\n    AXIS_ITEMS = 3\n    OBJECT = ELEMENT\n      NAME = BE\n"
            "      DATA_TYPE = MSB_INTEGER\n      BYTES = 4\n    END_OBJECT = ELEMENT\n  END_OBJECT = ARRAY\n"
            "END_OBJECT = COLLECTION\n")
    cdata = np.array([-5], "<i2").tobytes() + np.array([1, -2, 3], ">i4").tobytes()
    return [Case("array_of_element", {"Q.LBL": obj_label("ARRAY", arr), "Q.DAT": v.tobytes()}, "ARRAY", v,
                 ("AXIS_1", "AXIS_2")),
            Case("histogram", {"Q.LBL": obj_label("HISTOGRAM", hist), "Q.DAT": h.tobytes()}, "HISTOGRAM", h,
                 ("ITEM",)),
            Case("histogram_vax_integer", {"Q.LBL": obj_label("HISTOGRAM", hist_vax), "Q.DAT": hv.tobytes()},
                 "HISTOGRAM", hv, ("ITEM",)),
            Case("collection_element_and_array", {"Q.LBL": obj_label("COLLECTION", coll), "Q.DAT": cdata},
                 "COLLECTION", {"A": np.array([-5]), "B": np.array([[1, -2, 3]])},
                 pdr="does not read COLLECTION objects")]


def _more_qubes_and_arrays() -> list[Case]:
    """A 2-axis QUBE with CORE_BASE / CORE_MULTIPLIER / CORE_NULL (ISIS: physical = base +
    multiplier × stored, CORE_NULL missing), a VAX_REAL core, a 3-axis ARRAY with AXIS_NAME
    and a scaled ELEMENT."""
    v = np.arange(12).reshape(3, 4).astype("<f4") * 1.5
    q2 = ("OBJECT = QUBE\n  AXES = 2\n  AXIS_NAME = (SAMPLE,LINE)\n  CORE_ITEMS = (4,3)\n  CORE_ITEM_BYTES = 4\n"
          "  CORE_ITEM_TYPE = PC_REAL\n  CORE_BASE = 5.0\n  CORE_MULTIPLIER = 2.0\n  CORE_NULL = 3.0\n"
          "  SUFFIX_ITEMS = (0,0)\nEND_OBJECT = QUBE\n")
    vax = bytes([0x80, 0x40, 0, 0, 0xC0, 0xC0, 0, 0] * 3)
    qv = ("OBJECT = QUBE\n  AXES = 3\n  AXIS_NAME = (SAMPLE,LINE,BAND)\n  CORE_ITEMS = (2,3,1)\n  CORE_ITEM_BYTES = 4\n"
          "  CORE_ITEM_TYPE = VAX_REAL\n  SUFFIX_ITEMS = (0,0,0)\nEND_OBJECT = QUBE\n")
    a = np.arange(24, dtype=">i2").reshape(2, 3, 4)
    arr = ("OBJECT = ARRAY\n  AXES = 3\n  AXIS_ITEMS = (2,3,4)\n  AXIS_NAME = (A,B,C)\n  INTERCHANGE_FORMAT = BINARY\n"
           "  OBJECT = ELEMENT\n    DATA_TYPE = MSB_INTEGER\n    BYTES = 2\n    SCALING_FACTOR = 3\n"
           "  END_OBJECT = ELEMENT\nEND_OBJECT = ARRAY\n")
    return [Case("qube_two_axes_base_multiplier_null", {"Q.LBL": obj_label("QUBE", q2), "Q.DAT": v.tobytes()}, "QUBE",
                 np.ma.masked_array(5.0 + 2.0 * v, v == 3.0), ("LINE", "SAMPLE"), physical=True,
                 pdr="refuses a QUBE of two axes (not loaded)"),
            Case("qube_vax_real_core", {"Q.LBL": obj_label("QUBE", qv), "Q.DAT": vax}, "QUBE",
                 np.array([[[1.0, -1.5]] * 3]), ("BAND", "LINE", "SAMPLE")),
            Case("array_3d_named_axes", {"Q.LBL": obj_label("ARRAY", arr), "Q.DAT": a.tobytes()}, "ARRAY", a,
                 ("A", "B", "C")),
            Case("array_3d_scaled_element", {"Q.LBL": obj_label("ARRAY", arr), "Q.DAT": a.tobytes()}, "ARRAY",
                 3.0 * a, ("A", "B", "C"), physical=True, pdr_physical=True,
                 pdr="cannot scale an ARRAY it reads as a record array (get_scaled fails)")]


CASES: list[Case] = [
    _rng_table(), _vax_ibm_boolean(), _vax_ibm_double(), _complex(), _text_in_binary(), _prefix_suffix_items(),
    _item_offset(), _container(), _nested_container(), _table_scaling(), _table_constants(), _msb_bit_columns(),
    _bit_signed_spellings(), _record_pointer_short_rows(), _rows_longer_than_records(), _ascii_types(), _ascii_base16(), _ascii_items(),
    _ascii_container(), _ascii_prefix_suffix(), _stream_record_pointer(), _ascii_letter_booleans(), _spreadsheet(),
    *[_image_storage(s) for s in STORAGE], *[_image_prefix(s) for s in STORAGE],
    *[_image_type(k, c) for k, c in IMAGE_TYPES], *_image_vax_ibm(), *_image_packed(), *_image_scaling(),
    *_pointers(), *[_qube(n) for n in (("SAMPLE", "LINE", "BAND"), ("SAMPLE", "BAND", "LINE"),
                                        ("BAND", "SAMPLE", "LINE"))],
    *_qube_suffixes(), *_arrays(), *_more_qubes_and_arrays(),
]


# --------------------------------------------------------------------------- the readers
def _write(tmp_path: Path, case: Case) -> Path:
    for name, content in case.files.items():
        (tmp_path / name).write_bytes(content.encode() if isinstance(content, str) else content)
    return tmp_path / next(iter(case.files))


def _same(got: Any, expected: Any) -> bool:
    got_mask, exp_mask = np.ma.getmaskarray(got), np.ma.getmaskarray(expected)
    if np.shape(got) != np.shape(expected) or not np.array_equal(got_mask, exp_mask):
        return False
    a, b = np.ma.getdata(got)[~got_mask], np.ma.getdata(expected)[~exp_mask]
    if a.dtype.kind in "SUO" or b.dtype.kind in "SUO":
        norm = [np.char.strip(np.asarray(x, dtype=bytes if x.dtype.kind == "S" else str).astype(str)) for x in (a, b)]
        return bool(np.array_equal(*norm))
    return bool(np.allclose(a.astype(np.complex128), b.astype(np.complex128), rtol=1e-12, atol=0))


def pdsgen_values(label: Path, case: Case) -> Any:
    obj = pdsgen.open(label)[case.obj]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if isinstance(case.expected, dict):
            data = obj.physical if case.physical else obj.data
            return {name: data[name] for name in case.expected}
        values = obj.physical if case.physical else obj.data
    names = [a.name.upper() for a in obj.axes]
    return np.ma.transpose(values, [names.index(a) for a in case.axes]) if len(names) > 1 else values


def pdr_values(label: Path, case: Case) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = pdr.read(str(label))
        got = data.get_scaled(case.obj) if case.pdr_physical else data[case.obj]
    if isinstance(case.expected, dict):
        out = {}
        for name, exp in case.expected.items():
            cols = [name] if name in got.columns else [f"{name}_{k}" for k in range(int(np.prod(exp.shape[1:])))]
            out[name] = np.stack([got[c].to_numpy() for c in cols], axis=-1).reshape(exp.shape)
        return out
    values = np.ma.asanyarray(got)
    if values.dtype.names and len(values.dtype.names) == 1:  # an ARRAY of one ELEMENT: a record array
        values = values[values.dtype.names[0]]
    return values.reshape(case.expected.shape) if values.size == case.expected.size else values


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_pdsgen_reads_the_written_values(tmp_path, case):
    got = pdsgen_values(_write(tmp_path, case), case)
    if isinstance(case.expected, dict):
        for name, exp in case.expected.items():
            assert _same(got[name], exp), f"{case.name}: field {name}: {got[name]!r} != {exp!r}"
    else:
        assert _same(got, case.expected), f"{case.name}: {got!r} != {case.expected!r}"


AGREED = [c for c in CASES if c.pdr == "same"]


@pytest.mark.parametrize("case", AGREED, ids=[c.name for c in AGREED])
def test_pdr_reads_the_same_values(tmp_path, case):
    got = pdr_values(_write(tmp_path, case), case)
    if isinstance(case.expected, dict):
        for name, exp in case.expected.items():
            assert _same(np.ma.masked_invalid(got[name]) if np.asarray(got[name]).dtype.kind == "f" else got[name],
                         exp), f"{case.name}: pdr field {name}: {got[name]!r} != {exp!r}"
    else:
        assert _same(got, case.expected), f"{case.name}: pdr {got!r} != {case.expected!r}"


def test_matrix_covers_every_object_family():
    """The matrix reaches each PDS3 object family the brief lists, both ways of agreeing."""
    names = " ".join(c.name for c in CASES)
    for family in ("table_binary", "table_ascii", "bit_column", "container", "spreadsheet", "image_band_sequential",
                   "image_line_interleaved", "image_sample_interleaved", "line_prefix", "qube", "array", "collection",
                   "histogram", "pointer_attached", "packed", "per_band_scaling"):
        assert family in names, family
    assert len(CASES) >= 60 and len(AGREED) >= 40


# --------------------------------------------------------------------------- the fixed cases migrate
@pytest.fixture
def ctx_file(tmp_path: Path) -> Path:
    import json

    from test_migrate import CONTEXT

    (tmp_path / "context.json").write_text(json.dumps(CONTEXT))
    return tmp_path / "context.json"


def _migrate(tmp_path: Path, ctx_file: Path, case: Case, pid: str) -> Any:
    """``pdsgen migrate`` of the case's product (its label with the identification a
    migration needs): the result, and pds4_tools' reading of the PDS4 label."""
    from test_migrate import ident
    from test_migrate_realworld import product

    pds4_tools = pytest.importorskip("pds4_tools")
    label, *rest = case.files
    files = {label: str(case.files[label]).replace(HEAD, ident(pid)), **{k: case.files[k] for k in rest}}
    r = product(tmp_path, ctx_file, files, label)
    return r, (pds4_tools.read(str(r.pds4_label), quiet=True) if r.status == "migrated" else None)


def _case(name: str) -> Case:
    return next(c for c in CASES if c.name == name)


def test_per_band_scaling_band_sequential_migrates_to_one_scaled_image_per_band(tmp_path, ctx_file):
    r, s = _migrate(tmp_path, ctx_file, _case("image_per_band_scaling_band_sequential"), "BANDSCALE1")
    assert r.status == "migrated", r.reason
    expected = _case("image_per_band_scaling_band_sequential").expected
    for b in range(2):
        band = s[f"IMAGE_BAND_{b + 1}"]
        assert band.meta_data["Element_Array"]["scaling_factor"] == [0.5, 2.0][b]
        assert band.meta_data["Element_Array"]["value_offset"] == [10.0, 20.0][b]
        assert np.array_equal(np.asarray(band.data), expected[b])  # pds4_tools applies the scaling


def test_per_band_scaling_sample_interleaved_migrates_to_scaled_band_fields(tmp_path, ctx_file):
    r, s = _migrate(tmp_path, ctx_file, _case("image_per_band_scaling_sample_interleaved"), "BANDSCALE2")
    assert r.status == "migrated", r.reason
    expected = _case("image_per_band_scaling_sample_interleaved").expected  # (band, line, sample)
    lines = s["IMAGE"]
    for b in range(2):
        assert np.array_equal(np.asarray(lines[f"SAMPLE_BAND_{b + 1}"]), expected[b])


def test_per_band_scaling_with_line_prefixes_in_band_sequential_order_is_refused(tmp_path, ctx_file):
    """Band-sequential lines with prefixes: the bands are neither arrays nor fields of one
    record, and PDS4 scaling applies to a whole array or field: refused, never unscaled."""
    case = _case("image_band_sequential_line_prefix_suffix")
    label = str(case.files["I.LBL"]).replace("  LINE_PREFIX_BYTES", "  SCALING_FACTOR = (1, 3)\n  LINE_PREFIX_BYTES")
    r, _ = _migrate(tmp_path, ctx_file, Case(case.name, {**case.files, "I.LBL": label}, "IMAGE", None), "BANDSCALE3")
    assert r.status == "failed"
    assert "per-band scaling (scaling_factor, value_offset)" in r.reason


def test_signed_bit_column_spellings_migrate_and_read_back_negative(tmp_path, ctx_file):
    case = _case("table_bit_column_signed_spellings")
    r, s = _migrate(tmp_path, ctx_file, case, "BITSIGN")
    assert r.status == "migrated", r.reason
    xml = Path(r.pds4_label).read_text()
    assert xml.count("<data_type>SignedBitString</data_type>") == 5
    assert xml.count("<data_type>UnsignedBitString</data_type>") == 1 + 6  # the MSB_UNSIGNED column A5 and each column
    # pds4_tools reads each column's bytes (a bit string: trailing NULs dropped); the
    # BIT_COLUMNs through pdsgen's PDS4 reading
    assert all([bytes(v)[:1] for v in s["TABLE"][f"W{k}"]] == [b"\xf0", b"\x70"] for k in range(6))
    pds4 = pdsgen.open(r.pds4_label)["TABLE"].data
    for name, exp in case.expected.items():
        assert np.asarray(pds4[name]).tolist() == exp.tolist(), name
