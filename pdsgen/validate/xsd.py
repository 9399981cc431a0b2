"""XML Schema validation of PDS4 labels (lxml), schemas resolved through the XML catalog.

A label cites one schema per namespace in ``xsi:schemaLocation``; they are combined into
one wrapper schema that imports each namespace from its local file (the ``pds`` namespace
first, so that the core version the label cites wins over the one a discipline schema
imports, as in validate). ``xs:import``/``xs:include`` URLs inside the schemas go through
the same catalog (an lxml `Resolver`), so nothing is fetched behind the user's back.
Parsed `XMLSchema` objects are cached per process, keyed by the resolved files.

API::

    from pdsgen.validate.catalog import Catalog
    from pdsgen.validate.xsd import check_xsd, schema_locations
    findings = check_xsd(tree, Catalog.load(CATALOG, offline=True), file="label.xml")
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, TypeAlias

from lxml import etree

from pdsgen.errors import ValidationRunError
from pdsgen.pds4.label import PDS_NS
from pdsgen.untrusted import doctype_problem
from pdsgen.validate.catalog import Catalog, CatalogUnresolvable
from pdsgen.validate.findings import Finding

XSI = "http://www.w3.org/2001/XMLSchema-instance"
XS = "http://www.w3.org/2001/XMLSchema"

#: a schema set: its (namespace, file) pairs, then the catalog's file and exclusiveness
_SchemaKey: TypeAlias = tuple[tuple[str, str] | Path | str | bool | None, ...]
_cache: dict[_SchemaKey, etree.XMLSchema] = {}
_lock = threading.Lock()


def schema_locations(tree: etree._ElementTree | etree._Element) -> list[tuple[str, str]]:
    """(namespace, URL) pairs of the root's ``xsi:schemaLocation``, in label order."""
    root = tree.getroot() if isinstance(tree, etree._ElementTree) else tree
    text = root.get(f"{{{XSI}}}schemaLocation") or ""
    toks = text.split()
    return [(toks[i], toks[i + 1]) for i in range(0, len(toks) - 1, 2)]


def _odd_schema_location(tree: etree._ElementTree | etree._Element, file: str | None) -> Finding | None:
    """validate's LabelValidationRule.getSchemaLocations: an ``xsi:schemaLocation`` of an odd
    number of tokens has no matching namespace/URI pairs — ``error.label.schema``, and no schema
    is checked."""
    root = tree.getroot() if isinstance(tree, etree._ElementTree) else tree
    toks = (root.get(f"{{{XSI}}}schemaLocation") or "").split()
    if len(toks) % 2:
        return Finding("error.label.schema", f"schemaLocation value does not appear to have matching sets of "
                       f"namespaces to URIs ({len(toks)} tokens)", file=file, line=root.sourceline)
    return None


class _CatalogResolver(etree.Resolver):  # type: ignore[misc]  # lxml ships no type information
    def __init__(self, catalog: Catalog, base: Path | None):
        super().__init__()
        self.catalog = catalog
        self.base = base
        self.failures: list[ValidationRunError] = []

    def resolve(self, url: str | None, pubid: str | None, context: Any) -> Any:  # lxml's input documents
        if url is None:
            return None
        if url.startswith(("http://", "https://")):
            try:
                return self.resolve_filename(str(self.catalog.resolve(url)), context)
            except ValidationRunError as exc:
                self.failures.append(exc)
                return self.resolve_string("", context)  # never left to libxml2 to fetch
        if "://" in url and not url.startswith("file:"):
            self.failures.append(ValidationRunError(
                f"schema import {url!r}: only http/https URLs and local files are resolved"))
            return self.resolve_string("", context)
        return None


def load_schema(pairs: list[tuple[str, Path]], catalog: Catalog) -> etree.XMLSchema:
    """One `XMLSchema` importing every (namespace, local file); cached."""
    key: _SchemaKey = tuple((ns, str(p)) for ns, p in pairs) + ((catalog.path and str(catalog.path)), catalog.exclusive)
    with _lock:
        schema = _cache.get(key)
        if schema is not None:
            return schema
        ordered = sorted(pairs, key=lambda nsp: nsp[0] != PDS_NS)
        wrapper = etree.Element(f"{{{XS}}}schema", nsmap={"xs": XS})
        wrapper.set("elementFormDefault", "qualified")
        for ns, path in ordered:
            etree.SubElement(wrapper, f"{{{XS}}}import", namespace=ns,
                             schemaLocation=Path(path).resolve().as_uri())
        parser = etree.XMLParser()
        resolver = _CatalogResolver(catalog, None)
        parser.resolvers.add(resolver)
        doc = etree.fromstring(etree.tostring(wrapper), parser, base_url="file:///pdsgen-wrapper.xsd")
        try:
            schema = etree.XMLSchema(doc.getroottree())
        except etree.XMLSchemaParseError as exc:
            if resolver.failures:
                raise resolver.failures[0] from exc
            files = ", ".join(str(p) for _, p in pairs)
            raise ValidationRunError(f"schema does not load ({files}): {exc}") from exc
        if resolver.failures:
            raise resolver.failures[0]
        _cache[key] = schema
        return schema


def check_xsd(
    tree: etree._ElementTree,
    catalog: Catalog,
    *,
    file: str | None = None,
    extra_schemas: list[Path] | None = None,
) -> list[Finding]:
    """XML Schema findings (``error.label.schema``) for a parsed label.

    Raises `ValidationRunError` naming the URL of a schema that cannot be resolved.
    ``extra_schemas`` (validate's ``--schema``) are used for their target namespaces
    instead of the label's citations.
    """
    base = Path(file).parent if file else None
    odd = None if extra_schemas else _odd_schema_location(tree, file)
    if odd is not None:
        return [odd]
    pairs: list[tuple[str, Path]] = []
    seen: set[str] = set()
    overrides = {}
    for p in extra_schemas or []:
        tns = etree.parse(str(p)).getroot().get("targetNamespace") or ""
        overrides[tns] = Path(p)
    unresolved: list[Finding] = []
    for ns, url in schema_locations(tree):
        if ns in seen:
            continue
        seen.add(ns)
        if ns in overrides:
            pairs.append((ns, overrides.pop(ns)))
        elif catalog.exclusive:  # validate's -C: each schema through the catalog alone
            try:
                pairs.append((ns, catalog.through_catalog(url, namespace=ns, base=base, kind="schema")))
            except CatalogUnresolvable as exc:
                unresolved.append(Finding(exc.finding_type, exc.message, file=file))
        else:
            pairs.append((ns, catalog.resolve(url, base=base)))
    if unresolved:  # validate then has no schema set to check the label against
        return unresolved
    pairs.extend(overrides.items())
    if not pairs:
        # validate (LabelValidationRule.getSchemaLocations): "No schema(s) found in the label.",
        # a fatal error.label.schema
        return [Finding("error.label.schema",
                        "no schema(s) found in the label (no xsi:schemaLocation): it cannot be schema-validated",
                        file=file)]

    schema = load_schema(pairs, catalog)
    refused = doctype_problem(tree)
    if refused is not None:
        return [Finding("error.label.schema", refused, file=file, line=1)]
    try:
        if schema.validate(tree):
            return []
    except etree.XMLSchemaValidateError as exc:  # libxml2 gives up (e.g. on an entity node)
        return [Finding("error.label.schema", f"XML Schema validation could not complete: {exc}", file=file)]
    out = []
    for e in schema.error_log:
        out.append(Finding("error.label.schema", e.message, file=file or e.filename,
                           line=e.line or None, column=e.column or None))
    return out
