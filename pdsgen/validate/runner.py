"""One validation run: find the labels, validate each product (in parallel), then check
collections and bundles across products.

`validate_label` is the per-product unit (pure with respect to other products, so it runs
in worker processes); `run` does discovery, fan-out and the cross-product checks
(duplicate identifiers, inventories against the products found, references).
"""

from __future__ import annotations

import logging
import os
import re
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from lxml import etree

from pdsgen.errors import ValidationRunError
from pdsgen.model import DataObject
from pdsgen.validate.catalog import Catalog, CatalogUnresolvable
from pdsgen.validate.context_products import ContextRegistry
from pdsgen.validate.findings import Finding
from pdsgen.validate.results import Options, ProductResult, RunResult

__all__ = ["Options", "ProductResult", "RunResult", "run", "validate_label", "validate_labels"]

RULES = ("auto", "product", "collection", "bundle", "volume")
#: files of these suffixes are PDS3 labels when walked or given
PDS3_SUFFIXES = (".lbl",)

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- per product


def _label_problem(path: Path, walked: bool, message: str) -> ProductResult:
    """A file that is not a usable label: skipped (warning) if it is a walked .xml, else an error."""
    res = ProductResult(str(path))
    if walked and path.suffix.lower() == ".xml":
        res.status = "SKIP"
        res.findings.append(Finding("warning.label.not_understandable", message, file=str(path)))
    else:
        res.findings.append(Finding("error.label.not_understandable", message, file=str(path)))
    return res.finish()


@dataclass
class _DeferredSchematron:
    """One label's run of a (catalog) Schematron left to `validate_labels`, which batches
    such runs: its findings go into ``res.findings`` at ``at``, where the run would have put them."""

    res: ProductResult
    at: int
    tree: etree._ElementTree
    sch: Path
    file: str
    data: bytes | None
    findings: list[Finding] = field(default_factory=list)


def validate_label(path: str | os.PathLike[str], opts: Options, *, walked: bool = False,
                   deferred: list[_DeferredSchematron] | None = None) -> ProductResult:
    """Validate one label (PDS4 or PDS3) and its data; never raises for bad input.

    `deferred` (`validate_labels`): catalog Schematron runs are appended there instead of run."""
    try:
        return _validate_label(Path(path), opts, walked, deferred)
    except ValidationRunError:
        raise
    except Exception as exc:  # noqa: BLE001 - one broken product must not stop a delivery's run
        res = ProductResult(str(path))
        res.findings.append(Finding("error.validation.internal_error",
                                    f"validation stopped: {type(exc).__name__}: {exc}", file=str(path)))
        return res.finish()


def validate_labels(items: list[tuple[Path, bool]], opts: Options) -> list[ProductResult]:
    """`validate_label` of each (label, walked), in order, with the Schematron runs of them all
    batched: one Saxon transform per Schematron executable (`schematron.check_schematron_batch`)
    instead of one per label. Each result is the one `validate_label` gives alone; a label
    whose batched run fails is validated again alone."""
    from pdsgen.validate import schematron

    results: list[ProductResult] = []
    deferred: list[tuple[int, _DeferredSchematron]] = []
    for i, (p, walked) in enumerate(items):
        mine: list[_DeferredSchematron] = []
        results.append(validate_label(p, opts, walked=walked, deferred=mine))
        deferred += [(i, d) for d in mine]
    redo = {i for i, d in deferred if d.res is not results[i]}  # replaced after a later failure
    by_sch: dict[Path, list[tuple[int, _DeferredSchematron]]] = {}
    for i, d in deferred:
        if i not in redo:
            by_sch.setdefault(d.sch, []).append((i, d))
    for sch, jobs in by_sch.items():
        outs = schematron.check_schematron_batch([(d.tree, d.data, d.file) for _i, d in jobs], sch)
        for (i, d), out in zip(jobs, outs, strict=True):
            if isinstance(out, ValidationRunError):
                redo.add(i)
            else:
                d.findings = out
    for i, d in reversed(deferred):  # later insertion points of a label first
        if i not in redo:
            d.res.findings[d.at:d.at] = d.findings
    for i in {i for i, _d in deferred}:
        results[i] = validate_label(items[i][0], opts, walked=items[i][1]) if i in redo else results[i].finish()
    return results


def _validate_label(p: Path, opts: Options, walked: bool,
                    deferred: list[_DeferredSchematron] | None = None) -> ProductResult:
    if p.suffix.lower() in PDS3_SUFFIXES:
        from pdsgen.validate.pds3 import validate_pds3

        return validate_pds3(p, opts).finish()
    try:
        data = p.read_bytes()
    except OSError as exc:
        res = ProductResult(str(p))
        res.findings.append(Finding("error.label.missing_file", f"cannot read label: {exc.strerror}", file=str(p)))
        return res.finish()
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        return _label_problem(p, walked, "empty file, not a PDS label")
    if not stripped.startswith(b"<"):
        if b"PDS_VERSION_ID" in data[:2000] or b"ODL_VERSION_ID" in data[:2000]:
            from pdsgen.validate.pds3 import validate_pds3

            return validate_pds3(p, opts).finish()
        return _label_problem(p, walked, "not XML, not a PDS label")
    from pdsgen.untrusted import doctype_problem

    try:
        tree = etree.ElementTree(etree.fromstring(data, _label_parser(), base_url=str(p)))
    except etree.XMLSyntaxError as exc:
        if b"pds.nasa.gov/pds4" not in data[:5000] and b"<Product_" not in data[:5000]:
            return _label_problem(p, walked, f"not well-formed XML: {exc.msg}")
        res = ProductResult(str(p), standard="PDS4")
        line, col = exc.position if exc.position else (exc.lineno, None)
        res.findings.append(Finding("error.label.schema", f"malformed XML: {exc.msg}", file=str(p), line=line,
                                    column=col))
        return res.finish()
    refused = doctype_problem(tree)
    if refused is not None:  # nothing further: schema and Schematron would see unexpanded entities
        res = ProductResult(str(p), standard="PDS4")
        res.findings.append(Finding("error.label.schema", refused, file=str(p), line=1))
        return res.finish()
    root = tree.getroot()
    from pdsgen.pds4.label import local

    if not local(root).startswith(("Product_", "Ingest_")):
        return _label_problem(p, walked, f"root element <{local(root)}> is not a PDS4 product")
    try:
        return validate_pds4(tree, p, opts, data=data, deferred=deferred).finish()
    except ValidationRunError as exc:
        res = ProductResult(str(p), standard="PDS4")
        res.findings.append(Finding("error.label.unresolvable_resource", exc.message, file=str(p)))
        return res.finish()


_local = threading.local()


def _label_parser() -> etree.XMLParser:
    """This thread's label parser (`untrusted.xml_parser`; a parser serves one thread at a time)."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        from pdsgen.untrusted import xml_parser

        parser = _local.parser = xml_parser()
    return parser


def _schematron(tree: etree._ElementTree, p: Path, opts: Options, cat: Catalog, res: ProductResult,
                data: bytes | None, deferred: list[_DeferredSchematron] | None) -> None:
    """The Schematron runs of one label (its xml-model citations, or --schematron), their
    findings added to ``res`` (or left to `validate_labels` in ``deferred``)."""
    from pdsgen.pds4.label import SCHEMATRON_NS
    from pdsgen.validate import pds4label as L
    from pdsgen.validate import schematron

    file = str(p)
    sch_paths: list[tuple[Path, Path | None]] = []  # (file, label folder if label-local)
    if opts.schematrons:
        sch_paths = [(Path(s), None) for s in opts.schematrons]
    else:
        cited, warned = L.schematron_citations(tree, file)
        res.findings += warned
        for href, ns, line in cited:
            if ns != SCHEMATRON_NS and not href.endswith(".sch"):
                continue  # some other schema language: not run as Schematron
            try:
                sch_paths.append(_cited_schematron(href, p, cat, opts, res, line))
            except ValidationRunError as exc:
                res.findings.append(Finding(_unresolvable(exc), exc.message, file=file, line=line))
    if sch_paths and not schematron.available():  # the optional extra: say so, never fail
        res.findings.append(schematron.not_run_finding(sorted({Path(s).name for s, _local in sch_paths}), file))
        sch_paths = []
    done: set[Path] = set()
    for sch, local_to in sch_paths:
        if sch in done:  # cited twice
            continue
        done.add(sch)
        if deferred is not None and local_to is None:
            deferred.append(_DeferredSchematron(res, len(res.findings), tree, sch, file, data))
            continue
        try:
            res.findings += schematron.check_schematron(tree, sch, file=file, xml=data, local_to=local_to)
        except ValidationRunError as exc:
            if local_to is None:
                raise
            res.findings.append(Finding("error.label.unresolvable_resource", exc.message, file=file))


def validate_pds4(tree: etree._ElementTree, p: Path, opts: Options, *, data: bytes | None = None,
                  deferred: list[_DeferredSchematron] | None = None,
                  described: list[DataObject] | None = None) -> ProductResult:
    """All checks of one PDS4 label (`data`: its bytes, if read already; `deferred`: catalog
    Schematron runs are appended there instead of run, see `validate_labels`).

    `described`: when given, the data objects the content check described from `tree`
    are appended to it (a caller that reads the label's objects next uses them rather
    than describing them again)."""
    from pdsgen.pds4.label import PDS_NS, child, child_text, local
    from pdsgen.validate import pds4label as L
    from pdsgen.validate.context_products import check_context_refs, is_context_lid
    from pdsgen.validate.xsd import check_xsd

    file = str(p)
    res = ProductResult(file, standard="PDS4")
    root = tree.getroot()
    res.product_class = local(root)
    res.lid, res.vid = L.identification(tree)
    ia = child(root, "Identification_Area")
    res.im_version = child_text(ia, "information_model_version") if ia is not None else None
    if not opts.product:
        # validate's --skip-product-validation: identifiers and members only, for the
        # cross-product (bundle/collection) checks
        from pdsgen.validate import inventory as inv

        res.status = "SKIP"
        if opts.checksums:  # validate checks the label's own checksum before it skips the product
            res.findings += manifest_findings(p, [], opts.checksums, file)
        if res.product_class == "Product_Bundle":
            res.members = inv.bundle_members(tree)
        elif res.product_class == "Product_Collection":
            inventory = inv.inventory_file(tree, p)
            if inventory is not None and inventory[0].is_file():
                res.members = inv.collection_members(*inventory).members
        if res.product_class in ("Product_Bundle", "Product_Collection"):
            # validate still runs the Schematron on bundle and collection labels
            # (LabelValidator.determineSchematronValidationFlag, TargetExaminer: by root element)
            # (run here, not batched: a handful of labels; skipped unless the Schematron fails)
            _schematron(tree, p, opts, opts.get_catalog(), res, data, None)
            if any(f.is_error for f in res.findings):
                res.status = "FAIL"
        return res
    cat = opts.get_catalog()

    # XML Schema (first: schemas and Schematron files in pairs, as validate checks)
    res.findings += L.schema_schematron_versions(tree, file)
    schemas = [Path(s) for s in opts.schemas]
    try:
        res.findings += check_xsd(tree, cat, file=file, extra_schemas=schemas)
    except ValidationRunError as exc:
        res.findings.append(Finding(_unresolvable(exc), exc.message, file=file))
    # Schematron: the label's xml-model citations (or --schematron)
    _schematron(tree, p, opts, cat, res, data, deferred)

    # label rules
    res.findings += L.check_identifiers(tree, file)
    areas = L.file_areas(tree, p.parent)
    res.findings += L.check_object_layout(areas, file)
    res.findings += L.check_record_counts(tree, file)
    res.findings += L.check_local_references(tree, file)
    if opts.content:
        res.findings += L.not_checked_documents(tree, file)
    res.files = [str(fa.path) for fa in areas if fa.path is not None]
    # (validate keys a Document_File by directory_path_name + ":" + file_name, so only one
    # without a directory can name the file a File_Area names: CrossLabelFileAreaReferenceChecker)
    res.area_files = [(os.path.abspath(fa.path), local(fa.area).startswith("File_Area_Observational"),
                       fa.file_element.sourceline if fa.file_element is not None else None)
                      for fa in areas if fa.path is not None and (
                          local(fa.area).startswith("File_Area")
                          or child(fa.area, "directory_path_name") is None)]
    res.findings += L.check_files(areas, file, content=opts.content)
    if opts.content:  # validate checks file names and their case with the content (FileReferenceValidationRule)
        from pdsgen.validate.fileref import file_reference_findings

        res.findings += file_reference_findings(
            tree, {fa.file_element: fa.path for fa in areas if fa.file_element is not None and fa.path is not None},
            file)
    from pdsgen.validate.integrity import label_name_findings

    data_files = L.name_checked_files(tree, areas)
    res.findings += label_name_findings(p, data_files, file)
    res.named_files = [str(p), *map(str, data_files)]
    if opts.checksums is not None:
        # (the referenced files with the content checks only, as validate's file-area checks)
        res.findings += manifest_findings(
            p, [(fa.path, bool(fa.md5_text)) for fa in areas if fa.path is not None] if opts.content else [],
            opts.checksums, file)
    if opts.context and _registry(opts).products:
        res.findings += check_context_refs(tree, _registry(opts), file,
                                           mismatch_warnings=opts.context_mismatch_warnings)
    for el in root.iter(f"{{{PDS_NS}}}lid_reference", f"{{{PDS_NS}}}lidvid_reference"):
        value = (el.text or "").strip()
        if value and not is_context_lid(value.split("::")[0]):
            res.references.append((value, el.sourceline))

    # members of bundles and collections (duplicates are a label error, like validate)
    from pdsgen.validate import inventory as inv

    if res.product_class == "Product_Bundle":
        res.members = inv.bundle_members(tree)
        res.findings += inv.duplicate_findings(res.members, file, what="the bundle")
    elif res.product_class == "Product_Collection":
        inventory = inv.inventory_file(tree, p)
        if inventory is not None:  # (a missing file stops validate's inventory reader: reported as such)
            read = inv.collection_members(*inventory)
            res.members = read.members
            res.findings += inv.inventory_findings(read, inventory[1], file)

    # content
    if opts.content:
        from pdsgen.validate.content import (
            Ctx,
            check_object,
            describe_objects,
            stops_reading,
            unreadable_objects,
        )

        ctx = Ctx(file, max_reported=opts.max_reported, threads=opts.content_threads,
                  strict_fields=opts.strict_fields)
        try:
            objects = describe_objects(tree, p)
        except Exception as exc:  # noqa: BLE001 - a reader bug must not stop the run
            res.findings.append(Finding("error.validation.internal_error",
                                        f"data objects could not be described: {exc}", file=file))
            objects = []
        if described is not None:
            described.extend(obj for obj, _el, _limit in objects)
        definition, tables_readable = L.table_definition_findings(tree, file)
        res.findings += definition
        unreadable = unreadable_objects(objects, file)
        if unreadable is not None:
            res.findings.append(unreadable)
            objects = []
        # validate reads a label's objects in offset order (DataObjectCompareViaOffset, a
        # stable sort over all files): a table that ends the reading stops the later ones
        for obj, el, limit in sorted(objects, key=lambda o: o[0].offset or 0):
            if not tables_readable and local(el).startswith("Table_"):
                continue  # validate reads no table of a label whose field definitions it rejects
            try:
                found = check_object(obj, el, ctx, limit=limit)
            except Exception as exc:  # noqa: BLE001
                found = [Finding("error.validation.internal_error",
                                 f"{obj.name}: content check failed: {type(exc).__name__}: {exc}",
                                 file=file, line=el.sourceline)]
            res.findings += found
            if stops_reading(found):
                break
    return res


def _unresolvable(exc: ValidationRunError) -> str:
    """The finding type of a schema or Schematron that could not be had: validate's
    ``error.catalog.unresolvable_*`` with ``-C`` (`CatalogUnresolvable`), else pdsgen's own."""
    return exc.finding_type if isinstance(exc, CatalogUnresolvable) else "error.label.unresolvable_resource"


def _cited_schematron(href: str, p: Path, cat: Catalog, opts: Options, res: ProductResult,
                      line: int | None) -> tuple[Path, Path | None]:
    """The Schematron file an xml-model cites, and the label's folder when it is label-local.

    URLs resolve through the catalog, the shipped schemas and the (bounded) download cache.
    A file name or ``file:`` reference is label-local: the catalog may still map it;
    otherwise it runs, as validate runs it, unless ``allow_local_schematron`` is off, sandboxed
    in the label's folder (a finding says so); refused: `ValidationRunError`, reported as
    unresolvable."""
    import urllib.parse

    from pdsgen.untrusted import ReferenceEscapeError, confine

    if cat.exclusive:  # validate's -C: through the catalog alone, label-local names included
        return cat.through_catalog(href, base=p.parent, kind="schematron"), None
    scheme = urllib.parse.urlsplit(href).scheme
    if scheme not in ("", "file") and not (len(scheme) == 1 and os.name == "nt"):
        return cat.resolve(href, base=p.parent), None
    mapped = cat.lookup(href)
    if mapped is not None and mapped.is_file():
        return mapped, None
    if not opts.allow_local_schematron:
        raise ValidationRunError(f"Schematron {href!r} is a file of the delivery, not one the catalog or the "
                                 "shipped/cached schemas provide: not run (--no-local-schematron; without it, "
                                 "it runs sandboxed in the label's folder)", path=str(p))
    if scheme == "file":
        raise ValidationRunError(f"Schematron {href!r} is a file: URL; a label-local Schematron must be named "
                                 "relative to the label's folder: not run", path=str(p))
    try:
        found = confine(p.parent, href, label=p, what="xml-model Schematron")
    except ReferenceEscapeError as exc:
        raise ValidationRunError(f"{exc.message}: not run", path=str(p)) from None
    if not found.is_file():
        raise ValidationRunError(f"Schematron file {href!r} not found beside the label", path=str(p))
    res.findings.append(Finding("info.validation.general",
                                f"label-local Schematron {href!r} run sandboxed: no embedded XSLT or extension "
                                "functions, file access limited to the label's folder", file=str(p), line=line))
    return found, p.parent


def read_checksum_manifest(path: str | os.PathLike[str], base: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """validate's checksum manifest: ``<md5> <path>`` per line (one or two blanks between,
    ``\\`` read as ``/``), paths relative to `base` (default: the manifest's folder; the
    CLI's, as validate's, is ``-B``, else the first target if a folder, else its folder);
    {absolute path: md5 in lower case} (validate compares MD5s in any case)."""
    manifest = Path(path)
    root = Path(base) if base is not None else manifest.parent
    try:
        text = manifest.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ValidationRunError(f"cannot read the checksum manifest: {exc.strerror}", path=str(manifest)) from exc
    out: dict[str, str] = {}
    for number, line in enumerate(_MANIFEST_LINE_END.split(text), start=1):
        line = line.strip(_JAVA_BLANKS)
        if not line:
            continue
        parts = _MANIFEST_SEPARATOR.split(line, maxsplit=1)
        if len(parts) != 2:
            raise ValidationRunError(f"line {number}: not '<md5> <path>': {line[:80]!r}", path=str(manifest))
        digest, rel = parts
        out[os.path.abspath(root / rel.replace("\\", "/"))] = digest.lower()
    return out


#: validate's ChecksumManifest: lines end at LF, CR/LF or CR; each is trimmed, then split once
#: at one or two blanks (Java's ``\s{1,2}``): a third blank is part of the path
_JAVA_BLANKS = " \t\n\x0b\f\r"
_MANIFEST_LINE_END = re.compile(r"\r\n|\r|\n")
_MANIFEST_SEPARATOR = re.compile(r"[ \t\n\x0b\f\r]{1,2}")


def manifest_findings(label: Path, files: list[tuple[Path, bool]], checksums: dict[str, str],
                      file: str) -> list[Finding]:
    """The label and the files it references against the checksum manifest, as validate's
    FileReferenceValidationRule.handleChecksum does it: a listed file whose MD5 differs is
    ``error.label.checksum_mismatch`` (compared ignoring case); an unlisted one is
    ``error.label.missing_checksum`` only when the label gives an ``md5_checksum`` for it
    (`files`: (path, has a label checksum)) — the label itself, and files without a label
    checksum, are then not checked at all; an empty manifest checks nothing."""
    from pdsgen.validate.pds4label import md5_of

    out: list[Finding] = []
    if not checksums:
        return out
    for f, labelled in [(label, False), *files]:
        key = os.path.abspath(f)
        if not Path(key).is_file():
            continue  # a missing file is reported as such
        expected = checksums.get(key)
        if expected is None:
            if labelled:
                out.append(Finding("error.label.missing_checksum",
                                   f"no checksum for {Path(key).name!r} in the checksum manifest (the label gives "
                                   f"one)", file=file))
        elif md5_of(Path(key)) != expected.lower():
            out.append(Finding("error.label.checksum_mismatch",
                               f"MD5 of {Path(key).name!r} does not match {expected} of the checksum manifest",
                               file=file))
    return out


_registries: dict[tuple[str, ...], ContextRegistry] = {}  # by the context files read
_registries_given: dict[tuple[tuple[str, ...], tuple[str, ...]], ContextRegistry] = {}  # by the options' file names


def _registry(opts: Options) -> ContextRegistry:
    """The context list of a run: --context-products (instead of the default), or the default
    (downloaded, else shipped) list plus --add-context-products."""
    from pdsgen.validate.context_products import default_context_products

    given = (tuple(opts.context_products), tuple(opts.add_context_products))
    if given in _registries_given:
        return _registries_given[given]
    files = [Path(f) for f in opts.context_products] or default_context_products()
    files += [Path(f) for f in opts.add_context_products]
    key = tuple(str(f) for f in files)
    reg = _registries.get(key)
    if reg is None:
        reg = ContextRegistry.load(*files)
        _registries[key] = reg
    if opts.context_products:  # (the default list can change: --update-context-products)
        _registries_given[given] = reg
    return reg


# --------------------------------------------------------------------------- discovery


def discover(targets: list[str], opts: Options) -> tuple[list[tuple[Path, bool]], list[Finding]]:
    """(label, walked) pairs in a stable order, and execution findings."""
    exts = tuple(e.lower() if e.startswith(".") else f".{e.lower()}" for e in opts.label_extensions)
    labels: list[tuple[Path, bool]] = []
    problems: list[Finding] = []
    real: dict[Path, Path] = {}  # the real path of walked labels that are no symbolic links
    for t in targets:
        p = Path(t)
        if p.is_dir():
            found, outside = _walked_labels(p, exts, opts, real)
            for q in outside:  # a label linked in from elsewhere is not part of the delivery: not read
                problems.append(Finding("error.validation.file_naming_problem",
                                        "the label is a symbolic link leading outside the folder validated; "
                                        "not read", file=str(q)))
            if not found:
                problems.append(Finding("error.execution.no_products_found",
                                        f"no labels ({', '.join(exts)}) found under {p}", file=str(p)))
            labels += [(q, True) for q in found]
        elif p.is_file():
            labels.append((p, False))
        else:
            labels.append((p, False))  # reported as a missing file by validate_label
    seen: set[Path] = set()
    unique = []
    for q, w in labels:
        key = real.get(q) if w else None
        if key is None:
            try:
                key = q.resolve()
            except (OSError, RuntimeError):  # a symlink loop (RuntimeError before Python 3.13)
                key = q.absolute()
        if key not in seen:
            seen.add(key)
            unique.append((q, w))
    return unique, problems


def _walked_labels(p: Path, exts: tuple[str, ...], opts: Options, real: dict[Path, Path]) -> tuple[list[Path],
                                                                                                  list[Path]]:
    """The labels under folder `p` (hidden folders and files left out: .git, .pdsgen's archive
    index, editor leftovers are not archive content) and those that are symbolic links
    leading outside it. One ``lstat`` per label; the real path of a label that is no link is
    `p`'s real path and its path below it (the walk enters no linked folder), put in `real`."""
    from pdsgen.untrusted import inside
    from pdsgen.validate.integrity import walk_strings

    # (strings until a label is found: a delivery's folder holds thousands of entries)
    entries = walk_strings(p) if not opts.local else [(str(q), q.name, q.is_dir()) for q in sorted(p.iterdir())
                                                      if not q.name.startswith(".")]
    found: list[Path] = []
    outside: list[Path] = []
    top = os.fspath(p)
    cut = len(top) if top.endswith(os.sep) else len(top) + 1  # entries are top + os.sep + below
    real_p = os.path.realpath(p)
    for s, name, is_dir in entries:
        if is_dir or _suffix(name).lower() not in exts:
            continue
        try:
            mode = os.lstat(s).st_mode
        except OSError:
            continue
        q = Path(s)
        if stat.S_ISLNK(mode):
            if q.is_file():
                (found if inside(q, p) else outside).append(q)
        elif stat.S_ISREG(mode):
            found.append(q)
            real[q] = Path(real_p, s[cut:])
    return found, outside


def _suffix(name: str) -> str:
    """`Path(name).suffix` of a file name, without making a `Path`."""
    i = name.rfind(".")
    return name[i:] if 0 < i < len(name) - 1 else ""


def _bad_extension(p: Path, opts: Options) -> ProductResult | None:
    exts = {e.lower() if e.startswith(".") else f".{e.lower()}" for e in opts.label_extensions}
    exts |= {".lblx", ".xml"} | set(PDS3_SUFFIXES)
    if p.exists() and p.suffix.lower() not in exts:
        res = ProductResult(str(p))
        res.findings.append(Finding("error.label.bad_extension",
                                    f"{p.name!r} does not have a label extension ({', '.join(sorted(exts))})",
                                    file=str(p)))
        return res.finish()
    if not p.exists():
        res = ProductResult(str(p))
        res.findings.append(Finding("error.label.missing_file", "target does not exist", file=str(p)))
        return res.finish()
    return None


# --------------------------------------------------------------------------- run


def _work_batch(args: tuple[Options, list[tuple[Path, bool]]]) -> list[ProductResult]:
    opts, items = args
    return validate_labels(items, opts)


#: labels a worker process validates per task (`validate_labels`), and a serial run per batch
MAX_BATCH = 64
SERIAL_BATCH = 32


def _init_worker(expected: dict[str, frozenset[str]] | None = None) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if expected:  # spawned workers do not inherit the run's Schematron plan
        from pdsgen.validate import schematron

        schematron.expect_elements(expected)


def run(targets: list[str], opts: Options, *, on_progress: Callable[[int, int], None] | None = None) -> RunResult:
    """Validate every target (labels or folders) and check collections/bundles across them."""
    if opts.rule not in RULES:
        raise ValidationRunError(f"unknown rule {opts.rule!r} (one of {', '.join(RULES)})")
    opts.get_catalog()
    for f in (*opts.context_products, *opts.add_context_products):
        if not Path(f).is_file():
            raise ValidationRunError("context-products file not found", path=f)
    result = RunResult(targets=list(targets))
    if opts.add_context_products:
        # validate's launcher says once per run that non-registered context products were added,
        # whether context references are checked or not (ValidateLauncher: NON_REGISTERED_PRODUCT)
        result.execution.append(Finding(
            "warning.product_not_registered",
            "Non-registered context products should only be used during archive development. All context "
            f"products must be registered for a valid, released archive bundle ({', '.join(opts.add_context_products)})"))
    if opts.context:
        reg = _registry(opts)
        result.context_sources = list(reg.sources)
        if not reg.products:
            result.skipped.append("context references (no registered context products list)")
    else:
        result.skipped.append("context references (--skip-context-validation)")
    if not opts.content:
        result.skipped.append("data content, file sizes and checksums (--skip-content-validation)")
    if not opts.product:
        result.skipped.append("product labels (--skip-product-validation)")
    cat = opts.get_catalog()
    result.catalog = (f"{cat.path}{' (alone, as validate -C)' if cat.exclusive else ''}"
                      if cat.path is not None else None)
    result.checks = {"product labels": opts.product, "content": opts.content, "context references": opts.context,
                     "strict field checks": opts.strict_fields}
    roots, rule = _expand_rule(targets, opts)
    result.rule, result.roots = rule, list(roots)
    if rule == "volume" and ".lbl" not in opts.label_extensions:  # a PDS3 volume: its .LBL labels
        opts = replace(opts, label_extensions=(*opts.label_extensions, ".lbl"))
    labels, problems = discover(roots, opts)
    result.execution += problems
    todo = []
    for p, walked in labels:
        bad = None if walked else _bad_extension(p, opts)
        if bad is not None:
            result.products.append(bad)
        else:
            todo.append((p, walked))
    if todo:  # (with --skip-product-validation, bundle and collection labels still run it)
        schematron_plan([p for p, _ in todo], opts)
    jobs = opts.jobs or os.cpu_count() or 1
    log.info("validating %d label(s) with %d process(es), rule %s", len(todo), jobs if len(todo) >= 8 else 1, rule)
    done = 0
    if opts.scheduler:
        result.products += _distributed(todo, opts, on_progress)
        done = len(todo)
    elif jobs > 1 and len(todo) >= 8 and (opts.jobs or worth_parallel([p for p, _ in todo])):
        from concurrent.futures.process import BrokenProcessPool

        try:
            for res in _parallel(todo, opts, jobs):
                result.products.append(res)
                done += 1
                if on_progress:
                    on_progress(done, len(todo))
        except BrokenProcessPool:  # e.g. no importable __main__ for spawned workers: go on serially
            pass
    while done < len(todo):
        batch = todo[done: done + SERIAL_BATCH]
        result.products += validate_labels(batch, opts)
        for _ in batch:
            done += 1
            if on_progress:
                on_progress(done, len(todo))
    from pdsgen.validate.integrity import cross_product_checks

    cross_product_checks(result, opts, rule)
    if rule == "volume":
        from pdsgen.validate.pds3_volume import volume_checks

        for root in roots:
            if Path(root).is_dir():
                volume_checks(result, Path(root), opts, lambda p: validate_label(p, opts))
    return result


def _distributed(todo: list[tuple[Path, bool]], opts: Options,
                 on_progress: Callable[[int, int], None] | None) -> list[ProductResult]:
    """Per-label validation on a Dask cluster (``opts.scheduler``) in bounded batches,
    results in the order of ``todo``. Workers need the files at the same paths."""
    from pdsgen.distributed import DaskClient, SchedulerError, map_batches

    worker_opts = replace(opts, content_threads=1, scheduler=None)
    items = list(enumerate(todo))
    out: list[ProductResult | None] = [None] * len(todo)
    done = 0

    def batch_fn(batch: list[tuple[int, tuple[Path, bool]]]) -> list[ProductResult]:
        return validate_labels([item for _i, item in batch], worker_opts)

    def on_batch(batch: list[tuple[int, tuple[Path, bool]]], results: list[ProductResult] | None,
                 exc: BaseException | None) -> None:
        nonlocal done
        if exc is not None:
            raise ValidationRunError(f"a Dask worker failed validating {batch[0][1][0]}: {exc}")
        assert results is not None  # (map_batches gives results whenever there is no error)
        for (i, _item), res in zip(batch, results, strict=True):
            out[i] = res
        done += len(batch)
        if on_progress:
            on_progress(done, len(todo))

    try:
        with DaskClient(opts.scheduler or "local", opts.jobs or None) as client:
            map_batches(client, batch_fn, items, on_batch, key="pdsgen-validate")
    except SchedulerError as exc:
        raise ValidationRunError(str(exc)) from exc
    return [r for r in out if r is not None]


#: element names in a label's text (start tags: an optional prefix and the local name)
_START_TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")
_XML_MODEL = re.compile(rb"<\?xml-model\s[^>]*?href\s*=\s*[\"']([^\"']+)")


def schematron_plan(labels: list[Path], opts: Options, sample: int = 512) -> dict[str, frozenset[str]]:
    """The element local names the labels citing each Schematron file hold (up to `sample`
    labels spread over the run, read as text: start tags and xml-model citations that the
    catalog resolves without downloading), handed to `schematron.expect_elements`: each
    Schematron is then compiled once with the rules those labels can fire, not all of them."""
    from pdsgen.validate import schematron

    cat = replace(opts.get_catalog(), offline=True)
    step = max(1, len(labels) // sample)
    every: set[str] = set()
    found: dict[str, set[str]] = {}
    for q in labels[::step]:
        if q.suffix.lower() in PDS3_SUFFIXES:
            continue
        try:
            with open(q, "rb") as fh:
                data = fh.read(1 << 20)
        except OSError:
            continue
        names = {n.decode("ascii", "replace") for n in set(_START_TAG.findall(data))}  # (each name once)
        every |= names
        for href in _XML_MODEL.findall(data[:8192]):
            url = href.decode("utf-8", "replace")
            if not url.endswith(".sch") or "://" not in url:
                continue  # label-local Schematron files are compiled with every rule
            try:
                found.setdefault(str(cat.resolve(url)), set()).update(names)
            except ValidationRunError:
                continue
    for s in opts.schematrons:
        found.setdefault(str(Path(s)), set()).update(every)
    plan = {k: frozenset(v) for k, v in found.items()}
    schematron.expect_elements(plan)
    return plan


#: labels a worker process must validate to pay for compiling one Schematron (≈ 0.3–1.5 s
#: for a core PDS Schematron in Saxon, against ≈ 5 ms per small label)
LABELS_PER_SCHEMATRON = 100


def worth_parallel(labels: list[Path], sample: int = 256) -> bool:
    """Whether worker processes pay off: each worker compiles every Schematron its labels cite
    (Saxon executables cannot be shared between processes), so a folder of few labels citing
    many Information Model versions runs faster in one process. Decided on the xml-model
    citations in the first bytes of up to `sample` labels spread over the run."""
    step = max(1, len(labels) // sample)
    cited: set[bytes] = set()
    for q in labels[::step]:
        try:
            with open(q, "rb") as fh:
                head = fh.read(4096)
        except OSError:
            continue
        cited.update(_XML_MODEL.findall(head))
    return len(labels) >= LABELS_PER_SCHEMATRON * max(1, len(cited))


def _parallel(todo: list[tuple[Path, bool]], opts: Options, jobs: int) -> Iterator[ProductResult]:
    """Results in order from worker processes.

    Workers are forked when this process has not started Saxon (the CLI's case: cheap, no
    re-imports); a process that has (a GraalVM isolate does not survive fork) spawns them.
    """
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    from pdsgen.validate import schematron

    method = "spawn" if schematron.saxon_started() or "fork" not in mp.get_all_start_methods() else "fork"
    if method == "fork":
        # what every worker needs, imported and loaded once here and shared by the forked workers
        # (instead of once per worker): the per-label modules and the context registry, the data
        # layer the content checks import on their first table, saxonche's module (no Saxon
        # processor is started: that happens in each worker)
        if schematron.available():  # (the optional extra)
            import saxonche  # noqa: F401
        from pdsgen.data import io, types  # noqa: F401
        from pdsgen.validate import content, context_products, inventory, pds4label, tables, xsd  # noqa: F401

        if opts.context:
            _registry(opts)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context(method),
                             initializer=_init_worker, initargs=(dict(schematron.expected_elements()),)) as pool:
        # batches of labels (their Schematron runs batched too, `validate_labels`), the options
        # sent once per batch; several batches per worker so that the workers end together
        chunk = max(1, min(MAX_BATCH, len(todo) // (jobs * 4) or 1))
        worker_opts = replace(opts, content_threads=1)  # the processes already use the cores
        batches = [(worker_opts, todo[k: k + chunk]) for k in range(0, len(todo), chunk)]
        for results in pool.map(_work_batch, batches):
            yield from results


def _expand_rule(targets: list[str], opts: Options) -> tuple[list[str], str]:
    """Folders to walk and the effective rule (auto: bundle/collection when their label is there)."""
    rule = opts.rule
    roots = []
    detected = None
    for t in targets:
        p = Path(t)
        if rule in ("bundle", "collection", "volume") and p.is_file():
            roots.append(str(p.parent))
            continue
        if rule == "auto" and p.is_dir():
            kind = _folder_kind(p, opts)
            detected = detected or kind
        roots.append(t)
    if rule == "auto":
        rule = detected or "product"
    return roots, rule


def _folder_kind(folder: Path, opts: Options) -> str | None:
    from pdsgen.validate.pds3_volume import is_volume

    if is_volume(folder):
        return "volume"
    exts = tuple(e if e.startswith(".") else f".{e}" for e in opts.label_extensions)
    with os.scandir(folder) as it:
        entries = sorted((e for e in it), key=lambda e: e.name)
    for entry in entries:
        if _suffix(entry.name).lower() in exts and entry.is_file():
            fd = os.open(entry.path, os.O_RDONLY)
            try:
                head = os.read(fd, 4000)
            finally:
                os.close(fd)
            if b"<Product_Bundle" in head:
                return "bundle"
            if b"<Product_Collection" in head:
                return "collection"
    return None
