"""Archive awareness: an embedded index of an archive's products, retrieval by time and
type, PDS4 delivery packaging and versioning, and incremental regeneration.

Modules, one job each: `index` (storage interface, SQLite), `labels` (cheap label
reading), `scan` (walking an archive into the index), `times`, `find`, `package`
(inventories, collection/bundle labels, manifests), `versioning`, `provenance`,
`regenerate` (staleness, tasks, runs) and `backends` (local pool, Dask). See
docs/archive.md.
"""

from __future__ import annotations

# Functions named like their modules (scan, find, regenerate) are not re-exported here:
# they would shadow the modules (`pdsgen.archive.scan` must stay the module).
from pdsgen.archive.find import calibration_for
from pdsgen.archive.index import ArchiveIndex, ProductRecord, SQLiteIndex, default_db, open_index
from pdsgen.archive.package import package_bundle, package_collection
from pdsgen.archive.regenerate import find_stale, register_maker

__all__ = [
    "ArchiveIndex",
    "ProductRecord",
    "SQLiteIndex",
    "calibration_for",
    "default_db",
    "find_stale",
    "open_index",
    "package_bundle",
    "package_collection",
    "register_maker",
]
