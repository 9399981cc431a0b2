"""ACA dark-current functions against hand-computed values (seed 003, mica examples)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pdsgen.instruments.aca import algorithm as aca


def test_mica_examples():
    # (-14 - -10)/4 = -1  ->  (1/0.70)**-1 = 0.70
    assert aca.dark_temp_scale(-10, -14) == pytest.approx(0.70, rel=1e-12)
    # scale_4c = 2: 2**-1 = 0.5 exactly
    assert aca.dark_temp_scale(-10, -14, scale_4c=2.0) == 0.5


def test_default_reference_is_minus_19():
    assert aca.dark_temp_scale(-19.0) == 1.0
    # warmer by 8 degC than the reference: two 4-degC steps of 0.70 each
    assert aca.dark_temp_scale(-11.0) == pytest.approx(0.49, rel=1e-12)
    # colder by 2 degC: half a step up, (1/0.7)**0.5
    assert aca.dark_temp_scale(-21.0) == pytest.approx(1 / math.sqrt(0.7), rel=1e-12)


def test_vectorised_and_bad_scale():
    got = aca.dark_temp_scale(np.array([-15.0, -11.0, -19.0]), -15.0, scale_4c=2.0)
    np.testing.assert_allclose(got, [1.0, 0.5, 2.0])
    with pytest.raises(ValueError, match="scale_4c"):
        aca.dark_temp_scale(-10, -14, scale_4c=0.0)
    with pytest.raises(ValueError, match="scale_4c"):
        aca.dark_temp_scale(-10, -14, scale_4c=float("nan"))


def test_ccd_temp_is_mean_of_replicas():
    assert aca.dark_cal_ccd_temp([-11.2, -11.0, -10.8, -11.4, -10.6]) == pytest.approx(-11.0)
    # a replica without telemetry (NaN) does not count
    assert aca.dark_cal_ccd_temp([-12.0, np.nan, -14.0]) == pytest.approx(-13.0)
    assert math.isnan(aca.dark_cal_ccd_temp([np.nan, np.nan]))
    assert math.isnan(aca.dark_cal_ccd_temp([]))


def test_warm_pixel_fraction_raw_and_scaled():
    img = np.array([[50.0, 99.9, 100.0, 100.1], [120.0, 140.0, 145.0, 1e4], [0, 0, 0, 0], [0, 0, 0, np.nan]])
    # > 100 e-/s: 100.1, 120, 140, 145, 1e4 -> 5 of 16 pixels
    assert aca.warm_pixel_fraction(img) == 5 / 16
    # taken at -11 degC, scaled to -15 degC: x0.70; warm if value > 100/0.7 = 142.857
    s = aca.dark_temp_scale(-11.0, -15.0)
    assert s == pytest.approx(0.7)
    assert aca.warm_pixel_fraction(img, scale=s) == 2 / 16  # 145 and 1e4
    # same as the seed's literal formulation count_nonzero(image * scale > 100) / npix
    assert aca.warm_pixel_fraction(img, scale=s) == np.count_nonzero(img * s > 100.0) / img.size
    stack = np.stack([img, img * 2])
    np.testing.assert_array_equal(aca.warm_pixel_fractions(stack, [1.0, s]), [5 / 16, 7 / 16])
    # img*2*0.7 > 100: 199.8, 200, 200.2, 240, 280, 290, 2e4 -> 7 of 16
    with pytest.raises(ValueError, match="empty"):
        aca.warm_pixel_fraction(np.empty((0, 0)))
    with pytest.raises(ValueError, match="scale"):
        aca.warm_pixel_fraction(img, scale=-1.0)


def test_select_calibration():
    t = [100.0, 200.0, 300.0]
    assert aca.select_calibration(t, 250.0, "before") == 1
    assert aca.select_calibration(t, 250.0, "after") == 2
    assert aca.select_calibration(t, 260.0, "nearest") == 2
    assert aca.select_calibration(t, 240.0, "nearest") == 1
    assert aca.select_calibration(t, 250.0, "nearest") == 1  # tie -> the earlier one
    for sel in aca.SELECTS:  # exactly on a calibration: that one
        assert aca.select_calibration(t, 200.0, sel) == 1
    assert aca.select_calibration(t, 1e9, "nearest") == 2
    assert aca.select_calibration(t, 1e9, "before") == 2
    with pytest.raises(LookupError, match="before"):
        aca.select_calibration(t, 50.0, "before")
    with pytest.raises(LookupError, match="after"):
        aca.select_calibration(t, 301.0, "after")
    with pytest.raises(ValueError, match="select"):
        aca.select_calibration(t, 150.0, "closest")
    with pytest.raises(ValueError, match="sorted"):
        aca.select_calibration([3.0, 1.0], 2.0)
    with pytest.raises(LookupError):
        aca.select_calibration([], 2.0)


def test_select_calibrations_vectorised_matches_scalar():
    t = np.array([100.0, 200.0, 300.0])
    when = np.array([50.0, 100.0, 149.9, 150.0, 150.1, 200.0, 250.0, 299.0, 300.0, 1e6])
    for sel in aca.SELECTS:
        got = aca.select_calibrations(t, when, sel)
        for w, g in zip(when, got, strict=True):
            try:
                assert g == aca.select_calibration(t, float(w), sel)
            except LookupError:
                assert g == -1
    assert aca.select_calibrations(t, when, "nearest").tolist() == [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert aca.select_calibrations([], [1.0], "after").tolist() == [-1]
    with pytest.raises(ValueError, match="NaN"):
        aca.select_calibrations(t, [np.nan])


# --------------------------------------------------------------------------- properties
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

temps = st.floats(-40, 30, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(temps, temps, temps, st.floats(1.01, 3.0))
def test_scale_composes_and_inverts(a, b, c, k):
    # scaling a -> b then b -> c is scaling a -> c; a -> b -> a is identity
    assert aca.dark_temp_scale(a, b, k) * aca.dark_temp_scale(b, c, k) == pytest.approx(
        aca.dark_temp_scale(a, c, k), rel=1e-9)
    assert aca.dark_temp_scale(a, b, k) * aca.dark_temp_scale(b, a, k) == pytest.approx(1.0, rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=12, unique=True),
       st.lists(st.floats(-1e5, 1.1e6, allow_nan=False), min_size=1, max_size=20),
       st.sampled_from(aca.SELECTS))
def test_vectorised_selection_matches_scalar(cals, when, select):
    cals = sorted(cals)
    got = aca.select_calibrations(cals, when, select)
    for w, g in zip(when, got, strict=True):
        try:
            expect = aca.select_calibration(cals, w, select)
        except LookupError:
            expect = -1
        assert g == expect
        if g >= 0 and select == "before":
            assert cals[g] <= w
        if g >= 0 and select == "after":
            assert cals[g] >= w
        if select == "nearest":
            assert abs(cals[g] - w) == min(abs(c - w) for c in cals)


def test_same_day_calibration_wins_as_in_mica():
    d = 86400.0
    days = [0.0, 10 * d, 20 * d]  # calibration days (day starts)
    t = 10 * d + 0.25 * d  # 06:00 on the second calibration's day
    for sel in ("before", "after", "nearest"):
        assert aca.select_calibration(days, t, sel, time_day=10 * d) == 1
    assert aca.select_calibration(days, 15.75 * d, "nearest", time_day=15 * d) == 2  # 5.75 d vs 4.25 d
    got = aca.select_calibrations(days, [0.5 * d, 5 * d, 25 * d], "after", time_days=[0.0, 5 * d, 25 * d])
    assert got.tolist() == [0, 1, -1]
