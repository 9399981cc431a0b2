"""Internal_Reference to context products, checked against a registered-products list.

The list is validate's ``registered_context_products.json`` shape:
``{"Product_Context": [{"lidvid": "...::1.0", "name": [...], "type": [...]}, ...]}``.
A reference whose LID (or LIDVID) is not registered is ``error.label.context_ref_not_found``;
when the enclosing element gives both ``name`` and ``type``, a name (or, except for
Observing_System_Component, a type) matching none of the registered ones is
``warning.label.context_ref_mismatch`` (``info.`` when mismatch warnings are disabled), one
differing only in case ``info.label.context_ref_case_mismatch`` — validate's rules. LIDs
compare case-insensitively, as in the PDS registry.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from pdsgen.errors import ValidationRunError
from pdsgen.pds4.label import PDS_NS, child_text, local
from pdsgen.validate.findings import Finding


@dataclass
class ContextRegistry:
    """Registered context products by lower-case LID: (names, types, vids)."""

    products: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def load(cls, *paths: str | os.PathLike[str]) -> ContextRegistry:
        reg = cls()
        for p in paths:
            reg.add_file(Path(p))
        return reg

    def add_file(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValidationRunError(f"unreadable context-products list: {exc}", path=str(path)) from exc
        entries = data.get("Product_Context") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise ValidationRunError("context-products list has no 'Product_Context' list", path=str(path))
        for e in entries:
            lidvid = str(e.get("lidvid") or e.get("lid") or "")
            lid, _, vid = lidvid.partition("::")
            if not lid:
                continue
            slot = self.products.setdefault(lid.lower(), {"names_exact": set(), "types_exact": set(),
                                                           "vids": set()})
            slot["names_exact"].update(" ".join(str(n).split()) for n in _list(e.get("name")))
            slot["types_exact"].update(str(t).strip() for t in _list(e.get("type")))
            if vid:
                slot["vids"].add(vid)

    def __contains__(self, lid: str) -> bool:
        return lid.lower() in self.products


def _list(v) -> list:
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def is_context_lid(lid: str) -> bool:
    parts = lid.lower().split(":")
    return len(parts) > 3 and parts[3] == "context"


def check_context_refs(
    tree: etree._ElementTree, registry: ContextRegistry, file: str, *, mismatch_warnings: bool = True
) -> list[Finding]:
    """Context references of a label that are not registered, or whose name does not match."""
    out: list[Finding] = []
    root = tree.getroot()
    if local(root) == "Product_Context":
        return out
    for ref in root.iter(f"{{{PDS_NS}}}Internal_Reference"):
        value = child_text(ref, "lid_reference") or child_text(ref, "lidvid_reference")
        if not value:
            continue
        lid, _, vid = value.partition("::")
        if not is_context_lid(lid):
            continue
        line = ref.sourceline
        slot = registry.products.get(lid.lower())
        if slot is None or (vid and slot["vids"] and vid not in slot["vids"]):
            what = f"{lid}::{vid}" if vid else lid
            out.append(Finding("error.label.context_ref_not_found",
                               f"context reference {what} is not a registered context product",
                               file=file, line=line))
            continue
        parent = ref.getparent()
        if parent is None:
            continue
        name, kind_ = child_text(parent, "name"), child_text(parent, "type")
        if not name or not kind_:  # validate compares only when both are given
            continue
        level = "warning" if mismatch_warnings else "info"
        for what, value, registered, checked in (
            ("name", " ".join(name.split()), slot["names_exact"], True),
            # the type of an Observing_System_Component is not compared (validate neither)
            ("type", kind_, slot["types_exact"], local(parent) != "Observing_System_Component"),
        ):
            if not registered or not checked:
                continue
            if value in registered:
                continue
            if value.lower() in {r.lower() for r in registered}:
                out.append(Finding("info.label.context_ref_case_mismatch",
                                   f"{what} {value!r} of {local(parent)} differs only in case from the registered "
                                   f"{what}s of {lid}", file=file, line=line))
            else:
                out.append(Finding(f"{level}.label.context_ref_mismatch",
                                   f"{what} {value!r} of {local(parent)} does not match the registered {what}s of "
                                   f"{lid} ({', '.join(sorted(registered))})", file=file, line=line))
    return out
