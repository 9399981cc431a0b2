"""What an algorithm receives (`RecipeContext`) and returns (`AlgorithmResult`).

An algorithm is a function ``fn(ctx) -> AlgorithmResult | Table | dict[str, Table]``.
It does its arithmetic with the pure functions of its instrument unit's ``algorithm.py``; the context
gives it everything already read and checked:

- ``ctx.params``: the recipe parameters after ``--set``, bounds-checked, as astropy
  Quantities when they have a unit (plain numbers otherwise);
- ``ctx.inputs``: the recipe's declared ``[inputs]``, resolved and converted to their
  declared unit (Quantity arrays for ``ref``/``column`` inputs, scalars for ``keyword``
  inputs); for aggregating recipes each entry is a list with one value per product
  of the group, in input order;
- ``ctx.products`` / ``ctx.paths``: the input product(s) (`pdsgen.model.Product`, opened
  lazily with `pdsgen.open`) and their label paths; ``ctx.table(i)`` the first table of
  product ``i`` as an astropy Table;
- ``ctx.calibration(name)`` / ``ctx.calibrations(name)``: the calibration file(s) the recipe
  declared under ``[calibrations.NAME]``, chosen among ``--cal`` files (or the default
  shipped with the recipe); ``ctx.cal_files`` all ``--cal`` files;
- ``ctx.group``: the group key of an aggregating recipe (``None`` otherwise);
- ``ctx.warn(text)``: a note printed in the run summary (e.g. "12 events discarded").

The result tables need not be in the declared units or order: the engine converts
every declared ``[[outputs]]`` column to its unit and data type, orders them as the
recipe does and fails with a RecipeError naming any column the algorithm did not give.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, overload

from pdsgen.errors import RecipeError

if TYPE_CHECKING:
    from astropy.table import Table

    from pdsgen.model import Product
    from pdsgen.recipes.loader import Recipe


@dataclass
class ArrayResult:
    """An n-d array output (an image): written as its own array product by
    `pdsgen.render.write_array`, named by the recipe's ``[product.parts.<name>]``."""

    data: Any  # ndarray, masked array or Quantity
    unit: str | None = None  # label unit (a Quantity's own unit when None)
    description: str = ""
    axis_names: tuple[str, ...] | None = None
    meta: dict[str, Any] = field(default_factory=dict)  # label values (start_time, stop_time ...)
    #: indices into ``ctx.paths`` of the products it is made from (provenance); None: all
    sources: list[int] | None = None


@dataclass
class AlgorithmResult:
    """An algorithm's output.

    ``tables``: part name → astropy Table (``""`` is the main product; other parts are the
    ``part`` values of the recipe's ``[[outputs]]``). ``plots``: browse name → a function
    drawing a matplotlib ``Figure`` (preferred: the engine calls it, and skips plots with a
    note when matplotlib, the optional ``plots`` extra, is missing) or the Figure itself
    (make it with ``matplotlib.figure.Figure()``, not pyplot, so runs in threads and
    processes do not share state); each is written as a PNG browse product beside the
    table. ``meta``: extra values for the label template (``start_time``, ``stop_time``,
    ``description`` ...). ``notes``: lines for the run summary. ``arrays``: part name →
    `ArrayResult`, each written as an array product (PDS4 Array_2D_Image …, PDS3 IMAGE).
    """

    tables: dict[str, Table] = field(default_factory=dict)
    arrays: dict[str, ArrayResult] = field(default_factory=dict)
    plots: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class RecipeContext:
    """Everything one algorithm call needs; built by `pdsgen.recipes.engine`."""

    recipe: Recipe
    paths: list[Path]
    params: dict[str, Any] = field(default_factory=dict)
    cal_files: list[Path] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)
    group: str | None = None
    notes: list[str] = field(default_factory=list)
    cache: dict[Any, Any] = field(default_factory=dict, repr=False)  # per-call reads shared by inputs
    #: inputs of an aggregating recipe left out of the group: (path, error text)
    rejected: list[tuple[Path, str]] = field(default_factory=list)

    @cached_property
    def products(self) -> _LazyProducts:
        """The input products, each opened on first use (a bad label fails that product only)."""
        return _LazyProducts(self.paths)

    def reject(self, i: int, error: Exception | str) -> None:
        """Leave product ``i`` of an aggregating recipe out of its group, with the reason.

        The engine does this for a product whose inputs cannot be read or whose
        algorithm's ``check_product(ctx, i)`` fails; an algorithm calls `keep` afterwards.
        """
        text = str(error)
        path = self.paths[i]
        if str(path) not in text:
            text = f"{path}: {text}"
        self.rejected.append((path, text))

    def keep(self, indices: list[int]) -> None:
        """Reduce the group to products ``indices`` (in that order); inputs are the caller's."""
        products = self.products
        self.paths = [self.paths[i] for i in indices]
        self.__dict__["products"] = _LazyProducts(self.paths, {j: products._opened[i] for j, i in enumerate(indices)
                                                               if i in products._opened})
        # per-index reads (tables) no longer line up; per-path reads (shorthand sources) stay
        self.cache = {k: v for k, v in self.cache.items() if not (isinstance(k, tuple) and k and k[0] == "table")}

    @property
    def product(self) -> Product:
        """The one input product (non-aggregating recipes)."""
        return self.products[0]

    @property
    def path(self) -> Path:
        return self.paths[0]

    def table(self, i: int = 0, name: str | None = None) -> Table:
        """Product ``i``'s table ``name`` (default: its first table) as an astropy Table."""
        return self._table_object(i, name).to_table()

    def label_units(self, i: int = 0, name: str | None = None) -> dict[str, str]:
        """Column name → the unit text the label writes for it (columns with a unit only)."""
        from pdsgen.data import column_names

        obj = self._table_object(i, name)
        if obj.kind != "table":
            return {obj.name: obj.unit} if obj.unit else {}
        return {c: f.unit for f, c in zip(obj.fields, column_names(obj), strict=True) if f.unit}

    def _table_object(self, i: int, name: str | None) -> Any:
        product = self.products[i]
        try:
            return product[name] if name else next(o for o in product.objects if o.kind == "table")
        except StopIteration:
            raise RecipeError("product has no table object", path=str(self.paths[i])) from None
        except KeyError as exc:
            raise RecipeError(str(exc.args[0]), path=str(self.paths[i])) from None

    def calibrations(self, name: str) -> list[Path]:
        """Every file of calibration ``name`` (``[calibrations.NAME]`` of the recipe)."""
        spec = self.recipe.calibrations.get(name)
        if spec is None:
            raise RecipeError(f"recipe {self.recipe.name!r} declares no calibration {name!r}")
        pats = [p.strip() for p in spec.match.split("|")]
        found = [p for p in self.cal_files if any(fnmatch.fnmatch(p.name.lower(), q.lower()) for q in pats)]
        if not found and spec.default:
            from pdsgen.recipes.loader import default_calibration

            default = default_calibration(self.recipe.path, spec.default)
            found = [default] if default is not None else []
        if not found and spec.required:
            given = ", ".join(p.name for p in self.cal_files) or "none"
            raise RecipeError(
                f"calibration {name!r} ({spec.description or spec.match}) is needed: give a file matching "
                f"{spec.match!r} with --cal (given: {given})")
        return found

    def calibration(self, name: str) -> Path:
        """The single file of calibration ``name``; several matching files are an error."""
        found = self.calibrations(name)
        if len(found) > 1 and not self.recipe.calibrations[name].multiple:
            raise RecipeError(f"calibration {name!r}: several --cal files match ({', '.join(p.name for p in found)})")
        if not found:
            raise RecipeError(f"calibration {name!r}: no file")
        return found[0]

    def warn(self, text: str) -> None:
        self.notes.append(text)


class _LazyProducts(Sequence["Product"]):
    """``pdsgen.open`` of each path on first access, cached."""

    def __init__(self, paths: list[Path], opened: Mapping[int, Product] | None = None) -> None:
        self._paths = paths
        self._opened: dict[int, Product] = dict(opened or {})

    def __len__(self) -> int:
        return len(self._paths)

    @overload
    def __getitem__(self, i: int) -> Product: ...

    @overload
    def __getitem__(self, i: slice) -> list[Product]: ...

    def __getitem__(self, i: int | slice) -> Product | list[Product]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if i not in self._opened:
            from pdsgen.registry import open as open_product

            # strict: a recipe computes from its inputs' values, never from recovered ones
            self._opened[i] = open_product(self._paths[i], strict=True)
        return self._opened[i]


#: ``check_product(ctx, i, inputs)``: raises a PdsgenError when input product ``i`` of an
#: aggregating recipe cannot take part (the engine then leaves it out of the group).
ProductCheck = Callable[["RecipeContext", int, Mapping[str, Any]], None]
_Algorithm = TypeVar("_Algorithm", bound=Callable[..., Any])


def with_product_check(algorithm: _Algorithm, check: ProductCheck) -> _Algorithm:
    """``algorithm`` with its per-product ``check`` attached (the engine looks it up as
    ``algorithm.check_product`` before forming the group); the one place that sets it."""
    algorithm.check_product = check  # type: ignore[attr-defined]  # a function attribute, by design
    return algorithm
