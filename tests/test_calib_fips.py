"""FIPS EDR→CDR (seed 004): each conversion against hand-computed values."""

from __future__ import annotations

import math

import astropy.units as u
import numpy as np
import pytest

from pdsgen.errors import RecipeError
from pdsgen.instruments.fips import adapter as fips_adapter
from pdsgen.instruments.fips import algorithm as fips


def test_tof_channels_to_ns():
    assert fips.tof_ns(np.array([1024, 512, 0])) == pytest.approx([666.0, 333.0, 0.0])
    assert fips.tof_ns(np.array([2048]), raw=True) == pytest.approx([666.0])
    assert fips.tof_ns(np.array([100, 100]), raw=np.array([False, True])) == pytest.approx([65.0390625, 32.51953125])


def test_xy_to_polar_subtracts_offsets():
    r, th = fips.xy_to_polar(np.array([31.5159 + 3, 31.5159 - 1]), np.array([34.2993 + 4, 34.2993 - 1]),
                             31.5159, 34.2993)
    assert r == pytest.approx([5.0, math.sqrt(2)])
    assert th == pytest.approx([math.degrees(math.atan2(4, 3)), 225.0])  # 53.130102°, and [0, 360) range


def test_zenith_polynomial_both_versions():
    other = [-18.5303, 10.1646, -0.565382, 0.0164266, 0, 0]
    # r = 10: -18.5303 + 101.646 - 56.5382 + 16.4266 = 43.0041
    assert fips.zenith_deg(np.array([10.0]), other) == pytest.approx([43.0041], abs=1e-9)
    v6 = [-34.0497, 34.652, -9.70052, 1.43296, 0.100514, 0.00274512]
    # r = 3: -34.0497 + 103.956 - 87.30468 + 38.68992 + 8.141634 + 0.66706416
    assert fips.zenith_deg(np.array([3.0]), v6) == pytest.approx([30.10023816], abs=1e-8)


def test_azimuth_with_and_without_p0_p1():
    assert fips.azimuth_deg(np.array([10.0, 400.0])) == pytest.approx([10.0, 40.0])
    assert fips.azimuth_deg(np.array([10.0, 0.0]), 6.5, -1.0) == pytest.approx([356.5, 6.5])


def test_fov_mask_inclusive():
    assert fips.in_fov(np.array([14.99, 15.0, 45.0, 75.0, 75.01])).tolist() == [False, True, True, True, False]


def test_differential_flux_hand_value():
    # C=100, E/q=1 keV/e, tau=0.05 s, eta=0.5: denominator 1 × 0.05 × 8.31e-7 cm² × 0.5 × 1.15π sr
    # (no ΔE/E: g already includes the E/q passband, seed 004 §2.3)
    denom = 1.0 * 0.05 * 8.31e-7 * 0.5 * (1.15 * math.pi)
    got = fips.differential_flux(np.array([100.0]), np.array([1.0]), np.array([0.05]), np.array([0.5]))
    assert got == pytest.approx([100.0 / denom], rel=1e-12)
    # by hand: 100 / (0.05 · 8.31e-7 · 0.5 · 3.612832) = 100 / 7.505658e-8 = 1.332328e9 per (keV/e) s cm² sr
    assert got[0] == pytest.approx(1.332328e9, rel=1e-6)
    q = got[0] / (u.keV * u.s * u.cm**2 * u.sr)
    # the same with units: C / (E/q τ g η ΔΩ) in astropy
    ref = 100 / (1.0 * u.keV * 0.05 * u.s * (8.31e-5 * u.mm**2) * 0.5 * (1.15 * math.pi * u.sr))
    assert q.to_value(ref.unit) == pytest.approx(ref.value, rel=1e-12)
    # phase-space density of that flux for protons at 1 keV: f = j m / (1.6022e-20 v²)
    f = fips.phase_space_density(got, np.array([1.0]))[0]
    v2 = 2 * 1.602176634e-16 / 1.67262192369e-27
    assert f == pytest.approx(1.332328e9 * 1.67262192369e-27 / (1.6022e-20 * v2), rel=1e-4)
    assert fips.G_CM2 == pytest.approx((8.31e-5 * u.mm**2).to_value(u.cm**2))


def test_phase_space_density_constant_and_units():
    assert fips.FLUX_PSD_FACTOR == pytest.approx(1.6022e-20, rel=1e-4)
    j = 1e7  # per (keV/e) s cm² sr, protons at 1 keV
    f = fips.phase_space_density(np.array([j]), np.array([1.0]))[0]
    # astropy: v = sqrt(2E/m); f = j m / v² with j per keV
    m = 1.67262192e-27 * u.kg
    v2 = (2 * 1 * u.keV / m).to(u.m**2 / u.s**2)
    f_ref = (j / (u.keV * u.s * u.cm**2 * u.sr) * m / v2 * u.sr).to_value(u.s**3 / u.m**6)
    assert f == pytest.approx(f_ref, rel=1e-8)
    # and back through the seed's relation (dJ/dE) = 1.6022e-20 v²/m f
    assert 1.6022e-20 * v2.value / m.value * f == pytest.approx(j, rel=1e-4)


def test_select_table_latest_strictly_before():
    dates = np.array(["2011-01-01", "2011-01-01", "2012-06-01"], dtype="datetime64[D]")
    assert fips.select_table(dates, np.datetime64("2012-06-02")) == np.datetime64("2012-06-01")
    assert fips.select_table(dates, np.datetime64("2012-06-01")) == np.datetime64("2011-01-01")
    with pytest.raises(fips.CalibrationCoverageError, match="does not cover the data time"):
        fips.select_table(dates, np.datetime64("2010-12-31"))


def test_step_lookup_by_mode_and_errors():
    table = np.array([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]])
    got = fips.step_lookup(table, np.array([4, 1]), np.array([1, 4, 1]), np.array([0, 2, 1]))
    assert got.tolist() == [10.0, 3.0, 20.0]  # mode 1 is row 1, mode 4 is row 0
    with pytest.raises(fips.EdrValueError, match="mode 7"):
        fips.step_lookup(table, np.array([4, 1]), np.array([7]), np.array([0]))
    with pytest.raises(fips.EdrValueError, match="step 3"):
        fips.step_lookup(table, np.array([4, 1]), np.array([1]), np.array([3]))


def test_efficiency_interpolation_log_energy():
    got = fips.interpolate_efficiency(np.array([math.sqrt(10.0), 10.0]), np.array([1.0, 10.0, 100.0]),
                                      np.array([0.1, 0.2, 0.4]))
    assert got == pytest.approx([0.15, 0.2])
    with pytest.raises(fips.CalibrationCoverageError, match="efficiency table covers"):
        fips.interpolate_efficiency(np.array([200.0]), np.array([1.0, 100.0]), np.array([0.1, 0.2]))


def test_edr_date_from_label_or_name(tmp_path):
    assert fips_adapter.edr_date("2011-04-10T00:00:00Z", tmp_path / "x") == np.datetime64("2011-04-10")
    assert fips_adapter.edr_date(None, tmp_path / "FIPS_R2011100EDR_V1.LBL") == np.datetime64("2011-04-10")
    with pytest.raises(RecipeError):
        fips_adapter.edr_date(None, tmp_path / "nodate.lbl")


def test_spectra_equals_elementwise_formulas():
    rng = np.random.default_rng(1)
    eq_t = np.vstack([np.geomspace(13.3, 0.05, 64), np.geomspace(6.0, 0.1, 64)])
    acc_t = np.vstack([np.full(64, 0.095), np.full(64, 0.03)])
    teq, teta = np.array([0.03, 0.1, 1.0, 10.0, 15.0]), np.array([0.05, 0.1, 0.2, 0.3, 0.31])
    mode, step = rng.integers(0, 2, 500) * 3, rng.integers(0, 64, 500)  # modes 0 and 3
    counts = rng.poisson(20, 500).astype(float)
    got = fips.spectra(counts, mode, step, eq_t, acc_t, np.array([0, 3]), teq, teta)
    eq = eq_t[mode // 3, step]
    acc = acc_t[mode // 3, step]
    eta = fips.interpolate_efficiency(eq, teq, teta)
    flux = fips.differential_flux(counts, eq, acc, eta)
    np.testing.assert_allclose(got["EQ"], eq)
    np.testing.assert_allclose(got["ACCUM_TIME"], acc)
    np.testing.assert_allclose(got["ETA"], eta, rtol=1e-12)
    np.testing.assert_allclose(got["DIFF_FLUX"], flux, rtol=1e-12)
    np.testing.assert_allclose(got["PSD"], fips.phase_space_density(flux, eq), rtol=1e-12)
    # cells the data never use need no efficiency: a table covering only mode 3's range is enough
    only3 = fips.spectra(counts[mode == 3], mode[mode == 3], step[mode == 3], eq_t, acc_t, np.array([0, 3]),
                         np.array([0.1, 6.0]), np.array([0.2, 0.3]))
    assert np.isfinite(only3["DIFF_FLUX"]).all()
    with pytest.raises(fips.EdrValueError, match="mode 5"):
        fips.spectra(counts[:1], np.array([5]), step[:1], eq_t, acc_t, np.array([0, 3]), teq, teta)


def test_pha_events_equals_elementwise_formulas():
    rng = np.random.default_rng(2)
    x, y = rng.uniform(10, 55, 400), rng.uniform(15, 55, 400)
    tof, raw = rng.integers(0, 1024, 400), rng.random(400) < 0.3
    consts = {"X0": 31.5159, "Y0": 34.2993, "R": [-18.5303, 10.1646, -0.565382, 0.0164266, 0, 0],
              "P0": 6.5, "P1": -1.0}
    ev = fips.pha_events(tof, raw, x, y, consts)
    r, th = np.hypot(x - 31.5159, y - 34.2993), np.degrees(np.arctan2(y - 34.2993, x - 31.5159)) % 360
    z = fips.zenith_deg(r, consts["R"])
    keep = (z >= 15) & (z <= 75)
    assert ev["keep"].tolist() == keep.tolist() and 0 < keep.sum() < 400
    np.testing.assert_allclose(ev["R"], r[keep], rtol=1e-12)
    np.testing.assert_allclose(ev["THETA_MCP"], th[keep], atol=1e-9)
    np.testing.assert_allclose(ev["AZIMUTH"], (6.5 - th[keep]) % 360, atol=1e-9)
    np.testing.assert_allclose(ev["TOF"], np.where(raw, tof * 666 / 2048, tof * 666 / 1024)[keep])


def test_theta_on_the_axes_is_in_0_360():
    _, th = fips.xy_to_polar(np.array([1.0, 0.0, -1.0, 0.0, 1.0]), np.array([0.0, 1.0, 0.0, -1.0, -0.0]), 0, 0)
    assert th.tolist() == [0.0, 90.0, 180.0, 270.0, 0.0]
    az = fips.azimuth_deg(np.array([0.0, 6.5, 359.9, 180.0]), 6.5, -1.0)
    assert az == pytest.approx([6.5, 0.0, 6.6, 186.5])
    assert fips.azimuth_deg(np.array([350.0]), 100.0, 3.0) == pytest.approx([(100 + 1050) % 360])  # |P1| > 1


def test_pixel_lookup_floor_and_unlisted():
    got = fips.pixel_lookup(np.array([3, 4, 3]), np.array([7, 7, 8]), np.array([0.1, 0.2, 0.3]),
                       np.array([3.99, 4.0, 3.2, 5.5, -1.0, np.nan]), np.array([7.5, 7.0, 8.9, 7.0, 7.0, 7.0]))
    np.testing.assert_array_equal(got[:3], [0.1, 0.2, 0.3])
    assert np.isnan(got[3:]).all()  # pixel (5, 7), (-1, 7) and NaN x are not in the table


def test_solid_angle_table_errors_name_the_problem(tmp_path):
    read_solid_angle_table = fips_adapter.read_solid_angle_table
    good = tmp_path / "FIPA_F2011001CDR_V1.txt"
    good.write_text("# comment\nX,Y,SOLID_ANGLE(sr),OBSTRUCTED\n1,2,0.004,0\n1,3,0.005,1\n")
    t = read_solid_angle_table(good)
    assert t["OBSTRUCTED"].tolist() == [False, True] and t["SOLID_ANGLE"].tolist() == [0.004, 0.005]
    for body, msg in (("X,Y,SOLID_ANGLE(sr)\n1,2,0.1\n", "no OBSTRUCTED column"),
                      ("X,Y,SOLID_ANGLE(sr),OBSTRUCTED\n1,2,0,0\n", "row 1"),
                      ("X,Y,SOLID_ANGLE(sr),OBSTRUCTED\n1,2,0.1,0\n1,2,0.2,0\n", "more than once")):
        bad = tmp_path / "bad.csv"
        bad.write_text(body)
        with pytest.raises(RecipeError, match=msg):
            read_solid_angle_table(bad)
