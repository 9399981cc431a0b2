"""Data products and calibration files as column tables for shorthand resolution.

A source is a table read through its label (PDS3 or PDS4, via `pdsgen.open`) or a bare
CSV whose first line names the columns. Columns become numpy arrays (int64, float64,
str or datetime64); strings are trimmed once here so matching never re-trims.

Which sensor data type (CPHA, IACC ...) a file holds is decided by an explicit, ordered
rule set (see `sensor_of`): a caller's override, then the label's
STANDARD_DATA_PRODUCT_ID / PRODUCT_TYPE through `PRODUCT_TYPE_SENSORS`, then a known
sensor code at the start of the PRODUCT_ID or file name (MIMI names products
``CPHA0_2004183_0001``). Both tables are module data, extended with `register_sensor`.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pdsgen.errors import DataError, PdsgenError, RecipeError, ResolutionError
from pdsgen.shorthand.grammar import KNOWN_SENSORS
from pdsgen.times import parse_times

if TYPE_CHECKING:
    from pdsgen.model import DataObject, Product

#: Sensor data type → MIMI sensor (instrument part) whose calibration files apply.
SENSOR_INSTRUMENTS: dict[str, str] = {
    "CACC": "CHEMS",
    "CPHA": "CHEMS",
    "CSCI": "CHEMS",
    "IACC": "INCA",
    "IIMG": "INCA",
    "IPHA": "INCA",
    "LFRT": "LEMMS",
}

#: Label product types (STANDARD_DATA_PRODUCT_ID, PRODUCT_TYPE, PDS4 product type names)
#: → sensor data type. Keys compared upper-case.
PRODUCT_TYPE_SENSORS: dict[str, str] = {
    "MIMI_CHEMS_ACC": "CACC",
    "MIMI_CHEMS_PHA": "CPHA",
    "MIMI_CHEMS_SCI": "CSCI",
    "MIMI_INCA_ACC": "IACC",
    "MIMI_INCA_IMG": "IIMG",
    "MIMI_INCA_PHA": "IPHA",
    "MIMI_LEMMS_FRT": "LFRT",
    **{s: s for s in KNOWN_SENSORS},
}

#: File suffixes read as a bare CSV (first line names the columns); others go through
#: `pdsgen.open`.
CSV_SUFFIXES = {".csv", ".txt", ".tab", ".dat"}


def register_sensor(sensor: str, *, instrument: str | None = None, product_types: Iterable[str] = ()) -> None:
    """Teach the mapping a new sensor data type (or new product type names for one)."""
    sensor = sensor.upper()
    if instrument:
        SENSOR_INSTRUMENTS[sensor] = instrument.upper()
    PRODUCT_TYPE_SENSORS.setdefault(sensor, sensor)
    for name in product_types:
        PRODUCT_TYPE_SENSORS[name.upper()] = sensor


def _prefix_sensor(name: str | None) -> str | None:
    if not name:
        return None
    upper = name.upper()
    for sensor in sorted(PRODUCT_TYPE_SENSORS.values(), key=len, reverse=True):
        if upper.startswith(sensor) and (len(upper) == len(sensor) or not upper[len(sensor)].isalpha()):
            return sensor
    return None


def _instrument_in(name: str | None) -> str | None:
    if not name:
        return None
    tokens = set(re.split(r"[^A-Z]+", name.upper()))
    found = {i for i in SENSOR_INSTRUMENTS.values() if i in tokens}
    return found.pop() if len(found) == 1 else None


def sensor_of(path: Path, keywords: dict[str, str | None]) -> str | None:
    """Sensor data type of a file from its label keywords or name (None when unknown)."""
    for key in ("STANDARD_DATA_PRODUCT_ID", "PRODUCT_TYPE"):
        value = keywords.get(key)
        if value and value.upper() in PRODUCT_TYPE_SENSORS:
            return PRODUCT_TYPE_SENSORS[value.upper()]
    return _prefix_sensor(keywords.get("PRODUCT_ID")) or _prefix_sensor(path.name)


@dataclass
class Source:
    """A table of named columns from one file, plus what kind of file it is."""

    path: Path
    names: list[str]
    columns: dict[str, np.ndarray]
    sensor: str | None = None  # sensor data type (data products)
    instrument: str | None = None  # MIMI sensor the file belongs to (CHEMS, INCA, LEMMS)
    units: dict[str, str] = field(default_factory=dict)
    label: Path | None = None

    @property
    def nrows(self) -> int:
        return len(self.columns[self.names[0]]) if self.names else 0

    @property
    def instruments(self) -> set[str]:
        """MIMI sensors this file can serve (empty: not known, serves any)."""
        out = set()
        if self.instrument:
            out.add(self.instrument)
        if self.sensor and self.sensor in SENSOR_INSTRUMENTS:
            out.add(SENSOR_INSTRUMENTS[self.sensor])
        return out

    def find_column(self, name: str) -> str:
        """The column's label name: exact match, then case-insensitive, else an error
        with the closest names."""
        if name in self.columns:
            return name
        folded = [n for n in self.names if n.casefold() == name.casefold()]
        if len(folded) == 1:
            return folded[0]
        if len(folded) > 1:
            raise ResolutionError(
                f"column {name!r} matches several columns case-insensitively: {folded}",
                path=str(self.path),
            )
        import difflib

        close = difflib.get_close_matches(name, self.names, n=3, cutoff=0.6)
        if not close:
            lowered = {n.casefold(): n for n in self.names}
            close = [lowered[c] for c in difflib.get_close_matches(name.casefold(), list(lowered), n=3, cutoff=0.6)]
        if close:
            listing = f"; did you mean {' or '.join(repr(c) for c in close)}?"
        else:
            shown = ", ".join(self.names[:20]) + (f", ... ({len(self.names)} in all)" if len(self.names) > 20 else "")
            listing = f" (columns: {shown})"
        raise ResolutionError(f"no column {name!r}{listing}", path=str(self.path))

    def column(self, name: str) -> np.ndarray:
        return self.columns[self.find_column(name)]

    def __repr__(self) -> str:
        return f"Source({str(self.path)!r}, sensor={self.sensor}, rows={self.nrows}, columns={len(self.names)})"


# ---------------------------------------------------------------------------- reading


def _finish_strings(values: np.ndarray) -> np.ndarray:
    """Trimmed unicode array (one vectorised pass)."""
    if values.dtype.kind == "S":
        values = np.char.decode(values, "ascii", errors="replace")
    elif values.dtype.kind == "O":
        values = values.astype(str)
    return np.char.strip(values)


def _text_to_numpy(col: Any) -> np.ndarray:
    """A pyarrow text column → numpy str; repeated values (purpose fields) go through a
    dictionary so that only the distinct strings are converted."""
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(col).combine_chunks()
    if len(encoded.dictionary) * 4 < len(encoded):
        words = np.asarray(encoded.dictionary.to_pylist(), dtype=str)
        picked: np.ndarray = words[encoded.indices.to_numpy(zero_copy_only=False)]
        return picked
    return np.asarray(col.to_numpy(zero_copy_only=False), dtype=str)


def _typed_column(col: Any) -> np.ndarray:
    """A pyarrow column → int64, float64 (empty → NaN) or trimmed str array.

    Text columns are trimmed and cast as a whole: a column of numbers with empty cells
    becomes float with NaN, anything else stays text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    # (pyarrow is untyped: its arrays are Any; what leaves here is a writable numpy copy)
    out: np.ndarray
    if pa.types.is_integer(col.type):
        out = col.to_numpy(zero_copy_only=False).astype(np.int64)
        return out
    if pa.types.is_floating(col.type):
        out = col.to_numpy(zero_copy_only=False).astype(np.float64)
        return out
    col = pc.utf8_trim_whitespace(col)
    nonempty = pc.not_equal(col, "")
    nulled = pc.if_else(nonempty, col, pa.scalar(None, pa.string()))
    has_empty = pc.sum(pc.invert(nonempty).cast(pa.int64())).as_py() or 0
    if has_empty < len(col):
        for target in ((pa.int64(),) if not has_empty else ()) + (pa.float64(),):
            try:
                cast = pc.cast(nulled, target)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                continue
            if target == pa.float64():
                out = cast.to_numpy(zero_copy_only=False).astype(np.float64)
                return out
            out = cast.to_numpy(zero_copy_only=False)
            return out
    return _text_to_numpy(col)


def read_csv(path: str | os.PathLike[str], *, skip_rows: int = 0) -> tuple[list[str], dict[str, np.ndarray]]:
    """A CSV whose first line (after ``skip_rows``) names the columns, typed per column.

    pyarrow parses (quoted fields, speed) and types integer and real columns itself;
    every other column is text, trimmed, and cast as a whole where it holds numbers
    with empty cells. pyarrow's own date/time/boolean guesses are not used: such
    columns are read again as text, so a CSV and its label give the same values.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    p = Path(path)
    try:
        with p.open(newline="", encoding="utf-8-sig") as fh:
            for _ in range(skip_rows):
                fh.readline()
            header = next(csv.reader([fh.readline()]), [])
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path=str(p)) from exc
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path=str(p)) from exc
    names = [h.strip() for h in header]
    if not names or not any(names):
        raise DataError("empty file: the first line must name the columns", path=str(p))
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes or "" in names:
        raise DataError(f"column names must be unique and non-empty (header: {names})", path=str(p))
    read_options = pacsv.ReadOptions(column_names=names, skip_rows=skip_rows + 1)
    parse_options = pacsv.ParseOptions(newlines_in_values=False)
    plain = dict(strings_can_be_null=False, null_values=[], true_values=[], false_values=[])
    try:
        table = pacsv.read_csv(
            p, read_options=read_options, parse_options=parse_options,
            convert_options=pacsv.ConvertOptions(timestamp_parsers=[], **plain),
        )
        guessed = [
            n for n in names
            if not (pa.types.is_integer(table.column(n).type) or pa.types.is_floating(table.column(n).type)
                    or pa.types.is_string(table.column(n).type))
        ]
        if guessed:  # dates/times pyarrow recognised: keep them as the text they are
            text = pacsv.read_csv(
                p, read_options=read_options, parse_options=parse_options,
                convert_options=pacsv.ConvertOptions(
                    include_columns=guessed, column_types={n: pa.string() for n in guessed}, **plain
                ),
            )
            for n in guessed:
                table = table.set_column(names.index(n), n, text.column(n))
    except pa.ArrowInvalid as exc:
        raise DataError(f"malformed CSV: {exc}", path=str(p)) from exc
    columns = {n: _typed_column(table.column(n)) for n in names}
    return names, columns


def _table_object(product: Product, path: Path, object_name: str | None) -> DataObject:
    tables = [o for o in product.objects if o.kind == "table"]
    if object_name is not None:
        try:
            return product[object_name]
        except KeyError as exc:
            raise ResolutionError(str(exc.args[0]), path=str(path)) from exc
    if not tables:
        kinds = ", ".join(f"{o.name} ({o.kind})" for o in product.objects) or "none"
        raise ResolutionError(f"the label describes no table (objects: {kinds})", path=str(path))
    return tables[0]


def _label_keywords(product: Product) -> dict[str, str | None]:
    keys: dict[str, str | None] = {
        "PRODUCT_ID": product.product_id,
        "PRODUCT_TYPE": product.product_type,
        "INSTRUMENT": product.instrument,
    }
    label = product.label
    if product.standard == "PDS3" and hasattr(label, "get"):
        for key in ("STANDARD_DATA_PRODUCT_ID", "PRODUCT_TYPE", "PRODUCT_ID", "INSTRUMENT_ID"):
            value = label.get(key)
            if value is not None and keys.get(key) is None:
                keys[key] = str(value)
    return keys


def read_labelled(path: Path, object_name: str | None = None) -> Source:
    """A table of a PDS3/PDS4 product, through `pdsgen.open`."""
    import pdsgen
    from pdsgen.data import physical_data
    from pdsgen.data.values import missing_as_nan

    # strict: a resolved value must be the file's, never a masked or recovered one
    product = pdsgen.open(path, strict=True)
    obj = _table_object(product, path, object_name)
    # physical values, as `to_table` and `column` inputs see them: scaling applied,
    # special constants (missing, invalid, …) NaN
    data = physical_data(obj)
    names: list[str] = []
    columns: dict[str, np.ndarray] = {}
    units: dict[str, str] = {}
    fields = list(obj.fields)
    dnames = list(data)
    for i, dname in enumerate(dnames):
        fld = fields[i] if len(fields) == len(dnames) else None
        name = fld.name if fld is not None else dname
        values = missing_as_nan(data[dname])
        if values.ndim != 1:
            continue  # repeated (grouped) fields are not row-matchable scalars
        if values.dtype.kind in "SUO":
            values = _finish_strings(values)
        names.append(name)
        columns[name] = values
        if fld is not None and fld.unit:
            units[name] = fld.unit
    keywords = _label_keywords(product)
    return Source(
        path=path,  # errors name the label the user gave; the data file is obj.file
        names=names,
        columns=columns,
        sensor=sensor_of(path, keywords),
        instrument=_instrument_in(keywords.get("INSTRUMENT"))
        or _instrument_in(path.stem)
        or _instrument_in(keywords.get("PRODUCT_ID")),
        units=units,
        label=path,
    )


def load_source(
    path: str | os.PathLike[str] | Source,
    *,
    sensor: str | None = None,
    instrument: str | None = None,
    object_name: str | None = None,
) -> Source:
    """Read a data product or calibration file as a `Source`.

    ``.csv/.txt/.tab/.dat`` files are bare CSVs (first line = column names); anything
    else (``.lbl``, ``.xml``, attached labels) is opened through `pdsgen.open`.
    ``sensor``/``instrument`` override what the label or file name says.
    """
    if isinstance(path, Source):
        src = path
    else:
        p = Path(path)
        if not p.exists():
            raise ResolutionError("no such file", path=str(p))
        if p.suffix.lower() in CSV_SUFFIXES:
            names, columns = read_csv(p)
            src = Source(
                path=p,
                names=names,
                columns=columns,
                sensor=sensor_of(p, {}),
                instrument=_instrument_in(p.stem),
            )
        else:
            try:
                src = read_labelled(p, object_name)
            except PdsgenError:
                raise
            except (ValueError, KeyError, IndexError, TypeError) as exc:
                raise DataError(f"cannot read the table: {exc}", path=str(p)) from exc
    if sensor:
        src.sensor = sensor.upper()
    if instrument:
        src.instrument = instrument.upper()
    return src


def from_arrays(path: str, columns: dict[str, np.ndarray], *, sensor: str | None = None, instrument: str | None = None) -> Source:
    """A source from in-memory arrays (tests, benchmarks, recipes that already read data)."""
    cols = {}
    for name, values in columns.items():
        arr = np.asarray(values)
        if arr.dtype.kind in "SUO":
            arr = _finish_strings(arr)
        cols[name] = arr
    return Source(Path(path), list(cols), cols, sensor=sensor, instrument=instrument)


# ---------------------------------------------------------------------------- times

def to_datetime64(values: object) -> np.ndarray:
    """ISO calendar (``2004-07-01T00:00:01``) or day-of-year (``2004-183T00:00:01``)
    times, mixed freely → datetime64[us]; blanks around and a trailing ``Z`` are ignored.
    The grammar is `pdsgen.times.parse_times`'s; raises ValueError on anything else."""
    arr = np.asarray(values)
    if arr.dtype.kind == "M":
        return arr.astype("datetime64[us]")
    flat = np.char.strip(arr.astype(str)).ravel()
    try:
        out = parse_times(flat)
    except RecipeError as exc:
        raise ValueError(exc.message) from None
    return out.astype("datetime64[us]").reshape(arr.shape)


def year_ddoy(times: object) -> tuple[np.ndarray, np.ndarray]:
    """datetime64 (or time strings) → (year, decimal day of year, 1.0 = Jan 1 00:00)."""
    t = to_datetime64(times)
    year_start = t.astype("datetime64[Y]")
    years = year_start.astype(np.int64) + 1970
    elapsed = (t - year_start.astype("datetime64[us]")).astype(np.int64) / 86_400e6
    return years, elapsed + 1.0
