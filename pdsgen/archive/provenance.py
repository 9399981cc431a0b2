"""Provenance checks shared by the scanner and regeneration: what a product's inputs are
now (resolving LIDVIDs, LIDs, PRODUCT_IDs and file names through the index) and the
checksum baseline of inputs whose labels did not record one."""

from __future__ import annotations

import hashlib

from pdsgen.archive.find import vid_key
from pdsgen.archive.index import ArchiveIndex, ProductRecord
from pdsgen.archive.versioning import in_superseded


def product_digest(rec: ProductRecord) -> str:
    """Checksum of what a product holds: its data files (the label alone when it has none)."""
    data = sorted(f.md5 for f in rec.files if f.path != rec.label_path) or [rec.label_md5]
    return data[0] if len(data) == 1 else hashlib.md5("".join(data).encode()).hexdigest()


class Resolver:
    """Provenance references → current indexed products, with the newest version of a LID."""

    def __init__(self, index: ArchiveIndex):
        self.by_lidvid: dict[str, ProductRecord] = {}
        self.latest: dict[str, ProductRecord] = {}
        self.by_pid: dict[str, ProductRecord] = {}
        self.by_file: dict[str, ProductRecord] = {}
        for rec in index.products():
            if rec.lidvid:
                self.by_lidvid[rec.lidvid] = rec
            if rec.lid and not in_superseded(rec.label_path):
                cur = self.latest.get(rec.lid)
                if cur is None or vid_key(rec.vid) > vid_key(cur.vid):
                    self.latest[rec.lid] = rec
            if rec.product_id:
                self.by_pid[rec.product_id] = rec
            for f in rec.files:
                self.by_file.setdefault(f.path.rsplit("/", 1)[-1], rec)

    def exact(self, ref: str) -> ProductRecord | None:
        if "::" in ref:
            return self.by_lidvid.get(ref)
        return self.latest.get(ref) or self.by_pid.get(ref) or self.by_file.get(ref.rsplit("/", 1)[-1])

    def current(self, ref: str) -> ProductRecord | None:
        """The version a remake should use: the latest of the LID, else the exact match."""
        lid = ref.split("::", 1)[0]
        return self.latest.get(lid) or self.exact(ref)


def fill_baselines(index: ArchiveIndex) -> int:
    """Give provenance rows without a checksum the current checksum of what they name."""
    rows = index.execute("SELECT label_path, role, ref FROM provenance WHERE md5 IS NULL")
    if not rows:
        return 0
    resolver = Resolver(index)
    updates = []
    for lp, role, ref in rows:
        rec = resolver.exact(ref)
        if rec is not None:
            updates.append((product_digest(rec), lp, role, ref))
    with index.transaction() as cur:
        cur.executemany(index._sql("UPDATE provenance SET md5 = ? WHERE label_path = ? AND role = ? AND ref = ?"), updates)
    return len(updates)
