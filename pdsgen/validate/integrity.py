"""Checks across the products of one run: duplicate identifiers, and for bundles and
collections their members against the products found (referential integrity).

Runs in the parent process on the `ProductResult`s the workers return (identifiers,
members, references, referenced files), so it costs no extra label parsing.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from pdsgen.validate import inventory as inv
from pdsgen.validate.findings import Finding
from pdsgen.validate.runner import Options, ProductResult, RunResult

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
    if rule not in ("bundle", "collection"):
        return
    result.integrity_checked = True
    present: dict[str, list[str]] = defaultdict(list)
    present_lidvids: set[str] = set()
    for pr in result.products:
        if pr.lid:
            present[pr.lid].append(pr.vid or "")
            if pr.lidvid:
                present_lidvids.add(pr.lidvid)
    collections = [pr for pr in result.products if pr.product_class == "Product_Collection"]
    bundles = [pr for pr in result.products if pr.product_class == "Product_Bundle"]
    for b in bundles:
        folder = Path(b.label).parent
        cands = {c.lidvid: c.label for c in collections if c.lidvid and _under(c.label, folder)}
        result.integrity += inv.integrity_findings(b.label, b.members, present, present_lidvids, cands,
                                                   what="bundle")
    for c in collections:
        folder = Path(c.label).parent
        cands = {pr.lidvid: pr.label for pr in result.products
                 if pr.lidvid and pr.product_class not in ("Product_Collection", "Product_Bundle")
                 and _under(pr.label, folder) and pr.lid and c.lid and pr.lid.startswith(c.lid + ":")}
        result.integrity += inv.integrity_findings(c.label, c.members, present, present_lidvids, cands,
                                                   what="collection")
    # files under the bundle/collection folder that no label references
    referenced = {str(Path(f).resolve()) for pr in result.products for f in pr.files}
    referenced |= {str(Path(pr.label).resolve()) for pr in result.products}
    roots = [Path(pr.label).parent for pr in (bundles or collections)]
    for root in roots[:1]:
        for q in sorted(root.rglob("*")):
            if q.is_file() and str(q.resolve()) not in referenced and not q.name.startswith("."):
                result.integrity.append(Finding("warning.file.not_referenced_in_label",
                                                f"{q} is not referenced by any label", file=str(q)))
    # references to products of this bundle that are not in the run
    bundle_lids = [b.lid for b in bundles if b.lid]
    if bundle_lids:
        for pr in result.products:
            for ref, line in pr.references:
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


def _under(label: str, folder: Path) -> bool:
    try:
        Path(label).resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False
