"""Cassini MIMI CHEMS pulse-height events → mass, mass per charge, charge, energy (seed 002).

The algorithm document (CHEMS PHA Algorithm Description v2.0, Manweiler 2005):

    M/Q = 2 (tau/dist)^2 (E'/Q)        Q = (Energy/alpha) / (E'/Q)
    M   = 2 (tau/dist)^2 (Energy/alpha) E = Q (E/Q)

with tau the time of flight in s (``Time_of_Flight(Microsec)/1e6``), dist the start-stop
separation in m (``sep_distance(cm)/100``), Energy the energy deposited in the SSD in keV,
E/Q the deflection-step energy per charge in keV/e (E'/Q in the formulas: the same per-step
value) and alpha in (0, 1) the fraction of the incident energy the SSD measures (pulse
height defect).

Units: the formulas are non-relativistic ``E = M v²/2`` with ``v = dist/tau``, so
``M = 2 E (tau/dist)²`` in keV·s²/m². One keV·s²/m² is ``1e3 e J s²/m² = 1e3 e kg`` =
``1e3 · e / m_u`` u = 9.648533202e10 u (e = 1.602176634e-19 C exact, m_u = 1.66053906892e-27 kg:
CODATA 2022 as astropy.constants gives them at run time — the one source of constants);
with E/Q in keV/e the same factor gives M/Q in u/e. Q = keV / (keV/e) is in e; E in keV.
Events without a measured energy (Energy <= 0: TOF-only events) get NaN M, Q and E —
a mass of 0 would be silently wrong; non-positive tau or dist gives NaN everywhere; a step
whose calibration E/Q is zero, negative or missing (NaN) gives NaN M/Q, Q and E (M does
not use E/Q). The recipe writes NaN as the outputs' missing constant.
"""

from __future__ import annotations

from typing import Any

import astropy.constants as const
import numpy as np

#: 1 keV·s²/m² in unified atomic mass units (u), from astropy.constants (CODATA 2022).
KEV_S2_PER_M2_IN_U: float = float(1e3 * const.e.si.value / const.u.si.value)


def check_alpha(alpha: float) -> float:
    """alpha must be a number strictly between 0 and 1 (the document: "always less than 1");
    ValueError otherwise."""
    a = float(alpha)
    if not (0.0 < a < 1.0):
        raise ValueError(f"alpha = {alpha} must be in (0, 1): the SSD measures a fraction of the energy")
    return a


def mass_per_charge(tau_s: np.ndarray, dist_m: Any, eq_kev_per_e: np.ndarray) -> np.ndarray:
    """M/Q in u/e = 2 (tau/dist)² (E'/Q); NaN where tau, dist or E/Q is not positive."""
    tau = np.asarray(tau_s, dtype=np.float64)
    d = np.asarray(dist_m, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = tau / d
        out = (2.0 * KEV_S2_PER_M2_IN_U) * ratio * ratio * np.asarray(eq_kev_per_e, dtype=np.float64)
    return np.where((tau > 0) & (d > 0) & ~invalid_eq(eq_kev_per_e), out, np.nan)


def charge(energy_kev: np.ndarray, alpha: float, eq_kev_per_e: np.ndarray) -> np.ndarray:
    """Q in e = (Energy/alpha) / (E'/Q)."""
    e = np.asarray(energy_kev, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = (e / check_alpha(alpha)) / np.asarray(eq_kev_per_e, dtype=np.float64)
    return np.where((e > 0) & ~invalid_eq(eq_kev_per_e), q, np.nan)


def mass(tau_s: np.ndarray, dist_m: Any, energy_kev: np.ndarray, alpha: float) -> np.ndarray:
    """M in u = 2 (tau/dist)² (Energy/alpha)."""
    e = np.asarray(energy_kev, dtype=np.float64)
    tau = np.asarray(tau_s, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = tau / np.asarray(dist_m, dtype=np.float64)
    m = (2.0 * KEV_S2_PER_M2_IN_U / check_alpha(alpha)) * ratio * ratio * e
    return np.where((e > 0) & (tau > 0) & (np.asarray(dist_m) > 0), m, np.nan)


def incident_energy(q_e: np.ndarray, eq_kev_per_e: np.ndarray) -> np.ndarray:
    """E in keV = Q (E/Q); NaN where E/Q is not a positive number."""
    out = np.asarray(q_e, dtype=np.float64) * np.asarray(eq_kev_per_e, dtype=np.float64)
    return np.where(invalid_eq(eq_kev_per_e), np.nan, out)


def chems_pha(
    tau_s: np.ndarray, dist_m: Any, energy_kev: np.ndarray, eq_kev_per_e: np.ndarray, alpha: float
) -> dict[str, np.ndarray]:
    """All four results in one pass over the events: ``M`` (u), ``MQ`` (u/e), ``Q`` (e), ``E`` (keV).

    The shared factors are computed once (this is the path `pdsgen run` and the benchmark
    use). Same values as the four functions above for events with τ > 0 and dist > 0; where
    τ ≤ 0 or dist ≤ 0 (no time of flight) every result is NaN here, including ``Q`` and
    ``E``, which `charge` and `incident_energy` alone would still compute from the energy.
    """
    a = check_alpha(alpha)
    tau = np.asarray(tau_s, dtype=np.float64)
    e = np.asarray(energy_kev, dtype=np.float64)
    eq = np.asarray(eq_kev_per_e, dtype=np.float64)
    d = np.asarray(dist_m, dtype=np.float64)
    r2 = tau / d
    r2 *= r2
    r2 *= 2.0 * KEV_S2_PER_M2_IN_U  # 2 (tau/dist)² in u per keV
    bad_tof = ~((tau > 0) & (d > 0))
    # a zero, negative, missing or infinite E/Q becomes NaN here, and NaN carries through
    # M/Q, Q and E by itself (cheaper than masking three outputs)
    eq = np.where(invalid_eq(eq), np.nan, eq)
    no_energy = ~(e > 0) | bad_tof
    e_inc = e / a  # incident energy, keV
    mq = r2 * eq
    m = r2 * e_inc
    q = e_inc / eq
    big_e = q * eq
    mq[bad_tof] = np.nan
    for arr in (m, q, big_e):
        arr[no_energy] = np.nan
    return {"M": m, "MQ": mq, "Q": q, "E": big_e}


def invalid_eq(eq_kev_per_e: np.ndarray) -> np.ndarray:
    """True where a step's E/Q cannot be divided by or multiplied into a mass: zero,
    negative, NaN (a missing calibration value) or infinite. M/Q, Q and E are missing
    there (never ``2 (tau/dist)² × fill``, which wrote M/Q = -1.7e38 as data)."""
    eq = np.asarray(eq_kev_per_e, dtype=np.float64)
    return ~((eq > 0) & (eq < np.inf))
