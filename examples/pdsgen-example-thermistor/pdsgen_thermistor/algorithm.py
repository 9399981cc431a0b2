"""Thermistor read through a voltage divider: ADC counts → resistance → temperature.

The thermistor R sits on the low side of a divider with a reference resistor R_ref on the
high side, both across the ADC reference voltage, so the ADC reads
``x = DN / (2**bits - 1) = R / (R + R_ref)`` and ``R = R_ref · x / (1 - x)``. The
temperature follows from the Steinhart–Hart equation ``1/T = A + B ln R + C (ln R)³``
(T in K, R in ohm). A DN at either end of the range (0 or full scale: open or shorted
thermistor) has no resistance and gives NaN, never a number.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def divider_resistance_ohm(dn: ArrayLike, adc_bits: int, r_ref_ohm: float) -> NDArray[np.float64]:
    """Thermistor resistance (ohm) from ADC counts; NaN at 0 and at full scale."""
    if not 1 <= int(adc_bits) <= 32:
        raise ValueError(f"adc_bits = {adc_bits} must be between 1 and 32")
    if not (np.isfinite(r_ref_ohm) and r_ref_ohm > 0):
        raise ValueError(f"r_ref = {r_ref_ohm} ohm must be a positive finite number")
    full = float(2 ** int(adc_bits) - 1)
    x = np.asarray(dn, dtype=np.float64) / full
    ok = (x > 0) & (x < 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = r_ref_ohm * x / (1.0 - x)
    return np.where(ok, r, np.nan)


def steinhart_hart_kelvin(r_ohm: ArrayLike, a: float, b: float, c: float) -> NDArray[np.float64]:
    """Temperature (K) from resistance (ohm): ``1 / (A + B ln R + C (ln R)³)``; NaN where
    R is not positive or the denominator is not positive."""
    r = np.asarray(r_ohm, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ln_r = np.log(r)
        inv_t = a + b * ln_r + c * ln_r**3
        t = 1.0 / inv_t
    return np.where((r > 0) & (inv_t > 0), t, np.nan)
