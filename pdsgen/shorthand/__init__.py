"""MIMI dp:/cdp: shorthand references: parse them, resolve them against data products
and calibration files, and read the references out of algorithm documents.

>>> ref = parse('CPHA:cdf:step_(step)_E/Q(keV/e)')
>>> str(ref)
'cdp:CPHA:["step_"(step)"_E/Q(keV/e)"]'
"""

from __future__ import annotations

from pdsgen.shorthand.grammar import (
    ColumnId,
    Conversion,
    Reference,
    Selector,
    parse,
    parse_conversion,
    parse_prefix,
    split_conversion,
)
from pdsgen.shorthand.resolver import Resolution, resolve
from pdsgen.shorthand.sources import Source, from_arrays, load_source, register_sensor, year_ddoy

__all__ = [
    "ColumnId",
    "Conversion",
    "Reference",
    "Resolution",
    "Selector",
    "Source",
    "from_arrays",
    "load_source",
    "parse",
    "parse_conversion",
    "parse_prefix",
    "register_sensor",
    "resolve",
    "split_conversion",
    "year_ddoy",
]
