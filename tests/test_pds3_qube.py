"""PDS3 QUBE (ISIS-style spectral cubes): core and suffix planes from bytes built here item by
item (Python's struct, in the storage order the PDS3 Standards Reference gives: the first
AXIS_NAME varies fastest, suffix items after the core along each axis), in two axis
orders; special values, CORE_MULTIPLIER/BASE, and a round trip through `pdsgen export`."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
from click.testing import CliRunner

import pdsgen
from pdsgen.cli.app import main
from pdsgen.data import physical_data

NS, NL, NB = 4, 3, 2  # core samples, lines, bands
CORE_NULL = -32768


def core_value(s: int, line: int, b: int) -> int:
    return 100 * b + 10 * line + s if (s, line, b) != (1, 2, 1) else CORE_NULL


def side_value(line: int, b: int) -> int:  # one sample-suffix item per line
    return 1000 + 10 * b + line


def back_value(k: int, s: int, line: int) -> float:  # two band-suffix planes
    return k + s / 4 + line / 16


LABEL = """PDS_VERSION_ID = PDS3
RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 4
FILE_RECORDS = {records}
^QUBE = ("CUBE.QUB", 1)
OBJECT = QUBE
  AXES = 3
  AXIS_NAME = {axes}
  CORE_ITEMS = {core}
  CORE_ITEM_BYTES = 2
  CORE_ITEM_TYPE = {core_type}
  CORE_BASE = 0.5
  CORE_MULTIPLIER = 2.0
  CORE_NULL = -32768
  CORE_NAME = RADIANCE
  SUFFIX_BYTES = 4
  SUFFIX_ITEMS = {suffix}
  SAMPLE_SUFFIX_NAME = LINE_TIME
  SAMPLE_SUFFIX_ITEM_BYTES = 4
  SAMPLE_SUFFIX_ITEM_TYPE = {side_type}
  BAND_SUFFIX_NAME = (LATITUDE, LONGITUDE)
  BAND_SUFFIX_ITEM_BYTES = 4
  BAND_SUFFIX_ITEM_TYPE = (IEEE_REAL, IEEE_REAL)
END_OBJECT = QUBE
END
"""


def write_bsq(folder: Path) -> Path:
    """AXIS_NAME = (SAMPLE, LINE, BAND): each line of 4 samples then its side item; bands; backplanes."""
    out = bytearray()
    for b in range(NB):
        for line in range(NL):
            for s in range(NS):
                out += struct.pack(">h", core_value(s, line, b))
            out += struct.pack(">i", side_value(line, b))
    for k in range(2):
        for line in range(NL):
            for s in range(NS):
                out += struct.pack(">f", back_value(k, s, line))
            out += b"\0" * 4  # corner item (suffix of suffix)
    (folder / "CUBE.QUB").write_bytes(bytes(out))
    label = folder / "CUBE.LBL"
    label.write_text(LABEL.format(records=len(out) // 4, axes="(SAMPLE, LINE, BAND)", core=f"({NS}, {NL}, {NB})",
                                  core_type="MSB_INTEGER", side_type="MSB_INTEGER", suffix="(1, 0, 2)"))
    return label


def write_bip(folder: Path) -> Path:
    """AXIS_NAME = (BAND, SAMPLE, LINE), little-endian VAX_INTEGER core, no suffix on BAND."""
    out = bytearray()
    for line in range(NL):
        for s in range(NS):
            for b in range(NB):
                out += struct.pack("<h", core_value(s, line, b))
    (folder / "CUBE.QUB").write_bytes(bytes(out))
    label = folder / "CUBE.LBL"
    label.write_text(LABEL.format(records=len(out) // 4, axes="(BAND, SAMPLE, LINE)", core=f"({NB}, {NS}, {NL})",
                                  core_type="VAX_INTEGER", side_type="VAX_INTEGER", suffix="(0, 0, 0)"))
    return label


def expected_core() -> np.ndarray:
    """BAND, LINE, SAMPLE (slowest first) for BSQ."""
    return np.array([[[core_value(s, line, b) for s in range(NS)] for line in range(NL)] for b in range(NB)])


def test_bsq_qube_core_and_suffix_planes(tmp_path):
    product = pdsgen.open(write_bsq(tmp_path))
    core, side, back = product.objects
    assert [o.name for o in product.objects] == ["QUBE", "QUBE.SAMPLE_SUFFIX", "QUBE.BAND_SUFFIX"]
    assert [a.name for a in core.axes] == ["BAND", "LINE", "SAMPLE"]
    assert np.array_equal(core.data, expected_core())
    assert side.data.shape == (NB, NL, 1)
    assert side.data[..., 0].tolist() == [[side_value(line, b) for line in range(NL)] for b in range(NB)]
    assert back.data.shape == (2, NL, NS)
    assert np.array_equal(back.data, np.array([[[back_value(k, s, line) for s in range(NS)] for line in range(NL)]
                                               for k in range(2)], dtype=np.float32))
    assert back.details["suffix_names"] == ["LATITUDE", "LONGITUDE"]
    # physical: CORE_NULL masked, then CORE_BASE + CORE_MULTIPLIER × stored
    values = physical_data(core)
    assert np.ma.getmaskarray(values).sum() == 1 and values.mask[1, 2, 1]
    assert values[0, 1, 3] == 0.5 + 2.0 * 13


def test_bip_qube_in_any_axis_order_gives_the_same_core(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    bsq = pdsgen.open(write_bsq(tmp_path / "a"))["QUBE"]
    bip = pdsgen.open(write_bip(tmp_path / "b"))
    assert len(bip.objects) == 1
    core = bip["QUBE"]
    assert [a.name for a in core.axes] == ["LINE", "SAMPLE", "BAND"]
    # same cells: BIP (line, sample, band) is BSQ (band, line, sample) transposed
    assert np.array_equal(core.data, np.transpose(bsq.data, (1, 2, 0)))


def test_qube_core_round_trips_through_export(tmp_path):
    from astropy.io import fits

    label = write_bsq(tmp_path)
    out = tmp_path / "core.fits"
    result = CliRunner().invoke(main, ["export", str(label), "--object", "QUBE", "--to", "fits", str(out)])
    assert result.exit_code == 0, result.output
    with fits.open(out) as hdul:
        got = hdul[0].data
    # the physical core, cell for cell (CORE_NULL as NaN), computed here from the stored values
    expected = np.where(expected_core() == CORE_NULL, np.nan, 0.5 + 2.0 * expected_core())
    assert got.shape == (NB, NL, NS) and np.array_equal(got, expected, equal_nan=True)
    result = CliRunner().invoke(main, ["export", str(label), "--object", "QUBE.BAND_SUFFIX", "--to", "csv",
                                       str(tmp_path / "back.csv")])
    assert result.exit_code == 0, result.output
    rows = (tmp_path / "back.csv").read_text().splitlines()[1:]
    assert [float(x) for x in rows[1].split(",")] == [back_value(1, s, line) for line in range(NL) for s in range(NS)]
