"""Normalise a caller's table (astropy Table, numpy structured array, mapping of
columns) into `Column`s: values and a mask plus a `pdsgen.model.Field` (name, unit,
description and special constants).
Pure data shuffling, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from pdsgen.errors import DataError, UnsupportedError
from pdsgen.model import SPECIAL_CONSTANT_NAMES, Field


@dataclass
class Column:
    """One column to write: its values (and mask) plus its `pdsgen.model.Field`.

    The field carries what the caller says about the column (name, unit, description,
    special constants, as given: not yet formatted); its layout (data type, location,
    length, groups) is decided by the encoder, which returns laid-out copies of these
    fields (`pdsgen.render.encode.EncodedTable.fields`). Until then ``data_type`` is
    the PDS4 type of the values in a character table and location/length are 0.
    """

    values: np.ndarray  # 1-D, or (rows, n) for a vector column
    field: Field
    mask: np.ndarray | None = None  # True = missing

    @classmethod
    def of(cls, name: str, values: np.ndarray, mask: np.ndarray | None = None, *,
           unit: str | None = None, description: str | None = None,
           special_constants: Mapping[str, Any] | None = None) -> Column:
        """A column of ``values`` named ``name``, its field not laid out yet."""
        kind = _KINDS.get(values.dtype.kind, values.dtype.kind)
        return cls(values, Field(name, CHARACTER_TYPES.get(kind, "ASCII_String"), 0, 0, unit=unit,
                                 description=description,
                                 special_constants=dict(special_constants or {})), mask)

    @property
    def name(self) -> str:
        return self.field.name

    @property
    def unit(self) -> str | None:
        return self.field.unit

    @property
    def description(self) -> str | None:
        return self.field.description

    @property
    def special_constants(self) -> dict[str, Any]:
        return self.field.special_constants

    @property
    def repetitions(self) -> int:
        """Elements per row: 1 for a scalar column, n for a (rows, n) vector column."""
        return 1 if self.values.ndim == 1 else int(self.values.shape[1])

    def flat(self) -> Column:
        """The column's elements as one 1-D column (row-major), for formatting."""
        if self.values.ndim == 1:
            return self
        return Column(self.values.reshape(-1), self.field,
                      None if self.mask is None else self.mask.reshape(-1))

    @property
    def kind(self) -> str:
        """'int', 'uint', 'float', 'bool', 'str', 'datetime'."""
        k = self.values.dtype.kind
        return _KINDS.get(k, k)


_KINDS = {"i": "int", "u": "uint", "f": "float", "b": "bool", "U": "str", "S": "str", "O": "str",
          "M": "datetime"}

#: PDS4 type of each value kind in a character table (text: ASCII_String or UTF8_String)
CHARACTER_TYPES = {"int": "ASCII_Integer", "uint": "ASCII_NonNegative_Integer",
                   "bool": "ASCII_NonNegative_Integer", "float": "ASCII_Real",
                   "datetime": "ASCII_Date_Time_YMD_UTC"}


def _unit_text(unit: Any) -> str | None:
    from pdsgen.units import label_unit_text

    return label_unit_text(unit)  # PDS4's Units_of_* spelling where the vocabulary has one


def columns_from(
    table: Any,
    *,
    units: Mapping[str, str] | None = None,
    descriptions: Mapping[str, str] | None = None,
    special_constants: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Column]:
    """Columns of an astropy Table / structured array / {name: array} mapping.

    Units, descriptions and special constants come from the table (astropy column
    ``unit``, ``description``, ``meta['missing_constant']`` …) unless given here.
    """
    units = dict(units or {})
    descriptions = dict(descriptions or {})
    special_constants = {k: dict(v) for k, v in (special_constants or {}).items()}
    cols: list[Column] = []
    if hasattr(table, "colnames") and hasattr(table, "columns"):  # astropy Table
        for name in table.colnames:
            c = table[name]
            mask = np.asarray(c.mask, dtype=bool) if getattr(c, "mask", None) is not None else None
            meta = dict(getattr(c, "meta", None) or {})
            sc = {k: meta[k] for k in SPECIAL_CONSTANT_NAMES if k in meta}
            sc.update(special_constants.get(name, {}))
            values = np.asarray(c.data.data if hasattr(c.data, "mask") else c.data)
            cols.append(Column.of(name, values, mask, unit=units.get(name, _unit_text(c.unit)),
                                  description=descriptions.get(name, c.description), special_constants=sc))
    elif isinstance(table, np.ndarray) and table.dtype.names:
        mask_all = np.ma.getmaskarray(table) if isinstance(table, np.ma.MaskedArray) else None
        for name in table.dtype.names:
            values = np.asarray(table[name])
            mask = np.asarray(mask_all[name]) if mask_all is not None else None
            cols.append(Column.of(name, values, mask, unit=units.get(name),
                                  description=descriptions.get(name),
                                  special_constants=special_constants.get(name, {})))
    elif isinstance(table, Mapping):
        for name, v in table.items():
            mask = np.ma.getmaskarray(v) if isinstance(v, np.ma.MaskedArray) else None
            values = np.asarray(v.data if isinstance(v, np.ma.MaskedArray) else v)
            cols.append(Column.of(str(name), values, mask, unit=units.get(name),
                                  description=descriptions.get(name),
                                  special_constants=special_constants.get(name, {})))
    else:
        raise UnsupportedError(
            f"cannot write a table from {type(table).__name__}: give an astropy Table, a "
            "numpy structured array or a mapping of column name to 1-D array"
        )
    if not cols:
        raise DataError("table has no columns")
    n = len(cols[0].values)
    for c in cols:
        if c.values.ndim == 2 and c.values.shape[1] == 0:
            raise DataError(f"column {c.name!r} has shape {c.values.shape}: no elements per row")
        if c.values.ndim not in (1, 2):
            raise UnsupportedError(
                f"column {c.name!r} has shape {c.values.shape}: columns of more than one "
                "repeated axis (nested group fields) are not written; reshape to (rows, n)"
            )
        if c.mask is not None and c.mask.shape != c.values.shape:
            raise DataError(f"column {c.name!r}: mask shape {c.mask.shape} != {c.values.shape}")
        if len(c.values) != n:
            raise DataError(f"column {c.name!r} has {len(c.values)} rows, expected {n}")
        if c.mask is not None and not c.mask.any():
            c.mask = None
        if c.kind not in ("int", "uint", "float", "bool", "str", "datetime"):
            raise UnsupportedError(f"column {c.name!r}: dtype {c.values.dtype} cannot be written")
        if c.values.dtype.kind == "O":
            bad = [type(v).__name__ for v in c.values[:1000] if not isinstance(v, str | bytes)]
            if bad:
                raise UnsupportedError(f"column {c.name!r}: object column holds {bad[0]}, not text")
        unknown = set(c.special_constants) - set(SPECIAL_CONSTANT_NAMES) - {"valid_minimum", "valid_maximum"}
        if unknown:
            raise DataError(f"column {c.name!r}: unknown special constant(s) {sorted(unknown)}")
    names = [c.name for c in cols]
    if len(set(names)) != len(names):
        raise DataError(f"duplicate column names in {names}")
    return cols
