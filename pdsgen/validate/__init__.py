"""Validation of PDS4/PDS3 labels and their data, agreeing with NASA's PDS `validate`.

One entry point, `validate(targets, **options)` → `RunResult`; the pieces are usable alone:

* `pdsgen.validate.schematron.check_schematron(label, sch)` — ISO Schematron, XPath 2/3
  (compiled to XSLT 3, run by SaxonC-HE, compiled form cached on disk);
* `pdsgen.validate.xsd.check_xsd(tree, catalog)` — XML Schema (lxml) via the catalog;
* `pdsgen.validate.catalog.Catalog` — OASIS XML catalog resolver with a download cache;
* `pdsgen.validate.runner.validate_label(path, Options(...))` — one product, all checks;
* `pdsgen.validate.report` — validate-shaped JSON, text and self-contained HTML reports.

Every problem is a `Finding` whose ``type`` is validate's message type name.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from pdsgen.validate.findings import Finding

if TYPE_CHECKING:
    from pdsgen.validate.results import RunResult


def validate(targets: str | os.PathLike[str] | list[str | os.PathLike[str]], **options: Any) -> RunResult:
    """Validate labels or folders; ``options`` are `runner.Options` fields (``rule``,
    ``content``, ``context``, ``catalog_path``, ``offline``, ``context_products``, ``jobs`` …).
    ``catalog_path`` is tried first in pdsgen's chain (shipped schemas, cache, downloads);
    with ``catalog_alone=True`` it is the only source, as validate's ``-C``.

    >>> result = validate("bundle/", catalog_path="catalog.xml", offline=True)  # doctest: +SKIP
    >>> result.exit_code, result.total_errors  # doctest: +SKIP
    """
    from pdsgen.validate.runner import Options, run

    if isinstance(targets, (str, os.PathLike)):
        targets = [targets]
    if "context_products" in options and isinstance(options["context_products"], (str, os.PathLike)):
        options["context_products"] = (str(options["context_products"]),)
    return run([str(t) for t in targets], Options(**options))


__all__ = ["Finding", "validate"]
