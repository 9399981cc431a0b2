"""Compute one recipe on one product (or one group): inputs → algorithm → checked tables.

No writing here (that is `pdsgen.recipes.run` with the writers); this is the part the
benchmarks and tests call directly: `compute(recipe, paths, cal_files, params)`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import astropy.units as u
import numpy as np

from pdsgen.data.values import missing_as_nan
from pdsgen.errors import DataError, PdsgenError, RecipeError
from pdsgen.recipes.api import AlgorithmResult, RecipeContext
from pdsgen.recipes.expressions import compile_convert, compile_expression
from pdsgen.recipes.loader import InputSpec, OutputSpec, Recipe
from pdsgen.recipes.registry import get_algorithm
from pdsgen.units import (
    enabled,
    parse_unit,
    read_unit,
    unit_from_name,
    unit_problem,
    unit_string,
)


@dataclass
class Computed:
    """The checked result of one algorithm call: tables per part, plots, notes, meta."""

    tables: dict[str, Any]
    plots: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, Any] = field(default_factory=dict)  # part → ArrayResult
    meta: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    context: RecipeContext | None = None


def compute(
    recipe: Recipe,
    paths: list[Path],
    cal_files: list[Path] | None = None,
    params: Mapping[str, Any] | None = None,
    *,
    group: str | None = None,
) -> Computed:
    """Run ``recipe`` on ``paths`` (one product, or a group for aggregating recipes).

    ``params``: ``--set`` strings, numbers or Quantities; defaults filled in and every
    value checked (`Recipe.resolve_params`) here.
    """
    params = recipe.resolve_params(dict(params or {}))  # idempotent: checked values stay as they are
    ctx = RecipeContext(recipe=recipe, paths=[Path(p) for p in paths], params=dict(params),
                        cal_files=[Path(c) for c in cal_files or []], group=group)
    func = None if recipe.algorithm == "expressions" else get_algorithm(recipe.algorithm)
    ctx.inputs = resolve_inputs(ctx, check=getattr(func, "check_product", None))
    if func is None:
        result: Any = evaluate_expressions(recipe, ctx.inputs, ctx.params)
    else:
        result = func(ctx)
    res = _as_result(result, recipe)
    tables = {part: conform_table(recipe, part, table, where=str(ctx.paths[0])) for part, table in res.tables.items()}
    for part in res.arrays:
        if part not in recipe.product.parts or "file_name" not in recipe.product.parts[part]:
            raise RecipeError(f"algorithm {recipe.algorithm!r} gave an array {part!r}: the recipe needs "
                              f"[product.parts.{part}] with its lid, product_id and file_name")
    notes = ctx.notes + res.notes
    return Computed(tables=tables, plots=draw_plots(res.plots, notes), arrays=dict(res.arrays), meta=res.meta,
                    notes=notes, context=ctx)


#: what to install when matplotlib (the optional plots extra) is missing
PLOTS_INSTALL_HINT = "pip install 'pdsgen[plots]'"


def draw_plots(plots: Mapping[str, Any], notes: list[str]) -> dict[str, Any]:
    """Browse plots as matplotlib Figures: an algorithm gives a Figure or a function drawing
    one. Without matplotlib (the ``plots`` extra) the products are still written and the
    plots skipped, with one note saying what to install."""
    drawn: dict[str, Any] = {}
    for name, plot in plots.items():
        if not callable(plot):
            drawn[name] = plot
            continue
        try:
            drawn[name] = plot()
        except ModuleNotFoundError as exc:
            if (exc.name or "").partition(".")[0] != "matplotlib":
                raise
            notes.append(f"{len(plots)} browse plot(s) skipped: matplotlib is not installed ({PLOTS_INSTALL_HINT})")
            return {}
    return drawn


# --------------------------------------------------------------------------- inputs


def resolve_inputs(ctx: RecipeContext, check: Any = None) -> dict[str, Any]:
    """Every declared input, converted to its unit (lists per product when aggregating).

    Aggregating recipes: a product whose inputs fail (or whose algorithm's
    ``check_product(ctx, i, inputs)`` raises a PdsgenError) is left out of the group with
    its error (``ctx.rejected``, reported per product by `pdsgen run`); the group is
    computed from the others, and only they are its inputs (provenance). A RecipeError
    when none remain.
    """
    if not ctx.recipe.aggregate:
        return {name: resolve_input(spec, ctx, 0) for name, spec in ctx.recipe.inputs.items()}
    good: list[int] = []
    values: dict[int, dict[str, Any]] = {}
    for i in range(len(ctx.paths)):
        try:
            values[i] = {name: resolve_input(spec, ctx, i) for name, spec in ctx.recipe.inputs.items()}
            if check is not None:
                check(ctx, i, values[i])
        except PdsgenError as exc:
            if len(ctx.paths) == 1:
                raise  # nothing to leave out: the product's own error
            ctx.reject(i, exc)
            continue
        good.append(i)
    if not good and ctx.paths:
        first = ctx.rejected[0][1]
        raise RecipeError(f"none of the {len(ctx.paths)} inputs of group {ctx.group!r} can be used "
                          f"(first: {first})")
    if len(good) < len(ctx.paths):
        ctx.keep(good)
    return {name: [values[i][name] for i in good] for name in ctx.recipe.inputs}


def resolve_input(spec: InputSpec, ctx: RecipeContext, i: int = 0) -> Any:
    """One input of product ``i``: raw values, then ``convert``/unit conversion."""
    path = ctx.paths[i]
    try:
        if spec.kind == "column":
            raw, src_unit = _column_values(ctx, i, spec)
        elif spec.kind == "keyword":
            raw, src_unit = _keyword_value(ctx.products[i], spec)
        else:
            raw, src_unit = _ref_values(ctx, i, spec)
    except KeyError as exc:
        raise RecipeError(f"input {spec.name!r}: {exc.args[0]}", path=str(path)) from None
    if raw is None:
        if spec.required:
            what = f"keyword {spec.keyword!r}" if spec.keyword else (spec.column or spec.ref)
            raise RecipeError(f"input {spec.name!r}: the product has no {what}", path=str(path))
        return None
    if spec.source_unit:
        src_unit = parse_unit(spec.source_unit)
    return convert_value(raw, spec, src_unit, where=str(path))


def convert_value(raw: Any, spec: InputSpec, src_unit: u.UnitBase | None, *, where: str = "") -> Any:
    """Apply ``convert`` (checking it against the source unit) or an astropy conversion.

    A source unit pdsgen cannot parse (an `astropy.units.UnrecognizedUnit`, e.g. a label's
    ``BLIPS``) is an error only when the input needs a conversion: a target unit with a
    dimension, or a ``convert`` to check. Otherwise the values are taken as plain numbers
    (the unit is only a name). Counts are numbers: ``count`` converts to and from
    dimensionless (``counts/s`` → ``1/s``).
    """
    target = parse_unit(spec.unit) if spec.unit is not None else None
    if isinstance(raw, u.Quantity):
        src_unit, raw = raw.unit, raw.value
    if isinstance(raw, str):
        return raw
    values = np.asarray(raw)
    if values.dtype.kind in "US":
        return values
    dimless = (None, u.dimensionless_unscaled)
    if isinstance(src_unit, u.UnrecognizedUnit):
        if spec.convert is not None or target not in dimless:
            raise RecipeError(f"input {spec.name!r}: the data's unit {src_unit.name!r} is not one pdsgen understands "
                              f"({unit_problem(src_unit.name)}), so it cannot become {spec.unit!r}: say what it is "
                              "with source_unit in the recipe", path=where or None)
        src_unit = None  # only a name: the values are plain numbers
    if spec.convert is None and target in dimless and _without_counts(src_unit or u.one) == u.one:
        return values  # plain numbers (step numbers, flags, counts) keep their dtype
    values = values.astype(np.float64, copy=False)
    if spec.convert is not None:
        conv = compile_convert(spec.convert)
        if src_unit is not None and target is not None and conv.factor is not None:
            try:
                scale = _scale(src_unit, target)
            except u.UnitConversionError:
                raise RecipeError(f"input {spec.name!r}: unit mismatch: source unit {unit_string(src_unit)!r} "
                                  f"cannot become {spec.unit!r}", path=where or None) from None
            if not math.isclose(scale, conv.factor, rel_tol=1e-9):
                raise RecipeError(f"input {spec.name!r}: convert {spec.convert!r} turns {unit_string(src_unit)!r} "
                                  f"into {conv.factor:g} × that unit, but {unit_string(src_unit)!r} → {spec.unit!r} "
                                  f"is × {scale:g}", path=where or None)
        values = conv.apply(values)
        return values * target if target is not None else values
    if target is None:
        return values * src_unit if src_unit is not None else values
    if src_unit is None:
        return values * target  # unitless source: the recipe states the unit
    try:
        with enabled():
            return (values * src_unit).to(target)
    except u.UnitConversionError:
        try:
            return values * _scale(src_unit, target) * target
        except u.UnitConversionError:
            raise RecipeError(f"input {spec.name!r}: unit mismatch: data are in {unit_string(src_unit)!r}, "
                              f"the recipe wants {spec.unit!r}", path=where or None) from None


def _scale(src: u.UnitBase, target: u.UnitBase) -> float:
    """Factor from ``src`` to ``target``, counts taken as numbers (``ct/s`` → ``1/s``)."""
    with enabled():
        try:
            return float(src.to(target))
        except u.UnitConversionError:
            s, t = _without_counts(src), _without_counts(target)
            if s is src and t is target:
                raise
            return float(s.to(t))


def _without_counts(unit: u.UnitBase) -> u.UnitBase:
    bases = getattr(unit, "bases", [unit])
    if not any(b == u.count for b in bases):
        return unit
    powers = getattr(unit, "powers", [1])
    kept = [(b, p) for b, p in zip(bases, powers, strict=True) if b != u.count]
    return u.CompositeUnit(getattr(unit, "scale", 1.0), [b for b, _ in kept], [p for _, p in kept])


def _column_values(ctx: RecipeContext, i: int, spec: InputSpec) -> tuple[Any, u.UnitBase | None]:
    key = ("table", i, spec.object)
    if key not in ctx.cache:
        ctx.cache[key] = ctx.table(i, spec.object)
    table = ctx.cache[key]
    if not spec.required and _column_name(table, spec.source) is None:
        return None, None
    col = _find_column(table, spec.source, ctx.paths[i], spec.name)
    # the same physical values a `ref` input gets (pdsgen.shorthand reads them alike)
    data = missing_as_nan(col)
    if spec.source_unit:
        return np.asarray(data), None
    # the label's own text, read with pdsgen's archive spellings (astropy alone reads the
    # PDS3 "DN/S" as DN per siemens and knows no "counts"), else a MIMI "(unit)" name suffix
    text = ctx.label_units(i, spec.object).get(col.name)
    if text is None and col.unit is not None:
        text = col.unit.to_string() if not isinstance(col.unit, u.UnrecognizedUnit) else col.unit.name
    src = read_unit(text) if text else unit_from_name(col.name)
    return np.asarray(data), src


def _column_name(table: Any, name: str) -> str | None:
    if name in table.colnames:
        return name
    lowered = {c.lower(): c for c in table.colnames}
    return lowered.get(name.lower())


def _find_column(table: Any, name: str, path: Path, input_name: str) -> Any:
    if name in table.colnames:
        return table[name]
    lowered = {c.lower(): c for c in table.colnames}
    if name.lower() in lowered:
        return table[lowered[name.lower()]]
    import difflib

    near = difflib.get_close_matches(name, table.colnames, n=1)
    hint = f"; did you mean {near[0]!r}?" if near else f" (columns: {', '.join(table.colnames)})"
    raise RecipeError(f"input {input_name!r}: no column {name!r}{hint}", path=str(path))


def _keyword_value(product: Any, spec: InputSpec) -> tuple[Any, u.UnitBase | None]:
    """A label keyword (PDS3 pvl, PDS4 XML element) or a FITS header keyword."""
    from pdsgen.recipes.keywords import find_keyword

    return find_keyword(product, spec.source, hdu=spec.hdu)


def _ref_values(ctx: RecipeContext, i: int, spec: InputSpec) -> tuple[Any, u.UnitBase | None]:
    """A dp:/cdp: shorthand reference, resolved for every record at once."""
    from pdsgen.recipes.shorthand_bridge import resolve_reference

    return resolve_reference(spec, ctx.paths[i], ctx.cal_files, ctx.cache, ctx.params)


# --------------------------------------------------------------------------- expressions


def evaluate_expressions(recipe: Recipe, inputs: Mapping[str, Any], params: Mapping[str, Any]) -> AlgorithmResult:
    """Evaluate ``[expressions]`` in order over inputs and parameters; one output table."""
    from astropy.table import Table

    ns: dict[str, Any] = {**params, **inputs}
    with enabled():
        for name, text in recipe.expressions.items():
            expr = compile_expression(text, names=set(ns), where=f"[expressions.{name}]")
            try:
                with np.errstate(divide="ignore", invalid="ignore"):
                    ns[name] = expr.evaluate(ns)
            except u.UnitsError as exc:
                raise RecipeError(f"[expressions.{name}] {text!r}: unit mismatch: {exc}") from None
    lengths = {np.size(ns[o.name]) for o in recipe.outputs if np.ndim(ns[o.name]) > 0}
    n = max(lengths) if lengths else 1
    table = Table()
    for o in recipe.outputs:
        v = ns[o.name]
        if np.ndim(v) == 0:
            v = np.full(n, v.value if isinstance(v, u.Quantity) else v) * (v.unit if isinstance(v, u.Quantity) else 1)
        table[o.name] = v
    return AlgorithmResult(tables={"": table})


# --------------------------------------------------------------------------- outputs


def _as_result(result: Any, recipe: Recipe) -> AlgorithmResult:
    from astropy.table import Table

    if isinstance(result, AlgorithmResult):
        return result
    if isinstance(result, Table):
        return AlgorithmResult(tables={"": result})
    if isinstance(result, Mapping) and all(isinstance(v, Table) for v in result.values()):
        return AlgorithmResult(tables=dict(result))
    raise RecipeError(f"algorithm {recipe.algorithm!r} returned {type(result).__name__}, "
                      "not an AlgorithmResult, Table or dict of Tables")


def conform_table(recipe: Recipe, part: str, table: Any, *, where: str = "") -> Any:
    """The algorithm's table reduced to the declared outputs: order, units, types, text."""
    from astropy.table import Table

    specs = recipe.outputs_for(part)
    if not specs:
        parts = ", ".join(repr(p) for p in recipe.parts)
        raise RecipeError(f"algorithm {recipe.algorithm!r} gave a table for part {part!r}, "
                          f"the recipe declares outputs for {parts}", path=where or None)
    out = Table(meta=dict(getattr(table, "meta", {}) or {}))
    for spec in specs:
        if spec.name not in table.colnames and spec.optional:
            continue  # an optional output the algorithm left out (its notes say why)
        if spec.name not in table.colnames:
            raise RecipeError(f"algorithm {recipe.algorithm!r} gave no output column {spec.name!r}"
                              f"{' for part ' + repr(part) if part else ''} (it gave: {', '.join(table.colnames)})",
                              path=where or None)
        out[spec.name] = conform_column(table[spec.name], spec, where=where)
    return out


def conform_column(col: Any, spec: OutputSpec, *, where: str = "") -> Any:
    from astropy.table import Column, MaskedColumn

    if spec.data_type == "datetime":  # ISO / day-of-year text, datetime64, astropy Time → datetime64
        from pdsgen.times import to_datetime64

        return Column(to_datetime64(col, name=spec.name, where=where), name=spec.name,
                      description=spec.description or None)
    target = parse_unit(spec.unit)
    mask = np.ma.getmaskarray(col) if np.ma.is_masked(col) else None
    unit = getattr(col, "unit", None)
    data = np.ma.getdata(col)
    if isinstance(col, u.Quantity):
        unit, data = col.unit, col.value
    if spec.data_type == "str":
        values = np.asarray(data).astype(str)
    else:
        values = np.asarray(data)
        if unit is not None and unit != target:
            try:
                with enabled():
                    values = (values * unit).to_value(target)
            except u.UnitConversionError:
                raise RecipeError(f"output {spec.name!r}: unit mismatch: the algorithm gives "
                                  f"{unit_string(unit)!r}, the recipe declares {spec.unit!r}",
                                  path=where or None) from None
        dtype = np.dtype(spec.data_type)
        if dtype.kind in "iu" and values.dtype.kind == "f":
            bad = ~np.isfinite(values) if mask is None else (~np.isfinite(values) & ~mask)
            if bad.any():
                raise DataError(f"output {spec.name!r}: {int(bad.sum())} values are NaN/inf but the "
                                f"data type is {spec.data_type}", path=where or None)
            values = np.where(np.isfinite(values), values, 0)
        values = values.astype(dtype, copy=False)
    kwargs = {"name": spec.name, "description": spec.description or None, "format": spec.format}
    if spec.unit:
        kwargs["unit"] = target
    if mask is not None and mask.any():
        return MaskedColumn(values, mask=mask, **kwargs)
    return Column(values, **kwargs)


def round_to_format(values: np.ndarray, fmt: str) -> np.ndarray:
    """Values rounded to the precision of a printf format (``%.6e``: 7 significant digits,
    ``%.3f``: 3 decimals, ``%g``: 6 significant digits), vectorised.

    The writers choose field widths and write each value's shortest exact representation,
    so rounding (in `pdsgen.recipes.run`, just before writing; `compute` keeps full
    precision) is what makes the recipe's ``format`` the precision of the product.
    Each value becomes the double nearest to its rounded decimal (an integer divided by an
    exact power of ten), so it is written as that short decimal.
    """
    import re

    m = re.fullmatch(r"%-?\d*(?:\.(\d+))?([eEfFgG])", fmt)
    if not m:
        return values
    prec = int(m.group(1)) if m.group(1) is not None else 6
    kind = m.group(2).lower()
    x = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(x) & (x != 0)
    if kind == "f":
        k = np.full(x.shape, prec, dtype=np.int64)
    else:
        digits = prec + 1 if kind == "e" else max(prec, 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            exp10 = np.floor(np.log10(np.abs(np.where(finite, x, 1.0)))).astype(np.int64)
        k = digits - 1 - exp10
    exact = np.abs(k) <= 22  # powers of ten up to 1e22 are exact doubles; leave the rest as they are
    k = np.where(exact, k, 0)
    p = 10.0 ** np.abs(k).astype(np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        up = np.rint(x * p) / p
        down = np.rint(x / p) * p
    out = np.where(k >= 0, up, down)
    return np.where(finite & exact & np.isfinite(out), out, x).astype(values.dtype, copy=False)
