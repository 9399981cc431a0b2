"""`pdsgen demo`: generate a small raw archive for the registered instruments (five built
in), run their recipes on it and validate every product written.

Layout of ``--out``: ``raw/<instrument>/`` (generated raw products and calibration files),
``calibrated/<instrument>/`` (the recipes' products) and ``browse/<instrument>/`` (their
browse plots, whose LIDs name the bundle's browse collection). Validation uses pdsgen's own
validator (`pdsgen.validate.runner.validate_label`: XML Schema, Schematron, content)
with the XML catalog given, else ``$PDSGEN_CATALOG``, else the schemas of a development
checkout (``../shared/pds4-schemas``) when present, else the download cache.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pdsgen.errors import PdsgenError, RecipeError
from pdsgen.recipes.demo_data import demo_instruments, generate
from pdsgen.recipes.loader import load_recipe
from pdsgen.recipes.run import RunReport, run_recipe


@dataclass
class DemoRow:
    """One instrument's line of the demo table."""

    instrument: str
    recipe: str
    inputs: int = 0
    products: int = 0
    failed: int = 0
    records: int = 0
    validated: int = 0
    invalid: int = 0
    seconds: float = 0.0
    error: str | None = None
    problems: list[str] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    report: RunReport | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.failed == 0 and self.invalid == 0 and self.products > 0


def _checkout_shared(relative: str) -> Path | None:
    """A file of a development checkout's ../shared, or None (absent, or hidden by
    ``$PDSGEN_NO_CORPUS`` to behave as a fresh clone does)."""
    if os.environ.get("PDSGEN_NO_CORPUS", "") not in ("", "0"):
        return None
    path = (Path(__file__).resolve().parents[2] / ".." / "shared" / relative).resolve()
    return path if path.is_file() else None


def default_catalog() -> str | None:
    """``$PDSGEN_CATALOG``, else the catalog of a development checkout's ../shared, else None."""
    env = os.environ.get("PDSGEN_CATALOG")
    if env:
        return env
    checkout = _checkout_shared("pds4-schemas/catalog.xml")
    return str(checkout) if checkout else None


def default_context_products() -> list[str]:
    """The registered context products: the downloaded list, else the one pdsgen ships."""
    from pdsgen.validate.context_products import default_context_products as default

    return [str(p) for p in default()]


def validator(catalog: str | None, offline: bool) -> Callable[[Path], tuple[bool, list[str]]]:
    """A function label → (passed, error messages), using pdsgen's validator.

    Context references are checked against the registered context products (the list
    downloaded by ``pdsgen validate -u``, else the one pdsgen ships).
    """
    from pdsgen.validate.runner import Options, validate_label

    contexts = default_context_products()
    opts = Options(catalog_path=catalog, offline=offline, jobs=1, context=bool(contexts),
                   context_products=tuple(contexts))

    def check(label: Path) -> tuple[bool, list[str]]:
        try:
            res = validate_label(label, opts)
        except PdsgenError as exc:
            return False, [f"{label.name}: validation could not run: {exc}"]
        errors = [str(f) for f in res.findings if f.severity == "error"]
        return (res.status != "FAIL" and not errors), errors

    return check


def run_demo(
    out_dir: str | Path,
    *,
    instruments: Iterable[str] | None = None,
    seed: int = 0,
    jobs: int = 1,
    catalog: str | None = None,
    offline: bool = False,
    validate: bool = True,
    creation_time: Any = None,
    on_row: Callable[[DemoRow], None] | None = None,
) -> list[DemoRow]:
    """Generate, run and validate each instrument in turn (default: every registered unit with
    demo data); never raises for one instrument's failure."""
    out = Path(out_dir)
    if instruments is None:
        instruments = demo_instruments()
    # a bad --creation-time is the caller's mistake, not one instrument's failure: say so once,
    # before anything is generated or deleted
    from pdsgen.render import resolve_creation_time

    try:
        creation_time = resolve_creation_time(creation_time)
    except PdsgenError as exc:
        raise RecipeError(f"--creation-time {creation_time!r}: {exc.message}") from None
    check = validator(catalog if catalog is not None else default_catalog(), offline) if validate else None
    rows: list[DemoRow] = []
    for inst in instruments:
        t0 = time.perf_counter()
        row = DemoRow(instrument=inst, recipe="?")
        try:
            raw = out / "raw" / inst
            cal_out = out / "calibrated" / inst
            browse_out = out / "browse" / inst  # browse plots: products of the bundle's browse collection
            for d in (raw, cal_out, browse_out):
                if d.exists():
                    shutil.rmtree(d)
            data = generate(inst, raw, seed)
            row.recipe = data.recipe
            recipe = load_recipe(data.recipe)
            row.inputs = len(data.inputs)
            report = run_recipe(recipe, data.inputs, cal_out, cal_files=data.calibrations,
                                params=dict(data.params), jobs=jobs,
                                creation_time=creation_time, browse_dir=browse_out)
            row.report = report
            row.failed = len(report.failed)
            row.records = report.records
            row.problems += [o.error for o in report.failed if o.error]
            for o in report.written:
                row.outputs += o.outputs
            row.products = len(row.outputs)
            if check is not None:
                for label in row.outputs:
                    ok, errs = check(label)
                    row.validated += 1
                    if not ok:
                        row.invalid += 1
                        row.problems += errs[:5] or [f"{label.name}: FAIL"]
        except PdsgenError as exc:
            row.error = str(exc)
        except (ImportError, OSError, ValueError, KeyError, TypeError) as exc:
            row.error = f"{type(exc).__name__}: {exc}"
        row.seconds = time.perf_counter() - t0
        rows.append(row)
        if on_row:
            on_row(row)
    return rows
