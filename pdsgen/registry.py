"""One entry point, many label formats behind it (like astropy's unified I/O registry).

Readers register a detector and an opener per standard; `open()` asks each detector
in turn. PDS3 and PDS4 register themselves on import of `pdsgen`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from pdsgen.errors import LabelError
from pdsgen.model import Product

Detector = Callable[[Path, bytes], bool]
Opener = Callable[[Path], Product]

_READERS: list[tuple[str, Detector, Opener]] = []


def register_reader(standard: str, detect: Detector, opener: Opener) -> None:
    """Register a label reader; later registrations are tried first."""
    _READERS.insert(0, (standard, detect, opener))


def open(path: str | os.PathLike[str]) -> Product:  # noqa: A001 - mirrors builtins/astropy
    """Open a PDS3 or PDS4 label (detached or attached) and return its `Product`."""
    p = Path(path)
    try:
        if p.is_dir():
            raise LabelError("is a folder, not a label", path=str(p))
        with p.open("rb") as fh:
            head = fh.read(4096)
    except FileNotFoundError:
        raise LabelError("no such file", path=str(p)) from None
    except OSError as exc:  # permission denied, symlink loop, a device that fails ...
        raise LabelError(f"cannot read label: {exc.strerror or exc}", path=str(p)) from None
    if not head.strip():
        raise LabelError("empty file, not a label", path=str(p))
    for _standard, detect, opener in _READERS:
        if detect(p, head):
            return opener(p)
    raise LabelError("not a PDS3 or PDS4 label (no XML Product_* root, no PDS3 keywords)", path=str(p))
