"""Byte access shared by the readers: bounds-checked reads of one object's bytes.

Every short read becomes a `DataError` naming the file, the object and how many bytes
the label promised, so no reader ever returns a silently truncated array.
"""

from __future__ import annotations

import math
import os

import numpy as np

from pdsgen.errors import DataError
from pdsgen.model import DataObject, Field


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


def check_description(obj: DataObject) -> None:
    """Refuse descriptions no reader can turn into right numbers, before any byte is read:
    negative offsets, sizes, record counts or lengths; zero-length fields of fixed tables;
    scaling that is not a finite number. (Overlapping fields are the label readers' call:
    `field_overlap`.)"""
    from pdsgen.errors import LabelError

    def bad(message: str) -> LabelError:
        return LabelError(message, path=str(obj.file), obj=obj.name)

    for what, value in (("offset", obj.offset), ("records", obj.records), ("object length", obj.size),
                        ("record_length", obj.record_length)):
        if value is not None and value < 0:
            raise bad(f"{what} {value} is negative")
    for axis in obj.axes:
        if axis.elements < 0:
            raise bad(f"axis {axis.name!r} has {axis.elements} elements")
    for what, number in (("scaling_factor", obj.scaling_factor), ("value_offset", obj.value_offset)):
        if number is not None and not math.isfinite(number):
            raise bad(f"{what} {number} is not a finite number")
    fixed = obj.layout in ("fixed_character", "fixed_binary")
    for f in obj.fields:
        for what, number in (("scaling_factor", f.scaling_factor), ("value_offset", f.value_offset)):
            if number is not None and not math.isfinite(number):
                raise bad(f"field {f.name!r}: {what} {number} is not a finite number")
        if any(n < 0 for n in f.shape):
            raise bad(f"field {f.name!r}: negative repetitions {f.shape}")
        if fixed and f.length <= 0:
            raise bad(f"field {f.name!r}: field length {f.length} (a field of a fixed-width table needs "
                      "at least one byte)")
        if fixed and f.location < 0:
            raise bad(f"field {f.name!r}: starts before the record (location {f.location + 1})")


#: up to this many field elements a record's overlap is found without numpy (its ~30 calls on
#: arrays of a few elements cost more than the few comparisons)
_FEW_ELEMENTS = 256


#: most field elements of one record `field_overlap` checks (its arrays take 24 bytes each)
MAX_ELEMENTS = 1 << 24


def _overlap_words(later: Field, later_span: tuple[int, int], earlier: Field, earlier_span: tuple[int, int]) -> str:
    return (f"field {later.name!r} (bytes {later_span[0] + 1}..{later_span[1]}) overlaps field {earlier.name!r} "
            f"(bytes {earlier_span[0] + 1}..{earlier_span[1]})")


def _few_element_overlap(fields: list[Field]) -> str | None:
    """`field_overlap`'s vectorised pass, the same steps on a list: each element's span
    sorted by start then stop (stably), the first that starts before an earlier one ends,
    and the last earlier element reaching over its start."""
    spans: list[tuple[int, int, int]] = []
    for k, f in enumerate(fields):
        first = [f.location]
        for reps, stride in zip(f.shape, f.strides, strict=False):
            first = [x + r * stride for x in first for r in range(reps)]
        spans.extend((x, x + f.length, k) for x in first)
    spans.sort(key=lambda s: (s[0], s[1]))
    covered = None
    for i, (start, _stop, owner) in enumerate(spans):
        if covered is not None and start < covered:
            j = max(k for k in range(i) if spans[k][1] > start)
            return _overlap_words(fields[owner], spans[i][:2], fields[spans[j][2]], spans[j][:2])
        covered = spans[i][1] if covered is None else max(covered, spans[i][1])
    return None


def field_overlap(fields: list[Field]) -> str | None:
    """The first pair of fields of a fixed-width record that share bytes, said in words
    (``None`` when none do). Bit fields share their packed field's bytes by design and are
    left out. One vectorised pass over every field element's byte span."""
    fields = [f for f in fields if f.bits is None and "bit_range" not in f.extra]
    if len(fields) < 2:
        return None
    if not any(f.shape for f in fields):  # the usual flat record: a sort of a few spans
        spans = sorted((f.location, f.location + f.length, k) for k, f in enumerate(fields))
        reach, holder = spans[0][1], spans[0]
        for span in spans[1:]:
            if span[0] < reach:
                return _overlap_words(fields[span[2]], span[:2], fields[holder[2]], holder[:2])
            if span[1] > reach:
                reach, holder = span[1], span
        return None
    elements = sum(math.prod(f.shape) for f in fields)
    if elements <= _FEW_ELEMENTS:
        return _few_element_overlap(fields)
    if elements > MAX_ELEMENTS:  # a label's counts (ITEMS = 10**12), not a record: never allocated
        return (f"the fields hold {elements:,} elements in a record, more than pdsgen checks "
                f"({MAX_ELEMENTS:,}): the repetition counts are not believable")
    starts, lengths, owners = [], [], []
    for k, f in enumerate(fields):
        first = np.array([f.location], dtype=np.int64)
        for reps, stride in zip(f.shape, f.strides, strict=False):
            first = (first[:, None] + np.arange(reps, dtype=np.int64)[None, :] * stride).reshape(-1)
        starts.append(first)
        lengths.append(np.full(first.size, f.length, dtype=np.int64))
        owners.append(np.full(first.size, k, dtype=np.int64))
    start = np.concatenate(starts)
    stop = start + np.concatenate(lengths)
    owner = np.concatenate(owners)
    order = np.lexsort((stop, start))
    start, stop, owner = start[order], stop[order], owner[order]
    covered: np.ndarray = np.maximum.accumulate(stop)  # furthest byte covered by any earlier element
    clash = np.nonzero(start[1:] < covered[:-1])[0]
    if clash.size == 0:
        return None
    i = int(clash[0]) + 1
    later = fields[owner[i]]
    earlier_k = int(np.nonzero(stop[:i] > start[i])[0][-1])
    earlier = fields[owner[earlier_k]]
    return _overlap_words(later, (start[i], stop[i]), earlier, (start[earlier_k], stop[earlier_k]))
