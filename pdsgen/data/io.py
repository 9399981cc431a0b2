"""Byte access shared by the readers: bounds-checked reads of one object's bytes.

Every short read becomes a `DataError` naming the file, the object and how many bytes
the label promised, so no reader ever returns a silently truncated array.
"""

from __future__ import annotations

import os

import numpy as np

from pdsgen.errors import DataError
from pdsgen.model import DataObject


class ShortFileError(DataError):
    """The data file holds fewer bytes or records than the label says."""


def file_size(obj: DataObject) -> int:
    try:
        return os.path.getsize(obj.file)
    except OSError as exc:
        raise DataError(f"data file cannot be read ({exc.strerror})", path=str(obj.file), obj=obj.name) from None


def check_extent(obj: DataObject, nbytes: int) -> None:
    """Raise if the file does not hold ``nbytes`` from the object's offset."""
    size = file_size(obj)
    if obj.offset < 0:
        raise DataError(f"negative offset {obj.offset}", path=str(obj.file), obj=obj.name)
    end = obj.offset + nbytes
    if end > size:
        raise ShortFileError(
            f"file is shorter than the label says: object needs bytes {obj.offset}..{end} "
            f"but the file has {size} bytes",
            path=str(obj.file),
            obj=obj.name,
        )


def read_uint8(obj: DataObject, nbytes: int) -> np.ndarray:
    """The object's ``nbytes`` bytes as a uint8 array (one read, no Python per-byte work)."""
    check_extent(obj, nbytes)
    if nbytes == 0:
        return np.zeros(0, dtype=np.uint8)
    return np.fromfile(obj.file, dtype=np.uint8, count=nbytes, offset=obj.offset)


def read_bytes(obj: DataObject, nbytes: int | None) -> bytes:
    """Raw bytes; ``None`` = up to the end of the file."""
    size = file_size(obj)
    if nbytes is None:
        nbytes = max(size - obj.offset, 0)
    check_extent(obj, nbytes)
    with open(obj.file, "rb") as fh:
        fh.seek(obj.offset)
        return fh.read(nbytes)


def column_names(obj: DataObject) -> list[str]:
    """Unique structured-array names for the fields, in label order.

    Label names are kept; a name that repeats (same field name in two groups) gets
    the enclosing group names prefixed, then a ``_<k>`` suffix if still ambiguous.
    """
    names: list[str] = []
    seen: dict[str, int] = {}
    counts: dict[str, int] = {}
    for f in obj.fields:
        counts[f.name] = counts.get(f.name, 0) + 1
    for f in obj.fields:
        name = f.name or "field"
        if counts.get(f.name, 0) > 1 and f.group_path:
            name = ".".join((*f.group_path, name))
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        seen[name] = seen.get(name, 1)
        names.append(name)
    return names
