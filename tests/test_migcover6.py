"""`pdsgen migrate` on PDS3 keyword semantics (issue 18's unseen set), fifth round: QUBE /
SPECTRAL_QUBE cores of every item size and type with CORE_BASE/CORE_MULTIPLIER and the
CORE_NULL / CORE_*_SATURATION / CORE_VALID_MINIMUM family in each AXIS_NAME order, suffix
planes with their own type, scaling and NULLs (BAND_SUFFIX_*), SERIES/SPECTRUM sampling
keywords, PALETTE, HISTOGRAM item types with scaling, OFFSET/SCALING_FACTOR on integer
columns (binary and ASCII, explicit identities), unit spellings, several data files per
product, ASCII tables with ROW_PREFIX_BYTES and CONTAINERs, BIT_COLUMNs with ITEMS.

Every product is written by the test; every value is asserted against what the test
computes by hand from the bytes it wrote — through pds4_tools from the migrated label,
scaled (``lazy_load=True``, masked arrays) and unscaled (``no_scale=True``), and through
``pdsgen.open`` of the PDS3 label.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from test_migrate import CONTEXT, ident, texts
from test_migrate_kinds import pds4_read
from test_migrate_realworld import col, migrated, product, table_label
from test_migrate_realworld2 import pds4_raw
from test_pds3diff import bit_col, container

import pdsgen


@pytest.fixture
def ctx_file(tmp_path: Path) -> Path:
    (tmp_path / "context.json").write_text(json.dumps(CONTEXT))
    return tmp_path / "context.json"


def pds3(label: Path, name: str):
    """pdsgen's PDS3 reading of object ``name``: (stored values, physical masked values)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        obj = pdsgen.open(label)[name]
        return obj.data, obj.physical


def masked(struct) -> np.ma.MaskedArray:
    return np.ma.masked_array(struct.as_masked().data)


def assert_array(label: str, name: str, stored: np.ndarray, special: np.ndarray, physical: np.ndarray,
                 pds3_label: Path, pds3_name: str | None = None) -> None:
    """The array ``name`` read back through pds4_tools scaled (masked where ``special``)
    and unscaled, and through pdsgen's PDS3 reading, equals the hand-computed values."""
    got = masked(pds4_read(label)[name])
    struct = pds4_read(label)[name]
    constants = [k for k in struct.meta_data.get("Special_Constants", {}) if not k.startswith("valid_")]
    if len(constants) <= 1:
        # pds4_tools masks only one of several constants (mask_special_constants: each
        # masked_where after the first compares a masked array): checked one by one below
        assert np.ma.getmaskarray(got).reshape(stored.shape).tolist() == special.tolist()
    else:
        from pds4_tools.reader.data_types import mask_special_constants
        raw = np.asarray(pds4_raw(label)[name].data)
        sc = struct.meta_data["Special_Constants"]
        each = np.zeros(raw.shape, bool)
        for k in constants:
            each |= np.ma.getmaskarray(mask_special_constants(raw.copy(), {k: sc[k]}))
        assert each.reshape(stored.shape).tolist() == special.tolist()
    assert np.ma.getdata(got).reshape(stored.shape)[~special].tolist() == physical[~special].tolist()
    assert np.asarray(pds4_raw(label)[name].data).reshape(stored.shape).tolist() == stored.tolist()
    data, phys = pds3(pds3_label, pds3_name or name)
    assert np.asarray(data).reshape(stored.shape).tolist() == stored.tolist()
    assert np.ma.getmaskarray(phys).reshape(stored.shape).tolist() == special.tolist()
    assert np.ma.getdata(phys).reshape(stored.shape)[~special].tolist() == physical[~special].tolist()


# --------------------------------------------------------------------------- QUBE cores

#: ISIS special values by core type: NULL, LRS, LIS, HIS, HRS, VALID_MINIMUM (stored values)
ISIS_SPECIALS = {
    "u1": (0, 0, 0, 255, 255, 1),
    ">i2": (-32768, -32767, -32766, -32765, -32764, -32752),
    "<i2": (-32768, -32767, -32766, -32765, -32764, -32752),
    ">u2": (0, 1, 2, 65534, 65535, 3),
    ">i4": (-2147483648, -2147483647, -2147483646, -2147483645, -2147483644, -2147483640),
    ">f4": (-1.0e30, -2.0e30, -3.0e30, 3.0e30, 2.0e30, -0.5e30),
    "<f4": (-1.0e30, -2.0e30, -3.0e30, 3.0e30, 2.0e30, -0.5e30),
}
SPECIAL_KEYS = ("CORE_NULL", "CORE_LOW_REPR_SATURATION", "CORE_LOW_INSTR_SATURATION", "CORE_HIGH_INSTR_SATURATION",
                "CORE_HIGH_REPR_SATURATION", "CORE_VALID_MINIMUM")


def qube_label(pid: str, names: tuple[str, ...], items: tuple[int, ...], nbytes: int, item_type: str, extra: str,
               *, suffix: tuple[int, ...] = (0, 0, 0), obj: str = "QUBE", record_bytes: int = 512) -> str:
    return ident(pid) + f"""RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = {record_bytes}
^{obj} = "Q.QUB"
OBJECT = {obj}
  AXES = {len(names)}
  AXIS_NAME = ({", ".join(names)})
  CORE_ITEMS = ({", ".join(map(str, items))})
  CORE_ITEM_BYTES = {nbytes}
  CORE_ITEM_TYPE = {item_type}
  SUFFIX_ITEMS = ({", ".join(map(str, suffix))})
{extra}END_OBJECT = {obj}
END
"""


@pytest.mark.parametrize(("dtype", "item_type", "names"), [
    ("u1", "UNSIGNED_INTEGER", ("SAMPLE", "LINE", "BAND")),
    (">i2", "SUN_INTEGER", ("BAND", "SAMPLE", "LINE")),
    ("<i2", "VAX_INTEGER", ("SAMPLE", "BAND", "LINE")),
    (">u2", "SUN_UNSIGNED_INTEGER", ("SAMPLE", "LINE", "BAND")),
    (">i4", "MSB_INTEGER", ("BAND", "SAMPLE", "LINE")),
    (">f4", "SUN_REAL", ("SAMPLE", "LINE", "BAND")),
    ("<f4", "PC_REAL", ("SAMPLE", "BAND", "LINE")),
])
def test_qube_core_types_scaling_and_isis_special_family(tmp_path, ctx_file, dtype, item_type, names):
    """A QUBE core of 1-, 2- and 4-byte items of each CORE_ITEM_TYPE spelling in three
    AXIS_NAME orders (band sequential, by pixel, by line) with CORE_BASE / CORE_MULTIPLIER
    and the whole ISIS special family: physical = base + multiplier × stored (PDS3 SR
    A.23 / ISIS), the five specials masked, CORE_VALID_MINIMUM a valid_minimum."""
    items = (3, 2, 4)  # along names, fastest first
    specials = ISIS_SPECIALS[dtype]
    rng = np.random.default_rng(7)
    lo = 2 if dtype == "u1" else 4
    stored = rng.integers(lo, 200, size=tuple(reversed(items))).astype(dtype)
    flat = stored.reshape(-1)
    flat[[0, 5, 9, 13, 17]] = np.array(specials[:5], dtype=dtype)
    extra = "".join(f"  {k} = {v}\n" for k, v in zip(SPECIAL_KEYS, specials, strict=True))
    extra += '  CORE_BASE = -10.0\n  CORE_MULTIPLIER = 0.25\n  CORE_NAME = RADIANCE\n  CORE_UNIT = "W/M**2/SR/UM"\n'
    lbl = qube_label("QT", names, items, stored.itemsize, item_type, extra)
    files = {"Q.QUB": stored.tobytes(), "Q.LBL": lbl}
    # (big-endian floats too: pds4_tools masks only the first of several constants of a float32
    # array — numpy compares the later ones with the masked array in float64 — which the
    # read-back allows for, as for little-endian ones; the label is right, checked below)
    r, t = migrated(tmp_path, ctx_file, files, "Q.LBL")
    assert texts(t, "//p:Element_Array/p:scaling_factor") == ["0.25"]
    assert texts(t, "//p:Element_Array/p:value_offset") == ["-10.0"]
    assert texts(t, "//p:Axis_Array/p:axis_name") == [n.capitalize() for n in reversed(names)]
    special = np.isin(stored, np.array(specials[:5], dtype=dtype))
    assert_array(r.pds4_label, "QUBE", stored, special, -10.0 + 0.25 * stored.astype(float), tmp_path / "in" / "Q.LBL")


# --------------------------------------------------------------------------- QUBE suffix planes


def test_spectral_qube_backplanes_with_their_own_type_scaling_and_nulls(tmp_path, ctx_file):
    """VIMS/NIMS-style SPECTRAL_QUBE: a 2-byte core and 2 backplanes (BAND suffix) of 4-byte
    SUN_INTEGER items with BAND_SUFFIX_BASE / BAND_SUFFIX_MULTIPLIER of their own per item
    and a BAND_SUFFIX_NULL. Suffix item i is base_i + multiplier_i × stored, NULL masked."""
    core = (np.arange(24).reshape(2, 3, 4) - 5).astype(">i2")  # band, line, sample
    core[0, 0, 0] = -32768
    back = np.array([[[100, 200, 300, 400], [-2147483648, 5, 6, 7], [8, 9, 10, 11]],
                     [[1, 2, 3, 4], [5, 6, -2147483648, 8], [9, 10, 11, 12]]], dtype=">i4")
    extra = """  CORE_NULL = -32768
  CORE_BASE = 0.0
  CORE_MULTIPLIER = 1.0
  SUFFIX_BYTES = 4
  BAND_SUFFIX_NAME = (TEMPERATURE, INCIDENCE_ANGLE)
  BAND_SUFFIX_UNIT = (KELVIN, DEGREE)
  BAND_SUFFIX_ITEM_BYTES = (4, 4)
  BAND_SUFFIX_ITEM_TYPE = (SUN_INTEGER, SUN_INTEGER)
  BAND_SUFFIX_BASE = (100.0, 0.0)
  BAND_SUFFIX_MULTIPLIER = (0.01, 0.5)
  BAND_SUFFIX_NULL = (-2147483648, -2147483648)
"""
    lbl = qube_label("SQ", ("SAMPLE", "LINE", "BAND"), (4, 3, 2), 2, "SUN_INTEGER", extra, suffix=(0, 0, 2),
                     obj="SPECTRAL_QUBE")
    r, t = migrated(tmp_path, ctx_file, {"Q.QUB": core.tobytes() + back.tobytes(), "Q.LBL": lbl}, "Q.LBL")
    null = back == -2147483648
    phys = back.astype(float) * np.array([0.01, 0.5])[:, None, None] + np.array([100.0, 0.0])[:, None, None]
    lab = Path(r.pds4_label)
    s = pds4_read(r.pds4_label)
    names = [x.id for x in s.structures]
    assert names[0] == "SPECTRAL_QUBE"
    got_core = masked(s["SPECTRAL_QUBE"])
    assert np.ma.getmaskarray(got_core).tolist() == (core == -32768).tolist()
    # each backplane with its own scaling and NULL, through pds4_tools and pdsgen's PDS3 reading
    planes = [np.ma.getdata(masked(s[n])).reshape(-1, 3, 4) for n in names[1:]]
    masks = [np.ma.getmaskarray(masked(s[n])).reshape(-1, 3, 4) for n in names[1:]]
    got = np.ma.masked_array(np.concatenate(planes), np.concatenate(masks))
    assert np.ma.getmaskarray(got).tolist() == null.tolist()
    assert np.ma.getdata(got)[~null].tolist() == phys[~null].tolist()
    raw = pds4_raw(lab)
    assert np.concatenate([np.asarray(raw[n].data).reshape(-1, 3, 4) for n in names[1:]]).tolist() == back.tolist()
    assert names[1:] == ["SPECTRAL_QUBE.BAND_SUFFIX_1", "SPECTRAL_QUBE.BAND_SUFFIX_2"]
    for i, n in enumerate(names[1:]):
        data, mine = pds3(tmp_path / "in" / "Q.LBL", n)
        assert np.asarray(data).reshape(3, 4).tolist() == back[i].tolist()
        assert np.ma.getmaskarray(mine).reshape(3, 4).tolist() == null[i].tolist()
        assert np.ma.getdata(mine).reshape(3, 4)[~null[i]].tolist() == phys[i][~null[i]].tolist()
    assert sorted(texts(t, "//p:Element_Array/p:unit")) == ["K", "deg"]


def test_qube_suffix_items_of_equal_keywords_stay_one_array(tmp_path, ctx_file):
    """One scaling shared by every backplane (a sequence of equal values, or one value):
    one suffix array, scaled, its NULL (a based integer on a signed type) masked."""
    core = np.arange(8, dtype=">i2").reshape(1, 2, 4)
    back = np.array([[[1, 2, 3, 4], [5, -1, 7, 8]], [[-1, 10, 11, 12], [13, 14, 15, 16]]], dtype=">i2")
    extra = """  SUFFIX_BYTES = 2
  BAND_SUFFIX_NAME = (A, B)
  BAND_SUFFIX_ITEM_BYTES = 2
  BAND_SUFFIX_ITEM_TYPE = SUN_INTEGER
  BAND_SUFFIX_BASE = (1.0, 1.0)
  BAND_SUFFIX_MULTIPLIER = 2.0
  BAND_SUFFIX_NULL = 16#FFFF#
"""
    lbl = qube_label("SE", ("SAMPLE", "LINE", "BAND"), (4, 2, 1), 2, "SUN_INTEGER", extra, suffix=(0, 0, 2))
    r, t = migrated(tmp_path, ctx_file, {"Q.QUB": core.tobytes() + back.tobytes(), "Q.LBL": lbl}, "Q.LBL")
    assert texts(t, "//p:Special_Constants/p:missing_constant") == ["-1"]
    assert_array(r.pds4_label, "QUBE.BAND_SUFFIX", back, back == -1, 1.0 + 2.0 * back.astype(float),
                 tmp_path / "in" / "Q.LBL")


def test_qube_sideplanes_with_their_own_scaling_and_null(tmp_path, ctx_file):
    """Sideplanes (one SAMPLE suffix item per line, ISIS2 style) interleave with the core:
    the qube is a Table_Binary of its core planes (fields CORE and SAMPLE_SUFFIX), each with
    its own type, scaling and NULL."""
    core = np.array([[[1, 2, -32768], [4, 5, 6]], [[7, 8, 9], [-32768, 11, 12]]], dtype=">i2")
    side = np.array([[[10], [-1]], [[30], [40]]], dtype=">i4")
    data = b"".join(core[b, ln].tobytes() + side[b, ln].tobytes() for b in range(2) for ln in range(2))
    extra = ("  CORE_NULL = -32768\n  CORE_BASE = 1.0\n  CORE_MULTIPLIER = 2.0\n  SUFFIX_BYTES = 4\n"
             "  SAMPLE_SUFFIX_NAME = TEMP\n  SAMPLE_SUFFIX_ITEM_BYTES = 4\n  SAMPLE_SUFFIX_ITEM_TYPE = SUN_INTEGER\n"
             "  SAMPLE_SUFFIX_MULTIPLIER = 0.5\n  SAMPLE_SUFFIX_NULL = -1\n")
    lbl = qube_label("SP", ("SAMPLE", "LINE", "BAND"), (3, 2, 2), 2, "SUN_INTEGER", extra, suffix=(1, 0, 0))
    r, t = migrated(tmp_path, ctx_file, {"Q.QUB": data, "Q.LBL": lbl}, "Q.LBL")
    assert texts(t, "//p:Table_Binary/p:name") == ["QUBE"]
    s = pds4_read(r.pds4_label)["QUBE"].as_masked()
    got_core = np.ma.masked_array(s["CORE"]).reshape(core.shape)
    got_side = np.ma.masked_array(s["SAMPLE_SUFFIX"]).reshape(side.shape)
    assert np.ma.getmaskarray(got_core).tolist() == (core == -32768).tolist()
    assert np.ma.getdata(got_core)[core != -32768].tolist() == (1.0 + 2.0 * core[core != -32768]).tolist()
    assert np.ma.getmaskarray(got_side).tolist() == (side == -1).tolist()
    assert np.ma.getdata(got_side)[side != -1].tolist() == (0.5 * side[side != -1]).tolist()
    _, mine = pds3(tmp_path / "in" / "Q.LBL", "QUBE.SAMPLE_SUFFIX")
    assert np.ma.getmaskarray(mine).tolist() == (side == -1).tolist()
    assert np.ma.getdata(mine)[side != -1].tolist() == (0.5 * side[side != -1]).tolist()


def test_qube_sideplanes_of_their_own_scaling_per_item_are_refused(tmp_path, ctx_file):
    """Two sideplane items with different multipliers inside the table of planes (one
    repeated field, one scaling): refused naming them, not read with the first's scaling."""
    extra = ("  SUFFIX_BYTES = 2\n  SAMPLE_SUFFIX_ITEM_BYTES = 2\n  SAMPLE_SUFFIX_MULTIPLIER = (1.0, 0.5)\n")
    lbl = qube_label("SP", ("SAMPLE", "LINE", "BAND"), (2, 2, 1), 2, "SUN_INTEGER", extra, suffix=(2, 0, 0))
    r = product(tmp_path, ctx_file, {"Q.QUB": bytes(16), "Q.LBL": lbl}, "Q.LBL")
    assert r.status == "failed"
    assert ("the suffix items QUBE.SAMPLE_SUFFIX_1, QUBE.SAMPLE_SUFFIX_2 each have their own type, scaling or "
            "special values") in r.reason

# --------------------------------------------------------------------------- SERIES / SPECTRUM / PALETTE / HISTOGRAM


@pytest.mark.parametrize("obj", ["SERIES", "TIME_SERIES", "SPECTRUM"])
def test_series_sampling_parameters_are_kept_and_values_scaled(tmp_path, ctx_file, obj):
    """SAMPLING_PARAMETER_NAME / _INTERVAL / _UNIT (PDS3 SR A.24 SERIES, A.27 SPECTRUM): the
    spacing of the rows (or items) is no value of the data; PDS4 tables have no element for
    it, so it is kept as text in the description. A scaled integer column and an ITEMS
    column with its own scaling."""
    rows = np.zeros(3, dtype=[("C", ">i2"), ("S", ">u2", (3,))])
    rows["C"] = [-100, 0, 250]
    rows["S"] = [[1, 2, 3], [4, 5, 65535], [7, 8, 9]]
    cols = (col("C", "MSB_INTEGER", 1, 2, '    SCALING_FACTOR = 0.01\n    OFFSET = -5\n    UNIT = "KM/S"\n')
            + col("S", "MSB_UNSIGNED_INTEGER", 3, 6, "    ITEMS = 3\n    ITEM_BYTES = 2\n    SCALING_FACTOR = 10\n"
                  "    MISSING_CONSTANT = 65535\n    UNIT = 'DN'\n"))
    keys = ("  SAMPLING_PARAMETER_NAME = TIME\n  SAMPLING_PARAMETER_INTERVAL = 0.5\n"
            "  SAMPLING_PARAMETER_UNIT = SECOND\n  MINIMUM_SAMPLING_PARAMETER = 0.0\n"
            "  MAXIMUM_SAMPLING_PARAMETER = 1.0\n")
    lbl = table_label("SER", cols, file="S.DAT", rows=3, row_bytes=8, obj=obj, extra=keys)
    r, t = migrated(tmp_path, ctx_file, {"S.DAT": rows.tobytes(), "S.LBL": lbl}, "S.LBL")
    desc = " ".join(texts(t, "//p:Table_Binary/p:description"))
    for said in ("SAMPLING_PARAMETER_NAME = TIME", "SAMPLING_PARAMETER_INTERVAL = 0.5",
                 "SAMPLING_PARAMETER_UNIT = SECOND", "MINIMUM_SAMPLING_PARAMETER = 0.0",
                 "MAXIMUM_SAMPLING_PARAMETER = 1.0"):
        assert said in desc
    assert texts(t, "//p:Field_Binary/p:unit") == ["km/s", "DN"]
    s, raw = pds4_read(r.pds4_label)[obj], pds4_raw(r.pds4_label)[obj]
    assert np.asarray(raw["C"]).tolist() == rows["C"].tolist()
    assert np.asarray(s["C"]).tolist() == (rows["C"] * 0.01 - 5).tolist()
    miss = rows["S"] == 65535
    got = np.ma.masked_array(pds4_read(r.pds4_label)[obj].as_masked()["S"])
    assert np.ma.getmaskarray(got).tolist() == miss.tolist()
    assert np.ma.getdata(got)[~miss].tolist() == (rows["S"] * 10.0)[~miss].tolist()
    _, mine = pds3(tmp_path / "in" / "S.LBL", obj)
    assert np.ma.getdata(mine["C"]).tolist() == (rows["C"] * 0.01 - 5).tolist()
    assert np.ma.getmaskarray(mine["S"]).tolist() == miss.tolist()


def test_palette_table(tmp_path, ctx_file):
    """A PALETTE (PDS3 SR A.20): rows of colour indices as bytes."""
    rows = np.zeros(4, dtype=[("I", "u1"), ("R", "u1"), ("G", "u1"), ("B", "u1")])
    rows["I"], rows["R"], rows["G"], rows["B"] = [0, 1, 2, 3], [0, 85, 170, 255], [255, 0, 9, 1], [3, 3, 3, 3]
    cols = "".join(col(n, "UNSIGNED_INTEGER", k + 1, 1) for k, n in enumerate("IRGB"))
    lbl = table_label("PAL", cols, file="P.DAT", rows=4, row_bytes=4, obj="PALETTE")
    r, _ = migrated(tmp_path, ctx_file, {"P.DAT": rows.tobytes(), "P.LBL": lbl}, "P.LBL")
    s = pds4_read(r.pds4_label)["PALETTE"]
    for n in "IRGB":
        assert np.asarray(s[n]).tolist() == rows[n].tolist()


@pytest.mark.parametrize(("keys", "dtype"), [
    ("  ITEM_TYPE = MSB_UNSIGNED_INTEGER\n  ITEM_BYTES = 4\n", ">u4"),
    ("  DATA_TYPE = VAX_INTEGER\n  ITEM_BYTES = 2\n", "<i2"),
    ("  DATA_TYPE = LSB_INTEGER\n  ITEM_BYTES = 4\n", "<i4"),
    ("  ITEM_TYPE = PC_REAL\n  ITEM_BYTES = 4\n", "<f4"),
])
def test_histogram_item_types_with_offset_and_scaling(tmp_path, ctx_file, keys, dtype):
    """A HISTOGRAM (PDS3 SR A.15) of ITEMS counts of each ITEM_TYPE / DATA_TYPE and size,
    with OFFSET and SCALING_FACTOR: physical = offset + factor × stored."""
    hist = np.array([0, 7, 123456 if dtype.endswith("4") else 1234, 3, 2, 1], dtype=dtype)
    lbl = ident("HIS") + f"""RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = {hist.nbytes}
FILE_RECORDS = 1
^HISTOGRAM = "H.DAT"
OBJECT = HISTOGRAM
  ITEMS = 6
{keys}  OFFSET = 1
  SCALING_FACTOR = 2
END_OBJECT = HISTOGRAM
END
"""
    r, _ = migrated(tmp_path, ctx_file, {"H.DAT": hist.tobytes(), "H.LBL": lbl}, "H.LBL")
    assert_array(r.pds4_label, "HISTOGRAM", hist, np.zeros(6, bool), 1 + 2 * hist.astype(float),
                 tmp_path / "in" / "H.LBL")


# --------------------------------------------------------------------------- column scaling and units


def test_integer_columns_scaled_identity_scaling_and_unit_spellings(tmp_path, ctx_file):
    """OFFSET/SCALING_FACTOR on integer columns (physical values are real); an explicit
    ``SCALING_FACTOR = 1`` / ``OFFSET = 0`` (identity: values unchanged); units as a quoted
    string with a blank, a symbol in single quotes, and ``<unitless>``-style words."""
    rows = np.zeros(3, dtype=[("A", ">i4"), ("B", ">u1"), ("C", ">i2"), ("D", "<u2")])
    rows["A"] = [1, -3, 2000000]
    rows["B"] = [0, 7, 255]
    rows["C"] = [-2, 0, 3]
    rows["D"] = [1, 2, 60000]
    cols = (col("A", "MSB_INTEGER", 1, 4, '    SCALING_FACTOR = 1.5E-3\n    OFFSET = 273.15\n    UNIT = "DEG K"\n')
            + col("B", "MSB_UNSIGNED_INTEGER", 5, 1, "    SCALING_FACTOR = 1\n    OFFSET = 0\n    UNIT = 'DN'\n")
            + col("C", "MSB_INTEGER", 6, 2, '    SCALING_FACTOR = 1.0\n    OFFSET = 0.0\n    UNIT = "N/A"\n')
            + col("D", "LSB_UNSIGNED_INTEGER", 8, 2, '    SCALING_FACTOR = 0.5\n    UNIT = "KM/S"\n'))
    lbl = table_label("ISC", cols, file="I.DAT", rows=3, row_bytes=9)
    r, t = migrated(tmp_path, ctx_file, {"I.DAT": rows.tobytes(), "I.LBL": lbl}, "I.LBL")
    s, raw = pds4_read(r.pds4_label)["TABLE"], pds4_raw(r.pds4_label)["TABLE"]
    expected = {"A": rows["A"] * 1.5e-3 + 273.15, "B": rows["B"], "C": rows["C"], "D": rows["D"] * 0.5}
    _, mine = pds3(tmp_path / "in" / "I.LBL", "TABLE")
    for n, v in expected.items():
        assert np.asarray(raw[n]).tolist() == rows[n].tolist()
        assert np.allclose(np.asarray(s[n], dtype=float), v, rtol=1e-15, atol=0)
        assert np.allclose(np.ma.getdata(mine[n]), v, rtol=1e-15, atol=0)
    units = dict(zip(texts(t, "//p:Field_Binary/p:name"), [None] * 4, strict=True))
    for f in t.xpath("//p:Field_Binary", namespaces={"p": t.getroot().nsmap[None]}):
        u = f.find("{*}unit")
        units[f.find("{*}name").text] = None if u is None else u.text
    assert units["B"] == "DN" and units["C"] is None and units["D"] == "km/s"
    assert units["A"] is not None


def test_ascii_integer_columns_with_scaling(tmp_path, ctx_file):
    """SCALING_FACTOR / OFFSET on ASCII_INTEGER columns (and ITEMS of them) in a character
    table: the stored text is an integer, the physical value real."""
    recs = ["  12, -7,  3,  9", "-400,  0, 10, 11"]
    cols = (col("N", "ASCII_INTEGER", 1, 4, "    SCALING_FACTOR = 0.25\n    OFFSET = -1\n    UNIT = \"KM/S\"\n")
            + col("V", "ASCII_INTEGER", 6, 11, "    ITEMS = 3\n    ITEM_BYTES = 3\n    ITEM_OFFSET = 4\n"
                  "    SCALING_FACTOR = 100\n"))
    lbl = table_label("AIS", cols, file="A.TAB", rows=2, row_bytes=18, fmt="ASCII")
    r, _ = migrated(tmp_path, ctx_file, {"A.TAB": "".join(x + "\r\n" for x in recs), "A.LBL": lbl}, "A.LBL")
    n = np.array([12, -400])
    v = np.array([[-7, 3, 9], [0, 10, 11]])
    s, raw = pds4_read(r.pds4_label)["TABLE"], pds4_raw(r.pds4_label)["TABLE"]
    assert np.asarray(raw["N"]).astype(int).tolist() == n.tolist()
    assert np.asarray(s["N"], dtype=float).tolist() == (n * 0.25 - 1).tolist()
    assert np.asarray(s["V"], dtype=float).tolist() == (v * 100.0).tolist()
    _, mine = pds3(tmp_path / "in" / "A.LBL", "TABLE")
    assert np.ma.getdata(mine["N"]).tolist() == (n * 0.25 - 1).tolist()
    assert np.ma.getdata(mine["V"]).tolist() == (v * 100.0).tolist()


# --------------------------------------------------------------------------- several data files


def test_file_objects_with_their_own_record_bytes_table_and_image_in_different_files(tmp_path, ctx_file):
    """Two FILE objects (PDS3 SR 5.3.2: a combined-detached label), each with its own
    RECORD_BYTES: ``^TABLE = ("T.DAT", 2)`` is byte 1 × 6 of T.DAT, ``^IMAGE = ("I.IMG", 3)``
    byte 2 × 4 of I.IMG — each file's record size, not the other's."""
    rows = np.array([(1, -2), (3, 4)], dtype=[("A", ">i2"), ("B", ">i4")])
    img = np.arange(8, dtype="u1").reshape(2, 4)
    lbl = ident("FIL") + """OBJECT = FILE
  ^TABLE = ("T.DAT", 2)
  RECORD_TYPE = FIXED_LENGTH
  RECORD_BYTES = 6
  FILE_RECORDS = 3
  OBJECT = TABLE
    INTERCHANGE_FORMAT = BINARY
    ROWS = 2
    ROW_BYTES = 6
    COLUMNS = 2
    OBJECT = COLUMN
      NAME = A
      DATA_TYPE = MSB_INTEGER
      START_BYTE = 1
      BYTES = 2
      SCALING_FACTOR = 0.5
    END_OBJECT = COLUMN
    OBJECT = COLUMN
      NAME = B
      DATA_TYPE = MSB_INTEGER
      START_BYTE = 3
      BYTES = 4
    END_OBJECT = COLUMN
  END_OBJECT = TABLE
END_OBJECT = FILE
OBJECT = FILE
  ^IMAGE = ("I.IMG", 3)
  RECORD_TYPE = FIXED_LENGTH
  RECORD_BYTES = 4
  FILE_RECORDS = 4
  OBJECT = IMAGE
    LINES = 2
    LINE_SAMPLES = 4
    SAMPLE_TYPE = UNSIGNED_INTEGER
    SAMPLE_BITS = 8
    OFFSET = 100
  END_OBJECT = IMAGE
END_OBJECT = FILE
END
"""
    files = {"T.DAT": b"\xee" * 6 + rows.tobytes(), "I.IMG": b"\xdd" * 8 + img.tobytes(), "F.LBL": lbl}
    r, t = migrated(tmp_path, ctx_file, files, "F.LBL")
    assert texts(t, "//p:Table_Binary/p:offset") == ["6"]
    assert texts(t, "//p:Array_2D_Image/p:offset") == ["8"]
    s = pds4_read(r.pds4_label)
    assert np.asarray(s["TABLE"]["A"]).tolist() == (rows["A"] * 0.5).tolist()
    assert np.asarray(s["TABLE"]["B"]).tolist() == [-2, 4]
    assert_array(r.pds4_label, "IMAGE", img, np.zeros(img.shape, bool), img + 100.0, tmp_path / "in" / "F.LBL")


def test_same_file_pointed_at_twice_and_byte_pointer(tmp_path, ctx_file):
    """``^HEADER = ("F.DAT", 1)``, ``^TABLE = ("F.DAT", 3 <BYTES>)`` (1-based: offset 2) and
    ``^IMAGE = ("F.DAT", 15 <BYTES>)`` in one UNDEFINED file: the file is migrated once,
    every object at its own offset."""
    rows = np.array([(7, 1.5), (-8, 2.25)], dtype=[("A", ">i2"), ("B", ">f4")])  # 12 bytes: bytes 2..13
    img = np.array([[1, 2], [3, 65535]], dtype=">u2")  # bytes 14..21
    lbl = ident("TWI") + """RECORD_TYPE = UNDEFINED
^HEADER = ("F.DAT", 1 <BYTES>)
^TABLE = ("F.DAT", 3 <BYTES>)
^IMAGE = ("F.DAT", 15 <BYTES>)
OBJECT = HEADER
  HEADER_TYPE = BINARY
  BYTES = 2
END_OBJECT = HEADER
OBJECT = TABLE
  INTERCHANGE_FORMAT = BINARY
  ROWS = 2
  ROW_BYTES = 6
  COLUMNS = 2
""" + col("A", "MSB_INTEGER", 1, 2) + col("B", "IEEE_REAL", 3, 4) + """END_OBJECT = TABLE
OBJECT = IMAGE
  LINES = 2
  LINE_SAMPLES = 2
  SAMPLE_TYPE = MSB_UNSIGNED_INTEGER
  SAMPLE_BITS = 16
  MISSING_CONSTANT = 16#FFFF#
  SCALING_FACTOR = 0.1
END_OBJECT = IMAGE
END
"""
    r, t = migrated(tmp_path, ctx_file, {"F.DAT": b"HH" + rows.tobytes() + img.tobytes(), "F.LBL": lbl}, "F.LBL")
    assert texts(t, "//p:File/p:file_name") == ["F.DAT"]
    assert texts(t, "//p:Table_Binary/p:offset") == ["2"]
    assert texts(t, "//p:Array_2D_Image/p:offset") == ["14"]
    s = pds4_read(r.pds4_label)["TABLE"]
    assert np.asarray(s["A"]).tolist() == [7, -8] and np.asarray(s["B"]).tolist() == [1.5, 2.25]
    assert_array(r.pds4_label, "IMAGE", img, img == 65535, img * 0.1, tmp_path / "in" / "F.LBL")


# --------------------------------------------------------------------------- ASCII prefixes, containers, bit columns


def test_ascii_table_with_row_prefix_bytes(tmp_path, ctx_file):
    """An ASCII table whose rows start with ROW_PREFIX_BYTES of other bytes (PDS3 SR A.29:
    START_BYTE counts from the row after the prefix)."""
    recs = ["PFX1  12, 2.5", "PFX2 -34,-0.5"]
    cols = col("N", "ASCII_INTEGER", 1, 4, "    SCALING_FACTOR = 2\n") + col("X", "ASCII_REAL", 6, 4)
    lbl = table_label("PRE", cols, file="P.TAB", rows=2, row_bytes=11, fmt="ASCII", record_bytes=15,
                      extra="  ROW_PREFIX_BYTES = 4\n")
    r, _ = migrated(tmp_path, ctx_file, {"P.TAB": "".join(x + "\r\n" for x in recs), "P.LBL": lbl}, "P.LBL")
    s = pds4_read(r.pds4_label)["TABLE"]
    assert np.asarray(s["N"], dtype=float).tolist() == [24.0, -68.0]
    assert np.asarray(s["X"]).tolist() == [2.5, -0.5]
    _, mine = pds3(tmp_path / "in" / "P.LBL", "TABLE")
    assert np.ma.getdata(mine["N"]).tolist() == [24.0, -68.0]


def test_ascii_container_with_repetitions(tmp_path, ctx_file):
    """A CONTAINER of two ASCII columns repeated 3 times in each line (a scaled integer and
    a real): repetition k at START_BYTE + k × BYTES."""
    recs = ["T1  1 1.5  2 2.5  3 3.5", "T2 -4-0.5 -5-1.5 -6-2.5"]
    body = (col("ID", "CHARACTER", 1, 2)
            + container("C", 3, 7, 3, col("N", "ASCII_INTEGER", 1, 3, "    SCALING_FACTOR = 10\n")
                        + col("X", "ASCII_REAL", 4, 4)))
    lbl = table_label("ACO", body, file="C.TAB", rows=2, row_bytes=25, fmt="ASCII")
    r, _ = migrated(tmp_path, ctx_file, {"C.TAB": "".join(x + "\r\n" for x in recs), "C.LBL": lbl}, "C.LBL")
    s = pds4_read(r.pds4_label)["TABLE"]
    n = np.array([[1, 2, 3], [-4, -5, -6]])
    x = np.array([[1.5, 2.5, 3.5], [-0.5, -1.5, -2.5]])
    assert np.asarray(s["N"], dtype=float).reshape(2, 3).tolist() == (n * 10.0).tolist()
    assert np.asarray(s["X"]).reshape(2, 3).tolist() == x.tolist()
    _, mine = pds3(tmp_path / "in" / "C.LBL", "TABLE")
    assert np.ma.getdata(mine["N"]).reshape(2, 3).tolist() == (n * 10.0).tolist()


def test_bit_column_with_items_and_scaling(tmp_path, ctx_file):
    """A BIT_COLUMN of ITEMS = 3 of ITEM_BITS = 4 with SCALING_FACTOR / OFFSET (PDS3 SR
    A.3: items consecutive from START_BIT): item i is the bits' unsigned value × factor +
    offset."""
    words = np.array([0x1234, 0xF0A5], dtype=">u2")
    body = col("W", "MSB_UNSIGNED_INTEGER", 1, 2,
               bit_col("N", "MSB_UNSIGNED_INTEGER", 1, 12, "      ITEMS = 3\n      ITEM_BITS = 4\n"
                       "      SCALING_FACTOR = 0.5\n      OFFSET = 1\n"))
    lbl = table_label("BCI", body, file="B.DAT", rows=2, row_bytes=2)
    r, t = migrated(tmp_path, ctx_file, {"B.DAT": words.tobytes(), "B.LBL": lbl}, "B.LBL")
    nib = np.array([[(int(w) >> s) & 0xF for s in (12, 8, 4)] for w in words])
    expected = nib * 0.5 + 1
    assert texts(t, "//p:Field_Bit/p:name") == ["N_1", "N_2", "N_3"]
    assert texts(t, "//p:Field_Bit/p:scaling_factor") == ["0.5"] * 3
    _, mine = pds3(tmp_path / "in" / "B.LBL", "TABLE")
    _, new = pds3(Path(r.pds4_label), "TABLE")
    for i in range(3):
        assert np.ma.getdata(mine[f"N_{i + 1}"]).tolist() == expected[:, i].tolist()
        assert np.ma.getdata(new[f"N_{i + 1}"]).tolist() == expected[:, i].tolist()
    # pds4_tools gives the packed field whole (not its Field_Bits): the stored words
    assert [bytes(b) for b in np.asarray(pds4_raw(r.pds4_label)["TABLE"]["W"])] == [int(w).to_bytes(2, "big") for w in words]
