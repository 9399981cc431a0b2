"""PDS3 pointers: which file an object is in and at which byte, and ^STRUCTURE includes.

Pointer forms (PDS3 Standards Reference ch. 14):

* ``^X = 12`` / ``^X = 600 <BYTES>``: record 12 / byte 600 (1-based) of the label's own file;
* ``^X = "F.DAT"``: file F.DAT from its start;
* ``^X = ("F.DAT", 12)`` / ``("F.DAT", 600 <BYTES>)``: record / byte in F.DAT.

File names are matched case-insensitively (labels say ``F.DAT``, disks hold
``f.dat``), relative to the label's folder; format files (``^STRUCTURE``) also in a
``LABEL`` folder up the tree, as the PDS3 volume layout puts them.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pvl.collections import Quantity

from pdsgen.errors import LabelError
from pdsgen.untrusted import (
    PDS3_MAX_DEPTH,
    ReferenceEscapeError,
    confine,
    inside,
    is_plain_name,
    not_a_file,
)


@dataclass(frozen=True)
class Location:
    """Where an object's bytes start: file, and either a record or a byte (both 1-based)."""

    file: Path | None  # None: the label's own file
    file_name: str | None
    record: int | None = None
    byte: int | None = None


def parse_pointer(value: Any, *, label: Path, name: str) -> Location:
    """Decode a pointer value (as pvl gives it) into a `Location`."""
    file_name = None
    where = value
    if isinstance(value, str):
        file_name, where = value, None
    elif isinstance(value, list):
        if not value:
            raise LabelError(f"pointer ^{name} is empty", path=str(label))
        if isinstance(value[0], str):
            file_name = value[0]
            where = value[1] if len(value) > 1 else None
        else:
            where = value[0]
    record = byte = None
    if isinstance(where, Quantity):
        unit = str(where.units).strip().upper()
        if unit not in ("BYTES", "BYTE"):
            raise LabelError(f"pointer ^{name} has unit <{where.units}> (only <BYTES> is defined)", path=str(label))
        byte = _positive(where.value, label, name)
    elif where is not None:
        record = _positive(where, label, name)
    path = resolve_file(label, file_name, name) if file_name is not None else None
    return Location(path, file_name, record, byte)


def _positive(value: Any, label: Path, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise LabelError(f"pointer ^{name} offset {value!r} is not a positive integer", path=str(label))
    return value


@lru_cache(maxsize=256)
def _listing(folder: str) -> dict[str, str]:
    try:
        return {entry.lower(): entry for entry in os.listdir(folder)}
    except OSError:
        return {}


def find_case_insensitive(folder: Path, relative: str) -> Path | None:
    """``folder/relative`` matching each path part case-insensitively (None if absent)."""
    current = folder
    for part in Path(relative.replace("\\", "/")).parts:
        if part in (".", ""):
            continue
        if part == "..":
            current = current.parent
            continue
        exact = current / part
        if exact.exists():
            current = exact
            continue
        found = _listing(str(current)).get(part.lower())
        if found is None:
            return None
        current = current / found
    return current


def resolve_file(label: Path, file_name: str, name: str) -> Path:
    """The data file a pointer names, next to the label (case-insensitively); a name leading
    outside the label's folder → `ReferenceEscapeError` (`pdsgen.untrusted.confine`)."""
    if is_plain_name(file_name):  # the usual case: a regular file of that exact name beside the label
        exact = label.parent / file_name
        try:
            if stat.S_ISREG(os.lstat(exact).st_mode):
                return exact
        except OSError:
            pass
    confine(label.parent, file_name, label=label, what=f"^{name}")
    found = find_case_insensitive(label.parent, file_name)
    if found is not None and not inside(found, label.parent):  # a case variant that is a symbolic link
        raise ReferenceEscapeError(f"^{name} {file_name!r} leads outside the label's folder; not read",
                                   path=str(label), reference=file_name)
    if found is None:
        raise LabelError(f"^{name} names {file_name!r}, which is not next to the label", path=str(label))
    kind = not_a_file(found)
    if kind is not None:
        raise LabelError(f"^{name} names {file_name!r}, which is {kind}, not a regular file; not read",
                         path=str(label))
    return found


def find_format_file(label: Path, file_name: str) -> Path | None:
    """A ^STRUCTURE file: next to the label, else in a LABEL folder up the tree — and inside
    that folder: an absolute name, or one leading out of the folder it is found in (``..``,
    a symbolic link), → `ReferenceEscapeError`."""
    confine(label.parent, file_name, label=label, what="^STRUCTURE")
    found = find_case_insensitive(label.parent, file_name)
    kind = not_a_file(found) if found is not None else None
    if kind is not None and kind != "a folder":
        raise LabelError(f"^STRUCTURE names {file_name!r}, which is {kind}, not a regular file; not read",
                         path=str(label))
    if found is not None and found.is_file():
        return _kept_inside(found, label.parent, label, file_name)
    # (up to the volume's root — the folder holding VOLDESC.CAT — and at most as many
    # levels as a PDS3 volume has folders: never the whole file system above a delivery)
    for folder in (label.parent, *label.parent.parents)[:PDS3_MAX_DEPTH + 1]:
        listing = _listing(str(folder))
        label_dir = listing.get("label")
        if label_dir is not None:
            found = find_case_insensitive(folder / label_dir, file_name)
            if found is not None and found.is_file():
                return _kept_inside(found, folder / label_dir, label, file_name)
        if "voldesc.cat" in listing:
            break
    return None


def _kept_inside(found: Path, folder: Path, label: Path, file_name: str) -> Path:
    if not inside(found, folder):
        raise ReferenceEscapeError(f"^STRUCTURE {file_name!r} leads outside {folder}; not read",
                                   path=str(label), reference=file_name)
    return found


def line_offset(path: Path, record: int) -> int:
    """Byte offset of line ``record`` (1-based) of a stream file (records are lines)."""
    if record <= 1:
        return 0
    import numpy as np

    data = np.fromfile(path, dtype=np.uint8)
    ends = np.flatnonzero(data == 10)
    if len(ends) < record - 1:
        raise LabelError(f"stream file has {len(ends)} lines, the pointer names line {record}", path=str(path))
    return int(ends[record - 2]) + 1
