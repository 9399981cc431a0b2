"""INMS crosstalk functions against hand-computed values (seed 000)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pdsgen.instruments.inms import algorithm as inms


def test_scale_factors_by_hand():
    p = [1e-6, 2e-6, 1e-6]  # Torr; mean 4/3e-6
    e = [100.0, 100.0, 50.0]  # uA; mean 250/3
    # scan 0: (4/3)(5/6) = 10/9; scan 1: (2/3)(5/6) = 5/9; scan 2: (4/3)(5/3) = 20/9
    np.testing.assert_allclose(inms.scale_factors(p, e), [10 / 9, 5 / 9, 20 / 9], rtol=1e-12)
    # given means (the seed's aveP/avEmis arguments)
    np.testing.assert_allclose(inms.scale_factors(p, e, 1e-6, 100.0), [1.0, 0.5, 2.0])
    f = inms.scale_factors([1e-6, 0.0], [100.0, 100.0], 1e-6, 100.0)
    assert f[0] == 1.0 and math.isnan(f[1])
    assert inms.scale_factors([], []).size == 0


def test_assign_and_sum_datasets():
    scans = np.array([1, 2, 3, 4, 5, 6, 7])
    idx = inms.assign_datasets(scans, [(2, 3), (5, 7), (3, 4)])
    assert idx.tolist() == [-1, 0, 0, 2, 1, 1, 1]
    counts = np.arange(14, dtype=float).reshape(7, 2)
    sums = inms.dataset_sums(counts, idx, 3)
    # dataset 0: rows 1,2 -> [2+4, 3+5]; dataset 1: rows 4,5,6 -> [8+10+12, 9+11+13]; 2: row 3
    np.testing.assert_array_equal(sums, [[6, 8], [30, 33], [6, 7]])
    # disjoint ranges in any order take the binary-search path: same answer
    assert inms.assign_datasets([1, 2, 3, 4, 5, 6, 7, 50], [(5, 7), (2, 3)]).tolist() == [-1, 1, 1, -1, 0, 0, 0, -1]
    assert inms.assign_datasets(scans, []).tolist() == [-1] * 7
    with pytest.raises(ValueError, match="ends before"):
        inms.assign_datasets(scans, [(5, 2)])


def test_dataset_stats_match_numpy_population_stats():
    h2 = np.array([10.0, 12.0, 14.0, 100.0, 104.0])
    idx = np.array([0, 0, 0, 1, 1])
    st = inms.dataset_stats(h2, idx, 3)
    # set 0: sum 36, mean 12, deviations -2,0,2 -> var 8/3, std 1.63299
    assert st["sum"][0] == 36 and st["mean"][0] == 12
    assert st["var"][0] == pytest.approx(8 / 3)
    assert st["std"][0] == pytest.approx(math.sqrt(8 / 3))
    # set 1: mean 102, var 4, std 2
    assert (st["mean"][1], st["var"][1], st["std"][1]) == (102, 4, 2)
    assert st["n"].tolist() == [3, 2, 0]
    assert math.isnan(st["mean"][2])


def test_counting_ratio_by_hand():
    # m1 = 400, mc = 10000: r = 0.04, sigma = 0.04*sqrt(1/400 + 1/10000) = 0.04*sqrt(0.0026)
    r, s = inms.counting_ratio(400.0, 10000.0)
    assert r == pytest.approx(0.04)
    assert s == pytest.approx(0.04 * 0.050990195, rel=1e-8)
    r, s = inms.counting_ratio([0.0], [5.0])
    assert math.isnan(r[0]) and math.isnan(s[0])


def test_mass_lookup_and_alignment():
    masses = np.array([1, 2, 12, 14, 16, 17, 18, 28], dtype=float)
    assert inms.mass_column(masses, inms.H2_MASS) == 1
    assert inms.mass_column(masses, inms.H2O_MASS) == 6
    with pytest.raises(KeyError, match="44"):
        inms.mass_column(masses, 44)
    bkg_masses = np.arange(1, 51, dtype=float)
    bkg = bkg_masses * 10
    np.testing.assert_array_equal(inms.align_to_masses(bkg, bkg_masses, masses), masses * 10)
    with pytest.raises(KeyError, match="51"):
        inms.align_to_masses(bkg, bkg_masses, [2, 51])


def test_crosstalk_by_hand():
    sums = {
        "bkgc": np.array([10.0, 100.0]),
        "bkgo": np.array([5.0, 20.0]),
        "osnb_on": np.array([25.0, 420.0]),
        "csn": np.array([110.0, 10100.0]),
        "osnb_off": np.array([15.0, 120.0]),
    }
    means = {"osnb_on": 400.0, "csn": 10000.0, "osnb_off": 100.0}
    x = inms.crosstalk(sums, means)
    np.testing.assert_array_equal(x["csn_bkgsub"], [100.0, 10000.0])
    np.testing.assert_array_equal(x["osnb_on_bkgsub"], [20.0, 400.0])
    np.testing.assert_array_equal(x["osnb_off_bkgsub"], [10.0, 100.0])
    np.testing.assert_allclose(x["ratio_on_percent"], [20.0, 4.0])
    np.testing.assert_allclose(x["ratio_off_percent"], [10.0, 1.0])
    assert x["h2_ratio_on"] == pytest.approx(0.04)
    assert x["h2_ratio_off"] == pytest.approx(0.01)
    # 0.01 * sqrt(1/100 + 1/10000) = 0.01 * sqrt(0.0101)
    assert x["h2_ratio_off_sigma"] == pytest.approx(0.01 * math.sqrt(0.0101))
    with pytest.raises(KeyError, match="bkgo"):
        inms.crosstalk({k: v for k, v in sums.items() if k != "bkgo"}, means)


# --------------------------------------------------------------------------- properties
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-1, 4), min_size=0, max_size=40), st.integers(1, 5))
def test_sums_and_stats_match_a_plain_loop(labels, n_masses):
    idx = np.array(labels, dtype=np.intp)
    rng = np.random.default_rng(len(labels))
    counts = rng.poisson(50, (idx.size, n_masses)).astype(float)
    sums = inms.dataset_sums(counts, idx, 5)
    st_ = inms.dataset_stats(counts[:, 0] if idx.size else np.empty(0), idx, 5)
    for k in range(5):
        rows = counts[idx == k]
        np.testing.assert_allclose(sums[k], rows.sum(axis=0) if rows.size else np.zeros(n_masses))
        if rows.shape[0]:
            assert st_["mean"][k] == pytest.approx(rows[:, 0].mean())
            assert st_["var"][k] == pytest.approx(rows[:, 0].var(), abs=1e-9)
        else:
            assert math.isnan(st_["mean"][k])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 60), st.integers(0, 10)), min_size=1, max_size=6))
def test_assign_datasets_first_range_wins(spans):
    ranges = [(a, a + w) for a, w in spans]
    scans = np.arange(0, 75)
    got = inms.assign_datasets(scans, ranges)
    for s, g in zip(scans, got, strict=True):
        expect = next((k for k, (a, b) in enumerate(ranges) if a <= s <= b), -1)
        assert g == expect


def test_background_normalised_per_scan_by_hand():
    """A 5-scan background under a 10-scan set counts twice (issue 13 item 4): the seed's
    raw-sum subtraction would give 1050, not 1000."""
    sums = {
        "bkgc": np.array([50.0]),  # 5 scans of 10
        "csn": np.array([1100.0]),  # 10 scans of 110
        "bkgo": np.array([50.0]),  # 10 scans of 5
        "osnb_on": np.array([250.0]),  # 10 scans of 25
        "osnb_off": np.array([150.0]),
    }
    n = {"bkgc": 5, "csn": 10, "bkgo": 10, "osnb_on": 10, "osnb_off": 10}
    x = inms.crosstalk(sums, {"osnb_on": 25.0, "csn": 110.0, "osnb_off": 15.0}, n)
    assert x["csn_bkgsub"][0] == 1000.0  # 1100 - (10/5) * 50
    assert x["csn_var"][0] == 1300.0  # 1100 + 2^2 * 50
    assert x["osnb_on_bkgsub"][0] == 200.0
    # per scan: (200/10) / (1000/10) = 0.2; sigma^2 = 3/100^2 + 20^2 * 13 / 100^4
    assert x["ratio_on"][0] == pytest.approx(0.2, rel=1e-15)
    assert x["ratio_on_sigma"][0] == pytest.approx(math.sqrt(3e-4 + 5.2e-5), rel=1e-12)
    assert x["ratio_on_percent"][0] == pytest.approx(20.0, rel=1e-15)
    with pytest.raises(ValueError, match="needs scans"):
        inms.background_subtract(np.ones(1), 0, np.ones(1), 3)
