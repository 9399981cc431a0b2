"""Read a PDS3 label from a file or text: find where it ends, decode, parse, report.

`load`/`loads` return pvl's own data model, equal (``==``) to ``pvl.load`` with its
default settings. The fast path (`pdsgen.pds3.lexer` + `pdsgen.pds3.parser`) handles
well-formed labels; anything it does not recognise is parsed by pvl itself (a debug
log line says so), and pvl's failures become `pdsgen.LabelError` with line and column.

Differences from ``pvl.load`` (only where pvl fails): bytes that are not UTF-8 are read
as Latin-1 instead of ending the text, and a label pasted from a web page (text before
``PDS_VERSION_ID``, no-break spaces) is repaired (logged; ``Product.extra['label_repaired']``).
"""

from __future__ import annotations

import io
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pvl.collections import PVLModule

from pdsgen.errors import LabelError
from pdsgen.pds3.lexer import DASH_CONTINUATION_RE, WORD_CHAR, line_col, tokenize
from pdsgen.pds3.parser import Fallback, is_block, parse_tokens

log = logging.getLogger(__name__)

#: An END statement at the start of a line (the end of an attached label).
#: (END followed by anything pvl would lex as part of a word, e.g. "END-X", is not END.)
_END_TEXT_RE = re.compile(r"(?im)^[ \t\xa0]*END(?!" + WORD_CHAR + ")")
_END_BYTES_RE = re.compile(rb"(?im)^(?:[ \t]|\xc2\xa0|\xa0)*END(?!" + WORD_CHAR.encode() + rb")")
_START_RE = re.compile(r"(?m)^[ \t\xa0]*(?:PDS_VERSION_ID|ODL_VERSION_ID)[ \t\xa0]*=")
_MAX_CANDIDATES = 8
_HEAD_SIZES = (1 << 16, 1 << 20, 1 << 24)  # bytes read to find END (64 KB, 1 MB, 16 MB)


@dataclass
class LabelText:
    """The label's text and where its END line ends in the file (bytes), for attached
    data and documents."""

    text: str
    end_byte: int | None  # byte offset after the END line's line end (None: no END)
    repaired: bool = False


# Bytes that are not UTF-8 are read as Latin-1 (a stray degree sign in an 8-bit code
# page is kept instead of truncating the label, which is what pvl does). Decoding with
# surrogateescape first keeps one character per undecodable byte, so character
# positions map back to byte offsets exactly (for attached data after END).
_SURROGATE_TO_LATIN1 = {0xDC00 + b: b for b in range(0x80, 0x100)}
_HAS_SURROGATE = re.compile("[\udc80-\udcff]")


def _end_of_line(data: bytes, pos: int) -> int:
    """Byte offset after the line end that follows *pos* (CR, LF or CRLF)."""
    nl = data.find(b"\n", pos, pos + 65536)
    if nl == -1:
        cr = data.find(b"\r", pos, pos + 65536)
        return min(len(data), pos + 65536) if cr == -1 else cr + 1
    return nl + 1


def loads(text: str | bytes, *, strict: bool = False, path: str | None = None) -> PVLModule:
    """Parse PDS3 label text (str or bytes) into pvl's model.

    ``strict=True`` makes parameters without a value (which pvl accepts, as
    ``EmptyValueAtLine``) a `LabelError`.
    """
    if isinstance(text, (bytes, bytearray)):
        return _parse_bytes(bytes(text), strict=strict, path=path)[0]
    return _parse_text(text, strict=strict, path=path)[0]


def load(path_or_file: str | os.PathLike[str] | IO[bytes] | IO[str], *, strict: bool = False) -> PVLModule:
    """Parse the PDS3 label in a file (path, or binary/text file object)."""
    if isinstance(path_or_file, (str, os.PathLike)):
        return read_label(Path(path_or_file), strict=strict)[0]
    name = getattr(path_or_file, "name", None)
    data = path_or_file.read()
    if isinstance(data, str):
        return _parse_text(data, strict=strict, path=name)[0]
    return _parse_bytes(data, strict=strict, path=name)[0]


def read_label(path: Path, *, strict: bool = False, lenient_ends: bool = False) -> tuple[PVLModule, LabelText]:
    """Label and where it ends (for attached data and documents). ``lenient_ends``: an
    END_OBJECT/END_GROUP naming another block is read as `parser.parse_tokens` reads it
    (kept in the module's ``end_name_mismatches``) instead of being a `LabelError`."""
    # Attached labels sit in front of large data: read a growing head of the file until
    # it holds the END line, instead of the whole file.
    try:
        with open(path, "rb") as fh:
            data = b""
            for size in _HEAD_SIZES:
                data += fh.read(size - len(data))
                complete = len(data) < size
                if not complete and size == _HEAD_SIZES[-1] and _END_BYTES_RE.search(data) is None:
                    raise LabelError(f"no END statement in the first {size >> 20} MB: not a PDS3 label pdsgen "
                                     "reads (labels are far smaller; an attached label's END comes before "
                                     "its data)", path=str(path))
                if not complete and size != _HEAD_SIZES[-1] and _END_BYTES_RE.search(data) is None:
                    continue  # the label goes on beyond this head
                try:
                    result = _parse_bytes(data, strict=strict, path=str(path), lenient_ends=lenient_ends)
                except LabelError:
                    if complete or size == _HEAD_SIZES[-1]:
                        raise
                    continue
                if complete or result[1].end_byte is not None:
                    return result
            return result
    except OSError as exc:
        raise LabelError(f"cannot read label: {exc.strerror or exc}", path=str(path)) from None


def _parse_bytes(data: bytes, *, strict: bool, path: str | None, lenient_ends: bool = False
                 ) -> tuple[PVLModule, LabelText]:
    # Decode only up to the last candidate END line, so attached binary data is not
    # decoded (an END inside a quoted text or comment is skipped by _label_end).
    cands = []
    for m in _END_BYTES_RE.finditer(data):
        cands.append(m.end())
        if len(cands) >= _MAX_CANDIDATES:
            break
    limit = _end_of_line(data, cands[-1]) if cands else len(data)
    raw = data[:limit].decode("utf-8", errors="surrogateescape")
    text = raw.translate(_SURROGATE_TO_LATIN1) if _HAS_SURROGATE.search(raw) else raw
    module, end_char, repaired = _parse_text(text, strict=strict, path=path, lenient_ends=lenient_ends)
    end_byte = None
    if end_char is not None:
        end_byte = _end_of_line(data, len(raw[:end_char].encode("utf-8", errors="surrogateescape")))
    return module, LabelText(text, end_byte, repaired)


def _label_end(text: str) -> tuple[int | None, list[str] | None]:
    """Char index after the END that ends the label, and the label's tokens.

    (None, None) when no END line closes a text the fast tokenizer accepts: then the
    whole text is parsed and the parser (or pvl) stops at END by itself.
    """
    for n, m in enumerate(_END_TEXT_RE.finditer(text)):
        if n >= _MAX_CANDIDATES:
            break
        tokens = tokenize(DASH_CONTINUATION_RE.sub("", text[: m.end()]))
        if tokens and tokens[-1].casefold() == "end":
            return m.end(), tokens
    return None, None


def _parse_text(text: str, *, strict: bool, path: str | None, lenient_ends: bool = False
                ) -> tuple[PVLModule, int | None, bool]:
    """Fast path, then pvl; then the web-page repair. Returns (module, end char, repaired)."""
    end, tokens = _label_end(text)
    try:
        return _parse_one(text[:end] if end else text, tokens, strict=strict, path=path,
                          lenient_ends=lenient_ends), end, False
    except LabelError as first:
        m = _START_RE.search(text)
        if m is None:
            raise
        repaired = text[m.start() :].replace("\xa0", " ")
        if repaired == text:
            raise
        end2, tokens2 = _label_end(repaired)
        try:
            module = _parse_one(repaired[:end2] if end2 else repaired, tokens2, strict=strict, path=path,
                                lenient_ends=lenient_ends)
        except LabelError:
            raise first from None
        log.info(
            "%s: label repaired before parsing (text before PDS_VERSION_ID or no-break spaces)",
            path or "<label>",
        )
        return module, (end2 + m.start() if end2 is not None else None), True


#: deepest OBJECT/GROUP nesting read (real labels nest a handful of levels; thousands would
#: exhaust Python's stack in any recursive reader, pvl's included)
MAX_DEPTH = 100
_BLOCK_RE = re.compile(r"^[ \t]*(?:(?:BEGIN_)?(?:OBJECT|GROUP)[ \t]*=|(END_(?:OBJECT|GROUP))\b)", re.I | re.M)


def _check_depth(text: str, path: str | None) -> None:
    """Refuse a label whose blocks nest deeper than `MAX_DEPTH`, before any recursive parse."""
    depth = deepest = 0
    for m in _BLOCK_RE.finditer(text):
        depth += -1 if m.group(1) else 1
        if depth > deepest:
            deepest = depth
            if deepest > MAX_DEPTH:
                line, col = line_col(text, m.start())
                raise LabelError(f"OBJECT/GROUP blocks nest deeper than {MAX_DEPTH} levels", path=path,
                                 line=line, column=col)


def _parse_one(text: str, tokens: list[str] | None, *, strict: bool, path: str | None,
               lenient_ends: bool = False) -> PVLModule:
    _check_depth(text, path)
    if tokens is None:
        tokens = tokenize(DASH_CONTINUATION_RE.sub("", text))
    reason = "a character or comment form the fast tokenizer leaves to pvl"
    if tokens is not None:
        try:
            module = parse_tokens(tokens)
            if module.end_name_mismatches and not lenient_ends:
                opened, written = module.end_name_mismatches[0]
                found = re.search(r"(?im)^[ \t]*END_(?:OBJECT|GROUP)[ \t]*=[ \t]*(" + re.escape(written.split()[0]) + r")\b",
                                  text)
                line, col = line_col(text, found.start(1)) if found else (None, None)
                raise LabelError(f"END_OBJECT/END_GROUP = {written.split()[0]} does not close the open block "
                                 f"{opened!r}", path=path, line=line, column=col)
            return module
        except Fallback as exc:
            reason = exc.reason
            if strict and exc.block is not None:
                # pvl silently drops an unclosed block's content (or returns None for an
                # unclosed sequence); a strict reading says so.
                if exc.block.startswith("a value"):
                    line, col = line_col(text, len(text.rstrip()))
                    raise LabelError(f"label ends inside {exc.block}", path=path, line=line, column=col) from None
                bline, bcol = _block_line_col(text, exc.block)
                raise LabelError(f"block {exc.block!r} is not closed before END", path=path,
                                 line=bline, column=bcol) from None
    log.debug("%s: fast PDS3 parser fell back to pvl (%s)", path or "<label>", reason)
    return _pvl_parse(text, strict=strict, path=path)


#: largest label text handed to pvl when the fast parser cannot take it: pvl's lexer reads
#: ~30-50 KB of label a second, so a bigger text would hold a run for minutes
PVL_MAX_CHARS = 1 << 19


def _pvl_parse(text: str, *, strict: bool, path: str | None) -> PVLModule:
    from pvl.exceptions import LexerError, ParseError, QuantityError

    if len(text) > PVL_MAX_CHARS:
        raise LabelError(f"label of {len(text):,} characters uses a form only the general ODL parser (pvl) "
                         f"takes, which is not run on labels over {PVL_MAX_CHARS >> 10} KB (it would take "
                         "minutes)", path=path)
    try:
        module = _guarded_parser().parse(text)
    except LexerError as exc:
        line, col = _original_line_col(text, exc.pos)
        msg = str(exc.msg).split(": line ")[0]
        raise LabelError(_one_line(msg), path=path, line=line, column=col) from None
    except (ParseError, QuantityError, ValueError, TypeError, IndexError) as exc:
        raise LabelError(_one_line(f"cannot parse label: {exc}"), path=path) from None
    except (StopIteration, RuntimeError) as exc:  # pvl runs out of tokens mid-statement
        raise LabelError(_one_line(f"label ends in the middle of a statement ({type(exc).__name__})"),
                         path=path) from None
    if strict and module.errors:
        first = module.errors[0]
        raise LabelError("parameter has no value", path=path, line=first,
                         column=_equals_column(text, first))
    return module


def _guarded_parser() -> Any:
    """pvl's default parser (`pvl.loads`'s, so the same model), except that its permissive
    recovery step (``parse_module_post_hook``: a ``=`` read as a forgotten value) may not
    loop without reading anything: pvl 1.3 loops for ever on ``A = 1`` followed by
    ``= 2`` or by ``<x> = 1``; here that is the parse error it reports for other stray
    tokens."""
    from pvl.parser import OmniParser

    class GuardedParser(OmniParser):  # type: ignore[misc]
        def parse_module_post_hook(self, module: Any, tokens: Any) -> tuple[Any, bool]:
            try:
                first = next(tokens)
            except StopIteration:
                return module, False
            tokens.send(first)
            size = len(module)
            module, keep = super().parse_module_post_hook(module, tokens)
            if keep:
                following = next(tokens)
                tokens.send(following)
                if following.pos == first.pos and len(module) == size:  # nothing read: pvl would loop
                    raise ValueError(f"stray {str(first)!r}")
            return module, keep

    return GuardedParser()


def _block_line_col(text: str, name: str) -> tuple[int | None, int | None]:
    """Where ``OBJECT = name`` (or GROUP/BEGIN_*) opens, last occurrence."""
    pattern = re.compile(r"(?im)^[ \t]*(?:BEGIN_)?(?:OBJECT|GROUP)[ \t]*=[ \t]*" + re.escape(name) + r"\b")
    matches = list(pattern.finditer(text))
    if not matches:
        return None, None
    found = matches[-1]
    start = found.start() + len(found.group()) - len(found.group().lstrip())
    return line_col(text, start)


def _one_line(msg: str) -> str:
    msg = " ".join(str(msg).split())
    return msg if len(msg) <= 200 else msg[:197] + "..."


def _original_line_col(text: str, pos_in_nodash: int) -> tuple[int, int]:
    """pvl reports positions in its dash-joined text; map back to the file's lines."""
    shift = 0
    for m in DASH_CONTINUATION_RE.finditer(text):
        start_in_nodash = m.start() - shift
        if start_in_nodash > pos_in_nodash:
            break
        shift += m.end() - m.start()
    return line_col(text, max(0, pos_in_nodash + shift))


def _equals_column(text: str, line: int) -> int | None:
    lines = io.StringIO(text).readlines()
    if 0 < line <= len(lines):
        col = lines[line - 1].find("=")
        return col + 1 if col >= 0 else None
    return None


def upper_keywords(module: PVLModule) -> PVLModule:
    """``module`` with every keyword and object/group name in upper case (ODL keywords are
    case-insensitive; hand-written labels use ``object = table``, ``^table``); the module
    itself when it has none in lower case. Values are left as written."""
    from pvl.collections import PVLGroup, PVLObject

    blocks = (PVLModule, PVLObject, PVLGroup)

    def lower(m: PVLModule) -> bool:
        # (a walk over the blocks, without a call a keyword; iterating a pvl block gives its
        # (key, value) pairs, much faster than .items())
        todo: list[Any] = [m]
        while todo:
            for k, v in todo.pop():
                if isinstance(k, str) and k != k.upper():
                    return True
                if is_block(v, blocks):
                    todo.append(v)
        return False

    def up(m: object) -> object:
        if isinstance(m, (PVLModule, PVLObject, PVLGroup)):
            return type(m)([(k.upper() if isinstance(k, str) else k, up(v)) for k, v in m.items()])
        return m

    return up(module) if lower(module) else module
