"""Shared fixtures: where ../shared is (CI has it beside the checkout).

``PDSGEN_NO_CORPUS=1`` hides ../shared (the reference corpus, the full PDS4 schemas and
the registered context products) as if the checkout were a fresh clone with nothing
beside it: every test that needs it is skipped with one reason line, and pdsgen's own
development-checkout fallbacks (`pdsgen.recipes.demo`) ignore it too. `.ci/run` runs the
suite both ways.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS_HIDDEN = os.environ.get("PDSGEN_NO_CORPUS", "") not in ("", "0")
SHARED = Path(os.environ.get("PDSGEN_SHARED") or ROOT.parent / "shared")  # (a worktree: point it at ../shared)
if CORPUS_HIDDEN:  # a path that cannot exist: everything derived from it is absent
    SHARED = ROOT / ".no-corpus" / "shared"
CORPUS = SHARED / "corpus"
SCHEMAS = SHARED / "pds4-schemas"
CATALOG = SCHEMAS / "catalog.xml"
CONTEXT = SHARED / "pds4-context" / "registered_context_products.json"
SEEDS = SHARED / "seeds"
#: `--catalog` for pdsgen: ../shared's XML catalog, else None (the schemas pdsgen ships)
CATALOG_ARG = str(CATALOG) if CATALOG.is_file() else None
#: the core PDS4 schema folder (pds/v1): ../shared's when present, else the copies pdsgen
#: ships (PDS4_PDS_1M00 and 1J00, what pdsgen writes and what the demo's inputs cite)
PDS_V1 = SCHEMAS / "pds4" / "pds" / "v1"
if not PDS_V1.is_dir():
    from pdsgen.validate.catalog import BUNDLED_DIR

    PDS_V1 = BUNDLED_DIR / "pds" / "v1"

SKIP_REASON = ("needs ../shared (the reference corpus)"
               + (": hidden by PDSGEN_NO_CORPUS" if CORPUS_HIDDEN else ": not beside the checkout"))


def pytest_collection_modifyitems(config, items):
    if not SHARED.is_dir():
        skip = pytest.mark.skip(reason=SKIP_REASON)
        for item in items:
            if "shared" in item.keywords:
                item.add_marker(skip)


def pytest_configure(config):
    config.addinivalue_line("markers", "shared: needs ../shared (the reference corpus)")
    config.addinivalue_line("markers", "slow: slower end-to-end tests")
    config.addinivalue_line("markers", "network: needs PyPI (skipped with a reason when offline)")


@pytest.fixture(scope="session")
def shared() -> Path:
    """../shared; tests that take it are skipped when it is absent or hidden."""
    if not SHARED.is_dir():
        pytest.skip(SKIP_REASON)
    return SHARED


def validate_options(**kw) -> dict:
    """Keywords for `pdsgen.validate.runner.Options`: ../shared's catalog and registered
    context products when present, else the schemas pdsgen ships (offline) with the
    context check off. Later keywords win."""
    if CATALOG.is_file():
        base = {"catalog_path": str(CATALOG), "context_products": (str(CONTEXT),)}
    else:
        base = {"catalog_path": None, "context": False}
    return {**base, "offline": True, "jobs": 1, **kw}


def validate_cli_args() -> list[str]:
    """The same as `validate_options`, as `pdsgen validate` arguments."""
    if CATALOG.is_file():
        base = ["--schema-catalog", str(CATALOG), "--context-products", str(CONTEXT)]
    else:
        base = ["--no-context"]
    return [*base, "--offline", "--jobs", "1"]


def schema_catalog():
    """A `Catalog` for XSD/Schematron checks: ../shared's catalog when present, else
    pdsgen's shipped schemas only (offline, no download cache)."""
    from pdsgen.validate.catalog import Catalog

    if CATALOG.is_file():
        return Catalog.load(CATALOG, offline=True)
    return Catalog.load(None, offline=True, cache_dir=ROOT / ".no-corpus" / "cache")
