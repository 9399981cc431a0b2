"""Internal_Reference to context products, checked against a registered-products list.

The list is validate's ``registered_context_products.json`` shape:
``{"Product_Context": [{"lidvid": "...::1.0", "name": [...], "type": [...]}, ...]}``.
The rule is validate's ContextProductReferenceValidationRule:

* which references: Internal_References (anywhere in the label) whose ``reference_type``
  starts with ``is_`` or ends with ``_to_target``, ``_to_instrument``, … ``_to_context``;
  the type decides, not the LID; every ``lid_reference`` and ``lidvid_reference`` child of
  such a reference is checked, in document order;
* found: a registered product of the same LID (case-insensitive) — for a LIDVID, with that
  version. Otherwise a LIDVID still counts as found when a registered product of exactly
  that LID has a version that is the same or later as a number (the list holds the latest
  versions only); else ``error.label.context_ref_not_found``;
* then, for a reference found as written, each ``name`` and each ``type`` of the enclosing
  element (each one compared on its own, whether or not the other is given) against the
  registered names/types: only a case difference is ``info.label.context_ref_case_mismatch``,
  no match ``warning.label.context_ref_mismatch`` (``info.`` when mismatch warnings are
  disabled); the type of an Observing_System_Component is not compared.
"""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

from lxml import etree

from pdsgen.errors import ValidationRunError
from pdsgen.pds4.label import PDS_NS, child_text, local
from pdsgen.validate.findings import Finding


class ContextSlot(TypedDict):
    """What the lists register for one context LID (any case): names and types as written,
    the VIDs, and the (exact-case LID, VID) pairs (validate's version search)."""

    names_exact: set[str]
    types_exact: set[str]
    vids: set[str]
    versions: set[tuple[str, str]]


class RegistryEntry(TypedDict):
    """One context product in validate's JSON shape."""

    name: list[str]
    type: list[str]
    lidvid: str


@dataclass
class ContextRegistry:
    """Registered context products by lower-case LID: (names, types, vids)."""

    products: dict[str, ContextSlot] = field(default_factory=dict)
    sources: list[tuple[str, str]] = field(default_factory=list)  # (file, its date) for reports

    @classmethod
    def load(cls, *paths: str | os.PathLike[str]) -> ContextRegistry:
        reg = cls()
        for p in paths:
            reg.add_file(Path(p))
        return reg

    def add_file(self, path: Path) -> None:
        """Add a list in validate's JSON shape (``.json``, or gzip-compressed ``.json.gz``)."""
        try:
            raw = path.read_bytes()
            if raw[:2] == b"\x1f\x8b":
                raw = gzip.decompress(raw)
            data = json.loads(raw.decode("utf-8"))
            self.sources.append((str(path), _list_date(path)))
        except (OSError, ValueError, EOFError) as exc:
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
                                                           "vids": set(), "versions": set()})
            slot["names_exact"].update(" ".join(str(n).split()) for n in _list(e.get("name")))
            slot["types_exact"].update(str(t).strip() for t in _list(e.get("type")))
            if vid:
                slot["vids"].add(vid)
                slot["versions"].add((lid, vid))  # exact-case LID: validate's version search

    def __contains__(self, lid: str) -> bool:
        return lid.lower() in self.products


def _list_date(path: Path) -> str:
    """The date of a context list: the shipped one's copy date, else the file's modification day."""
    if path == BUNDLED_CONTEXT_PRODUCTS:
        return BUNDLED_CONTEXT_DATE
    import datetime as dt

    return dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC).date().isoformat()


#: the registered context products shipped with pdsgen (see pdsgen/validate/data/README.md)
BUNDLED_CONTEXT_PRODUCTS = Path(__file__).resolve().parent / "data" / "registered_context_products.json.gz"
BUNDLED_CONTEXT_DATE = "2026-12-04"


def user_context_products_path() -> Path:
    """Where ``pdsgen validate --update-context-products`` keeps the downloaded list."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("pdsgen")) / "registered_context_products.json"


def default_context_products() -> list[Path]:
    """The list used when none is given: the downloaded one if any, else the shipped one."""
    user = user_context_products_path()
    if user.is_file():
        return [user]
    return [BUNDLED_CONTEXT_PRODUCTS] if BUNDLED_CONTEXT_PRODUCTS.is_file() else []


#: PDS Search API (registry) query of every Product_Context, paged
REGISTRY_URL = "https://pds.nasa.gov/api/search/1/products"
REGISTRY_PAGE = 500
#: bounds of one update: bytes downloaded in all, pages, seconds per request
MAX_DOWNLOAD_BYTES = 64 << 20
MAX_PAGES = 200


def update_context_products(dest: Path | None = None, *, url: str = REGISTRY_URL, timeout: float = 30.0,
                            max_bytes: int = MAX_DOWNLOAD_BYTES, max_pages: int = MAX_PAGES) -> tuple[Path, int]:
    """Download the registered context products from the PDS registry into `dest` (default:
    the user cache), written atomically in validate's JSON shape; (path, products).

    Bounded: at most `max_pages` requests of `timeout` seconds and `max_bytes` in all; any
    failure leaves the previous list in place and raises ValidationRunError.
    """
    import urllib.parse
    import urllib.request

    dest = dest or user_context_products_path()
    entries: list[RegistryEntry] = []
    seen: set[str] = set()
    received = 0
    search_after: str | None = None
    for _page in range(max_pages):
        params = {"q": 'product_class eq "Product_Context"', "limit": str(REGISTRY_PAGE)}
        if search_after:
            params["search-after"] = search_after
        request = urllib.request.Request(f"{url}?{urllib.parse.urlencode(params)}",
                                         headers={"Accept": "application/json", "User-Agent": "pdsgen"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310 - fixed https URL or a test's
                body = resp.read(max_bytes - received + 1)
        except (OSError, ValueError) as exc:
            raise ValidationRunError(f"cannot download the registered context products: {exc}", path=url) from exc
        received += len(body)
        if received > max_bytes:
            raise ValidationRunError(f"the registered context products exceed {max_bytes} bytes: not updated",
                                     path=url)
        try:
            page = json.loads(body.decode("utf-8"))
        except ValueError as exc:
            raise ValidationRunError(f"the registry answered no JSON: {exc}", path=url) from exc
        rows = page.get("data") if isinstance(page, dict) else None
        if not isinstance(rows, list) or not rows:
            break
        for row in rows:
            entry = _registry_entry(row)
            if entry and entry["lidvid"] not in seen:
                seen.add(entry["lidvid"])
                entries.append(entry)
        last = rows[-1].get("id") if isinstance(rows[-1], dict) else None
        if len(rows) < REGISTRY_PAGE or not last or last == search_after:
            break
        search_after = str(last)
    else:
        raise ValidationRunError(f"more than {max_pages} pages of context products: not updated", path=url)
    if not entries:
        raise ValidationRunError("the registry listed no context products: not updated", path=url)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"Product_Context": entries}, indent=1), encoding="utf-8")
    os.replace(tmp, dest)
    return dest, len(entries)


def _registry_entry(row: object) -> RegistryEntry | None:
    """One registry product → {"lidvid", "name": [...], "type": [...]} (validate's shape):
    names from the title, names and alternate titles; types from every ``*.type`` property."""
    if not isinstance(row, dict):
        return None
    found = row.get("properties")
    props: dict[str, object] = found if isinstance(found, dict) else {}
    lidvid = row.get("id") or _first(props.get("lidvid"))
    if not lidvid or "::" not in str(lidvid):
        return None
    names: list[str] = []
    types: list[str] = []
    for key, value in props.items():
        leaf = key.rsplit(".", 1)[-1].split(":")[-1]
        if leaf in ("title", "name", "alternate_title", "alternate_id"):
            names += [str(v) for v in _list(value) if v]
        elif leaf == "type" and not key.startswith("ops:"):
            types += [str(v) for v in _list(value) if v]
    title = row.get("title")
    if title:
        names.insert(0, str(title))
    return {"name": list(dict.fromkeys(names)), "type": list(dict.fromkeys(types)), "lidvid": str(lidvid)}


def _first(v: object) -> object:
    values = _list(v)
    return values[0] if values else None


def _list(v: object) -> list[object]:
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def is_context_lid(lid: str) -> bool:
    parts = lid.lower().split(":")
    return len(parts) > 3 and parts[3] == "context"


#: reference_type endings that make an Internal_Reference a context reference (validate's
#: ContextProductReferenceValidationRule; also every type starting with ``is_``)
CONTEXT_REFERENCE_SUFFIXES = ("_to_target", "_to_investigation", "_to_instrument", "_to_instrument_host",
                              "_to_other", "_to_facility", "_to_telescope", "_to_airborne", "_to_laboratory",
                              "_to_observatory", "_to_context")


def is_context_reference_type(reference_type: str | None) -> bool:
    """Whether validate checks an Internal_Reference of this reference_type against the
    registered context products: the type, not the LID, decides."""
    t = (reference_type or "").strip()
    return t.startswith("is_") or t.endswith(CONTEXT_REFERENCE_SUFFIXES)


def _found(registry: ContextRegistry, lid: str, vid: str | None) -> tuple[ContextSlot | None, bool]:
    """(registered slot, found as written?) of one reference, or (None, False) when validate
    reports it not found. A LIDVID of an older version than the registered one is found,
    but not as written (its name and type are then not compared)."""
    slot = registry.products.get(lid.lower())
    if slot is None:
        return None, False
    if vid is None or vid in slot["vids"]:
        return slot, True
    try:
        wanted = float(vid)
    except ValueError:  # validate's version search fails on it and reports nothing
        return slot, False
    for reg_lid, reg_vid in slot["versions"]:
        try:
            if reg_lid == lid and float(reg_vid) >= wanted:
                return slot, False
        except ValueError:
            continue
    return None, False


def check_context_refs(
    tree: etree._ElementTree, registry: ContextRegistry, file: str, *, mismatch_warnings: bool = True
) -> list[Finding]:
    """Context references of a label that are not registered, or whose names or types do not
    match the registered ones (module docstring: validate's rule)."""
    out: list[Finding] = []
    root = tree.getroot()
    level = "warning" if mismatch_warnings else "info"
    for ref in root.iter(f"{{{PDS_NS}}}Internal_Reference"):
        if not is_context_reference_type(child_text(ref, "reference_type")):
            continue
        parent = ref.getparent()
        names = [" ".join((c.text or "").split()) for c in parent.iterchildren(f"{{{PDS_NS}}}name")] \
            if parent is not None else []
        kinds = [(c.text or "").strip() for c in parent.iterchildren(f"{{{PDS_NS}}}type")] \
            if parent is not None else []
        for el in ref.iterchildren(f"{{{PDS_NS}}}lid_reference", f"{{{PDS_NS}}}lidvid_reference"):
            value = (el.text or "").strip()
            if not value:
                continue
            lid, sep, vid = value.partition("::")
            slot, as_written = _found(registry, lid, vid if sep else None)
            if slot is None:
                out.append(Finding("error.label.context_ref_not_found",
                                   f"context reference {value} is not a registered context product",
                                   file=file, line=el.sourceline))
                continue
            if not as_written:
                continue
            checks = [("name", n, slot["names_exact"]) for n in names]
            if parent is not None and local(parent) != "Observing_System_Component":
                checks += [("type", t, slot["types_exact"]) for t in kinds]
            for what, given, registered in checks:
                if not registered or given in registered:
                    continue
                if given.lower() in {r.lower() for r in registered}:
                    out.append(Finding("info.label.context_ref_case_mismatch",
                                       f"{what} {given!r} of {local(parent)} differs only in case from the "
                                       f"registered {what}s of {lid}", file=file, line=el.sourceline))
                else:
                    out.append(Finding(f"{level}.label.context_ref_mismatch",
                                       f"{what} {given!r} of {local(parent)} does not match the registered {what}s "
                                       f"of {lid} ({', '.join(sorted(registered))})", file=file, line=el.sourceline))
    return out
