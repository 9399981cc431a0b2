"""What a validation run is asked (`Options`) and what it gives (`ProductResult` per label,
`RunResult` per run). The bottom of `pdsgen.validate`: the runner, the per-standard
checkers (pds3, integrity) and the reports import these types from here, never from the
runner, so no module of the package imports one above it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pdsgen.model import ProductIdentity
from pdsgen.validate.catalog import Catalog
from pdsgen.validate.findings import Finding

if TYPE_CHECKING:
    from pdsgen.validate.inventory import Member


@dataclass
class Options:
    """What to check; mirrors the CLI options."""

    rule: str = "auto"
    product: bool = True  # False: validate's --skip-product-validation (cross-product checks only)
    content: bool = True
    context: bool = True
    context_mismatch_warnings: bool = True
    catalog: Catalog | None = None
    catalog_path: str | None = None
    catalog_alone: bool = False  # validate's -C: schemas and Schematron through catalog_path only
    offline: bool = False
    context_products: tuple[str, ...] = ()  # instead of the default list
    add_context_products: tuple[str, ...] = ()  # validate's --add-context-products: added to it
    jobs: int = 0  # 0: all cores
    label_extensions: tuple[str, ...] = (".xml",)
    schemas: tuple[str, ...] = ()  # validate's --schema: used instead of the label's citations
    schematrons: tuple[str, ...] = ()  # validate's --schematron
    max_reported: int = 5
    progress: bool = False
    content_threads: int = 0  # threads for one big table (0: all cores; 1 inside worker processes)
    strict_fields: bool = False  # warn about characters between the fields of character tables
    allow_local_schematron: bool = True  # run xml-model Schematron files beside the label (sandboxed), as validate
    schema_hosts: tuple[str, ...] = ()  # extra hosts schemas may be downloaded from (besides the defaults)
    scheduler: str | None = None  # Dask scheduler address (or "local"): labels validated on its workers
    checksums: dict[str, str] | None = None  # validate's --checksum-manifest: absolute path → md5
    local: bool = False  # validate's --local: folders are not walked recursively
    allow_unlabeled: bool = False  # validate's --allow-unlabeled-files
    alternate_paths: tuple[str, ...] = ()  # validate's --alternate_file_paths: more products for integrity
    # validate's --skip-strict-collection-membership: a primary member not found is a warning, not an error
    allow_unlisted_members: bool = False

    def get_catalog(self) -> Catalog:
        if self.catalog is None:
            from pdsgen.validate.catalog import DEFAULT_SCHEMA_HOSTS

            hosts = DEFAULT_SCHEMA_HOSTS + tuple(h for h in self.schema_hosts if h not in DEFAULT_SCHEMA_HOSTS)
            self.catalog = Catalog.load(self.catalog_path, offline=self.offline, allowed_hosts=hosts,
                                        exclusive=self.catalog_alone and self.catalog_path is not None)
        return self.catalog


@dataclass
class ProductResult:
    """What one label produced: findings plus the identifiers the cross-product checks need."""

    label: str
    status: str = "PASS"  # PASS / FAIL / SKIP
    standard: str | None = None
    findings: list[Finding] = field(default_factory=list)
    lid: str | None = None
    vid: str | None = None
    product_class: str | None = None
    im_version: str | None = None
    members: list[Member] = field(default_factory=list)  # of bundles/collections
    references: list[tuple[str, int | None]] = field(default_factory=list)  # non-context lid(vid) refs
    files: list[str] = field(default_factory=list)  # data files the label references
    # (resolved file, File_Area_Observational?, line) of each File_Area's File, for the
    # cross-label file_areas_duplicated_reference check
    area_files: list[tuple[str, bool, int | None]] = field(default_factory=list)
    named_files: list[str] = field(default_factory=list)  # files whose names this product's check covered

    @property
    def identity(self) -> ProductIdentity:
        return ProductIdentity(self.lid, self.vid, self.product_class, label=self.label)

    @property
    def lidvid(self) -> str | None:
        return self.identity.lidvid

    def finish(self) -> ProductResult:
        if self.status != "SKIP":
            self.status = "FAIL" if any(f.is_error for f in self.findings) else "PASS"
        return self


@dataclass
class RunResult:
    """All products of a run plus run-level (execution, integrity) findings."""

    products: list[ProductResult] = field(default_factory=list)
    integrity: list[Finding] = field(default_factory=list)
    execution: list[Finding] = field(default_factory=list)
    rule: str = "product"
    targets: list[str] = field(default_factory=list)
    roots: list[str] = field(default_factory=list)  # what was walked (bundle/collection folders)
    integrity_checked: bool = False
    skipped: list[str] = field(default_factory=list)  # checks not run, said in the report's summary
    context_sources: list[tuple[str, str]] = field(default_factory=list)  # context lists used, with dates
    catalog: str | None = None  # the catalog file used, if any
    checks: dict[str, bool] = field(default_factory=dict)  # which groups of checks ran

    def all_findings(self) -> Iterable[Finding]:
        for p in self.products:
            yield from p.findings
        yield from self.integrity
        yield from self.execution

    @property
    def total_errors(self) -> int:
        return sum(1 for f in self.all_findings() if f.severity == "error")

    @property
    def total_warnings(self) -> int:
        return sum(1 for f in self.all_findings() if f.severity == "warning")

    @property
    def exit_code(self) -> int:
        return 1 if self.total_errors else 0
