"""CHEMS PHA algorithm (seed 002): the formulas against hand-computed values, units included."""

from __future__ import annotations

import astropy.units as u
import numpy as np
import pytest

from pdsgen.instruments.chems import algorithm as chems
from pdsgen.units import E_CHARGE, parse_unit

# 1 keV s²/m² in u by hand: 1e3 eV × 1.602176634e-19 J/eV / 1.66053906660e-27 kg/u
HAND_FACTOR = 1e3 * 1.602176634e-19 / 1.66053906660e-27  # = 9.64853321e10


def test_conversion_constant_by_hand_and_astropy():
    assert chems.KEV_S2_PER_M2_IN_U == pytest.approx(HAND_FACTOR, rel=1e-8)
    assert chems.KEV_S2_PER_M2_IN_U == pytest.approx(9.64853321e10, rel=1e-8)
    assert (1 * u.keV * u.s**2 / u.m**2).to_value(u.u) == pytest.approx(chems.KEV_S2_PER_M2_IN_U, rel=1e-12)
    # keV/e per (m/s)² is u/e: E/Q in keV/e is a voltage (1 keV/e = 1 kV)
    assert (1 * parse_unit("keV/e")).to_value(u.kV) == pytest.approx(1.0)
    assert (1 * parse_unit("keV/e") * u.s**2 / u.m**2).to_value(u.u / E_CHARGE) == pytest.approx(HAND_FACTOR, rel=1e-8)


# One worked event: TOF 0.12 µs, d = 10 cm, Energy = 80 keV, step E/Q = 20 keV/e, alpha = 0.8.
# tau = 0.12/1e6 = 1.2e-7 s; dist = 10/100 = 0.1 m; tau/dist = 1.2e-6 s/m; 2(tau/d)² = 2.88e-12 s²/m²
# M/Q = 2.88e-12 × 20 keV/e = 5.76e-11 keV s²/(m² e) = 5.76e-11 × 9.64853321e10 = 5.557555 u/e
# E/alpha = 100 keV; Q = 100 / 20 = 5 e; M = 2.88e-12 × 100 × 9.64853321e10 = 27.787776 u; E = 5 × 20 = 100 keV
TAU, DIST, ENERGY, EQ, ALPHA = 0.12 / 1e6, 10 / 100, 80.0, 20.0, 0.8


def test_worked_event_each_formula():
    assert chems.mass_per_charge(TAU, DIST, EQ) == pytest.approx(5.76e-11 * HAND_FACTOR, rel=1e-8)
    assert chems.mass_per_charge(TAU, DIST, EQ) == pytest.approx(5.557555, rel=1e-6)
    assert chems.charge(ENERGY, ALPHA, EQ) == pytest.approx(5.0)
    assert chems.mass(TAU, DIST, ENERGY, ALPHA) == pytest.approx(27.787776, rel=1e-6)
    assert chems.incident_energy(5.0, EQ) == pytest.approx(100.0)


def test_worked_event_vectorised_and_astropy_units():
    res = chems.chems_pha(np.array([TAU, 2 * TAU]), DIST, np.array([ENERGY, ENERGY]), np.array([EQ, EQ]), ALPHA)
    assert res["MQ"] == pytest.approx([5.557555, 4 * 5.557555], rel=1e-6)
    assert res["Q"] == pytest.approx([5.0, 5.0])
    assert res["M"] == pytest.approx([27.787776, 4 * 27.787776], rel=1e-6)
    assert res["E"] == pytest.approx([100.0, 100.0])
    # the same with astropy doing the units: M = 2 (tau/d)² E/alpha
    m = (2 * (TAU * u.s / (DIST * u.m)) ** 2 * (ENERGY * u.keV / ALPHA)).to_value(u.u)
    assert res["M"][0] == pytest.approx(m, rel=1e-12)


def test_no_energy_gives_nan_not_zero():
    res = chems.chems_pha(np.array([TAU, TAU, 0.0]), DIST, np.array([0.0, ENERGY, ENERGY]), np.array([EQ] * 3), 0.5)
    assert np.isnan(res["M"][0]) and np.isnan(res["Q"][0]) and np.isnan(res["E"][0])
    assert np.isfinite(res["MQ"][0])  # M/Q needs only TOF and the step
    assert np.isnan(res["MQ"][2]) and np.isnan(res["M"][2])
    assert res["Q"][1] == pytest.approx(ENERGY / 0.5 / EQ)


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.1, 1.5, float("nan")])
def test_alpha_outside_open_interval_rejected(alpha):
    with pytest.raises(ValueError, match="alpha"):
        chems.chems_pha(np.array([TAU]), DIST, np.array([ENERGY]), np.array([EQ]), alpha)
    with pytest.raises(ValueError):
        chems.charge(ENERGY, alpha, EQ)


def test_empty_and_single_record():
    res = chems.chems_pha(np.array([]), DIST, np.array([]), np.array([]), 0.5)
    assert all(v.shape == (0,) for v in res.values())
    one = chems.chems_pha(np.array([TAU]), DIST, np.array([ENERGY]), np.array([EQ]), ALPHA)
    assert one["M"].shape == (1,)


def test_no_time_of_flight_makes_every_result_nan_in_the_one_pass_path():
    # tau <= 0: chems_pha gives NaN Q and E too (the docstring says so), while charge()
    # alone still computes Q = (100/0.5)/10 = 20 e from the energy
    res = chems.chems_pha(np.array([-1e-8, 0.0]), DIST, np.array([100.0, 100.0]), np.array([10.0, 10.0]), 0.5)
    assert all(np.isnan(res[k]).all() for k in ("M", "MQ", "Q", "E"))
    assert chems.charge(np.array([100.0]), 0.5, np.array([10.0])).tolist() == [20.0]
