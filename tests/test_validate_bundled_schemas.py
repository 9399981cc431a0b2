"""pdsgen's own products validate offline with no catalog: the core schemas it writes ship
inside the package (pdsgen/validate/schemas)."""

from __future__ import annotations

import hashlib

import pytest
from conftest import SCHEMAS

from pdsgen.errors import ValidationRunError
from pdsgen.validate.catalog import Catalog, bundled_schema


@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize("name", ["PDS4_PDS_1M00.xsd", "PDS4_PDS_1M00.sch", "PDS4_PDS_1J00.xsd"])
def test_core_schemas_resolve_offline_without_catalog(tmp_path, scheme, name):
    cat = Catalog.load(None, offline=True, cache_dir=tmp_path / "empty-cache")
    path = cat.resolve(f"{scheme}://pds.nasa.gov/pds4/pds/v1/{name}")
    assert path.name == name
    assert path == bundled_schema(f"{scheme}://pds.nasa.gov/pds4/pds/v1/{name}")


@pytest.mark.shared
def test_shipped_copies_are_the_official_files():
    for name in ("PDS4_PDS_1M00.xsd", "PDS4_PDS_1M00.sch", "PDS4_PDS_1J00.xsd", "PDS4_PDS_1J00.sch"):
        shipped = bundled_schema(f"https://pds.nasa.gov/pds4/pds/v1/{name}")
        official = SCHEMAS / "pds4" / "pds" / "v1" / name
        assert hashlib.md5(shipped.read_bytes()).hexdigest() == hashlib.md5(official.read_bytes()).hexdigest()


def test_other_schemas_still_need_a_catalog_offline(tmp_path):
    cat = Catalog.load(None, offline=True, cache_dir=tmp_path / "empty-cache")
    url = "https://pds.nasa.gov/pds4/pds/v1/PDS4_PDS_1B00.xsd"
    assert bundled_schema(url) is None
    with pytest.raises(ValidationRunError, match="PDS4_PDS_1B00.xsd"):
        cat.resolve(url)
    assert bundled_schema("https://example.org/pds4/pds/v1/PDS4_PDS_1M00.xsd") is None
    assert bundled_schema("https://pds.nasa.gov/pds4/pds/v1/../../etc/passwd") is None


def test_demo_validates_offline_without_catalog(tmp_path, monkeypatch):
    # The demo's validator on a written product, with no catalog and no network.
    from pdsgen.recipes.demo import validator
    from pdsgen.render import write_table
    from tests._render_helpers import CREATED, context, mixed_table

    monkeypatch.delenv("PDSGEN_CATALOG", raising=False)
    written = write_table(mixed_table(5), tmp_path, basename="offline", context=context(),
                          creation_time=CREATED, special_constants={"f8": {"missing_constant": -1e32}})
    check = validator(None, offline=True)
    passed, messages = check(written.label_path)
    assert passed, messages
