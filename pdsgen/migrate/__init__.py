"""PDS3 → PDS4 migration (`pdsgen migrate`, docs/migrate.md): new PDS4 labels over the
PDS3 products' unchanged data bytes, each validated and read back through both labels."""

from __future__ import annotations

from pdsgen.migrate.mapping import MigrationMap
from pdsgen.migrate.run import (
    MigrateOptions,
    MigrationResult,
    find_labels,
    migrate,
    migrate_product,
)

__all__ = ["MigrateOptions", "MigrationMap", "MigrationResult", "find_labels", "migrate", "migrate_product"]
