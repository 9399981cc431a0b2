"""Shared fixtures: where ../shared is (CI has it beside the checkout)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
SCHEMAS = SHARED / "pds4-schemas"
CATALOG = SCHEMAS / "catalog.xml"
CONTEXT = SHARED / "pds4-context" / "registered_context_products.json"
SEEDS = SHARED / "seeds"


def pytest_collection_modifyitems(config, items):
    if not SHARED.is_dir():
        skip = pytest.mark.skip(reason="../shared is not beside the checkout")
        for item in items:
            if "shared" in item.keywords:
                item.add_marker(skip)


def pytest_configure(config):
    config.addinivalue_line("markers", "shared: needs ../shared (the reference corpus)")
    config.addinivalue_line("markers", "slow: slower end-to-end tests")


@pytest.fixture(scope="session")
def shared() -> Path:
    return SHARED
