"""Shorthand resolution on real PDS4 tables of the corpus, read through `pdsgen.open`,
checked against the same tables read by pds4_tools (the reference reader)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CORPUS

from pdsgen.errors import ResolutionError
from pdsgen.shorthand import load_source, resolve

pds4_tools = pytest.importorskip("pds4_tools")

VIKING = CORPUS / "validate" / "github1408" / "tc_vl0axrat_table_delimited_valid.xml"
GALILEO = CORPUS / "validate" / "github680" / "ORB12_EUR_EPHIO_reclen96.xml"


def _reference(path):
    return pds4_tools.read(str(path), quiet=True, lazy_load=True)[0]


@pytest.mark.shared
def test_three_key_exact_join_on_a_real_delimited_table():
    """Viking lander rock table: records keyed by (surface_type, burial_state, bin_number)."""
    ref_table = _reference(VIKING)
    keys = [np.ma.getdata(ref_table[n]) for n in ("surface_type", "burial_state", "bin_number")]
    valid = ~np.ma.getmaskarray(ref_table["bin_number"]) & ~np.ma.getmaskarray(ref_table["surface_area"])
    want = np.ma.getdata(ref_table["surface_area"])[valid]
    src = load_source(VIKING)
    # every valid record asked for, in reverse order, 3 times over: a per-record join
    order = np.tile(np.flatnonzero(valid)[::-1], 3)
    got = resolve(
        'cdp:(s):(b):(n):["Surface_Area"]',  # case-insensitive column id
        cdp=[src],
        variables={"s": keys[0][order], "b": keys[1][order], "n": keys[2][order]},
    )
    assert got.columns == ("surface_area",)
    expected = np.ma.getdata(ref_table["surface_area"])[order]
    assert np.array_equal(got.values, expected)
    assert set(got.records.tolist()) == set(np.flatnonzero(valid).tolist())
    assert len(want) == valid.sum()


@pytest.mark.shared
def test_latest_at_or_before_on_a_real_time_column():
    """Galileo magnetometer table: the sample in force at a given time is the latest one
    whose SPACECRAFT EVENT TIME is not after it (a date column as the time key)."""
    ref_table = _reference(GALILEO)
    times = np.char.strip(np.asarray(ref_table["SPACECRAFT EVENT TIME"]).astype(str)).astype("datetime64[us]")
    bx = np.asarray(ref_table["BX"], dtype=float)
    rng = np.random.default_rng(12)
    span = (times[-1] - times[0]).astype(np.int64)
    queries = times[0] + rng.integers(0, span, 2000).astype("timedelta64[us]")
    src = load_source(GALILEO)
    # the table has one repeated time stamp: queries that land on it are ambiguous
    dup = times[np.flatnonzero(np.diff(times) == np.timedelta64(0))]
    assert dup.size == 1
    latest = np.searchsorted(times, queries, side="right") - 1  # times are sorted
    clean = times[latest] != dup[0]
    got = resolve('cdp:(t):["BX"]', cdp=[src], variables={"t": queries[clean]}, latest=["t"])
    expected = [bx[max(i for i in range(len(times)) if times[i] <= q)] for q in queries[clean][:50]]
    assert got.values[:50].tolist() == expected  # a plain scan, for the first 50
    assert np.array_equal(got.values, bx[latest[clean]])
    with pytest.raises(ResolutionError) as err:
        resolve('cdp:(t):["BX"]', cdp=[src], variables={"t": np.array([dup[0]])}, latest=["t"])
    assert "2 records match" in str(err.value) and "ORB12_EUR_EPHIO_reclen96.xml" in str(err.value)
