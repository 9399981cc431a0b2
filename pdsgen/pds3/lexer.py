"""Whole-text tokenizer for PDS3 labels (ODL/PVL), one regular expression, no per-character loop.

The token boundaries follow pvl's lexer with its default (Omni) grammar, so that the
parser above it can give the same values as ``pvl.load``:

* white space is only `` \\t\\n\\r\\v\\f``; comments are ``/* ... */`` and ``# ...`` to
  the end of the line; both are dropped here (pvl's parser skips them everywhere);
* quoted strings (``"..."``, ``'...'``, no escapes) and units (``<...>``) keep all
  their characters, including line ends;
* a based integer (``16#4B#``) keeps everything up to its closing ``#``;
* any other run of characters that are neither white space nor reserved is a word.

A character pvl would lex in an unusual way (a reserved character such as ``&`` or
``[``, a stray ``*/``, a units or based-integer token glued to a following word, an
unterminated comment or quote) comes out as a one-character ``BAD`` token; the parser
then hands the whole label to pvl itself.
"""

from __future__ import annotations

import re

#: pvl's Omni grammar: reserved characters ("+" is allowed in words, NUL is reserved).
RESERVED = "&<>'{},[]=!#()%\";~|\x00"
WHITESPACE = " \t\n\r\v\f"

_WS = r"[ \t\n\r\v\f]"
WORD_CHAR = r"(?:[^ \t\n\r\v\f&<>'{},\[\]=!#()%\";~|\x00/*]|/(?!\*)|\*(?!/))"
# A "#" comment runs to the line end; pvl's lexer lets "/*" or "*/" inside it change
# the comment's end, so such comments are left to pvl (they fail to match here).
_HASH_COMMENT = r"\#(?:[^\n/*]|/(?!\*)|\*(?!/))*\n"
_SKIP = rf"(?:{_WS}++|/\*.*?\*/|{_HASH_COMMENT})*"
#: a word: runs of plain characters taken whole (possessive: no backtracking into a run),
#: and a "/" or "*" that does not open or close a comment
_WORD_RUN = r"(?:[^ \t\n\r\v\f&<>'{},\[\]=!#()%\";~|\x00/*]++|/(?!\*)|\*(?!/))+"
_RADIX = r"[+-]?(?:1[0-6]|[2-9])\#"

#: One token per match: skip white space and comments, then capture the token text in
#: group 1, or anything the fast path does not handle as a one-character group 2.
TOKEN_RE = re.compile(
    _SKIP
    + r"(?:("
    + r"\"[^\"]*\"|'[^']*'"  # quoted strings
    + rf"|<[^>]*>(?!{WORD_CHAR})"  # units expression
    + rf"|{_RADIX}[^#]*\#(?!{WORD_CHAR})"  # based integer
    + rf"|(?!{_RADIX}){_WORD_RUN}"  # words: names, numbers, dates, symbols
    + r"|[=(){},;]"  # punctuation the parser understands
    + r")|(.)|\Z)",
    re.S,
)

#: pvl's parser joins a dash at a line end with the next line's text (ODL continuation).
DASH_CONTINUATION_RE = re.compile(r"-[\n\r\f]\s*")


def tokenize(text: str) -> list[str] | None:
    """All tokens of *text* as strings, comments and white space dropped; ``None`` when
    the text holds something the fast path leaves to pvl."""
    pairs = TOKEN_RE.findall(text)
    for _good, bad in pairs:
        if bad:
            return None
    return [good for good, _bad in pairs if good]  # (drops the empty end-of-text matches)


def line_col(text: str, pos: int) -> tuple[int, int]:
    """1-based line and column of character *pos* in *text*."""
    line = text.count("\n", 0, pos) + 1
    start = text.rfind("\n", 0, pos) + 1
    return line, pos - start + 1
