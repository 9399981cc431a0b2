"""Provenance checks shared by the scanner and regeneration: what a product's inputs are
now (resolving LIDVIDs, LIDs, PRODUCT_IDs and file names through the index, and plain
files such as unlabelled calibration tables by name under the archive root), and the
checksum baseline of inputs whose labels did not record one."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from pdsgen.archive.find import vid_key
from pdsgen.archive.index import ArchiveIndex, FileRecord, ProductRecord
from pdsgen.archive.labels import md5_file
from pdsgen.archive.versioning import SKIP_DIRS, in_superseded


def product_digest(rec: ProductRecord) -> str:
    """Checksum of what a product holds: its data files (the label alone when it has none)."""
    data = sorted(f.md5 for f in rec.files if f.path != rec.label_path) or [rec.label_md5]
    return data[0] if len(data) == 1 else hashlib.md5("".join(data).encode()).hexdigest()


def ref_digest(ref: str, rec: ProductRecord) -> str:
    """Checksum of what a provenance reference names: the file itself when the reference
    is a file name of the product (label or data file), else the product's digest."""
    name = ref.rsplit("/", 1)[-1]
    for f in rec.files:
        if f.path.rsplit("/", 1)[-1] == name:
            return f.md5
    return product_digest(rec)


class Resolver:
    """Provenance references → current products, with the newest version of a LID.

    A reference that names no indexed product but is a file name (the recipe engine
    records unlabelled calibration files by name) resolves to the file of that name under
    ``root``, as a label-less pseudo-product whose digest is the file's MD5.
    """

    def __init__(self, index: ArchiveIndex, root: Path | None = None):
        self.root = root
        #: every indexed product, read once (staleness checks iterate these too)
        self.records = index.products()
        self.by_lidvid: dict[str, ProductRecord] = {}
        self.latest: dict[str, ProductRecord] = {}
        self.by_pid: dict[str, ProductRecord] = {}
        self.by_file: dict[str, ProductRecord] = {}
        self._plain: dict[str, Path] | None = None
        self._pseudo: dict[str, ProductRecord] = {}
        for rec in self.records:
            current = not in_superseded(rec.label_path)
            if rec.lidvid:
                self.by_lidvid[rec.lidvid] = rec
            if rec.lid and current:
                cur = self.latest.get(rec.lid)
                if cur is None or vid_key(rec.vid) > vid_key(cur.vid):
                    self.latest[rec.lid] = rec
            if rec.product_id and current:
                self.by_pid[rec.product_id] = rec
            if current:
                for f in rec.files:
                    self.by_file.setdefault(f.path.rsplit("/", 1)[-1], rec)

    def exact(self, ref: str) -> ProductRecord | None:
        if "::" in ref:
            return self.by_lidvid.get(ref)
        name = ref.rsplit("/", 1)[-1]
        return self.latest.get(ref) or self.by_pid.get(ref) or self.by_file.get(name) or self._plain_file(name)

    def current(self, ref: str) -> ProductRecord | None:
        """The version a remake should use: the latest of the LID, else the exact match."""
        lid = ref.split("::", 1)[0]
        return self.latest.get(lid) or self.exact(ref)

    def path_for(self, ref: str, rec: ProductRecord) -> str:
        """The file to hand to a recipe for ``ref``: the file it names, else the label."""
        name = ref.rsplit("/", 1)[-1]
        for f in rec.files:
            if f.path.rsplit("/", 1)[-1] == name:
                return f.path
        return rec.label_path

    def _plain_file(self, name: str) -> ProductRecord | None:
        if self.root is None or "." not in name:
            return None
        if name in self._pseudo:
            return self._pseudo[name]
        if self._plain is None:
            self._plain = {}
            for folder, dirs, files in os.walk(self.root):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                for f in sorted(files):
                    self._plain.setdefault(f, Path(folder) / f)
        path = self._plain.get(name)
        if path is None:
            return None
        st = path.stat()
        rel = path.relative_to(self.root).as_posix()
        md5 = md5_file(path)
        rec = ProductRecord(label_path=rel, standard="file", label_size=st.st_size,
                            label_mtime_ns=st.st_mtime_ns, label_md5=md5,
                            files=[FileRecord(rel, st.st_size, st.st_mtime_ns, md5)])
        self._pseudo[name] = rec
        return rec


def fill_baselines(index: ArchiveIndex, root: Path | None = None) -> int:
    """Give provenance rows without a checksum the current checksum of what they name."""
    rows = index.execute("SELECT label_path, role, ref FROM provenance WHERE md5 IS NULL")
    if not rows:
        return 0
    resolver = Resolver(index, root)
    updates = []
    for lp, role, ref in rows:
        rec = resolver.exact(ref)
        if rec is not None:
            updates.append((ref_digest(ref, rec), lp, role, ref))
    with index.transaction() as cur:
        cur.executemany(index._sql("UPDATE provenance SET md5 = ? WHERE label_path = ? AND role = ? AND ref = ?"), updates)
    return len(updates)
