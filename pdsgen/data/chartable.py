"""Fixed-width character tables read in cache-sized blocks of records (the fast path).

Why: the whole-table reader (`pdsgen.data.fixed`) makes a full ``(records,
record_length)`` matrix and then walks it once per field, once per CR LF check and
once per string edge test; each walk is a strided pass over the whole file in memory
(measured: ~8 ms per pass for 85 MB). Here the file is read block by block into one
reused buffer (~2 MB, stays in cache), every check and every field of a block is done
while the block is in cache, and values go straight into the preallocated structured
result: one pass over the file, no record matrix, no per-column temporaries.

Only the common case is handled: every field a scalar (no group repetitions), each
either a string (``ASCII_*`` without decoder) or a number arrow parses (``text_dtype``
float64/int64). Anything else — a block arrow cannot parse, a record without its
delimiter, a short file — returns ``None`` and the caller runs the whole-table reader,
which decides and reports errors with exact record numbers. Values are therefore
identical to the whole-table reader's.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import numpy as np

from pdsgen.data import arrowtext, types
from pdsgen.data.io import check_extent
from pdsgen.model import DataObject, Field

#: Bytes of records decoded per block (measured: 0.7–2.8 MB blocks equally fast).
BLOCK_BYTES = 2 << 20
#: Tables at least this big decode their blocks in threads (arrow and numpy release the
#: GIL; each thread reads its own blocks with ``pread``), at most MAX_THREADS, on machines
#: with PARALLEL_CPUS cores or more: on the busy 2-core development machine two threads
#: gave no speed-up (no idle core to run on), only hand-over cost.
PARALLEL_BYTES = 16 << 20
PARALLEL_CPUS = 4
MAX_THREADS = 4


def _kind(f: Field) -> str | None:
    """``"str"``, ``"float64"``/``"int64"`` (arrow-parsed) or None (not handled here)."""
    if f.bits is not None or f.shape or f.length <= 0 or not types.is_character(f.data_type):
        return None
    ctype = types.character_type(f.data_type)
    if ctype.decoder is None:
        return "str" if f.data_type.startswith("ASCII_") else None
    if ctype.text_dtype in ("float64", "int64"):
        return ctype.text_dtype
    return None


def _delimiter(obj: DataObject) -> bytes:
    delimiter = str(obj.details.get("record_delimiter") or "carriage-return line-feed").lower()
    return b"\r\n" if "carriage" in delimiter else b"\n"


def read_blocks(obj: DataObject, names: list[str]) -> np.ndarray | None:
    """The table as `pdsgen.data.fixed.read_fixed` returns it, or None to fall back."""
    n, record_length = obj.records, obj.record_length
    if not n or not record_length or record_length <= 0:
        return None
    kinds = [_kind(f) for f in obj.fields]
    if any(k is None for k in kinds):
        return None
    ending = _delimiter(obj)
    if record_length < len(ending):
        return None
    try:
        check_extent(obj, n * record_length)
    except Exception:  # noqa: BLE001 - the whole-table reader raises the precise error
        return None

    dtype = np.dtype([(name, f"S{f.length}" if k == "str" else k)
                      for name, f, k in zip(names, obj.fields, kinds, strict=True)])
    out = np.empty(n, dtype=dtype)
    masks: dict[str, np.ndarray] = {}
    strip = {name: [False, False] for name in names}  # [left, right]
    block = max(1, BLOCK_BYTES // record_length)
    starts = range(0, n, block)
    local = threading.local()
    columns = list(zip(names, obj.fields, kinds, strict=True))

    def run(start: int, fd: int) -> bool:
        m = min(block, n - start)
        nbytes = m * record_length
        buffer = getattr(local, "buffer", None)
        if buffer is None:
            buffer = local.buffer = np.empty(min(block, n) * record_length, dtype=np.uint8)
        assert isinstance(buffer, np.ndarray)
        # pread: no shared file position, so blocks can be read by several threads.
        if _read_at(fd, buffer.data[:nbytes], obj.offset + start * record_length) != nbytes:
            return False
        return _decode_block(buffer, m, record_length, ending, columns, out[start:start + m], start, n, masks,
                             strip)

    try:
        fd = os.open(obj.file, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except OSError:
        return None  # the whole-table reader reports it
    try:
        workers = threads(n * record_length)
        if workers > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=workers) as pool:
                ok = all(pool.map(lambda start: run(start, fd), starts))
        else:
            ok = all(run(start, fd) for start in starts)
    finally:
        os.close(fd)
    if not ok:
        return None
    out = _trimmed(out, {k: v[0] for k, v in strip.items()}, {k: v[1] for k, v in strip.items()})
    if not masks:
        return out
    mask: np.ndarray[Any, Any] = np.zeros(n, dtype=np.ma.make_mask_descr(out.dtype))
    for name, m in masks.items():
        mask[name] = m
    return np.ma.MaskedArray(out, mask=mask)


_SEEK = threading.Lock()


def _read_at(fd: int, view: memoryview, offset: int) -> int:
    """Read ``len(view)`` bytes at ``offset`` into ``view``; bytes read."""
    if hasattr(os, "preadv"):  # POSIX: no shared file position, safe from several threads
        return os.preadv(fd, [view], offset)
    with _SEEK:  # Windows: seek and read as one step
        os.lseek(fd, offset, os.SEEK_SET)
        data = os.read(fd, len(view))
    view[: len(data)] = data
    return len(data)


def threads(nbytes: int) -> int:
    """Worker threads for a table of ``nbytes`` (1 below PARALLEL_BYTES or PARALLEL_CPUS)."""
    cpus = os.cpu_count() or 1
    if nbytes < PARALLEL_BYTES or cpus < PARALLEL_CPUS:
        return 1
    return min(MAX_THREADS, cpus)


def _decode_block(buffer: np.ndarray, m: int, record_length: int, ending: bytes, columns: list[Any],
                  rows: np.ndarray, start: int, n: int, masks: dict[str, np.ndarray],
                  strip: dict[str, list[bool]]) -> bool:
    """Check and decode the ``m`` records in ``buffer`` into ``rows``; False: give up."""
    if not _delimited(buffer, m, record_length, ending):
        return False
    for name, f, kind in columns:
        if kind == "str":
            rows[name] = np.ndarray((m,), f"S{f.length}", buffer=buffer, offset=f.location,
                                    strides=(record_length,))
            # Edge bytes <= 32 (blank, tab, CR, LF, NUL): trimming needed (decided exactly later).
            flags = strip[name]
            if not flags[0]:
                flags[0] = bool((_edge(buffer, m, record_length, f.location) <= 32).any())
            if not flags[1]:
                flags[1] = bool((_edge(buffer, m, record_length, f.location + f.length - 1) <= 32).any())
            continue
        result = arrowtext.parse_block(buffer, m, record_length, f.location, f.length, kind)
        if result is None:
            return False
        rows[name] = result[0]
        if result[1] is not None:
            if name not in masks:
                masks.setdefault(name, np.zeros(n, dtype=bool))
            masks[name][start:start + m] = result[1]
    return True


def _edge(buffer: np.ndarray, m: int, record_length: int, location: int) -> np.ndarray:
    """Byte ``location`` of every record in the block (a strided view)."""
    return np.ndarray((m,), np.uint8, buffer=buffer, offset=location, strides=(record_length,))


def _delimited(buffer: np.ndarray, m: int, record_length: int, ending: bytes) -> bool:
    """Every record of the block ends with ``ending`` (one comparison per record)."""
    if len(ending) == 2:
        last = np.ndarray((m,), "<u2", buffer=buffer, offset=record_length - 2, strides=(record_length,))
        return bool((last == int.from_bytes(ending, "little")).all())
    return bool((_edge(buffer, m, record_length, record_length - 1) == ending[0]).all())


def _trimmed(out: np.ndarray, left: dict[str, bool], right: dict[str, bool]) -> np.ndarray:
    """String columns with surrounding blanks removed, as the whole-table reader does
    (`pdsgen.data.ascii.trim_text`: ``rstrip``/``lstrip`` only where an edge is blank)."""
    names = out.dtype.names or ()
    columns = {}
    for name in names:
        if not (left[name] or right[name]):
            continue
        values = out[name]
        if right[name]:
            values = np.char.rstrip(values)
        if left[name]:
            values = np.char.lstrip(values)
        columns[name] = values
    if not columns:
        return out
    if all(values.dtype == out.dtype[name] for name, values in columns.items()):
        for name, values in columns.items():
            out[name] = values
        return out
    # A narrower string type than the field: a new record type (as the whole-table reader gives).
    dtype = np.dtype([(name, columns[name].dtype if name in columns else out.dtype[name])
                      for name in names])
    result = np.empty(len(out), dtype=dtype)
    for name in names:
        result[name] = columns.get(name, out[name])
    return result
