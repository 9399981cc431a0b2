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


class StagedFile:
    """A file written piece by piece under its temporary name while it is produced (a big
    table's blocks as they are encoded), placed later by `commit_files` (``staged=``) or
    removed with `discard`. Write errors are kept and raised by `commit_files`."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.tmp = str(_temp_name(self.path))
        self.error: OSError | None = None
        try:
            self.fd: int | None = os.open(self.tmp, _FLAGS, 0o666)
        except OSError as exc:
            raise DataError(f"cannot write: {exc.strerror or exc}", path=str(self.path)) from exc

    def write(self, content: bytes | memoryview) -> None:
        if self.error is None and self.fd is not None:
            try:
                _write_all(self.fd, content)
            except OSError as exc:
                self.error = exc

    def close(self, *, fsync: bool = False) -> None:
        if self.fd is not None:
            fd, self.fd = self.fd, None
            try:
                if fsync and self.error is None:
                    os.fsync(fd)
            except OSError as exc:
                self.error = exc
            finally:
                os.close(fd)

    def discard(self) -> None:
        self.close()
        try:
            os.unlink(self.tmp)
        except FileNotFoundError:
            pass


def commit_files(files: Sequence[tuple[Path, bytes | memoryview]], *, fsync: bool = False,
                 staged: Sequence[StagedFile] = ()) -> None:
    """Write ``(path, content)`` pairs atomically, in order (put the label last).

    ``staged`` files (already written under their temporary names) are placed first.
    ``fsync=True`` also flushes each file to disk before renaming (slower; durability
    across power loss rather than just consistency after a process crash).
    """
    temps: list[tuple[str, Path]] = []
    placed: list[Path] = []
    try:
        for s in staged:
            temps.append((s.tmp, s.path))
            s.close(fsync=fsync)
            if s.error is not None:
                raise s.error
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
        for tmp_name, final in temps:
            os.replace(tmp_name, final)
            placed.append(final)
        temps.clear()
        placed.clear()
    except OSError as exc:
        where = exc.filename or (temps[-1][1] if temps else "")
        if any(where == s.tmp for s in staged):
            where = next(s.path for s in staged if where == s.tmp)
        raise DataError(f"cannot write: {exc.strerror or exc}", path=str(where)) from exc
    finally:
        for path in placed:  # part-way failure: take back what this call put in place
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
        for tmp_name, _ in temps:
            try:
                os.unlink(tmp_name)
            except FileNotFoundError:
                pass
