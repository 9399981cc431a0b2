"""Atomic product writes: every file of a product goes to a temporary name in its
target folder first; only when all are complete are they renamed into place, data
files first and the label last, so a crash never leaves a label without its data
(a leftover ``.tmp`` file is the worst case, never a half-written product)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from pdsgen.errors import DataError


def md5_hex(data: bytes | memoryview) -> str:
    return hashlib.md5(data).hexdigest()


def commit_files(files: Sequence[tuple[Path, bytes | memoryview]], *, fsync: bool = False) -> None:
    """Write ``(path, content)`` pairs atomically, in order (put the label last).

    ``fsync=True`` also flushes each file to disk before renaming (slower; durability
    across power loss rather than just crash-consistency of the process).
    """
    temps: list[tuple[str, Path]] = []
    try:
        for path, content in files:
            path = Path(path)
            try:
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            except OSError as exc:
                raise DataError(f"cannot create a file in {path.parent}: {exc.strerror}",
                                path=str(path)) from exc
            temps.append((tmp, path))
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
                if fsync:
                    fh.flush()
                    os.fsync(fh.fileno())
            os.chmod(tmp, 0o644)
        for tmp, path in temps:
            os.replace(tmp, path)
        temps.clear()
    except OSError as exc:
        raise DataError(f"cannot write: {exc.strerror or exc}", path=str(exc.filename or "")) from exc
    finally:
        for tmp, _ in temps:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
