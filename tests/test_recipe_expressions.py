"""Safe expressions: whitelisted AST, own evaluator, units carried by astropy."""

from __future__ import annotations

import astropy.units as u
import numpy as np
import pytest

from pdsgen.errors import RecipeError
from pdsgen.recipes.expressions import compile_convert, compile_expression
from pdsgen.units import E_CHARGE, parse_unit


def test_arithmetic_functions_and_masks():
    e = compile_expression("where(x > 1, sqrt(x) * 2 ** 2, -x) + pi", names={"x"})
    x = np.array([0.5, 4.0, 9.0])
    assert e.evaluate({"x": x}) == pytest.approx([-0.5 + np.pi, 8 + np.pi, 12 + np.pi])
    m = compile_expression("(x > 1) & ~(x > 5) | (x < 0.6)", names={"x"}).evaluate({"x": x})
    assert m.tolist() == [True, True, False]
    assert compile_expression("1 < x <= 4", names={"x"}).evaluate({"x": x}).tolist() == [False, True, False]
    assert e.names == frozenset({"x"})


def test_units_flow_through():
    eq = np.array([20.0]) * parse_unit("keV/e")
    tau = np.array([1.2e-7]) * u.s
    d = 0.1 * u.m
    mq = compile_expression("2 * (tau / dist) ** 2 * eq").evaluate({"tau": tau, "dist": d, "eq": eq})
    assert mq.to_value(u.u / E_CHARGE) == pytest.approx([5.557555], rel=1e-6)
    with pytest.raises(u.UnitsError):
        compile_expression("tau + dist").evaluate({"tau": tau, "dist": d})


@pytest.mark.parametrize("text", [
    "__import__('os')", "open('/etc/passwd')", "x.__class__", "x[0]", "[x for x in y]", "lambda: 1",
    "'text'", "eval('1')", "x if y else z", "{1: 2}", "(1, 2)", "x @ y", "f'{x}'", "sqrt(x=1)",
    "getattr(x, 'y')", "True",
])
def test_rejected(text):
    with pytest.raises(RecipeError):
        compile_expression(text)


def test_convert_factor_and_application():
    c = compile_convert("/1000000")
    assert c.factor == pytest.approx(1e-6)
    assert c.apply(np.array([2.0e6])) == pytest.approx([2.0])
    assert compile_convert("*100").factor == pytest.approx(100)
    assert compile_convert("+273.15").factor is None
    assert compile_convert("+273.15").apply(np.array([0.0])) == pytest.approx([273.15])
    assert compile_convert("x * 2 + 1").apply(np.array([1.0])) == pytest.approx([3.0])
    with pytest.raises(RecipeError):
        compile_convert("y * 2")


def test_archive_unit_spellings():
    assert parse_unit("Microsec") == u.us
    assert parse_unit("amu") == u.u
    assert (1 * parse_unit("(keV/e)-1 s-1 cm-2 sr-1")).unit == parse_unit("e / (keV s cm2 sr)")
    assert parse_unit("") == u.dimensionless_unscaled
    with pytest.raises(RecipeError, match="not a unit"):
        parse_unit("blorp")


def test_pds3_shouted_units():
    assert parse_unit("MICROSECOND") == u.us
    assert parse_unit("CENTIMETER") == u.cm
    assert parse_unit("KEV/E") == parse_unit("keV/e")
    assert parse_unit("K") == u.K  # a real upper-case unit stays itself
    for _ in range(2):  # the failure is cached, and stays a RecipeError
        with pytest.raises(RecipeError, match="BLORPS"):
            parse_unit("BLORPS")
