"""IUVS dark-trend functions against hand-computed values (seed 001)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pdsgen.instruments.iuvs import algorithm as iuvs

# The L1B pipeline's conversions (Theiling 2013): chip DET_TEMP linear, everything else
# a split 4th-order polynomial at DN 8192.
DET = [iuvs.PolySegment(0, 16383, (174.08, -0.0749))]
CASE = [
    iuvs.PolySegment(0, 8191, (1.8195, -6.2210e-3, 1.6259e-7, -7.3832e-11, -2.9933e-16)),
    iuvs.PolySegment(8192, 16383, (450.47, -6.5734e-2, 3.3093e-6, -5.4216e-11, -2.9330e-16)),
]


def test_binning_and_rate():
    # 4x2 binned pixels: mean 4000 DN per stored pixel -> 500 DN per detector pixel
    assert iuvs.binning_corrected_mean(4000.0, 4, 2) == 500.0
    # 500 DN in 14400 ms -> 500 / 14.4 s = 34.7222 DN/s
    assert iuvs.dn_per_second(500.0, 14400) == pytest.approx(34.72222222, rel=1e-9)
    got = iuvs.dn_per_second(iuvs.binning_corrected_mean([100.0, 90.0], [1, 0], [1, 3]), [1000, 1000])
    assert got[0] == 100.0 and math.isnan(got[1])  # zero bin size -> no value
    assert math.isnan(iuvs.dn_per_second(10.0, 0))


def test_shutter_dark():
    # the seed's MCP_VOLT values: -1.830 V is an MCP-off dark, the others shutter darks
    v = np.array([-1.830, 846.558, 734.074, 0.0])
    np.testing.assert_array_equal(iuvs.is_shutter_dark(v), [False, True, True, False])


def test_temperature_polynomials():
    # DET_TEMP: 2488 DN * -0.0749 + 174.08 = -186.3512 + 174.08 = -12.2712 degC
    assert iuvs.poly_dn_to_degc(2488, DET) == pytest.approx(-12.2712, abs=1e-9)
    # CASE_TEMP 16000 DN uses the upper segment:
    x = 16000.0
    hand = 450.47 - 6.5734e-2 * x + 3.3093e-6 * x**2 - 5.4216e-11 * x**3 - 2.9330e-16 * x**4
    assert hand == pytest.approx(4.6163552, abs=1e-6)  # ~5 degC, as in the seed's CASE_TEMP plot
    assert iuvs.poly_dn_to_degc(x, CASE) == pytest.approx(hand, rel=1e-12)
    # 100 DN uses the lower segment
    y = 100.0
    low = 1.8195 - 6.2210e-3 * y + 1.6259e-7 * y**2 - 7.3832e-11 * y**3 - 2.9933e-16 * y**4
    got = iuvs.poly_dn_to_degc([y, 20000.0, np.nan], CASE)
    assert got[0] == pytest.approx(low, rel=1e-12)
    assert math.isnan(got[1]) and math.isnan(got[2])  # outside every segment / missing
    with pytest.raises(ValueError, match="NaN"):
        iuvs.poly_dn_to_degc(1.0, [iuvs.PolySegment(0, 10, (1.0, float("nan")))])


def test_frame_dark_mean():
    img = np.array([[1, 2, 3], [4, 5, -32768]], dtype=np.int16)
    assert iuvs.frame_dark_mean(img, blank=-32768) == 3.0
    assert iuvs.frame_dark_mean(img) == pytest.approx((15 - 32768) / 6)
    assert math.isnan(iuvs.frame_dark_mean(np.full((2, 2), -32768), blank=-32768))
    assert iuvs.frame_dark_mean(np.array([1.0, np.nan, 3.0])) == 2.0


def test_dark_trend_flags_and_values():
    t = iuvs.dark_trend(
        dark_mean_dn=[4000.0, 4000.0, 1000.0, np.nan],
        spe_size=[4, 4, 1, 1],
        spa_size=[2, 2, 1, 1],
        int_time_ms=[14400, 14400, 0, 1000],
        mcp_volt_v=[-1.83, 846.558, -1.83, -1.83],
        det_temp_dn=[2488, 2488, 2488, 99999],
        case_temp_dn=[16000, 16000, 16000, 16000],
        det_poly=DET,
        case_poly=CASE,
    )
    assert t.corrected_mean_dn[0] == 500.0
    assert t.dn_per_s[0] == pytest.approx(500 / 14.4)
    assert math.isnan(t.dn_per_s[1]) and math.isnan(t.corrected_mean_dn[1])  # shutter dark
    assert math.isnan(t.dn_per_s[2]) and t.corrected_mean_dn[2] == 1000.0
    assert t.flags.tolist() == [
        0,
        iuvs.FLAG_SHUTTER_DARK,
        iuvs.FLAG_BAD_INT_TIME,
        iuvs.FLAG_TEMP_OUT_OF_RANGE | iuvs.FLAG_NO_DARK_MEAN,
    ]
    assert t.det_temp_degc[1] == pytest.approx(-12.2712)  # temperatures kept for shutter darks


def test_time_order_is_stable():
    times = np.array([30, 10, 20, 10], dtype="int64")
    assert iuvs.time_order(times).tolist() == [1, 3, 2, 0]
