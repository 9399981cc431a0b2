"""Atomic product writes: every file of a product goes to a temporary name in its
target folder first; only when all are complete are they renamed into place, data
files first and the label last. If a rename fails part-way, the files already renamed
by this call are removed again, so a crash or error never leaves a label without its
data or data without its label (a leftover hidden ``.tmp`` file is the worst case)."""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Sequence
from pathlib import Path

from pdsgen.errors import DataError

_counter = itertools.count()
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def _temp_name(path: Path) -> Path:
    # pid + counter is unique within the folder for this process, O_EXCL guards the
    # rest; cheaper than tempfile.mkstemp (no random names, no extra chmod: the file
    # gets the usual 0o666 & ~umask permissions of a plainly created file).
    return path.with_name(f".{path.name}.{os.getpid()}.{next(_counter)}.tmp")


def md5_hex(data: bytes | memoryview) -> str:
    return hashlib.md5(data).hexdigest()


def _write_all(fd: int, content: bytes | memoryview) -> None:
    """os.write until everything is written: one system call for a label, no Python file
    object (its buffer, locks and fstat calls cost more than the write for small files)."""
    view = memoryview(content).cast("B")
    while view.nbytes:
        view = view[os.write(fd, view):]


def commit_files(files: Sequence[tuple[Path, bytes | memoryview]], *, fsync: bool = False) -> None:
    """Write ``(path, content)`` pairs atomically, in order (put the label last).

    ``fsync=True`` also flushes each file to disk before renaming (slower; durability
    across power loss rather than just consistency after a process crash).
    """
    temps: list[tuple[str, Path]] = []
    placed: list[Path] = []
    try:
        for path, content in files:
            path = Path(path)
            tmp = _temp_name(path)
            fd = os.open(tmp, _FLAGS, 0o666)
            temps.append((str(tmp), path))
            try:
                _write_all(fd, content)
                if fsync:
                    os.fsync(fd)
            finally:
                os.close(fd)
        for tmp, path in temps:
            os.replace(tmp, path)
            placed.append(path)
        temps.clear()
        placed.clear()
    except OSError as exc:
        where = exc.filename or (temps[-1][1] if temps else "")
        raise DataError(f"cannot write: {exc.strerror or exc}", path=str(where)) from exc
    finally:
        for path in placed:  # part-way failure: take back what this call put in place
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
        for tmp, _ in temps:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
