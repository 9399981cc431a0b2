"""Token text → Python value, giving exactly what pvl's default (Omni) decoder gives.

The common shapes (integers, reals, symbols, quoted text, ISO dates and times) are
decoded here with one regular expression each; anything else is passed to pvl's own
``OmniDecoder`` (with pvl's default ``OmniGrammar``), so exotic forms (time-zone
offsets, ``Infinity``, leap seconds, dateutil-only formats) stay exactly compatible.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

#: Keywords that end or open blocks; a value that is one of these is not a value.
KEYWORDS = frozenset(
    ("end", "object", "end_object", "begin_object", "group", "end_group", "begin_group")
)
_NONE, _TRUE, _FALSE = "null", "true", "false"
_FLOAT_WORDS = frozenset(("inf", "nan", "infinity"))

_INT_RE = re.compile(r"[+-]?[0-9]+")
_REAL_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_SYMBOL_RE = re.compile(r"[A-Za-z_^][A-Za-z0-9_:^.]*")  # no digits-first, no date/time
_DATETIME_RE = re.compile(
    r"([0-9]{4})-(?:([0-9]{2})-([0-9]{2})|([0-9]{3}))"
    r"(?:T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,6}))?)?)?Z?"
)
_TIME_RE = re.compile(r"([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,6}))?)?Z?")

_WS = " \t\n\r\v\f"
_QUOTE_DASH_RE = re.compile(r"-[\n\r\v\f][ \t\n\r\v\f]*")
_QUOTE_WS_RE = re.compile(r"[ \t\n\r\v\f]+")


class NotAValue(ValueError):
    """The token is a keyword or punctuation, not a value (pvl's empty-value cases)."""


@lru_cache(maxsize=1)
def _pvl_decoder() -> Any:
    from pvl.decoder import OmniDecoder
    from pvl.grammar import OmniGrammar

    return OmniDecoder(grammar=OmniGrammar())


def decode_quoted(token: str) -> str:
    """ODL quoted text: drop dash-newline continuations, collapse white space runs."""
    s = token[1:-1]
    if "-" in s:
        s = _QUOTE_DASH_RE.sub("", s)
    return _QUOTE_WS_RE.sub(" ", s.strip(_WS))


def _fraction(digits: str | None) -> int:
    return int(digits.ljust(6, "0")) if digits else 0


def _fast_datetime(token: str) -> Any:
    """ISO date/time shapes without zone offsets; None when the shape is not one of them."""
    m = _DATETIME_RE.fullmatch(token)
    if m is not None:
        year, month, day, doy, hh, mm, ss, frac = m.groups()
        try:
            if doy is not None:
                j = int(doy)
                if not 1 <= j <= 365:
                    return None  # day 366 and 000: strptime's own rules, via pvl
                d = date(int(year), 1, 1) + timedelta(days=j - 1)
            else:
                d = date(int(year), int(month), int(day))
            if hh is None:
                return d
            return datetime(
                d.year, d.month, d.day, int(hh), int(mm), int(ss or 0), _fraction(frac),
                tzinfo=UTC,
            )
        except ValueError:
            return None  # e.g. second 60: pvl returns it as text
    m = _TIME_RE.fullmatch(token)
    if m is not None:
        hh, mm, ss, frac = m.groups()
        try:
            return time(int(hh), int(mm), int(ss or 0), _fraction(frac), tzinfo=UTC)
        except ValueError:
            return None
    return None


_cache: dict[str, object] = {}


def decode_word(token: str) -> Any:
    """Value of an unquoted token (number, date/time, symbol, NULL/TRUE/FALSE).

    Raises `NotAValue` for block keywords and END (pvl reports an empty value there).
    """
    try:
        return _cache[token]
    except KeyError:
        pass
    value = _decode_word(token)
    if len(_cache) < 65536:
        _cache[token] = value
    return value


def _decode_word(token: str) -> Any:
    folded = token.casefold()
    if folded == _NONE:
        return None
    if folded == _TRUE:
        return True
    if folded == _FALSE:
        return False
    if folded in KEYWORDS:
        raise NotAValue(token)
    if token.isascii():
        if _INT_RE.fullmatch(token):
            return int(token)
        if _REAL_RE.fullmatch(token):
            return float(token)
        if _SYMBOL_RE.fullmatch(token) and folded.lstrip("+-") not in _FLOAT_WORDS:
            return token
        if token[0].isdigit():
            value = _fast_datetime(token)
            if value is not None:
                return value
    return _pvl_decoder().decode_simple_value(token)


_names: dict[str, bool] = {}


def is_parameter_name(token: str) -> bool:
    """A name pvl accepts as a parameter or block name (fast shapes only)."""
    try:
        return _names[token]
    except KeyError:
        pass
    folded = token.casefold()
    ok = _SYMBOL_RE.fullmatch(token) is not None and folded not in KEYWORDS and folded not in _FLOAT_WORDS
    if len(_names) < 65536:
        _names[token] = ok
    return ok
