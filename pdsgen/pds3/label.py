"""Read a PDS3 label from a file or text: find where it ends, decode, parse, report.

`load`/`loads` return pvl's own data model, equal (``==``) to ``pvl.load`` with its
default settings. The fast path (`pdsgen.pds3.lexer` + `pdsgen.pds3.parser`) handles
well-formed labels; anything it does not recognise is parsed by pvl itself (a debug
log line says so), and pvl's failures become `pdsgen.LabelError` with line and column.

Differences from ``pvl.load`` (only where pvl fails): bytes that are not UTF-8 are read
as Latin-1 instead of ending the text, and a label pasted from a web page (text before
``PDS_VERSION_ID``, no-break spaces) is repaired, with a warning.
"""

from __future__ import annotations

import codecs
import io
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from pvl.collections import PVLModule

from pdsgen.errors import LabelError
from pdsgen.pds3.lexer import DASH_CONTINUATION_RE, line_col, tokenize
from pdsgen.pds3.parser import Fallback, parse_tokens

log = logging.getLogger(__name__)

#: An END statement at the start of a line (the end of an attached label).
_END_TEXT_RE = re.compile(r"(?im)^[ \t\xa0]*END(?![A-Za-z0-9_])")
_END_BYTES_RE = re.compile(rb"(?im)^(?:[ \t]|\xc2\xa0|\xa0)*END(?![A-Za-z0-9_])")
_START_RE = re.compile(r"(?m)^[ \t\xa0]*(?:PDS_VERSION_ID|ODL_VERSION_ID)[ \t\xa0]*=")
_MAX_CANDIDATES = 8
_MAX_LABEL_BYTES = 16 * 2**20


def _latin1_fallback(exc: UnicodeDecodeError):
    # Latin-1 maps every byte, so a stray degree sign or accented letter in a label
    # written in an 8-bit code page is kept instead of truncating the label (pvl stops
    # reading at the first byte that is not UTF-8).
    return exc.object[exc.start : exc.end].decode("latin-1"), exc.end


codecs.register_error("pdsgen-latin1", _latin1_fallback)


@dataclass
class LabelText:
    """The label's text and where its END line ends in the file (bytes), for attached
    data and documents."""

    text: str
    end_byte: int | None  # byte offset after the END line's line end (None: no END)
    repaired: bool = False


def decode_label_bytes(data: bytes) -> str:
    return data.decode("utf-8", errors="pdsgen-latin1")


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


def load(path_or_file, *, strict: bool = False) -> PVLModule:
    """Parse the PDS3 label in a file (path, or binary/text file object)."""
    if isinstance(path_or_file, (str, os.PathLike)):
        return read_label(Path(path_or_file), strict=strict)[0]
    name = getattr(path_or_file, "name", None)
    data = path_or_file.read()
    if isinstance(data, str):
        return _parse_text(data, strict=strict, path=name)[0]
    return _parse_bytes(data, strict=strict, path=name)[0]


def read_label(path: Path, *, strict: bool = False) -> tuple[PVLModule, LabelText]:
    """Label and where it ends (for attached data and documents)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(_MAX_LABEL_BYTES)
    except OSError as exc:
        raise LabelError(f"cannot read label: {exc.strerror or exc}", path=str(path)) from None
    return _parse_bytes(data, strict=strict, path=str(path))


def _parse_bytes(data: bytes, *, strict: bool, path: str | None) -> tuple[PVLModule, LabelText]:
    # Decode only up to the last candidate END line, so attached binary data is not
    # decoded (an END inside a quoted text or comment is skipped by _label_end).
    cands = []
    for m in _END_BYTES_RE.finditer(data):
        cands.append(m.end())
        if len(cands) >= _MAX_CANDIDATES:
            break
    limit = _end_of_line(data, cands[-1]) if cands else len(data)
    text = decode_label_bytes(data[:limit])
    module, end_char, repaired = _parse_text(text, strict=strict, path=path)
    end_byte = None
    if end_char is not None:
        k = sum(1 for _ in _END_TEXT_RE.finditer(text, 0, end_char))
        if 0 < k <= len(cands):
            end_byte = _end_of_line(data, cands[k - 1])
    return module, LabelText(text, end_byte, repaired)


def _label_end(text: str) -> tuple[int | None, list[str] | None]:
    """Char index after the END that ends the label, and the label's tokens."""
    first = None
    for n, m in enumerate(_END_TEXT_RE.finditer(text)):
        if n >= _MAX_CANDIDATES:
            break
        if first is None:
            first = m.end()
        tokens = tokenize(DASH_CONTINUATION_RE.sub("", text[: m.end()]))
        if tokens and tokens[-1].casefold() == "end":
            return m.end(), tokens
    return first, None


def _parse_text(text: str, *, strict: bool, path: str | None) -> tuple[PVLModule, int | None, bool]:
    """Fast path, then pvl; then the web-page repair. Returns (module, end char, repaired)."""
    end, tokens = _label_end(text)
    try:
        return _parse_one(text[:end] if end else text, tokens, strict=strict, path=path), end, False
    except LabelError as first:
        m = _START_RE.search(text)
        if m is None:
            raise
        repaired = text[m.start() :].replace("\xa0", " ")
        if repaired == text:
            raise
        end2, tokens2 = _label_end(repaired)
        try:
            module = _parse_one(repaired[:end2] if end2 else repaired, tokens2, strict=strict, path=path)
        except LabelError:
            raise first from None
        log.warning(
            "%s: label repaired before parsing (text before PDS_VERSION_ID or no-break spaces)",
            path or "<label>",
        )
        return module, (end2 + m.start() if end2 is not None else None), True


def _parse_one(text: str, tokens: list[str] | None, *, strict: bool, path: str | None) -> PVLModule:
    if tokens is None:
        tokens = tokenize(DASH_CONTINUATION_RE.sub("", text))
    reason = "a character or comment form the fast tokenizer leaves to pvl"
    if tokens is not None:
        try:
            return parse_tokens(tokens)
        except Fallback as exc:
            reason = exc.reason
    log.debug("%s: fast PDS3 parser fell back to pvl (%s)", path or "<label>", reason)
    return _pvl_parse(text, strict=strict, path=path)


def _pvl_parse(text: str, *, strict: bool, path: str | None) -> PVLModule:
    import pvl
    from pvl.exceptions import LexerError, ParseError, QuantityError

    try:
        module = pvl.loads(text)
    except LexerError as exc:
        line, col = _original_line_col(text, exc.pos)
        msg = str(exc.msg).split(": line ")[0]
        raise LabelError(_one_line(msg), path=path, line=line, column=col) from None
    except (ParseError, QuantityError, ValueError, TypeError, IndexError) as exc:
        raise LabelError(_one_line(f"cannot parse label: {exc}"), path=path) from None
    if strict and module.errors:
        line = module.errors[0]
        col = _equals_column(text, line)
        raise LabelError("parameter has no value", path=path, line=line, column=col)
    return module


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
