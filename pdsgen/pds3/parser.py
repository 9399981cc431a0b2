"""Tokens → pvl's data model (`PVLModule`/`PVLObject`/`PVLGroup`, `Quantity`).

The fast path is a small recursive-descent parser over the token list from
`pdsgen.pds3.lexer`. It accepts well-formed ODL (assignments, OBJECT/GROUP blocks,
sequences, sets, units, optional ``;``) and gives what ``pvl.load`` gives. Anything
else (empty values, unbalanced blocks, reserved characters) raises `Fallback`, and
the caller hands the whole text to pvl itself, which either repairs it the way pvl
does or fails with a line and column.
"""

from __future__ import annotations

from typing import Any

from pvl.collections import PVLGroup, PVLModule, PVLObject, Quantity

from pdsgen.pds3.decoder import KEYWORDS, NotAValue, decode_quoted, decode_word, is_parameter_name

_BEGIN = {"object": ("end_object", PVLObject), "begin_object": ("end_object", PVLObject),
          "group": ("end_group", PVLGroup), "begin_group": ("end_group", PVLGroup)}
_WS = " \t\n\r\v\f"


def is_block(value: object, kind: type | tuple[type, ...]) -> bool:
    """``isinstance(value, kind)`` for pvl's block types (`PVLModule`, `PVLObject`,
    `PVLGroup`), a plain ``dict`` check first: pvl's blocks are abstract-base-class
    mappings, whose own check costs a Python call for every value tested."""
    return isinstance(value, dict) and isinstance(value, kind)


class Fallback(Exception):
    """The fast path met something it leaves to pvl; ``reason`` says what."""

    def __init__(self, reason: str, index: int | None = None, block: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.index = index
        self.block = block  # set when a block is left open (pvl then drops its content)


def _fill(cls: type[Any], items: list[tuple[str, Any]]) -> Any:
    """A pvl OrderedMultiDict holding *items* (list of (key, value)), built in one go."""
    obj = cls()
    if _BULK:
        index: dict[str, list[int]] = {}
        for key, value in items:
            try:
                index[key].append(value)
            except KeyError:
                index[key] = [value]
        dict.update(obj, index)
        obj._OrderedMultiDict__items = items
    else:  # a pvl whose internals differ: the public, slower way
        for key, value in items:
            obj.append(key, value)
    return obj


# pvl 1.x keeps the (key, value) list in a name-mangled attribute and the per-key
# value lists in the dict itself; check once that this still holds.
_probe = PVLModule([("A", 1)])
_BULK = getattr(_probe, "_OrderedMultiDict__items", None) == [("A", 1)] and dict.get(_probe, "A") == [1]
del _probe


def parse_tokens(tokens: list[str]) -> PVLModule:
    """Parse a whole label; stops at END (or at the end of the tokens, as pvl does).

    An ``END_OBJECT = NAME`` (``END_GROUP``) whose name is not the open block's is read
    leniently, where pvl refuses the label: a name of an enclosing open block closes the
    blocks inside it too (their END lines are missing), any other name closes the innermost
    block. Each case is kept on the module as ``end_name_mismatches`` (the block closed,
    the name written) for the reader's warnings."""
    parser = _Parser(tokens)
    items: list[tuple[str, Any]] = []
    parser.block(items, None, None)
    module = _fill(PVLModule, items)
    module.errors = []
    module.end_name_mismatches = parser.mismatches
    return module


class _Parser:
    __slots__ = ("t", "i", "n", "open", "mismatches")

    def __init__(self, tokens: list[str]):
        self.t = tokens + [None]  # sentinel
        self.i = 0
        self.n = len(tokens)
        self.open: list[tuple[str, str]] = []  # (end keyword, name) of the blocks open, outermost first
        self.mismatches: list[tuple[str, str]] = []

    def block(self, items: list[tuple[str, Any]], end_kw: str | None, name: str | None) -> None:
        if end_kw is not None and name is not None:
            self.open.append((end_kw, name))
        try:
            self._block(items, end_kw, name)
        finally:
            if end_kw is not None and name is not None:
                self.open.pop()

    def _block(self, items: list[tuple[str, Any]], end_kw: str | None, name: str | None) -> None:
        t = self.t
        append = items.append
        while True:
            tok = t[self.i]
            if tok is None:
                if end_kw is None:
                    return
                raise Fallback(f"label ends inside {name!r}", self.i, block=name)
            folded = tok.casefold()
            if folded in KEYWORDS:
                if folded == "end":
                    if end_kw is None:
                        return
                    raise Fallback(f"END inside {name!r}", self.i, block=name)
                if folded == end_kw:
                    self.i += 1
                    if t[self.i] == "=":
                        written = t[self.i + 1]
                        if written is not None and name is not None and written.casefold() == name.casefold():
                            pass  # ODL names are case-insensitive (pvl refuses END_OBJECT = table)
                        elif written is not None and is_parameter_name(written):
                            if any(kw == end_kw and n.casefold() == written.casefold() for kw, n in self.open[:-1]):
                                # an enclosing block's END: this block's own END line is missing;
                                # the END is left for the enclosing block to read
                                self.mismatches.append((str(name), f"{written} (no END for {name})"))
                                self.i -= 1
                                return
                            self.mismatches.append((str(name), written))
                        else:
                            raise Fallback("end name does not match", self.i)
                        self.i += 2
                    if t[self.i] == ";":
                        self.i += 1
                    return
                begin = _BEGIN.get(folded)
                if begin is None:
                    raise Fallback(f"unexpected {tok}", self.i)
                if t[self.i + 1] != "=":
                    raise Fallback("no '=' after block keyword", self.i)
                block_name = t[self.i + 2]
                if block_name is None or not is_parameter_name(block_name):
                    raise Fallback("bad block name", self.i + 2)
                self.i += 3
                if t[self.i] == ";":
                    self.i += 1
                child: list[tuple[str, Any]] = []
                self.block(child, begin[0], block_name)
                append((block_name, _fill(begin[1], child)))
                continue
            if t[self.i + 1] != "=" or not is_parameter_name(tok):
                raise Fallback(f"not an assignment at {tok!r}", self.i)
            self.i += 2
            value = self.value()
            if t[self.i] == ";":
                self.i += 1
            append((tok, value))

    def value(self) -> Any:
        t = self.t
        tok = t[self.i]
        if tok is None:
            raise Fallback("label ends after '='", self.i, block="a value")
        c = tok[0]
        self.i += 1
        value: Any
        if c == '"' or c == "'":
            value = decode_quoted(tok)
        elif c == "(":
            value = self.items(")")
        elif c == "{":
            try:
                value = frozenset(self.items("}"))
            except TypeError as exc:
                raise Fallback(f"unhashable set member: {exc}", self.i) from None
        elif c in "<=)},;":
            raise Fallback(f"no value before {tok!r}", self.i - 1)
        else:
            try:
                value = decode_word(tok)
            except NotAValue:
                raise Fallback(f"no value before {tok!r}", self.i - 1) from None
            except ValueError:  # e.g. a malformed based integer: pvl reports it
                raise Fallback(f"not a value: {tok!r}", self.i - 1) from None
        nxt = t[self.i]
        if nxt is not None and nxt[0] == "<":
            self.i += 1
            units = nxt.strip("<>").strip(_WS)
            if "<" in units or ">" in units:
                raise Fallback("units delimiter inside units", self.i - 1)
            return Quantity(value, units)
        return value

    def items(self, close: str) -> list[Any]:
        t = self.t
        out: list[Any] = []
        if t[self.i] == close:
            self.i += 1
            return out
        while True:
            out.append(self.value())
            tok = t[self.i]
            self.i += 1
            if tok == ",":
                continue
            if tok == close:
                return out
            if tok is None:  # pvl returns None for the whole value here
                raise Fallback(f"label ends before {close!r}", self.i - 1, block=f"a value in '{close}'")
            raise Fallback(f"expected ',' or {close!r}", self.i - 1)
