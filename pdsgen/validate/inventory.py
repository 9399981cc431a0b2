"""Collections and bundles: inventory tables, bundle member entries, referential integrity.

`collection_members` parses a collection's Inventory (PDS DSV: member status, LIDVID or
LID per record) with Arrow's CSV reader; `bundle_members` reads Bundle_Member_Entry.
`duplicate_findings` reports identifiers listed twice (``error.inventory.duplicate_lidvid``);
`integrity_findings` compares members with the products found in a run
(``warning.integrity.member_not_found``, ``warning.integrity.unreferenced_member``).
Pure functions on identifiers; I/O is limited to reading the inventory file.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from pdsgen.pds4.label import child, child_text, children, local
from pdsgen.untrusted import ReferenceEscapeError, confine
from pdsgen.validate.findings import Finding


@dataclass(frozen=True)
class Member:
    """One inventory / bundle member entry: status ('P'/'S') and the identifier as written."""

    status: str
    ident: str  # LIDVID or LID
    line: int | None = None  # label line (bundle) or inventory record number (collection)

    @property
    def lid(self) -> str:
        return self.ident.split("::", 1)[0]

    @property
    def vid(self) -> str | None:
        return self.ident.split("::", 1)[1] if "::" in self.ident else None


def bundle_members(tree: etree._ElementTree) -> list[Member]:
    """Bundle_Member_Entry identifiers as validate's BundleReferentialIntegrityRule reads them:
    the text of the first ``lidvid_reference`` or ``lid_reference`` in document order, as
    written (not trimmed: blanks or line breaks around it make an identifier no product has),
    and Primary only for a ``member_status`` of exactly ``Primary`` (any case)."""
    out = []
    for entry in children(tree.getroot(), "Bundle_Member_Entry"):
        ref = next((c for c in entry.iterchildren("{*}lidvid_reference", "{*}lid_reference")), None)
        ident = "".join(ref.itertext()) if ref is not None else ""
        if ident.strip():
            status_el = next(entry.iterchildren("{*}member_status"), None)
            status = "".join(status_el.itertext()) if status_el is not None else ""
            out.append(Member("P" if status.lower() == "primary" else "S", ident, entry.sourceline))
    return out


def inventory_file(tree: etree._ElementTree, label_path: Path) -> tuple[Path, etree._Element] | None:
    """The inventory data file and its <Inventory> element of a collection label."""
    for area in tree.getroot():
        if not isinstance(area.tag, str) or not local(area).startswith("File_Area"):
            continue
        inv = child(area, "Inventory")
        f = child(area, "File")
        name = child_text(f, "file_name") if f is not None else None
        if inv is not None and name:
            try:
                return confine(label_path.parent, name, label=label_path, what="inventory file_name"), inv
            except ReferenceEscapeError:  # reported by the label checks (file_naming_problem); never read
                return None
    return None


def collection_members(path: Path, inv: etree._Element) -> list[Member]:
    """Members of an inventory file (records numbered from 1); unreadable → []."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        raw = path.read_bytes()
    except OSError:
        return []
    offset = child_text(inv, "offset")
    if offset and offset.isdigit():
        raw = raw[int(offset):]
    delim = {"comma": ",", "horizontal tab": "\t", "semicolon": ";", "vertical bar": "|"}.get(
        (child_text(inv, "field_delimiter") or "comma").lower(), ",")
    from pdsgen.data.delimited import quiet_row_handlers, row_handler

    try:
        with quiet_row_handlers():
            table = pacsv.read_csv(
                io.BytesIO(raw),
                read_options=pacsv.ReadOptions(column_names=["status", "ident"], block_size=max(1 << 20, len(raw) + 1)),
                parse_options=pacsv.ParseOptions(delimiter=delim, invalid_row_handler=row_handler(lambda row: "skip")),
                convert_options=pacsv.ConvertOptions(column_types={"status": pa.string(), "ident": pa.string()}),
            )
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return []
    status = table.column("status").to_pylist()
    ident = table.column("ident").to_pylist()
    return [Member((s or "").strip()[:1].upper(), (i or "").strip(), n + 1)
            for n, (s, i) in enumerate(zip(status, ident, strict=True)) if i]


def duplicate_findings(members: list[Member], file: str, *, what: str) -> list[Finding]:
    """One ``error.inventory.duplicate_lidvid`` per identifier listed more than once."""
    counts = Counter(m.ident for m in members)
    out = []
    seen: set[str] = set()
    for m in members:
        if counts[m.ident] > 1 and m.ident not in seen:
            seen.add(m.ident)
            out.append(Finding("error.inventory.duplicate_lidvid",
                               f"{what} lists {m.ident} {counts[m.ident]} times", file=file, line=m.line))
    return out


def integrity_findings(
    parent_file: str,
    members: list[Member],
    present: dict[str, list[str]],
    present_lidvids: set[str],
    candidates: dict[str, str],
    *,
    what: str,
    parent_lid: str | None = None,
    allow_unlisted: bool = False,
) -> list[Finding]:
    """Members not found among the products of the run, members found whose LID does not
    start with the parent's LID, and products no member lists.

    ``present``: LID → VIDs found; ``candidates``: LIDVID → label file of the products that
    should be members (those under the parent's folder, of the right kind). validate checks
    the prefix of primary members it found (L5.PRP.VA.36, its issue 140):
    ``error.integrity.missing_parent_prefix`` on the bundle/collection label. A primary member
    no product has is ``error.integrity.member_not_found`` (validate's issue 1601: an error by
    default), ``warning.integrity.member_not_found`` with `allow_unlisted` (validate's
    ``--skip-strict-collection-membership``, for accumulating bundles).
    """
    not_found = "warning.integrity.member_not_found" if allow_unlisted else "error.integrity.member_not_found"
    out: list[Finding] = []
    for m in members:
        if m.status != "P":
            continue  # secondary members live elsewhere
        if m.vid is not None:
            found = m.ident in present_lidvids
        else:
            found = m.lid in present
        if not found:
            out.append(Finding(not_found, f"{what} member {m.ident} was not found", file=parent_file, line=m.line))
        elif parent_lid and not m.lid.startswith(parent_lid + ":"):
            out.append(Finding("error.integrity.missing_parent_prefix",
                               f"{what} member LID {m.lid} does not begin with the {what}'s LID {parent_lid}",
                               file=parent_file, line=m.line))
    # any entry of a LID counts for every version of it (superseded versions kept in place are
    # listed by their LID's current entry; validate's nearNeighbor would list that version only)
    listed_lids = {m.lid for m in members}
    listed = {m.ident for m in members}
    for lidvid, label in sorted(candidates.items()):
        lid = lidvid.split("::", 1)[0]
        if lidvid in listed or lid in listed_lids:
            continue
        out.append(Finding("warning.integrity.unreferenced_member",
                           f"{lidvid} is not a member of {what} {Path(parent_file).name}", file=label))
    return out


def record_count_findings(inv: etree._Element, members: list[Member], file: str) -> list[Finding]:
    """The Inventory's <records> against the records in its file (checked even without --content)."""
    declared = child_text(inv, "records")
    if declared is None or not declared.isdigit():
        return []
    if int(declared) == len(members):
        return []
    return [Finding("error.table.records_mismatch",
                    f"the inventory says {declared} records, its file has {len(members)}", file=file,
                    line=inv.sourceline)]


def missing_versions(members: list[Member], file: str) -> list[Finding]:
    """Primary members of a collection must be LIDVIDs (validate: ``error.integrity.missing_version``)."""
    return [Finding("error.integrity.missing_version",
                    f"the primary member {m.ident} should include its version (LIDVID)", file=file, line=m.line)
            for m in members if m.status == "P" and m.vid is None]
