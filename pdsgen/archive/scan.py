"""Walk an archive (PDS4 bundle, PDS3 volume or any folder of labels) into the index.

Incremental: a product whose label and data files all keep their size and mtime is
skipped without being read; one whose stat changed is checksummed, and only re-parsed
when a checksum changed. Products are written in batches, each batch one transaction
(product + files + provenance together), so an interrupted scan leaves whole rows only
and the next scan picks up where it stopped.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pdsgen.archive.index import ArchiveIndex, FileRecord, ProductRecord
from pdsgen.archive.labels import is_calibration, md5_file, normalized_times, read_label
from pdsgen.archive.versioning import SKIP_DIRS
from pdsgen.errors import LabelError
from pdsgen.untrusted import ReferenceEscapeError, confine, inside

#: Folders never walked: the index's own folder and version-control/staging folders.
LABEL_SUFFIXES = (".xml", ".lbl")


@dataclass
class ScanReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    touched: int = 0  # stat changed, content did not
    removed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def seen(self) -> int:
        return self.added + self.updated + self.unchanged + self.touched


def iter_labels(root: Path, prefix: str = "") -> Iterator[tuple[str, os.stat_result]]:
    """(prefix + path relative to root with '/' separators, stat) of every candidate label."""
    stack = [(root, prefix)]
    while stack:
        folder, prefix = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name not in SKIP_DIRS and not entry.name.startswith(".pdsgen"):
                    stack.append((Path(entry.path), f"{prefix}{entry.name}/"))
            elif entry.name.lower().endswith(LABEL_SUFFIXES) and not entry.name.startswith("."):
                try:
                    st = entry.stat()
                except OSError:  # a dangling link or symlink loop: reading it reports why
                    st = entry.stat(follow_symlinks=False)
                yield f"{prefix}{entry.name}", st


def _is_product_label(head: bytes, rel: str) -> bool:
    if rel.lower().endswith(".xml"):
        return b"<Product_" in head or b":Product_" in head
    return b"=" in head  # PDS3: keyword = value


def read_product(root: Path, rel: str, st: os.stat_result) -> ProductRecord | None:
    """Index record of the label at ROOT/rel, or None when it is not a product label."""
    base_dir = os.fspath(root)
    path = os.path.join(base_dir, rel)
    if os.path.islink(path) and not inside(path, base_dir):
        raise ReferenceEscapeError("the label is a symbolic link leading outside the archive root; not read",
                                   path=path, reference=os.readlink(path))
    with open(path, "rb") as fh:
        data = fh.read()
    if not _is_product_label(data[:4096], rel):
        return None
    info = read_label(path, data)
    if info.standard == "PDS3" and _volume_index_file(root, rel, info.product_class):
        return None
    start, stop = normalized_times(info)
    files = [FileRecord(rel, st.st_size, st.st_mtime_ns, hashlib.md5(data).hexdigest())]
    base = rel.rsplit("/", 1)[0] + "/" if "/" in rel else ""
    folder = os.path.dirname(path)
    for name in info.data_files:
        confine(folder, name, label=path, what="file_name")  # outside the label's folder: not indexed
        frel = _join(base, name)
        fpath = os.path.join(base_dir, frel)
        try:
            fst = os.stat(fpath)
        except OSError:
            continue  # a missing data file is validation's finding, not the index's
        if frel != rel:
            files.append(FileRecord(frel, fst.st_size, fst.st_mtime_ns, md5_file(fpath)))
    return ProductRecord(
        label_path=rel,
        standard=info.standard,
        label_size=st.st_size,
        label_mtime_ns=st.st_mtime_ns,
        label_md5=files[0].md5,
        lid=info.lid,
        vid=info.vid,
        product_id=info.product_id,
        data_set_id=info.data_set_id,
        product_class=info.product_class,
        product_type=info.product_type,
        title=info.title,
        start_time=start,
        stop_time=stop,
        instrument=info.instrument,
        is_calibration=is_calibration(info, rel),
        recipe_name=info.recipe_name,
        recipe_version=info.recipe_version,
        pdsgen_version=info.pdsgen_version,
        parameters=info.parameters,
        files=files,
        provenance=info.provenance,
    )


def _volume_index_file(root: Path, rel: str, first_object: str | None) -> bool:
    """Whether a PDS3 label describes a volume's index rather than a product.

    The PDS3 Standards (chapter 19) keep a volume's index tables, and pdsgen's checksum
    table, in the INDEX folder at the volume's root (beside VOLDESC.CAT); an INDEX_TABLE
    object is an index wherever it lies. Neither is a product of the archive.
    """
    if (first_object or "").upper() == "INDEX_TABLE":
        return True
    parts = rel.split("/")
    if len(parts) < 2 or parts[-2].upper() != "INDEX":
        return False
    volume = root.joinpath(*parts[:-2])
    try:
        return any(e.name.upper() == "VOLDESC.CAT" and e.is_file() for e in os.scandir(volume))
    except OSError:
        return False


def _join(base: str, name: str) -> str:
    if ".." not in name and "\\" not in name and not name.startswith("./"):
        return base + name
    parts: list[str] = []
    for piece in (base + name).replace("\\", "/").split("/"):
        if piece in ("", "."):
            continue
        if piece == "..":
            if parts:
                parts.pop()
            continue
        parts.append(piece)
    return "/".join(parts)


def scan(
    root: str | os.PathLike[str],
    index: ArchiveIndex,
    *,
    batch: int = 2000,
    progress: Callable[[int], None] | None = None,
    full: bool = False,
    under: str | None = None,
    jobs: int = 1,
    scheduler: str | None = None,
) -> ScanReport:
    """Bring ``index`` up to date with the labels under ``root``; ``full`` re-reads everything.

    ``under``: a folder relative to ``root``; only it is walked (paths stay relative to root).
    ``jobs``: processes reading labels (parsing and checksums) when there are many.
    ``scheduler``: a Dask scheduler address (or ``local``) whose workers read the labels
    and checksum the files instead (in bounded batches; the client writes the index).
    """
    root = Path(root)
    if not root.is_dir():
        raise LabelError("archive root is not a folder", path=str(root))
    known = index.file_states()
    prefix = ""
    if under:
        prefix = under.strip("/") + "/"
        known = {k: v for k, v in known.items() if k.startswith(prefix)}
    gone_if_missing = known
    if full:
        known = {}
    report = ScanReport()
    pending: list[ProductRecord] = []
    touches: list[tuple[str, str, int, int]] = []
    seen: set[str] = set()
    todo: list[tuple[str, os.stat_result, bool]] = []  # (rel, stat, known before)
    for rel, st in iter_labels(root / prefix if prefix else root, prefix):
        seen.add(rel)
        state = known.get(rel)
        if state is not None:
            verdict, stats = _compare(root, rel, st, state)
            if verdict == "same":
                report.unchanged += 1
                _tick(progress)
                continue
            if verdict == "touched":
                touches.extend(stats)
                report.touched += 1
                _tick(progress)
                continue
        todo.append((rel, st, rel in gone_if_missing))  # --full: a re-read known label is updated, not added
    pending_known: list[str] = []
    for (_rel, _st, was_known), outcome in _read_all(root, todo, jobs, scheduler):
        _tick(progress)
        if isinstance(outcome, str):
            report.errors.append(outcome)
            continue
        if outcome is None:
            continue
        pending.append(outcome)
        if was_known:
            report.updated += 1
        else:
            report.added += 1
        if was_known:
            pending_known.append(outcome.label_path)
        if len(pending) >= batch:
            index.put_products(pending, replace=None if full else pending_known)
            pending, pending_known = [], []
    index.put_products(pending, replace=None if full else pending_known)
    if touches:
        index.touch_files(touches)
    gone = [lp for lp in gone_if_missing if lp not in seen]
    report.removed = index.delete_products(gone)
    from pdsgen.archive.provenance import fill_baselines

    fill_baselines(index, root)
    return report


def _read_one(args: tuple[str, str, os.stat_result]) -> ProductRecord | str | None:
    root, rel, st = args
    try:
        return read_product(Path(root), rel, st)
    except LabelError as exc:
        return str(exc)
    except OSError as exc:
        return f"{Path(root) / rel}: {exc.strerror or exc}"


def _read_batch(batch: list[tuple[str, str, os.stat_result]]) -> list[ProductRecord | str | None]:
    return [_read_one(a) for a in batch]


_Todo = tuple[str, os.stat_result, bool]  # (relative path, stat, whether it is known)
_Outcome = ProductRecord | str | None  # a record, an error text, or None (not a label)


def _read_distributed(root: Path, todo: list[_Todo], scheduler: str, jobs: int) -> Iterator[tuple[_Todo, _Outcome]]:
    """(todo item, outcome) read on a Dask cluster, yielded batch by batch as they finish."""
    import queue
    import threading

    from pdsgen.distributed import DaskClient, map_batches

    items = [(i, (os.fspath(root), rel, st)) for i, (rel, st, _k) in enumerate(todo)]
    results: queue.Queue[list[tuple[_Todo, _Outcome]] | None] = queue.Queue(maxsize=64)
    failure: list[BaseException] = []

    def batch_fn(batch: list[tuple[int, tuple[str, str, os.stat_result]]]) -> list[_Outcome]:
        return _read_batch([a for _i, a in batch])

    def on_batch(batch: list[tuple[int, tuple[str, str, os.stat_result]]], outcomes: list[_Outcome] | None,
                 exc: BaseException | None) -> None:
        if exc is not None or outcomes is None:
            outcomes = [f"{root / a[1]}: a Dask worker failed: {exc}" for _i, a in batch]
        results.put([(todo[i], o) for (i, _a), o in zip(batch, outcomes, strict=True)])

    def drive() -> None:
        try:
            with DaskClient(scheduler, jobs if jobs > 1 else None) as client:
                map_batches(client, batch_fn, items, on_batch, key="pdsgen-index")
        except BaseException as exc:  # re-raised on the caller's thread
            failure.append(exc)
        finally:
            results.put(None)

    # the cluster runs from a helper thread, the caller's thread writes the index as batches arrive
    thread = threading.Thread(target=drive, name="pdsgen-index-dask", daemon=True)
    thread.start()
    while (chunk := results.get()) is not None:
        yield from chunk
    thread.join()
    if failure:
        raise failure[0]


def _read_all(root: Path, todo: list[_Todo], jobs: int,
              scheduler: str | None = None) -> Iterator[tuple[_Todo, _Outcome]]:
    """(todo item, record | error text | None) in order, read by ``jobs`` processes (or
    on a Dask cluster, in completion order)."""
    if scheduler and todo:
        yield from _read_distributed(root, todo, scheduler, jobs)
        return
    args = [(os.fspath(root), rel, st) for rel, st, _k in todo]
    if jobs <= 1 or len(todo) < 2000:
        for item, a in zip(todo, args, strict=True):
            yield item, _read_one(a)
        return
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(jobs) as pool:
        yield from zip(todo, pool.imap(_read_one, args, chunksize=256), strict=True)


def index_labels(root: str | os.PathLike[str], index: ArchiveIndex, rels: list[str]) -> None:
    """(Re-)index just these labels (paths relative to root), e.g. ones pdsgen just wrote."""
    root = Path(root)
    records = []
    for rel in rels:
        record = read_product(root, rel, os.stat(root / rel))
        if record is not None:
            records.append(record)
    index.put_products(records)


def _tick(progress: Callable[[int], None] | None) -> None:
    if progress is not None:
        progress(1)


def _compare(
    root: Path, rel: str, st: os.stat_result, state: list[tuple[str, int, int, str]]
) -> tuple[str, list[tuple[str, str, int, int]]]:
    """"same" (stat unchanged), "touched" (stat changed, checksums equal) or "changed"."""
    stats: list[tuple[str, str, int, int, str, os.stat_result]] = []
    differs = False
    base = os.fspath(root)
    for path, size, mtime, md5 in state:
        if path == rel:
            cur = st
        else:
            try:
                cur = os.stat(os.path.join(base, path))
            except OSError:
                return "changed", []
        if cur.st_size != size:
            return "changed", []
        if cur.st_mtime_ns != mtime:
            differs = True
        stats.append((rel, path, cur.st_size, cur.st_mtime_ns, md5, cur))
    if not differs:
        return "same", []
    touches = []
    for lp, path, size, mtime, md5, _cur in stats:
        if md5_file(root / path) != md5:
            return "changed", []
        touches.append((lp, path, size, mtime))
    return "touched", touches
