"""validate's bundle and collection run rules not covered by `integrity`, one function each.

* `duplicate_member_findings` — a member LIDVID that matches more than one product definition
  (Bundle/CollectionReferentialIntegrityRule: ``error.integrity.duplicate_members``);
* `subdirectory_name_findings` — a folder inside a collection with a name reserved for the
  bundle root (SubdirectoryNamingRule: ``warning.sub_directory.unallowed_name``).

Pure functions on the identifiers and folders of a run (read in validate's ``src/main/java``,
classes named in brackets).
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from pdsgen.validate.findings import Finding
from pdsgen.validate.inventory import Member
from pdsgen.validate.results import ProductResult

__all__ = ["duplicate_member_findings", "subdirectory_name_findings", "RESERVED_FOLDER_NAMES"]

Ident = tuple[str, str | None]  # (LID, VID or None)


def _parse(ident: str) -> Ident:
    """A member reference as validate parses it (split at ``::``, each part trimmed)."""
    lid, sep, vid = ident.partition("::")
    return lid.strip(), (vid.split("::", 1)[0].strip() if sep else None)


def _near(a: Ident, b: Ident) -> bool:
    """validate's Identifier.nearNeighbor: same LID, and same VID unless either has none."""
    return a[0] == b[0] and (a[1] is None or b[1] is None or a[1] == b[1])


def definitions(products: Iterable[ProductResult]) -> dict[str, dict[Ident, str]]:
    """The product identifiers of a run by LID, each once (validate keys its definitions by the
    identifier, so two labels with one LIDVID are one definition): {LID: {(LID, VID): label}}.
    A label without a version_id defines its LID without a version."""
    out: dict[str, dict[Ident, str]] = defaultdict(dict)
    for pr in products:
        if pr.lid:
            out[pr.lid].setdefault((pr.lid, pr.vid or None), pr.label)
    return out


def duplicate_member_findings(parent: ProductResult, members: list[Member], defined: dict[str, dict[Ident, str]],
                              *, what: str) -> list[Finding]:
    """Members given with a version that more than one definition matches (nearNeighbor):
    ``error.integrity.duplicate_members`` on the bundle/collection label, whatever the member
    status and the strict-membership option. A member given as a LID that matches several
    versions is validate's info only (``info.integrity.duplicate_members``), not reported.

    A collection's inventory is read in order and each entry, once looked up, joins the
    definitions its later entries are matched against (validate's
    CollectionReferentialIntegrityRule indexes the entries it has read): an entry naming a LID
    without a version followed by a LIDVID entry of that LID makes the LIDVID match twice.
    A bundle's entries are matched against the products only.
    """
    index: dict[str, dict[Ident, str]] = {lid: dict(d) for lid, d in defined.items()}
    out: list[Finding] = []
    for m in members:
        ident = _parse(m.ident)
        if not ident[0]:
            continue
        matches = [label for d, label in index.get(ident[0], {}).items() if _near(ident, d)]
        if ident[1] is not None and len(matches) > 1:
            where = ", ".join(sorted({Path(x).name for x in matches}))
            out.append(Finding("error.integrity.duplicate_members",
                               f"the {what} member {m.ident} is identified in multiple products: {where}",
                               file=parent.label, line=m.line))
        if what == "collection":
            index.setdefault(ident[0], {}).setdefault(ident, parent.label)
    return out


#: folder names the PDS4 Standards Reference (6C.2.2) reserves for the bundle root
RESERVED_FOLDER_NAMES = frozenset({"browse", "calibration", "context", "data", "document", "geometry",
                                   "miscellaneous", "spice_kernels", "xml_schema"})


def _subfolders(folder: Path) -> list[Path]:
    try:
        with os.scandir(folder) as it:
            return sorted(Path(e.path) for e in it if e.is_dir() and not e.name.startswith("."))
    except OSError:
        return []


def subdirectory_name_findings(root: Path, rule: str) -> list[Finding]:
    """Folders named like a bundle-root folder (``data``, ``browse``, … exactly, case counts)
    directly inside a collection folder: ``warning.sub_directory.unallowed_name``
    (SubdirectoryNamingRule, run by validate's collection chain on the collection folder: the
    walked folder of a collection run, each folder directly in the bundle folder of a bundle run)."""
    collections = [root] if rule == "collection" else _subfolders(root) if rule == "bundle" else []
    out: list[Finding] = []
    for folder in collections:
        for sub in _subfolders(folder):
            if sub.name in RESERVED_FOLDER_NAMES:
                out.append(Finding("warning.sub_directory.unallowed_name",
                                   f"folder {sub.name!r} inside {folder.name!r}: the name is reserved for the "
                                   "bundle root folder (PDS4 Standards Reference 6C.2.2)", file=str(sub)))
    return out
