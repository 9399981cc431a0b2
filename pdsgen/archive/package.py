"""Delivery packaging (PDS4): collection inventories and labels, the bundle label, and
the checksum and transfer manifests of a delivery.

Members come from the archive index (scanned incrementally first, so packaging a large
bundle re-reads only what changed). Inventories are ``P,<lidvid>`` / ``S,<lid>`` records
with CRLF, as the PDS4 Standards Reference requires; labels are rendered from the
``archive/*.xml.j2`` templates through the writers' `LabelEnvironment` (a project
overrides them with ``--templates``). A collection whose member list changed gets a new
version (minor or major); unchanged collections keep theirs. Files are written to a
temporary name and renamed, inventory first and label last.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pdsgen.archive.errors import ArchiveInputError
from pdsgen.archive.index import ArchiveIndex
from pdsgen.archive.labels import md5_file
from pdsgen.archive.scan import index_labels, scan
from pdsgen.archive.versioning import (
    SKIP_DIRS,
    SUPERSEDED,
    bump_vid,
    in_superseded,
    keep_superseded,
)
from pdsgen.errors import LabelError
from pdsgen.untrusted import ReferenceEscapeError, confine, inside, parse_label_xml, path_problem

IM_VERSION = "1.22.0.0"
SCHEMA_URL = "https://pds.nasa.gov/pds4/pds/v1/PDS4_PDS_1M00.xsd"
SCHEMATRON_URL = "https://pds.nasa.gov/pds4/pds/v1/PDS4_PDS_1M00.sch"
NS = "{http://pds.nasa.gov/pds4/pds/v1}"

#: Folder name → collection_type (PDS4 IM enumeration), for new collections.
COLLECTION_TYPES = {
    "browse": "Browse",
    "calibration": "Calibration",
    "calib": "Calibration",
    "context": "Context",
    "document": "Document",
    "geometry": "Geometry",
    "miscellaneous": "Miscellaneous",
    "spice_kernels": "SPICE Kernel",
    "spice": "SPICE Kernel",
    "xml_schema": "XML Schema",
    "schema": "XML Schema",
}
#: collection_type → Bundle_Member_Entry reference_type.
BUNDLE_REFERENCE = {
    "Browse": "bundle_has_browse_collection",
    "Calibration": "bundle_has_calibration_collection",
    "Context": "bundle_has_context_collection",
    "Data": "bundle_has_data_collection",
    "Document": "bundle_has_document_collection",
    "Geometry": "bundle_has_geometry_collection",
    "Miscellaneous": "bundle_has_miscellaneous_collection",
    "SPICE Kernel": "bundle_has_spice_kernel_collection",
    "XML Schema": "bundle_has_schema_collection",
    "External": "bundle_has_member_collection",
}
_CONTAINERS = {"Product_Collection", "Product_Bundle"}


@dataclass
class Inventory:
    file_name: str
    size: int
    records: int
    md5: str


@dataclass
class CollectionResult:
    folder: Path
    lid: str
    vid: str
    collection_type: str
    label: Path
    inventory: Path
    members: int
    changed: bool
    previous_vid: str | None = None
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def lidvid(self) -> str:
        return f"{self.lid}::{self.vid}"


@dataclass
class BundleResult:
    root: Path
    lid: str
    vid: str
    label: Path
    changed: bool
    collections: list[CollectionResult]
    previous_vid: str | None = None
    checksum_manifest: Path | None = None
    transfer_manifest: Path | None = None
    #: files left out of the manifests, (relative path, why): names with characters PDS forbids
    #: (a control character would forge a manifest line), symbolic links leading outside
    left_out: list[tuple[str, str]] = field(default_factory=list)

    @property
    def lidvid(self) -> str:
        return f"{self.lid}::{self.vid}"


# ------------------------------------------------------------------ pure helpers
def inventory_bytes(primary: Iterable[str], secondary: Iterable[str] = ()) -> bytes:
    """Inventory records: ``P,lidvid`` for primary members, ``S,lid[vid]`` for secondary, CRLF."""
    lines = [f"P,{x}\r\n" for x in primary] + [f"S,{x}\r\n" for x in secondary]
    return "".join(lines).encode("ascii")


def parse_inventory(data: bytes, path: str = "") -> list[tuple[str, str]]:
    """(status, reference) records of an inventory; LabelError on a malformed record."""
    out = []
    for n, line in enumerate(data.decode("ascii", "replace").splitlines(), 1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 2 or parts[0].upper() not in ("P", "S"):
            raise LabelError(f"inventory record {n} is not 'P,lidvid' or 'S,lid': {line!r}", path=path)
        out.append((parts[0].upper(), parts[1]))
    return out


def collection_type_for(folder_name: str) -> str:
    """collection_type from a folder name: its first word (``browse_inms`` → Browse); a
    folder of calibrated data (``calibrated``) is Data, not Calibration."""
    import re

    name = folder_name.lower()
    first = re.split(r"[_.\-]", name, maxsplit=1)[0]
    return COLLECTION_TYPES.get(name) or COLLECTION_TYPES.get(first) or "Data"


def _common_lid(lids: list[str], fields: int, what: str, where: Path) -> str:
    prefixes = {":".join(lid.split(":")[:fields]) for lid in lids if lid.count(":") >= fields}
    if len(prefixes) != 1:
        raise ArchiveInputError(
            f"cannot derive the {what} LID from the members' LIDs "
            f"({len(prefixes)} different prefixes); give --lid", path=str(where))
    return prefixes.pop()


def _inside_root(root: Path, folder: Path) -> None:
    """A collection folder (a symbolic link, maybe) must lie inside the bundle root."""
    if not inside(folder, root):
        raise ReferenceEscapeError("the collection folder leads outside the bundle root (a symbolic link?)",
                                   path=str(folder), reference=str(folder))


def check_prefix(parent_lid: str, members: list[tuple[str, str]], what: str, where: Path) -> None:
    """Every member LID must start with its parent's LID and a colon (what `pdsgen
    validate` reports as missing_parent_prefix): a ``--lid`` cannot pull another bundle's
    or collection's products into this one. ``members``: (LID, where it is)."""
    prefix = parent_lid.lower() + ":"
    foreign = [(lid, at) for lid, at in members if not lid.lower().startswith(prefix)]
    if foreign:
        shown = "; ".join(f"{at}: {lid}" for lid, at in foreign[:3])
        more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        raise ArchiveInputError(
            f"{len(foreign)} member(s) of the {what} {parent_lid} have a LID that does not start with "
            f"{parent_lid}: ({shown}{more}); they belong to another {what} (missing_parent_prefix)",
            path=str(where))


# ------------------------------------------------------------------ label reading
@dataclass
class _Existing:
    path: Path
    lid: str
    vid: str
    title: str
    extra: dict[str, Any]
    history: list[dict[str, str]]


def _find_label(folder: Path, root_name: str) -> _Existing | None:
    """The Product_Collection / Product_Bundle label directly in ``folder``, if any."""
    found = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.is_file() and entry.name.lower().endswith(".xml"):
            with open(entry.path, "rb") as fh:
                head = fh.read(2048)
            if f"<{root_name}".encode() in head:
                found.append(Path(entry.path))
    if not found:
        return None
    if len(found) > 1:
        raise ArchiveInputError(f"several {root_name} labels: " + ", ".join(p.name for p in found), path=str(folder))
    path = found[0]
    root = parse_label_xml(path).getroot()

    def text(xpath: str) -> str | None:
        el = root.find(xpath)
        return el.text.strip() if el is not None and el.text else None

    ia = f"{NS}Identification_Area/"
    lid, vid = text(f"{ia}{NS}logical_identifier"), text(f"{ia}{NS}version_id")
    if not lid or not vid:
        raise LabelError("no logical_identifier/version_id", path=str(path))
    history = [
        {
            "date": (d.findtext(f"{NS}modification_date") or "").strip(),
            "vid": (d.findtext(f"{NS}version_id") or "").strip(),
            "description": " ".join((d.findtext(f"{NS}description") or "").split()),
        }
        for d in root.iter(f"{NS}Modification_Detail")
    ]
    extra = {
        "inventory": text(f"{NS}File_Area_Inventory/{NS}File/{NS}file_name"),
        "inventory_md5": text(f"{NS}File_Area_Inventory/{NS}File/{NS}md5_checksum"),
        "collection_type": text(f"{NS}Collection/{NS}collection_type"),
        "description": text(f"{ia}{NS}Citation_Information/{NS}description"),
    }
    title = " ".join((text(f"{ia}{NS}title") or "").split())
    return _Existing(path, lid, vid, title, extra, history)


def _render(template: str, context: dict[str, Any], templates: Any) -> bytes:
    from pdsgen.render import render_label

    return render_label(template, context, templates).encode("utf-8")


def _creation(creation_time: Any) -> tuple[str, str]:
    from pdsgen.render import iso_utc, resolve_creation_time

    t = resolve_creation_time(creation_time)
    text = iso_utc(t)
    return text, text[:10]


def label_basics(creation_time: Any = None) -> dict[str, Any]:
    """What every label pdsgen's archive layer writes starts from: IM version, schema and
    Schematron URLs, creation time (``creation_time``), date and publication year."""
    created, date = _creation(creation_time)
    return {"information_model_version": IM_VERSION, "schema_url": SCHEMA_URL, "schematron_url": SCHEMATRON_URL,
            "creation_time": created, "date": date, "publication_year": date[:4]}


def write_product(template: str, context: dict[str, Any], label: Path, files: list[tuple[Path, bytes]]) -> Path:
    """Render ``template`` into ``label`` and write it after ``files`` (each atomically)."""
    _commit(files + [(label, _render(template, context, None))])
    return label


def _commit(files: list[tuple[Path, bytes]]) -> None:
    from pdsgen.render import commit_files

    commit_files(files)


# ------------------------------------------------------------------ collections
@dataclass
class Member:
    label_path: str
    lid: str | None
    vid: str | None
    start_time: str | None
    stop_time: str | None

    @property
    def lidvid(self) -> str | None:
        return f"{self.lid}::{self.vid}" if self.lid and self.vid else None


def members_of(index: ArchiveIndex, rel_folder: str) -> list[Member]:
    """Current (not superseded) member products under ``rel_folder`` in the index."""
    prefix = rel_folder.strip("/") + "/"
    rows = index.execute(
        "SELECT label_path, lid, vid, start_time, stop_time FROM products "
        "WHERE label_path LIKE ? AND product_class NOT IN (?, ?) ORDER BY label_path",
        (prefix.replace("%", "_") + "%", *sorted(_CONTAINERS)),
    )
    return [Member(*r) for r in rows if r[0].startswith(prefix) and not in_superseded(r[0])]


def _collection_plan(root: Path, folder: Path, index: ArchiveIndex, rel: str, lid: str | None,
                     collection_type: str | None) -> tuple[list[Member], _Existing | None, str, str]:
    """(members, existing label, LID, collection type) of a collection, or the
    `ArchiveInputError` that stops it — checked before anything is written."""
    _inside_root(root, folder)
    members = members_of(index, rel)
    existing = _find_label(folder, "Product_Collection")
    by_lid: dict[str, Member] = {}
    for m in members:
        if not m.lid or not m.vid:
            raise ArchiveInputError(f"member {m.label_path} has no LID/VID (not a PDS4 product)", path=str(root))
        if m.lid in by_lid:
            raise ArchiveInputError(
                f"two versions of {m.lid} in the collection: {by_lid[m.lid].label_path} "
                f"and {m.label_path} (move the older one to {SUPERSEDED}/)", path=str(folder))
        by_lid[m.lid] = m
    if not members:
        raise ArchiveInputError("no member products in the collection folder", path=str(folder))
    if existing:
        lid = existing.lid
        if existing.extra.get("inventory"):  # an inventory name leading elsewhere stops it here
            confine(folder, existing.extra["inventory"], label=existing.path, what="inventory file_name")
    elif not lid:
        lid = _common_lid(list(by_lid), 5, "collection", folder)
    check_prefix(lid, [(k, m.label_path) for k, m in by_lid.items()], "collection", folder)
    ctype = collection_type or (existing.extra.get("collection_type") if existing else None) or collection_type_for(folder.name)
    if ctype not in BUNDLE_REFERENCE:
        raise ArchiveInputError(f"collection type {ctype!r} is not one of {', '.join(BUNDLE_REFERENCE)}", path=str(folder))
    return members, existing, lid, ctype


def package_collection(
    root: str | os.PathLike[str],
    folder: str | os.PathLike[str],
    index: ArchiveIndex,
    *,
    lid: str | None = None,
    title: str | None = None,
    description: str | None = None,
    collection_type: str | None = None,
    bump: str = "minor",
    keep: bool = False,
    secondary: Iterable[str] = (),
    creation_time: Any = None,
    templates: Any = None,
    rescan: bool = True,
) -> CollectionResult:
    """Write (or update) the inventory and label of the collection in ``folder``."""
    root = Path(root)
    folder = Path(folder)
    _inside_root(root, folder)
    rel = folder.resolve().relative_to(root.resolve()).as_posix()
    if rescan:
        scan(root, index, under=rel)
    members, existing, lid, ctype = _collection_plan(root, folder, index, rel, lid, collection_type)
    bundle = _find_label(root, "Product_Bundle") if root.resolve() != folder.resolve() else None
    if bundle is not None:
        check_prefix(bundle.lid, [(lid, rel)], "bundle", root)
    primary = sorted(lv for m in members if (lv := m.lidvid))  # every member has both: see the plan
    secondary = sorted(set(secondary))
    stem = f"collection_{folder.name.lower()}"
    inv_name = (existing.extra.get("inventory") if existing else None) or f"{stem}_inventory.csv"
    label_path = existing.path if existing else folder / f"{stem}.xml"
    inv_path = confine(folder, inv_name, label=label_path, what="inventory file_name")
    new_inv = inventory_bytes(primary, secondary)

    old_records: list[tuple[str, str]] = []
    if existing and inv_path.is_file():
        old_records = parse_inventory(inv_path.read_bytes(), str(inv_path))
    old_primary = {r for s, r in old_records if s == "P"}
    added = sorted(set(primary) - old_primary)
    removed = sorted(old_primary - set(primary))
    import hashlib

    # unchanged: same inventory, and the label describes it (an interruption between
    # the two renames would leave a new inventory under the old label)
    if (existing and inv_path.is_file() and inv_path.read_bytes() == new_inv
            and existing.extra.get("inventory_md5") == hashlib.md5(new_inv).hexdigest()
            and (title is None or title == existing.title)):
        return CollectionResult(folder, lid, existing.vid, ctype, label_path, inv_path, len(primary), False)

    created, date = _creation(creation_time)
    if existing:
        vid = bump_vid(existing.vid, bump)
        if keep:
            copies = keep_superseded(folder, [p for p in (existing.path, inv_path) if p.is_file()], existing.vid)
            _index_copies(root, index, copies)
        history = existing.history + [{
            "date": date, "vid": vid,
            "description": f"Version {vid}: {len(added)} member versions added or replaced, "
                           f"{len(removed)} superseded or removed, {len(primary)} members.",
        }]
        title = title or existing.title
    else:
        vid = "1.0"
        history = [{"date": date, "vid": vid, "description": f"First version, {len(primary)} members."}]
        title = title or f"{ctype} collection {lid.rsplit(':', 1)[-1]}"
    starts = [m.start_time for m in members if m.start_time]
    stops = [m.stop_time or m.start_time for m in members if m.start_time]
    context = {
        "lid": lid, "vid": vid, "title": title, "collection_type": ctype,
        "information_model_version": IM_VERSION, "schema_url": SCHEMA_URL,
        "schematron_url": SCHEMATRON_URL, "creation_time": created,
        "modification_history": history,
        "start_time": _label_time(min(starts)) if starts else None,
        "stop_time": _label_time(max(stops)) if stops else None,
        "publication_year": date[:4], "description": description or (existing.extra.get("description") if existing else None) or title,
        "inventory": Inventory(inv_name, len(new_inv), len(primary) + len(secondary),
                               hashlib.md5(new_inv).hexdigest()),
        "members": primary,
    }
    label = _render("archive/collection.xml.j2", context, templates)
    _commit([(inv_path, new_inv), (label_path, label)])
    index_labels(root, index, [label_path.resolve().relative_to(root.resolve()).as_posix()])
    return CollectionResult(folder, lid, vid, ctype, label_path, inv_path, len(primary), True,
                            existing.vid if existing else None, added, removed)


def _index_copies(root: Path, index: ArchiveIndex, copies: list[Path]) -> None:
    """Index the superseded copies of labels just kept, so the index (and the transfer
    manifest written from it) knows them without a rescan."""
    real = root.resolve()
    index_labels(root, index, [c.resolve().relative_to(real).as_posix() for c in copies
                               if c.suffix.lower() == ".xml"])


def _label_time(normalised: str) -> str:
    """Index form (microseconds) back to label form, without invented trailing digits."""
    body = normalised.rstrip("Z")
    if "." in body:
        body = body.rstrip("0").rstrip(".")
    return body + "Z"


# ------------------------------------------------------------------ bundles
def collection_folders(root: Path) -> list[Path]:
    """Sub-folders of a bundle root that hold products (skipping SUPERSEDED and hidden ones)."""
    out = []
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if entry.is_dir() and entry.name not in SKIP_DIRS and entry.name != SUPERSEDED and not entry.name.startswith("."):
            out.append(Path(entry.path))
    return out


def package_bundle(
    root: str | os.PathLike[str],
    index: ArchiveIndex,
    *,
    lid: str | None = None,
    title: str | None = None,
    description: str | None = None,
    bump: str = "minor",
    keep: bool = False,
    creation_time: Any = None,
    templates: Any = None,
    manifest_dir: str | os.PathLike[str] | None = None,
    manifests: bool = True,
    rescan: bool = True,
) -> BundleResult:
    """Package every collection under ``root``, then the bundle label and the manifests
    (``rescan=False``: the index is known to be up to date)."""
    root = Path(root)
    if rescan:
        scan(root, index)
    results = []
    folders = []
    for folder in collection_folders(root):
        rel = folder.name + "/"
        has_members = index.execute(
            "SELECT COUNT(*) FROM products WHERE label_path LIKE ?", (rel.replace("%", "_") + "%",)
        )[0][0]
        if has_members:
            folders.append(folder)
    # every collection and the bundle LID are checked before the first file is written, so a
    # problem in one collection never leaves the others packaged and the bundle not
    plans = [_collection_plan(root, f, index, f.name + "/", None, None) for f in folders]
    before = _find_label(root, "Product_Bundle")
    bundle_lid = before.lid if before else lid
    if plans and not bundle_lid:
        bundle_lid = _common_lid([plan[2] for plan in plans], 4, "bundle", root)
    out = Path(manifest_dir) if manifest_dir else root.parent
    if bundle_lid:  # names made from the LID (and VID) stay plain names in their folders
        _derived_names(root, out, bundle_lid, before.vid if before else "1.0", before.path if before else root)
    if bundle_lid:
        check_prefix(bundle_lid, [(plan[2], f.name) for plan, f in zip(plans, folders, strict=True)], "bundle", root)
    for folder in folders:
        results.append(package_collection(root, folder, index, bump=bump, keep=keep,
                                          creation_time=creation_time, templates=templates,
                                          rescan=False))
    if not results:
        raise ArchiveInputError("no collection folders with products under the bundle root", path=str(root))
    existing = _find_label(root, "Product_Bundle")
    members = [{"lidvid": r.lidvid, "reference_type": BUNDLE_REFERENCE[r.collection_type]} for r in results]
    if existing:
        lid = existing.lid
    elif not lid:
        lid = _common_lid([r.lid for r in results], 4, "bundle", root)
    label_path = existing.path if existing else _derived_names(root, out, lid, "1.0", root)[0]
    old_members: set[str] = set()
    if existing:
        tree = parse_label_xml(existing.path).getroot()
        old_members = {(e.text or "").strip() for e in tree.iter(f"{NS}lidvid_reference")
                       if e.getparent() is not None and e.getparent().tag == f"{NS}Bundle_Member_Entry"}
    changed = not existing or old_members != {m["lidvid"] for m in members} or (title is not None and title != existing.title)
    vid = existing.vid if existing else "1.0"
    previous = None
    if changed:
        created, date = _creation(creation_time)
        if existing:
            previous = existing.vid
            vid = bump_vid(existing.vid, bump)
            if keep:
                _index_copies(root, index, keep_superseded(root, [existing.path], existing.vid))
            history = existing.history + [{
                "date": date, "vid": vid,
                "description": "Version " + vid + ": new collection versions "
                + ", ".join(r.lidvid for r in results if r.changed) + ".",
            }]
            title = title or existing.title
        else:
            history = [{"date": date, "vid": vid, "description": f"First version, {len(results)} collections."}]
            title = title or f"Bundle {lid.rsplit(':', 1)[-1]}"
        starts = [s for r in results if (s := _collection_time(index, r, 0))]
        stops = [s for r in results if (s := _collection_time(index, r, 1))]
        context = {
            "lid": lid, "vid": vid, "title": title, "information_model_version": IM_VERSION,
            "schema_url": SCHEMA_URL, "schematron_url": SCHEMATRON_URL, "creation_time": created,
            "modification_history": history, "members": members,
            "publication_year": date[:4], "description": description or (existing.extra.get("description") if existing else None) or title,
            "start_time": _label_time(min(starts)) if starts else None,
            "stop_time": _label_time(max(stops)) if stops else None,
        }
        _commit([(label_path, _render("archive/bundle.xml.j2", context, templates))])
        index_labels(root, index, [label_path.name])
    result = BundleResult(root, lid, vid, label_path, changed, results, previous)
    if manifests:
        out.mkdir(parents=True, exist_ok=True)
        _, checksum, transfer = _derived_names(root, out, lid, vid, label_path)
        result.checksum_manifest = write_checksum_manifest(root, index, checksum, left_out=result.left_out)
        result.transfer_manifest = write_transfer_manifest(root, index, transfer, left_out=result.left_out)
    return result


def _derived_names(root: Path, out: Path, lid: str, vid: str, label: Path) -> tuple[Path, Path, Path]:
    """Bundle label (in ``root``) and checksum/transfer manifest paths (in ``out``) named
    from the bundle LID and VID; a LID or VID that would lead elsewhere (``/``, ``..``) →
    `ReferenceEscapeError`, before anything is written."""
    last = lid.rsplit(":", 1)[-1]

    def manifest(kind: str) -> Path:
        return confine(out, f"{last}_v{vid}_{kind}_manifest.txt", label=label, single=True,
                       what=f"manifest name from LID {lid} and VID {vid}")

    return (confine(root, f"bundle_{last}.xml", label=label, single=True, what=f"bundle label name from LID {lid}"),
            manifest("checksum"), manifest("transfer"))


def _collection_time(index: ArchiveIndex, r: CollectionResult, which: int) -> str | None:
    rows = index.execute("SELECT start_time, stop_time FROM products WHERE lidvid = ?", (r.lidvid,))
    if not rows:
        return None
    value = rows[0][0] if which == 0 else (rows[0][1] or rows[0][0])
    return None if value is None else str(value)


# ------------------------------------------------------------------ manifests
def bundle_files(root: Path, skip: Iterable[Path] = (),
                 left_out: list[tuple[str, str]] | None = None) -> list[tuple[str, os.stat_result]]:
    """(relative POSIX path, stat) of every file of the delivery, sorted (no hidden files);
    a symbolic link leading out of the root is not followed (added to ``left_out``)."""
    real_root = os.path.realpath(root)
    skip_set = set()
    for p in skip:  # files (such as the manifest itself) are skipped by relative path
        rel = os.path.relpath(os.path.realpath(p), real_root)
        if not rel.startswith(".."):
            skip_set.add(rel.replace(os.sep, "/"))
    out = []
    stack = [(os.fspath(root), "")]
    while stack:
        folder, prefix = stack.pop()
        for entry in os.scandir(folder):
            if entry.name.startswith(".") or entry.name in SKIP_DIRS:
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append((entry.path, f"{prefix}{entry.name}/"))
            elif entry.is_file() and f"{prefix}{entry.name}" not in skip_set:
                if entry.is_symlink() and not inside(entry.path, real_root):
                    if left_out is not None:
                        left_out.append((f"{prefix}{entry.name}", "is a symbolic link leading outside the bundle"))
                    continue
                out.append((f"{prefix}{entry.name}", entry.stat()))
    out.sort()
    return out


def _listable(rel: str, left_out: list[tuple[str, str]] | None) -> bool:
    """Whether a relative path may go into a manifest (no character PDS forbids in any part);
    a path that may not is added to ``left_out`` (once)."""
    problem = path_problem(rel)
    if problem is None:
        return True
    if left_out is not None and all(rel != r for r, _ in left_out):
        left_out.append((rel, problem))
    return False


def checksum_manifest_bytes(root: Path, index: ArchiveIndex | None = None, skip: Iterable[Path] = (),
                            left_out: list[tuple[str, str]] | None = None) -> bytes:
    """``<md5>  <relative path>`` per file (md5deep/md5sum layout), CRLF, sorted by path.

    Checksums the index holds for a file of unchanged size and mtime are reused. Files whose
    names PDS forbids are left out (and added to ``left_out``).
    """
    known: dict[str, tuple[int, int, str]] = {}
    if index is not None:
        for _lp, p, s, m, h in index.execute("SELECT label_path, path, size, mtime_ns, md5 FROM files"):
            known[p] = (s, m, h)
    lines = []
    for rel, st in bundle_files(root, skip, left_out):
        if not _listable(rel, left_out):
            continue
        k = known.get(rel)
        md5 = k[2] if k and k[0] == st.st_size and k[1] == st.st_mtime_ns else md5_file(root / rel)
        lines.append(f"{md5}  {rel}\r\n")
    return "".join(lines).encode("utf-8")


def _write_if_changed(out: Path, data: bytes) -> None:
    """Write ``out`` (atomically) unless it already holds exactly ``data``: packaging with
    nothing changed rewrites nothing."""
    try:
        if out.stat().st_size == len(data) and out.read_bytes() == data:
            return
    except OSError:
        pass
    _commit([(out, data)])


def write_checksum_manifest(root: Path, index: ArchiveIndex | None, out: Path,
                            left_out: list[tuple[str, str]] | None = None) -> Path:
    _write_if_changed(out, checksum_manifest_bytes(root, index, skip=[out], left_out=left_out))
    return out


def transfer_manifest_bytes(root: Path, index: ArchiveIndex, left_out: list[tuple[str, str]] | None = None) -> bytes:
    """``<lidvid padded> <label path>`` per PDS4 product of the delivery (collections, bundle
    and superseded versions kept in it too), CRLF. Labels whose path or LIDVID holds
    characters PDS forbids are left out (and added to ``left_out``)."""
    rows = sorted(
        (f"{lid}::{vid}", lp) for lp, lid, vid in index.execute("SELECT label_path, lid, vid FROM products")
        if lid and vid and _listable(lp, left_out) and not _CONTROL_OR_BLANK.search(f"{lid}::{vid}")
    )
    width = max((len(lv) for lv, _ in rows), default=0)
    return "".join(f"{lv:<{width}} {p}\r\n" for lv, p in rows).encode("utf-8")


#: a LIDVID with a blank or control character would forge a transfer manifest line
_CONTROL_OR_BLANK = re.compile(r"[\s\x00-\x1f\x7f]")


def write_transfer_manifest(root: Path, index: ArchiveIndex, out: Path,
                            left_out: list[tuple[str, str]] | None = None) -> Path:
    _write_if_changed(out, transfer_manifest_bytes(root, index, left_out=left_out))
    return out
