"""Physical constants come from one place (astropy.constants) and the docs quote the values
the code uses (issue 13 item 6)."""

from __future__ import annotations

from pathlib import Path

import astropy.constants as const
import astropy.units as u
import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs" / "recipes.md"


def test_algorithms_use_astropy_constants():
    from pdsgen.instruments.chems import algorithm as chems
    from pdsgen.instruments.chems import demo as chems_demo
    from pdsgen.instruments.fips import algorithm as fips

    assert chems.KEV_S2_PER_M2_IN_U == 1e3 * const.e.si.value / const.u.si.value
    assert fips.PROTON_MASS_KG == const.m_p.si.value
    assert fips.FLUX_PSD_FACTOR == pytest.approx(1.6022e-20, rel=1e-4)  # the seed's rounded factor
    assert (chems_demo.KEV_J, chems_demo.AMU_KG) == (1e3 * const.e.si.value, const.u.si.value)


def test_recipe_proton_mass_is_astropys():
    from pdsgen.recipes import load_recipe

    default = load_recipe("fips-cdr").parameters["ion_mass"].default
    assert float(default) == pytest.approx(const.m_p.to_value(u.u), rel=1e-12)


def test_docs_quote_the_values_the_code_uses():
    text = DOCS.read_text()
    assert const.u.reference in text  # "CODATA 2022"
    for value in (const.e.si.value, const.u.si.value, const.m_p.si.value):
        assert repr(float(value)) in text, value
    assert f"{1e3 * const.e.si.value / const.u.si.value:.9e}".replace("e+10", "e10") in text
