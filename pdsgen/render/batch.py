"""Many labels at once (collection members, re-labelled deliveries).

Rendering is Python (GIL-bound) and an atomic write is four system calls (open, write,
close, rename), each of which releases and then re-takes the GIL: writer threads next to
a rendering thread queue for the GIL after every call (measured slower than one thread).
So the batch is split over forked worker processes, which inherit the items (no pickling:
pickling a label's variables costs as much as rendering it) and the compiled templates.
Each label is still its own atomic write (temporary name in the target folder, then
``os.replace``).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pdsgen.render.atomic import commit_files
from pdsgen.render.env import PathLike, TemplateDirs, label_environment
from pdsgen.render.writers import Standard, _render

Item = tuple[PathLike, str, Mapping[str, Any]]

#: the batch being written, inherited by forked workers (set only while a batch runs;
#: the lock keeps two threads' batches apart)
_ITEMS: Sequence[Item] = ()
_LOCK = threading.Lock()


def _write_range(items: Sequence[Item], lo: int, hi: int, templates_dir: TemplateDirs, standard: Standard,
                 fsync: bool) -> None:
    for path, template, variables in items[lo:hi]:
        commit_files([(Path(path), _render(template, variables, templates_dir, standard))], fsync=fsync)


def _worker(args: tuple[int, int, Any, Standard, bool]) -> int | None:
    """Write items[lo:hi]; None when all went well, else the index of the first failure
    (the parent repeats that item itself to raise the real error)."""
    lo, hi, templates_dir, standard, fsync = args
    for i in range(lo, hi):
        try:
            _write_range(_ITEMS, i, i + 1, templates_dir, standard, fsync)
        except Exception:  # noqa: BLE001 — reported to the parent, which re-raises it
            return i
    return None


def write_labels(
    items: Iterable[Item],
    *,
    templates_dir: PathLike | Iterable[PathLike] | None = None,
    jobs: int | None = None,
    standard: Standard = "pds4",
    fsync: bool = False,
) -> list[Path]:
    """Render ``(path, template_name, variables)`` items and write each label atomically
    (``standard="pds3"``: ASCII with CRLF line ends, as the PDS3 writers do).

    ``jobs`` worker processes (default: one per CPU; ``jobs=1`` or fewer than 200 labels,
    or no ``fork`` on this platform: in this process). Returns the paths in input order.
    On a failure the error of the first failing label is raised (a `TemplateError`, or a
    `DataError` for a write) once the workers have stopped; every label written is a
    complete file, none is half-written.
    """
    global _ITEMS
    items = list(items)
    if templates_dir is not None and not isinstance(templates_dir, str | os.PathLike):
        templates_dir = tuple(templates_dir)
    label_environment(templates_dir)  # a bad template folder fails before any work
    if jobs is None:
        jobs = os.cpu_count() or 1
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, not {jobs}")
    paths = [Path(p) for p, _, _ in items]
    forkable = "fork" in multiprocessing.get_all_start_methods()
    if jobs == 1 or len(items) < 200 or not forkable:
        _write_range(items, 0, len(items), templates_dir, standard, fsync)
        return paths
    step = -(-len(items) // (4 * jobs))  # a few ranges per worker evens out their speeds
    ranges = [(lo, min(lo + step, len(items)), templates_dir, standard, fsync)
              for lo in range(0, len(items), step)]
    with _LOCK:
        _ITEMS = items
        try:
            with multiprocessing.get_context("fork").Pool(jobs) as pool:
                failed = [i for i in pool.imap(_worker, ranges) if i is not None]
        finally:
            _ITEMS = ()
    if failed:  # repeat the first failure here: its own exception, with file and line
        first = min(failed)
        _write_range(items, first, first + 1, templates_dir, standard, fsync)
        for i in sorted(failed)[1:]:
            _write_range(items, i, i + 1, templates_dir, standard, fsync)
    return paths
