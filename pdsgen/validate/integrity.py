"""Checks across the products of one run: duplicate identifiers, and for bundles and
collections their members against the products found (referential integrity).

Runs in the parent process on the `ProductResult`s the workers return (identifiers,
members, references, referenced files), so it costs no extra label parsing.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Set
from pathlib import Path

from pdsgen.validate import inventory as inv
from pdsgen.validate.findings import Finding
from pdsgen.validate.results import Options, ProductResult, RunResult

__all__ = ["cross_product_checks", "ProductResult"]


def cross_product_checks(result: RunResult, opts: Options, rule: str) -> None:
    """Duplicate identifiers in the run; for bundles/collections, members against products."""
    by_lidvid: dict[str, list[ProductResult]] = defaultdict(list)
    for pr in result.products:
        if pr.lidvid:
            by_lidvid[pr.lidvid].append(pr)
    for lidvid, prs in by_lidvid.items():
        if len(prs) > 1:
            first = prs[0].label
            for pr in prs[1:]:
                pr.findings.append(Finding("error.label.duplicate_identifier",
                                           f"{lidvid} is also the identifier of {first}", file=pr.label))
                pr.finish()
    _duplicated_file_areas(result)
    # names of the files and folders of every folder walked (PDS4 Standards Reference 6C)
    roots = {Path(t).resolve() for t in result.roots if Path(t).is_dir()}
    named = {os.path.abspath(f) for pr in result.products for f in pr.named_files}
    for root in sorted(r for r in roots if not any(o != r and o in r.parents for o in roots)):
        result.integrity += naming_findings(root, skip=named)
    if rule not in ("bundle", "collection"):
        return
    result.integrity_checked = True
    # one Information Model for a delivery (validate warns once per run)
    versions = sorted({pr.im_version.strip() for pr in result.products if pr.im_version and pr.im_version.strip()})
    if len(versions) > 1:
        result.integrity.append(Finding("warning.integrity.pds4_version_mismatch",
                                        f"{len(versions)} versions of the Information Model in this run: "
                                        f"{', '.join(versions)}"))
    present: dict[str, list[str]] = defaultdict(list)
    present_lidvids: set[str] = set()
    known = [*result.products, *_alternate_products(opts)]
    for pr in known:
        if pr.lid:
            present[pr.lid].append(pr.vid or "")
            if pr.lidvid:
                present_lidvids.add(pr.lidvid)
    collections = [pr for pr in result.products if pr.product_class == "Product_Collection"]
    bundles = [pr for pr in result.products if pr.product_class == "Product_Bundle"]
    looked_up = _member_checked_bundles(bundles, roots)
    for b in bundles:
        folder = Path(b.label).parent
        cands = {c.lidvid: c.label for c in collections if c.lidvid and _under(c.label, folder)}
        found = inv.integrity_findings(b.label, b.members, present, present_lidvids, cands,
                                       what="bundle", parent_lid=b.lid, allow_unlisted=opts.allow_unlisted_members)
        if b not in looked_up:
            found = [f for f in found if not f.type.endswith((".member_not_found", ".missing_parent_prefix"))]
        result.integrity += found
    if rule == "bundle" and not bundles:
        # no bundle label in the run (a bundle run of a sub-folder): no collection is any
        # bundle's member (FindUnreferencedIdentifiers; a collection run does not say so)
        result.integrity += [Finding("warning.integrity.unreferenced_member",
                                     f"{c.lidvid or c.lid} is not a member of any bundle within the given target",
                                     file=c.label) for c in collections if c.lid]
    for c in collections:
        if not _is_collection_label_name(Path(c.label).name):
            continue  # validate looks members up only in collection*.xml labels
        folder = Path(c.label).parent
        cands = {pr.lidvid: pr.label for pr in result.products
                 if pr.lidvid and pr.product_class not in ("Product_Collection", "Product_Bundle")
                 and _under(pr.label, folder) and pr.lid and c.lid and pr.lid.startswith(c.lid + ":")}
        result.integrity += inv.integrity_findings(c.label, c.members, present, present_lidvids, cands,
                                                   what="collection", parent_lid=c.lid,
                                                   allow_unlisted=opts.allow_unlisted_members)
        result.integrity += inv.missing_versions(c.members, c.label)
    result.integrity += _unlisted_products(result, bundles or collections, collections)
    checked = [c for c in collections if _is_collection_label_name(Path(c.label).name)]
    result.integrity += _bundle_rule_findings(result, known, looked_up, checked, roots, rule)
    # files under the bundle/collection folder that no label references
    referenced = {str(Path(f).resolve()) for pr in result.products for f in pr.files}
    # (a file that is not understood as a label is not one: validate lists it as unreferenced too)
    referenced |= {str(Path(pr.label).resolve()) for pr in result.products
                   if not any(f.type.endswith(".label.not_understandable") for f in pr.findings)}
    tops = [Path(pr.label).parent for pr in (bundles or collections)]
    # (validate's FindUnreferencedFiles: not with --allow-unlabeled-files, nor with
    # --skip-product-validation, whose labels name no files)
    for root in (tops[:1] if opts.product and not opts.allow_unlabeled else []):
        for q in sorted(root.rglob("*")):
            hidden = any(part.startswith(".") for part in q.relative_to(root).parts)
            if q.is_file() and not hidden and str(q.resolve()) not in referenced:
                result.integrity.append(Finding("warning.file.not_referenced_in_label",
                                                f"{q} is not referenced by any label", file=str(q)))
    # references to products of this bundle that are not in the run
    bundle_lids = [b.lid for b in bundles if b.lid]
    if bundle_lids:
        for pr in result.products:
            for ref, line in pr.references:
                if not well_formed(ref):
                    continue  # a malformed reference is a label error already, not an integrity question
                lid = ref.split("::", 1)[0]
                if not any(lid == bl or lid.startswith(bl + ":") for bl in bundle_lids):
                    continue
                if lid == pr.lid or ("::" in ref and ref in present_lidvids) or ("::" not in ref and lid in present):
                    continue
                if any(m.ident == ref for b in bundles for m in b.members):
                    continue
                result.integrity.append(Finding("warning.integrity.reference_not_found",
                                                f"reference {ref} was not found in the bundle", file=pr.label,
                                                line=line))


def _is_collection_label_name(name: str) -> bool:
    """validate's CollectionReferentialIntegrityRule looks members up in the ``.xml`` labels
    whose name holds ``collection`` (any case)."""
    return name.endswith(".xml") and "collection" in name.lower()


def _bundle_rule_findings(result: RunResult, known: list[ProductResult], looked_up: list[ProductResult],
                          collections: list[ProductResult], roots: set[Path], rule: str) -> list[Finding]:
    """validate's duplicate members and reserved sub-folder names (`bundle_rules`)."""
    from pdsgen.validate import bundle_rules as B

    defined = B.definitions(known)
    out: list[Finding] = []
    for b in looked_up:
        out += B.duplicate_member_findings(b, b.members, defined, what="bundle")
    for c in collections:
        out += B.duplicate_member_findings(c, c.members, defined, what="collection")
    for root in sorted(roots):
        out += B.subdirectory_name_findings(root, rule)
    return out


def _member_checked_bundles(bundles: list[ProductResult], roots: set[Path]) -> list[ProductResult]:
    """The bundle labels whose member entries validate looks up: the first Product_Bundle label
    (in name order, whatever its name: the newest BundleReferentialIntegrityRule asks
    TargetExaminer.isTargetBundleType, the label's content, where older ones matched
    ``.*bundle.*[.]xml``) among the labels directly in each walked folder. validate's rule
    lists the target folder's own files, not its sub-folders, and stops at the first bundle
    label it finds."""
    first: dict[Path, ProductResult] = {}
    for b in sorted(bundles, key=lambda b: Path(b.label).name):
        folder = Path(b.label).resolve().parent
        if folder in roots and folder not in first:
            first[folder] = b
    return list(first.values())


def _duplicated_file_areas(result: RunResult) -> None:
    """A data file named by the File_Area of more than one label of the run (or twice by one),
    when one of those File_Areas is a File_Area_Observational: validate's
    ``error.label.file_areas_duplicated_reference``, on each label after the first."""
    first: dict[str, tuple[ProductResult, bool]] = {}
    for pr in result.products:
        added = False
        for path, observational, line in pr.area_files:
            seen = first.get(path)
            if seen is None:
                first[path] = (pr, observational)
                continue
            other, other_obs = seen
            first[path] = (other, other_obs or observational)
            if not (other_obs or observational):
                continue
            where = "another File_Area of this label" if other is pr else f"{other.lid or other.label}"
            pr.findings.append(Finding("error.label.file_areas_duplicated_reference",
                                       f"{Path(path).name!r} is also the file of {where} "
                                       f"({Path(other.label).name})", file=pr.label, line=line))
            added = True
        if added:
            pr.finish()


def _alternate_products(opts: Options) -> list[ProductResult]:
    """Identifiers of the labels under validate's --alternate_file_paths folders: products the
    bundle/collection members may be found among (not validated, not reported)."""
    from lxml import etree

    from pdsgen.validate.pds4label import identification

    out = []
    for folder in opts.alternate_paths:
        for q, is_dir in walk_names(Path(folder)):
            if is_dir or q.suffix.lower() not in (".xml", ".lblx"):
                continue
            try:
                tree = etree.parse(str(q), etree.XMLParser(resolve_entities=False, no_network=True))
            except (OSError, etree.XMLSyntaxError):
                continue
            lid, vid = identification(tree)
            if lid:
                out.append(ProductResult(str(q), lid=lid, vid=vid))
    return out


def well_formed(ref: str) -> bool:
    """Whether `ref` is a LID or LIDVID by the PDS4 grammar."""
    import re

    from pdsgen.validate.fieldtypes import LIDVID_LID_REFERENCE

    return re.fullmatch(LIDVID_LID_REFERENCE, ref) is not None


def _unlisted_products(result: RunResult, parents: list[ProductResult],
                       collections: list[ProductResult]) -> list[Finding]:
    """Basic products under a bundle's folder (a collection run: a collection's folder) that no
    collection of the run lists (validate's FindUnreferencedIdentifiers:
    ``warning.integrity.unreferenced_member`` for every product of the run no member entry
    names, whatever its LID), beyond those a collection's own LID prefix already claims
    (reported per collection)."""
    if not parents:
        return []
    listed = {m.ident for c in collections for m in c.members}
    listed_lids = {m.lid for c in collections for m in c.members}
    claimed = {f.file for f in result.integrity if f.type == "warning.integrity.unreferenced_member"}
    folders = [Path(b.label).resolve().parent for b in parents]
    out: list[Finding] = []
    reported: set[str] = set()  # one warning per identifier (as validate), not per label carrying it
    for pr in result.products:
        if pr.product_class in ("Product_Collection", "Product_Bundle") or not pr.lid or pr.label in claimed:
            continue
        ident = pr.lidvid or pr.lid
        if pr.lidvid in listed or pr.lid in listed_lids or ident in reported:
            continue
        where = Path(pr.label).resolve()
        if any(f in where.parents for f in folders):
            reported.add(ident)
            out.append(Finding("warning.integrity.unreferenced_member",
                               f"{ident} is not a member of any collection within the given target",
                               file=pr.label))
    return out


def _under(label: str, folder: Path) -> bool:
    try:
        Path(label).resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


#: names the PDS4 Standards Reference (6C) forbids for files (whole name) and folders
PROHIBITED_NAMES = {"aux", "con", "core", "nul", "prn", *(f"com{i}" for i in range(1, 10)),
                    *(f"lpt{i}" for i in range(1, 10))}
MAX_NAME = 255


#: hidden entries that are pdsgen's own or version control's, never archive content: the
#: archive index and staging folders pdsgen keeps in a bundle folder, .git
TOOL_ENTRIES = (".pdsgen", ".git")


def walk_names(root: Path, *, hidden: bool = False) -> list[tuple[Path, bool]]:
    """(path, is folder) of everything under `root`, in path order; one scandir per folder.
    Hidden files and folders (editor/OS leftovers) are left out unless `hidden`; pdsgen's
    own and version control's (`TOOL_ENTRIES`) always."""
    return [(Path(q), is_dir) for q, _name, is_dir in walk_strings(root, hidden=hidden)]


def walk_strings(root: str | os.PathLike[str], *, hidden: bool = False) -> list[tuple[str, str, bool]]:
    """`walk_names` as (path, name, is folder) strings, the paths joined onto ``str(root)``
    (no `Path` made per entry: a delivery's folder holds thousands)."""
    def keep(name: str) -> bool:
        return not name.startswith(TOOL_ENTRIES) if hidden else not name.startswith(".")

    found: list[tuple[str, str, bool]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if keep(d)]
        found += [(os.path.join(dirpath, d), d, True) for d in dirnames]
        found += [(os.path.join(dirpath, f), f, False) for f in filenames if keep(f)]
    found.sort(key=lambda entry: entry[0].split(os.sep))  # the order of sorted Paths, on strings
    return found


def name_problems(name: str, is_dir: bool) -> list[tuple[str, str]]:
    """(message type, message) of each naming rule a file or folder name breaks (PDS4
    Standards Reference 6C; validate's FileAndDirectoryNamingRule): longer than 255
    characters, characters outside ``[A-Za-z0-9][A-Za-z0-9_.-]*``, a folder with an
    extension, ``a.out`` (any case), a prohibited name (the whole name, as written: ``core``
    is, ``core.vmac`` and ``CORE`` are not — validate's set lookup is case-sensitive)."""
    from pdsgen.untrusted import name_problem

    what = "directory" if is_dir else "file"
    out: list[tuple[str, str]] = []
    if len(name) > MAX_NAME:
        out.append((f"error.{what}.name_too_long", f"{name!r} is longer than {MAX_NAME} characters"))
    problem = name_problem(name)
    if problem is not None or (is_dir and "." in name):
        out.append((f"error.{what}.name_has_invalid_characters",
                    f"{what} {problem or f'name {name!r} has an extension'}"
                    + (" (folders may not have extensions)" if is_dir and "." in name else "")))
    if not is_dir and name.lower() == "a.out":
        out.append(("error.file.unallowed_name", f"file name {name!r} is not allowed in a PDS archive"))
    if name in PROHIBITED_NAMES:
        kind = "error.directory.unallowed_name" if is_dir else "error.file.unallowed_base_name"
        out.append((kind, f"{what} name {name!r} is not allowed in a PDS archive"))
    return out


def naming_findings(root: Path, *, skip: Set[str] = frozenset()) -> list[Finding]:
    """File and folder names under `root` (validate's rule on a walked folder), but for the
    files in `skip` (reported with their label already). Hidden files and folders are names
    of the folder too (validate's crawler lists them: a ``.DS_Store`` is an invalid name), but
    for pdsgen's own and version control's. Names of one folder that differ only in case
    conflict (``error.validation.file_naming_problem`` on the later one: validate lists a
    folder's files, then its sub-folders)."""
    out: list[Finding] = []
    # (on strings: the walk's paths are those of `walk_names`, as `str(Path)` spells them, for
    # a root that is resolved — absolute, no "." or ".." parts, no trailing separator)
    entries = walk_strings(Path(root), hidden=True)
    for q, name, is_dir in entries:
        if not is_dir and os.path.abspath(q) in skip:
            continue
        out += [Finding(kind, message, file=q) for kind, message in name_problems(name, is_dir)]
    by_folder: dict[str, list[tuple[str, str, bool]]] = defaultdict(list)
    for entry in entries:
        by_folder[os.path.dirname(entry[0])].append(entry)
    for listed in by_folder.values():
        seen: dict[str, str] = {}
        for q, name, is_dir in sorted(listed, key=lambda e: (e[2], e[1])):
            first = seen.setdefault(name.lower(), name)
            if first != name:
                what = "directory" if is_dir else "file"
                out.append(Finding("error.validation.file_naming_problem",
                                   f"{what} name {name!r} conflicts in case with {first!r} in the same folder",
                                   file=q))
    return out


def label_name_findings(label: Path, data_files: list[Path], file: str) -> list[Finding]:
    """The name of a label and of the files its File_Areas name (validate checks them with
    every label, folder walked or not): the first problem of each name."""
    out: list[Finding] = []
    for q in [label, *data_files]:
        problems = name_problems(q.name, False)
        if problems:
            kind, message = problems[0]
            out.append(Finding(kind, message, file=file if q != label else str(q)))
    return out
