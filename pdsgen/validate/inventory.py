"""Collections and bundles: inventory tables, bundle member entries, referential integrity.

`collection_members` reads a collection's Inventory (member status, LIDVID or LID per
record) as validate's inventory reader does; `bundle_members` reads Bundle_Member_Entry.
`duplicate_findings` reports identifiers listed twice (``error.inventory.duplicate_lidvid``);
`integrity_findings` compares members with the products found in a run
(``warning.integrity.member_not_found``, ``warning.integrity.unreferenced_member``).
Pure functions on identifiers; I/O is limited to reading the inventory file.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
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


#: validate's InventoryKeys: the field delimiters its inventory reader knows, by the label's
#: value in lower case (as validate spells them: a value with a blank, "horizontal tab",
#: is not among them and stops validate's reader)
INVENTORY_DELIMITERS = {"comma": ",", "horizontal_tab": "\t", "semicolon": ";", "vertical_bar": "|",
                        # (PDS4's own spellings: read, though validate's reader refuses them)
                        "horizontal tab": "\t", "vertical bar": "|"}
_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass
class InventoryRead:
    """An inventory as validate's InventoryTableReader reads it: `members` (records with an
    identifier), `entries` (records read: lines that are not blank), `problem` (why reading
    stopped early — validate's ``error.validation.internal_error`` — or None)."""

    members: list[Member]
    entries: int
    problem: str | None = None


def _field_number(inv: etree._Element, test: Callable[[etree._Element], bool], default: int) -> int:
    for fd in inv.iter("{*}Field_Delimited"):
        number = child_text(fd, "field_number")
        if test(fd) and number and number.strip().isdigit():
            return int(number)
    return default


def collection_members(path: Path, inv: etree._Element) -> InventoryRead:
    """The records of an inventory file, read as validate's InventoryTableReader reads them
    (not as a CSV table: its Table_Delimited content is checked with the tables): the file
    from its first byte, line by line (a line ends at LF, CR/LF or a lone CR); a blank line
    is no record; each other line split at the field delimiter (no quoting: quotes stay part
    of the value; empty fields at the end of a line dropped, as Java's ``String.split``), the
    member status and the identifier taken from the fields the label numbers
    (``Member_Status``, the ``ASCII_LIDVID_LID`` field; 1 and 2 if the label does not say)
    and trimmed. A line without those fields stops the reading (`InventoryRead.problem`).
    Records are numbered from 1; status is kept as written but ``P`` for ``p``/``P``."""
    try:
        raw = path.read_bytes()
    except OSError as exc:  # (also reported as error.label.missing_file by the file checks)
        return InventoryRead([], 0, f"cannot read the inventory file {path.name}: {exc.strerror}")
    delim = INVENTORY_DELIMITERS.get((child_text(inv, "field_delimiter") or "comma").strip().lower(), ",")
    status_at = _field_number(inv, lambda fd: (child_text(fd, "name") or "") in ("Member_Status", "Member Status"), 1)
    ident_at = _field_number(inv, lambda fd: (child_text(fd, "data_type") or "") == "ASCII_LIDVID_LID", 2)
    members: list[Member] = []
    entries = 0
    for number, line in enumerate(_LINE_END.split(raw.decode("utf-8", errors="replace")), start=1):
        if not line.strip():
            continue
        fields = line.split(delim)
        while fields and not fields[-1]:
            fields.pop()
        if len(fields) < max(status_at, ident_at):
            what = "member status" if len(fields) < status_at else "LIDVID-LID value"
            return InventoryRead(members, entries, f"{path.name} line {number}: could not retrieve the {what} "
                                 f"(field {max(status_at, ident_at)} of {len(fields)})")
        entries += 1
        status, ident = fields[status_at - 1].strip(), fields[ident_at - 1].strip()
        if ident:
            members.append(Member("P" if status.upper() == "P" else status, ident, entries))
    return InventoryRead(members, entries)


def inventory_findings(read: InventoryRead, inv: etree._Element, file: str) -> list[Finding]:
    """What validate reports on reading a collection's inventory: the reader stopping
    (``error.validation.internal_error``: validate's uncaught exception, no further check),
    identifiers listed twice, records against the Inventory's <records>."""
    if read.problem is not None:
        return [Finding("error.validation.internal_error", f"the inventory cannot be read: {read.problem}",
                        file=file, line=inv.sourceline)]
    return [*duplicate_findings(read.members, file, what="the inventory"),
            *record_count_findings(inv, read.entries, file)]


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
    the prefix of members it found whose status is ``P`` or ``Primary`` (any case: an
    inventory's ``Primary``, not primary for the look-up, is for the prefix;
    AbstractValidationRule.verifyLidPrefix, L5.PRP.VA.36, its issue 140):
    ``error.integrity.missing_parent_prefix`` on the bundle/collection label. A primary member
    no product has is ``error.integrity.member_not_found`` (validate's issue 1601: an error by
    default), ``warning.integrity.member_not_found`` with `allow_unlisted` (validate's
    ``--skip-strict-collection-membership``, for accumulating bundles).
    """
    not_found = "warning.integrity.member_not_found" if allow_unlisted else "error.integrity.member_not_found"
    out: list[Finding] = []
    for m in members:
        if m.vid is not None:
            found = m.ident in present_lidvids
        else:
            found = m.lid in present
        if not found:
            if m.status == "P":  # (secondary members live elsewhere)
                out.append(Finding(not_found, f"{what} member {m.ident} was not found", file=parent_file,
                                   line=m.line))
        elif parent_lid and m.status.upper() in ("P", "PRIMARY") and not m.lid.startswith(parent_lid + ":"):
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


def record_count_findings(inv: etree._Element, entries: int, file: str) -> list[Finding]:
    """The Inventory's <records> against the records read from its file (checked even without --content)."""
    declared = child_text(inv, "records")
    if declared is None or not declared.isdigit():
        return []
    if int(declared) == entries:
        return []
    return [Finding("error.table.records_mismatch",
                    f"the inventory says {declared} records, its file has {entries}", file=file,
                    line=inv.sourceline)]


def missing_versions(members: list[Member], file: str) -> list[Finding]:
    """Primary members of a collection must be LIDVIDs (validate: ``error.integrity.missing_version``)."""
    return [Finding("error.integrity.missing_version",
                    f"the primary member {m.ident} should include its version (LIDVID)", file=file, line=m.line)
            for m in members if m.status == "P" and m.vid is None]
