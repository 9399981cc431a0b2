"""Recipe TOML → `Recipe` (validated, immutable). The format is /docs/recipes.md.

Validation happens here, once, so that the engine can trust a `Recipe`: every mistake
in a recipe file is a `RecipeError` naming the file and the TOML key.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pdsgen.errors import RecipeError
from pdsgen.plugins import recipe_files as instrument_recipes
from pdsgen.units import parse_unit

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

#: Output data types: numpy names (the writer maps them to PDS4/PDS3 types).
DATA_TYPES = {
    "float64", "float32", "int64", "int32", "int16", "int8",
    "uint64", "uint32", "uint16", "uint8", "bool", "str",
    "datetime",  # numpy datetime64: written as ISO 8601 UTC (PDS4 ASCII_Date_Time_YMD_UTC, PDS3 TIME)
}
STANDARDS = ("pds4", "pds3")
#: a product's table_format: "" = from the data file's extension
TABLE_FORMATS = ("", "character", "delimited", "binary")


@dataclass(frozen=True)
class InputSpec:
    """One named input: a shorthand ``ref``, a table ``column`` or a label/FITS ``keyword``.

    ``convert`` is the arithmetic the document writes beside the reference (``/1000000``):
    applied to the raw values, after which they are in ``unit``. Without ``convert`` the
    source unit (label field unit, ``(unit)`` suffix of a MIMI column name, or
    ``source_unit``) is converted to ``unit`` by astropy; incompatible units fail.
    """

    name: str
    ref: str | None = None
    column: str | None = None
    keyword: str | None = None
    object: str | None = None  # data object (table) name for ``column``; default: first table
    hdu: int | str | None = None  # FITS HDU for ``keyword`` (default: the data HDU, then primary)
    convert: str | None = None
    unit: str | None = None
    source_unit: str | None = None
    bind: dict[str, str] = field(default_factory=dict)
    #: constant variable values (``{ Particle = "H" }``) or ``"$name"`` = a recipe parameter's value
    vars: dict[str, Any] = field(default_factory=dict)
    #: variables matched "latest at or before" (validity-start keys such as Start_Year/Start_DDOY)
    latest: tuple[str, ...] = ()
    #: shorthand text values compared case-folded (``--ignore-case`` of `pdsgen resolve`)
    ignore_case: bool = False
    required: bool = True
    description: str = ""

    @property
    def kind(self) -> str:
        return "ref" if self.ref else "column" if self.column else "keyword"

    @property
    def source(self) -> str:
        """The input's shorthand reference, column name or keyword (whichever `kind` says)."""
        text = self.ref or self.column or self.keyword
        if not text:  # the loader refuses such an input; a hand-built spec may not
            raise RecipeError(f"input {self.name!r} names no ref, column or keyword")
        return text


def _check_time(text: str) -> None:
    """ValueError unless `text` is an ISO 8601 or PDS day-of-year (YYYY:DDD[:hh:mm:ss]) time."""
    from astropy.time import Time

    try:
        Time(text.rstrip("Z"), scale="utc")
    except (ValueError, TypeError):
        raise ValueError(text) from None


@dataclass(frozen=True)
class ParameterSpec:
    """A value the user provides (``--set name=value``), with default, unit and bounds.

    Bounds are exclusive unless ``inclusive`` (alpha in (0, 1) needs exclusive bounds).
    """

    name: str
    default: Any = None
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    inclusive: bool = False
    choices: tuple[Any, ...] = ()
    type: str = "float"  # float | int | str | bool | time (ISO or YYYY:DDD[:hh:mm:ss]; "" = none)
    description: str = ""

    def coerce(self, value: Any, *, where: str = "") -> Any:
        """The value checked and typed; a Quantity when the parameter has a unit."""
        label = f"parameter {self.name!r}"
        if value is None:
            raise RecipeError(f"{label} has no default: give it with --set {self.name}=VALUE", path=where or None)
        if self.type in ("float", "int"):
            value = self._in_unit(value, label, where)
        try:
            if self.type == "float":
                v: Any = float(value)
            elif self.type == "int":
                if isinstance(value, float) and not value.is_integer():
                    raise ValueError(value)
                v = int(value)
            elif self.type == "bool":
                if isinstance(value, str):
                    if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                        raise ValueError(value)
                    v = value.lower() in ("true", "1", "yes")
                else:
                    v = bool(value)
            elif self.type == "time":
                v = str(value).strip()
                if v:
                    _check_time(v)
            else:
                v = str(value)
        except (TypeError, ValueError):
            what = ("date/time (ISO 8601 YYYY-MM-DD[Thh:mm:ss] or PDS YYYY:DDD[:hh:mm:ss])"
                    if self.type == "time" else self.type)
            raise RecipeError(f"{label}: {value!r} is not a valid {what}", path=where or None) from None
        if self.type in ("float", "int"):
            if not np.isfinite(v):
                raise RecipeError(f"{label}: {value!r} is not a finite number", path=where or None)
            lo_ok = self.min is None or (v >= self.min if self.inclusive else v > self.min)
            hi_ok = self.max is None or (v <= self.max if self.inclusive else v < self.max)
            if not (lo_ok and hi_ok):
                lb, rb = ("[", "]") if self.inclusive else ("(", ")")
                lo = "-inf" if self.min is None else self.min
                hi = "inf" if self.max is None else self.max
                raise RecipeError(f"{label} = {v} is outside {lb}{lo}, {hi}{rb}", path=where or None)
        if self.choices and v not in self.choices:
            raise RecipeError(f"{label} = {v!r} is not one of {list(self.choices)}", path=where or None)
        if self.unit and self.type in ("float", "int"):
            from pdsgen.units import enabled

            with enabled():
                return v * parse_unit(self.unit)
        return v


    def _in_unit(self, value: Any, label: str, where: str) -> Any:
        """A Quantity, or text with a unit (``"-15 deg_C"``, ``"2 keV"``), as a number in ``unit``."""
        import astropy.units as u

        from pdsgen.units import enabled

        if isinstance(value, str):
            text = value.strip()
            try:
                return float(text) if self.type == "float" else int(text)
            except ValueError:
                pass
            try:
                with enabled():
                    value = u.Quantity(text)
            except (TypeError, ValueError):
                return value  # reported as "not a valid number" below
        if isinstance(value, u.Quantity):
            target = parse_unit(self.unit)
            try:
                with enabled():
                    if target.physical_type == "temperature" or value.unit.physical_type == "temperature":
                        return value.to_value(target, equivalencies=u.temperature())
                    return value.to_value(target)
            except u.UnitConversionError:
                raise RecipeError(f"{label}: {value} cannot be converted to {self.unit or 'a plain number'!r}",
                                  path=where or None) from None
        return value


@dataclass(frozen=True)
class OutputSpec:
    """One output column: name, astropy unit, description, printf format, numpy data type
    (or ``"datetime"``: times, written as ISO 8601 UTC).

    ``part`` names the output product the column belongs to, for algorithms that write
    several tables per input or group (``""`` = the main product).
    """

    name: str
    unit: str = ""
    description: str = ""
    format: str | None = None
    data_type: str = "float64"
    part: str = ""
    missing_constant: Any = None  # written for NaN / masked values (PDS missing_constant)
    optional: bool = False  # the algorithm may leave it out (it then says why in a note)


@dataclass(frozen=True)
class CalibrationSpec:
    """A calibration file the algorithm needs, picked among ``--cal`` files by ``match``.

    ``default`` (a path relative to the recipe file) is used when no ``--cal`` file
    matches, for constants that ship with the recipe.
    """

    name: str
    match: str = "*"
    default: str | None = None
    required: bool = True
    multiple: bool = False
    description: str = ""


@dataclass(frozen=True)
class ProductSpec:
    """How output products are named: patterns over ``{stem} {STEM} {group} {part} {recipe}``."""

    lid: str
    product_id: str
    file_name: str
    title: str = ""
    vid: str = "1.0"
    description: str = ""
    product_class: str = "Product_Observational"
    table_format: str = ""  # character | delimited | binary; "" = from the file name's extension
    data_set_id: str | None = None  # PDS3 DATA_SET_ID
    product_type: str | None = None  # PDS3 PRODUCT_TYPE
    processing_level: str = "Calibrated"
    #: context references for PDS4 labels: dicts with name, type and lid
    investigations: tuple[dict[str, str], ...] = ()
    observing_system: tuple[dict[str, str], ...] = ()
    targets: tuple[dict[str, str], ...] = ()
    parts: dict[str, dict[str, str]] = field(default_factory=dict)  # per-part overrides

    def for_part(self, part: str) -> dict[str, str]:
        base = {"lid": self.lid, "product_id": self.product_id, "file_name": self.file_name,
                "title": self.title, "description": self.description, "product_type": self.product_type or "",
                "table_format": self.table_format, "product_class": self.product_class}
        base.update(self.parts.get(part, {}))
        return base


@dataclass(frozen=True)
class Recipe:
    """A validated recipe. ``path`` is the TOML file (``None`` for recipes built in code)."""

    name: str
    version: str
    title: str
    description: str
    algorithm: str
    product: ProductSpec
    source_document: str = ""
    standard: str = "pds4"
    template: str | None = None
    aggregate: bool = False
    group_by: str = "all"  # aggregate only: "all" | "name:REGEX" | "keyword:NAME"
    input_glob: tuple[str, ...] = ("*.xml", "*.lbl", "*.LBL")
    inputs: dict[str, InputSpec] = field(default_factory=dict)
    parameters: dict[str, ParameterSpec] = field(default_factory=dict)
    outputs: tuple[OutputSpec, ...] = ()
    expressions: dict[str, str] = field(default_factory=dict)
    calibrations: dict[str, CalibrationSpec] = field(default_factory=dict)
    path: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def outputs_for(self, part: str = "") -> list[OutputSpec]:
        return [o for o in self.outputs if o.part == part]

    @property
    def parts(self) -> list[str]:
        seen: list[str] = []
        for o in self.outputs:
            if o.part not in seen:
                seen.append(o.part)
        return seen

    def resolve_params(self, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        """Defaults + ``overrides`` (``--set``), each checked; unknown names are errors."""
        overrides = dict(overrides or {})
        unknown = sorted(set(overrides) - set(self.parameters))
        if unknown:
            known = ", ".join(sorted(self.parameters)) or "none"
            raise RecipeError(f"recipe {self.name!r} has no parameter {unknown[0]!r} (parameters: {known})")
        where = str(self.path) if self.path else ""
        return {n: p.coerce(overrides.get(n, p.default), where=where) for n, p in self.parameters.items()}


# --------------------------------------------------------------------------- loading


def default_calibration(recipe_path: Path | None, name: str) -> Path | None:
    """A ``[calibrations.X] default`` file: beside the recipe, else among the files shipped
    with the instrument units' recipes (so a copy made with `recipe show NAME --toml` still
    finds them)."""
    folders = [recipe_path.parent] if recipe_path is not None else []
    folders += [p.parent for p in instrument_recipes().values()]
    return next((f / name for f in folders if (f / name).is_file()), None)


def list_builtin() -> list[str]:
    """Names of the registered recipes (those of every instrument unit, built-in or plug-in)."""
    return sorted(instrument_recipes())


def load_recipe(name_or_path: str | Path) -> Recipe:
    """A registered recipe by name (``chems-pha``) or a recipe TOML file by path."""
    p = Path(name_or_path)
    if p.suffix.lower() != ".toml" or not p.exists():
        registered = instrument_recipes().get(str(name_or_path))
        if registered is not None and registered.is_file():
            p = registered
        elif not p.exists():
            names = ", ".join(list_builtin()) or "none"
            raise RecipeError(f"no recipe {str(name_or_path)!r}: not a file and not a built-in recipe ({names})")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RecipeError(f"not valid TOML: {exc}", path=str(p)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RecipeError(f"cannot read recipe: {exc}", path=str(p)) from None
    return recipe_from_dict(data, path=p)


def _err(path: Path | None, key: str, msg: str) -> RecipeError:
    return RecipeError(f"[{key}] {msg}", path=str(path) if path else None)


def _table(d: dict[str, Any], key: str, path: Path | None, required: bool = False) -> dict[str, Any]:
    v = d.get(key)
    if v is None:
        if required:
            raise _err(path, key, "missing table")
        return {}
    if not isinstance(v, dict):
        raise _err(path, key, f"must be a table, got {type(v).__name__}")
    return v


def _check_keys(d: dict[str, Any], allowed: set[str], path: Path | None, where: str) -> None:
    extra = sorted(set(d) - allowed)
    if extra:
        raise _err(path, where, f"unknown key {extra[0]!r} (allowed: {', '.join(sorted(allowed))})")


def _str(d: dict[str, Any], key: str, path: Path | None, where: str, default: Any = ..., ) -> Any:
    if key not in d:
        if default is ...:
            raise _err(path, where, f"missing {key!r}")
        return default
    v = d[key]
    if not isinstance(v, str):
        raise _err(path, f"{where}.{key}", f"must be a string, got {v!r}")
    return v


def recipe_from_dict(data: dict[str, Any], *, path: Path | None = None) -> Recipe:
    """Validate parsed TOML and build a `Recipe` (see docs/recipes.md for every key)."""
    top = set(data) - {"recipe", "inputs", "parameters", "outputs", "expressions", "calibrations", "product"}
    if top:
        raise _err(path, sorted(top)[0], "unknown top-level table")
    r = _table(data, "recipe", path, required=True)
    _check_keys(r, {"name", "version", "title", "description", "source_document", "algorithm",
                    "standard", "template", "aggregate", "group_by", "input_glob"}, path, "recipe")
    name = _str(r, "name", path, "recipe")
    if not NAME_RE.match(name):
        raise _err(path, "recipe.name", f"{name!r} must be lower-case letters, digits and '-'")
    algorithm = _str(r, "algorithm", path, "recipe")
    standard = _str(r, "standard", path, "recipe", "pds4").lower()
    if standard not in STANDARDS:
        raise _err(path, "recipe.standard", f"{standard!r} is not one of {STANDARDS}")
    aggregate = r.get("aggregate", False)
    if not isinstance(aggregate, bool):
        raise _err(path, "recipe.aggregate", "must be true or false")
    group_by = _str(r, "group_by", path, "recipe", "all")
    if not (group_by == "all" or group_by.startswith(("name:", "keyword:"))):
        raise _err(path, "recipe.group_by", f"{group_by!r}: use 'all', 'name:REGEX' or 'keyword:NAME'")
    if group_by.startswith("name:"):
        try:
            re.compile(group_by[5:])
        except re.error as exc:
            raise _err(path, "recipe.group_by", f"bad regular expression: {exc}") from None
    glob = r.get("input_glob", ["*.xml", "*.lbl", "*.LBL"])
    if isinstance(glob, str):
        glob = [glob]

    inputs: dict[str, InputSpec] = {}
    for iname, spec in _table(data, "inputs", path).items():
        where = f"inputs.{iname}"
        if not IDENT_RE.match(iname):
            raise _err(path, where, "input names must be identifiers (letters, digits, _)")
        if not isinstance(spec, dict):
            raise _err(path, where, "must be a table")
        _check_keys(spec, {"ref", "column", "keyword", "object", "hdu", "convert", "unit", "source_unit",
                           "bind", "vars", "latest", "ignore_case", "required", "description"}, path, where)
        sources = [k for k in ("ref", "column", "keyword") if k in spec]
        if len(sources) != 1:
            raise _err(path, where, "give exactly one of 'ref', 'column', 'keyword'")
        for k in ("unit", "source_unit"):
            if k in spec:
                parse_unit(spec[k], what=f"{path or ''} [{where}.{k}]")
        if "convert" in spec:
            from pdsgen.recipes.expressions import compile_convert

            compile_convert(spec["convert"], where=f"{path or ''} [{where}.convert]")
        bind = spec.get("bind", {})
        if not isinstance(bind, dict) or not all(isinstance(v, str) for v in bind.values()):
            raise _err(path, f"{where}.bind", "must map variable names to column names")
        if any(k in spec for k in ("vars", "latest", "bind", "ignore_case")) and "ref" not in spec:
            raise _err(path, where, "bind, vars, latest and ignore_case apply to shorthand 'ref' inputs only")
        if not isinstance(spec.get("ignore_case", False), bool):
            raise _err(path, f"{where}.ignore_case", "must be true or false")
        variables = spec.get("vars", {})
        if not isinstance(variables, dict):
            raise _err(path, f"{where}.vars", "must map variable names to values")
        latest = spec.get("latest", [])
        if isinstance(latest, str):
            latest = [latest]
        if not isinstance(latest, list) or not all(isinstance(v, str) for v in latest):
            raise _err(path, f"{where}.latest", "must be a list of variable names")
        if "ref" in spec:
            _check_ref(spec["ref"], path, where)
        inputs[iname] = InputSpec(
            name=iname, ref=spec.get("ref"), column=spec.get("column"), keyword=spec.get("keyword"),
            object=spec.get("object"), hdu=spec.get("hdu"), convert=spec.get("convert"),
            unit=spec.get("unit"), source_unit=spec.get("source_unit"), bind=dict(bind),
            vars=dict(variables), latest=tuple(latest), ignore_case=spec.get("ignore_case", False),
            required=bool(spec.get("required", True)), description=spec.get("description", ""),
        )

    parameters: dict[str, ParameterSpec] = {}
    for pname, spec in _table(data, "parameters", path).items():
        where = f"parameters.{pname}"
        if not IDENT_RE.match(pname):
            raise _err(path, where, "parameter names must be identifiers")
        if not isinstance(spec, dict):
            raise _err(path, where, "must be a table")
        _check_keys(spec, {"default", "unit", "min", "max", "inclusive", "choices", "type", "description"},
                    path, where)
        default = spec.get("default")
        ptype = spec.get("type") or (
            "bool" if isinstance(default, bool) else "int" if isinstance(default, int)
            else "str" if isinstance(default, str) else "float")
        if ptype not in ("float", "int", "str", "bool", "time"):
            raise _err(path, f"{where}.type", f"{ptype!r} is not float, int, str, bool or time")
        if spec.get("unit"):
            parse_unit(spec["unit"], what=f"{path or ''} [{where}.unit]")
        p = ParameterSpec(
            name=pname, default=default, unit=spec.get("unit") or None, min=spec.get("min"),
            max=spec.get("max"), inclusive=bool(spec.get("inclusive", False)),
            choices=tuple(spec.get("choices", ())), type=ptype, description=spec.get("description", ""),
        )
        if default is not None:
            p.coerce(default, where=f"{path or ''} [{where}.default]")
        parameters[pname] = p

    outs_raw = data.get("outputs", [])
    if not isinstance(outs_raw, list) or not outs_raw:
        raise _err(path, "outputs", "give at least one [[outputs]] entry")
    outputs: list[OutputSpec] = []
    seen: set[tuple[str, str]] = set()
    for i, spec in enumerate(outs_raw):
        where = f"outputs[{i}]"
        if not isinstance(spec, dict):
            raise _err(path, where, "must be a table")
        _check_keys(spec, {"name", "unit", "description", "format", "data_type", "part", "missing_constant",
                           "optional"},
                    path, where)
        oname = _str(spec, "name", path, where)
        part = spec.get("part", "")
        if (part, oname) in seen:
            raise _err(path, where, f"output {oname!r} given twice")
        seen.add((part, oname))
        parse_unit(spec.get("unit", ""), what=f"{path or ''} [{where}.unit]")
        dtype = spec.get("data_type", "float64")
        if not isinstance(spec.get("optional", False), bool):
            raise _err(path, f"{where}.optional", "must be true or false")
        if dtype not in DATA_TYPES:
            raise _err(path, f"{where}.data_type", f"{dtype!r} is not one of {sorted(DATA_TYPES)}")
        if dtype == "datetime":
            for key in ("unit", "format", "missing_constant"):
                if spec.get(key) not in (None, ""):
                    raise _err(path, f"{where}.{key}", "a datetime output is written as ISO 8601 UTC "
                               f"(YYYY-MM-DDThh:mm:ss[.fff]Z) with no {key}: remove it")
        fmt = spec.get("format")
        if fmt is not None and not re.fullmatch(r"%-?\d*(\.\d+)?[dieEfFgGs]", fmt):
            raise _err(path, f"{where}.format", f"{fmt!r} is not a printf format like %.6e, %12.4f, %d, %s")
        outputs.append(OutputSpec(name=oname, unit=spec.get("unit", ""), description=spec.get("description", ""),
                                  format=fmt, data_type=dtype, part=part,
                                  missing_constant=spec.get("missing_constant"),
                                  optional=spec.get("optional", False)))

    expressions = _table(data, "expressions", path)
    if algorithm == "expressions":
        if not expressions:
            hint = ""
            if path and "# [expressions]" in Path(path).read_text(errors="replace"):
                hint = (" (this is a `pdsgen recipe from-document` skeleton: write each output's formula "
                        "in the commented [expressions] table and fill [product])")
            raise _err(path, "expressions", "algorithm = 'expressions' needs an [expressions] table" + hint)
        from pdsgen.recipes.expressions import compile_expression

        known = set(inputs) | set(parameters)
        for ename, text in expressions.items():
            if not isinstance(text, str):
                raise _err(path, f"expressions.{ename}", "must be a string")
            compile_expression(text, names=known, where=f"{path or ''} [expressions.{ename}]")
            known.add(ename)
        missing = [o.name for o in outputs if o.name not in known]
        if missing:
            raise _err(path, "outputs", f"output {missing[0]!r} is neither an expression nor an input")
    elif expressions:
        raise _err(path, "expressions", "only used with algorithm = 'expressions'")

    calibrations: dict[str, CalibrationSpec] = {}
    for cname, spec in _table(data, "calibrations", path).items():
        where = f"calibrations.{cname}"
        if not isinstance(spec, dict):
            raise _err(path, where, "must be a table")
        _check_keys(spec, {"match", "default", "required", "multiple", "description"}, path, where)
        calibrations[cname] = CalibrationSpec(
            name=cname, match=spec.get("match", "*"), default=spec.get("default"),
            required=bool(spec.get("required", True)), multiple=bool(spec.get("multiple", False)),
            description=spec.get("description", ""),
        )
        if spec.get("default") and path is not None and default_calibration(path, spec["default"]) is None:
            raise _err(path, f"{where}.default", f"no file {spec['default']!r} beside the recipe "
                       "(nor among the built-in recipes' files)")

    pr = _table(data, "product", path, required=True)
    _check_keys(pr, {"lid", "product_id", "file_name", "title", "parts", "vid", "description", "product_class",
                     "table_format", "data_set_id", "product_type", "processing_level", "investigations",
                     "observing_system", "targets"}, path, "product")
    refs: dict[str, tuple[dict[str, str], ...]] = {}
    for key in ("investigations", "observing_system", "targets"):
        items = pr.get(key, [])
        if not isinstance(items, list) or not all(isinstance(x, dict) and "name" in x and "type" in x for x in items):
            raise _err(path, f"product.{key}", "must be a list of tables with name, type (and lid)")
        refs[key] = tuple(dict(x) for x in items)
    for part, over in pr.get("parts", {}).items():
        if not isinstance(over, dict):
            raise _err(path, f"product.parts.{part}", "must be a table")
        _check_keys(over, {"lid", "product_id", "file_name", "title", "description", "product_type",
                           "table_format", "product_class"}, path, f"product.parts.{part}")
        if over.get("table_format", "") not in TABLE_FORMATS:
            raise _err(path, f"product.parts.{part}.table_format",
                       f"{over['table_format']!r}: use character, delimited or binary")
    tf = pr.get("table_format", "")
    if tf not in TABLE_FORMATS:
        raise _err(path, "product.table_format", f"{tf!r}: use character, delimited or binary")
    product = ProductSpec(
        lid=_str(pr, "lid", path, "product"), product_id=_str(pr, "product_id", path, "product"),
        file_name=_str(pr, "file_name", path, "product"), title=pr.get("title", ""),
        vid=str(pr.get("vid", "1.0")), description=pr.get("description", ""),
        product_class=pr.get("product_class", "Product_Observational"), table_format=tf,
        data_set_id=pr.get("data_set_id"), product_type=pr.get("product_type"),
        processing_level=pr.get("processing_level", "Calibrated"),
        investigations=refs["investigations"], observing_system=refs["observing_system"], targets=refs["targets"],
        parts={k: dict(v) for k, v in pr.get("parts", {}).items()},
    )
    fields = {"stem", "STEM", "group", "GROUP", "part", "PART", "recipe", "version"}
    patterns = [("lid", product.lid), ("product_id", product.product_id), ("file_name", product.file_name)]
    for part, over in product.parts.items():
        patterns += [(f"parts.{part}.{k}", v) for k, v in over.items() if k in ("lid", "product_id", "file_name")]
    for key, pattern in patterns:
        for fld in re.findall(r"{([^{}]*)}", pattern):
            if fld not in fields:
                raise _err(path, f"product.{key}", f"unknown field {{{fld}}} (use {', '.join(sorted(fields))})")
    parts = {o.part for o in outputs}
    if len(parts) > 1 and "{part}" not in product.file_name.lower() and not product.parts:
        raise _err(path, "product.file_name", "outputs have several parts: the file name needs {part}")

    return Recipe(
        name=name, version=str(r.get("version", "1.0.0")), title=r.get("title", name),
        description=r.get("description", ""), source_document=r.get("source_document", ""),
        algorithm=algorithm, standard=standard, template=r.get("template"), aggregate=aggregate,
        group_by=group_by, input_glob=tuple(glob), inputs=inputs, parameters=parameters,
        outputs=tuple(outputs), expressions=dict(expressions), calibrations=calibrations,
        product=product, path=path, raw=data,
    )


def _check_ref(text: Any, path: Path | None, where: str) -> None:
    if not isinstance(text, str):
        raise _err(path, f"{where}.ref", "must be a string")
    try:
        from pdsgen.shorthand import parse
    except ImportError:  # shorthand module not there: checked when resolved
        return
    from pdsgen.errors import ShorthandError

    try:
        parse(text)
    except ShorthandError as exc:
        raise _err(path, f"{where}.ref", str(exc)) from None
