"""What a label says, as plain data classes shared by every reader and writer.

The split follows pds4_tools: the label is turned into a structure description
(`Product` → `DataObject` → `Field`/`Axis`), and bytes are only read when `.data` is
asked for, by the readers in `pdsgen.data`. PDS3 and PDS4 labels both map onto this
model; data types are normalised to the PDS4 vocabulary (``data_type``) with the
label's own spelling kept in ``label_data_type``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

if TYPE_CHECKING:
    from astropy.table import Table
    from astropy.time import Time

Kind = Literal["table", "array", "header", "text", "other"]

#: Physical layouts the readers in `pdsgen.data` understand.
Layout = Literal[
    "fixed_character",  # PDS4 Table_Character, PDS3 ASCII TABLE (fixed width)
    "fixed_binary",  # PDS4 Table_Binary, PDS3 BINARY TABLE
    "delimited",  # PDS4 Table_Delimited, PDS3 SPREADSHEET
    "array",  # PDS4 Array*, PDS3 IMAGE/ARRAY
    "fits",  # an HDU of a FITS file at the label's offset
    "header",  # bytes (Header, PDS3 HEADER)
    "text",  # str (Stream_Text, PDS3 TEXT/DOCUMENT)
    "other",  # described but not readable as data (encoded images, PDF ...)
    "pds3_image",  # PDS3 IMAGE with line prefixes/suffixes or packed samples
    "pds3_qube",  # PDS3 QUBE (core plus suffix planes)
]

SPECIAL_CONSTANT_NAMES = (
    "saturated_constant",
    "missing_constant",
    "error_constant",
    "invalid_constant",
    "unknown_constant",
    "not_applicable_constant",
    "high_instrument_saturation",
    "high_representation_saturation",
    "low_instrument_saturation",
    "low_representation_saturation",
)


@dataclass(frozen=True)
class ReadWarning:
    """One deviation the reader recovered from (lenient reading; see docs/pds4-reading.md).

    ``record`` is 1-based (the first record the problem was seen in), ``count`` how many
    values or records it affects, ``value`` the offending text as found (first one).
    """

    message: str
    file: str | None = None
    object: str | None = None
    field: str | None = None
    record: int | None = None
    value: str | None = None
    count: int | None = None
    #: what kind of deviation, for tools that check it themselves (e.g. "field_overlap")
    code: str | None = None

    def __str__(self) -> str:
        where = [w for w in (self.file, f"object {self.object!r}" if self.object else None,
                             f"field {self.field!r}" if self.field else None,
                             f"record {self.record}" if self.record is not None else None) if w]
        text = self.message
        if self.value is not None:
            text += f" (value {self.value!r})"
        return f"{': '.join(where)}: {text}" if where else text

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class Field:
    """One field (column) of a table, or one bit field packed inside a binary field.

    ``location`` is the 0-based byte offset of the first element within a record
    (for delimited tables: the 0-based field index). A field repeated by groups
    (PDS4 Group_Field_*, PDS3 ITEMS / CONTAINER) has ``shape`` = repetitions per
    nesting level (outermost first) and ``strides`` = bytes between repetitions at
    each level; element ``(i, j)`` starts at ``location + i*strides[0] + j*strides[1]``.
    """

    name: str
    data_type: str  # normalised (PDS4 names, e.g. "ASCII_Real", "SignedMSB4", "IEEE754LSBDouble")
    location: int
    length: int
    label_data_type: str | None = None  # as spelled in the label (e.g. PDS3 "MSB_INTEGER")
    unit: str | None = None
    scaling_factor: float | None = None
    value_offset: float | None = None
    special_constants: dict[str, Any] = field(default_factory=dict)
    description: str | None = None
    field_format: str | None = None
    #: PDS4 validation_format (IM 1.20+, equal to field_format when given): the format validate
    #: checks the values of a character table against
    validation_format: str | None = None
    minimum: Any = None
    maximum: Any = None
    shape: tuple[int, ...] = ()
    strides: tuple[int, ...] = ()
    #: for bit fields: (start_bit, stop_bit), 0-based from the most significant bit of
    #: the packed field of ``length`` bytes at ``location``; inclusive.
    bits: tuple[int, int] | None = None
    group_path: tuple[str, ...] = ()  # names of enclosing groups, outermost first
    extra: dict[str, Any] = field(default_factory=dict)
    #: PDS4 ``field_number`` (within its group for a grouped field) and ``group_number``,
    #: as a writer numbers them (readers leave them None)
    number: int | None = None
    group_number: int | None = None

    @property
    def start(self) -> int:
        """The 1-based first byte (PDS3 START_BYTE, PDS4 field/group_location from the
        record start); for delimited tables the 1-based field position."""
        return self.location + 1

    @property
    def repetitions(self) -> int:
        """Elements per record: 1, or the product of the group repetitions."""
        return int(np.prod(self.shape)) if self.shape else 1

    @property
    def item_offset(self) -> int | None:
        """Bytes (delimited: fields) from one element of the innermost group to the next
        (PDS3 ITEM_OFFSET); None for a field not in a group."""
        return self.strides[-1] if self.strides else None

    @property
    def group_length(self) -> int | None:
        """Bytes of the whole (single-level) group, PDS4 ``group_length``; None when not grouped."""
        return None if self.item_offset is None else self.repetitions * self.item_offset

    @property
    def span(self) -> int:
        """Bytes from the field's (group's) first byte to its last (PDS3 BYTES)."""
        if self.item_offset is None:
            return self.length
        return (self.repetitions - 1) * self.item_offset + self.length


@dataclass
class Axis:
    """One axis of an array, in the label's storage order (first = slowest varying)."""

    name: str
    elements: int
    sequence_number: int | None = None
    unit: str | None = None


@dataclass
class DataObject:
    """One data object of a product: table, array, header, text or other.

    ``.data`` is read lazily through `pdsgen.data.read_object`; a product whose object
    is unreadable still opens, and ``error`` (set by the label reader) is raised when
    the data is asked for.
    """

    name: str
    kind: Kind
    layout: Layout
    file: Path
    offset: int
    label_type: str  # the label's class/object name, e.g. "Table_Binary", "TABLE", "IMAGE"
    size: int | None = None  # bytes the object occupies, when the label says
    records: int | None = None
    record_length: int | None = None  # bytes per record incl. delimiters (fixed tables)
    fields: list[Field] = field(default_factory=list)
    axes: list[Axis] = field(default_factory=list)
    element_type: str | None = None  # arrays: normalised element data type
    label_element_type: str | None = None
    scaling_factor: float | None = None  # arrays
    value_offset: float | None = None  # arrays
    special_constants: dict[str, Any] = field(default_factory=dict)  # arrays
    unit: str | None = None  # arrays
    description: str | None = None
    #: layout details: field_delimiter, record_delimiter, row_prefix_bytes,
    #: row_suffix_bytes, axis_index_order, encoding, fits_hdu, line_prefix_bytes ...
    details: dict[str, Any] = field(default_factory=dict)
    error: Exception | None = None
    #: deviations recovered from while describing or reading this object (lenient reading)
    warnings: list[ReadWarning] = field(default_factory=list, repr=False, compare=False)
    #: raise `DataError` on the first deviation instead of recording it (``open(strict=True)``)
    strict: bool = field(default=False, repr=False, compare=False)
    _data: Any = field(default=None, repr=False, compare=False)
    _physical: Any = field(default=None, repr=False, compare=False)

    def __repr__(self) -> str:
        if self.kind == "table":
            size = f"{self.records if self.records is not None else '?'} records × {len(self.fields)} fields"
        elif self.kind == "array":
            axes = ", ".join(f"{a.name}={a.elements}" for a in self.axes)
            size = f"{self.element_type} [{axes}]"
        else:
            size = f"{self.size} bytes" if self.size is not None else ""
        error = f" error: {self.error}" if self.error is not None else ""
        return f"<DataObject {self.kind} {self.name!r} ({self.label_type}) {size} in {self.file.name}{error}>"

    def warn(self, message: str, *, field: str | None = None, record: int | None = None,
             value: Any = None, count: int | None = None, file: Any = None, code: str | None = None) -> None:
        """Record a deviation the reader recovered from, or raise it when ``strict``.
        ``file``: where the deviation is (default the data file; the label for label ones)."""
        if isinstance(value, bytes):
            value = value.decode("utf-8", errors="backslashreplace")
        warning = ReadWarning(message, file=str(file or self.file), object=self.name, field=field,
                              record=record, value=None if value is None else str(value), count=count,
                              code=code)
        if self.strict:
            from pdsgen.errors import DataError

            raise DataError(f"{warning} (strict reading)")
        if warning not in self.warnings:
            self.warnings.append(warning)

    @property
    def data(self) -> Any:
        """The values as stored: structured array (tables), ndarray (arrays), bytes
        (header) or str (text), before scaling and with special constants unmasked.

        Unlike pds4_tools' ``structure.data`` (which is scaled and masked), this is the
        file's content; use ``obj["FIELD"]`` for one column of physical values or
        `physical` for the whole object.
        """
        if self.error is not None:
            raise self.error
        if self._data is None:
            from pdsgen.data import read_object

            self._data = read_object(self)
        return self._data

    @property
    def shape(self) -> tuple[int, ...]:
        if self.kind == "array":
            return tuple(a.elements for a in self.axes)
        if self.kind == "table" and self.records is not None:
            return (self.records,)
        return ()

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def physical(self) -> Any:
        """Physical values: scaling applied, special constants masked (pds4_tools' ``.data``).

        Arrays: an (optionally masked) ndarray; tables: a dict field name → array (text
        fields as ``str``).
        """
        if self._physical is None:
            from pdsgen.data import decode_text, physical_data

            values = physical_data(self)
            if isinstance(values, dict):  # text fields as str, as in to_table and pds4_tools
                values = {k: decode_text(v) for k, v in values.items()}
            self._physical = values
        return self._physical

    def __getitem__(self, name: str) -> Any:
        """One field of a table as physical values, like pds4_tools' ``structure['FIELD']``.

        >>> p = pdsgen.open("demo-out/calibrated/chems/cpha0_2004183_0001_cal.xml")
        >>> p[0]["E"][:2]          # keV, blanks masked
        masked_array(data=[3.870588, 11.61176], mask=False, fill_value=1e+20)
        """
        if self.kind != "table":
            raise TypeError(f"{self.name}: a {self.kind} object has no fields; use .physical or .data")
        columns = self.physical
        if name in columns:
            return columns[name]
        lowered = {k.lower(): k for k in columns}
        if name.lower() in lowered:
            return columns[lowered[name.lower()]]
        raise KeyError(f"{self.file.name}: object {self.name!r} has no field {name!r} "
                       f"(fields: {', '.join(columns)})")

    def to_table(self, times: str | None = None) -> Table:
        """An `astropy.table.Table` with label units, scaling applied, special constants
        masked; ``times="Time"`` turns date/time fields into `astropy.time.Time` columns."""
        from pdsgen.data import to_table

        return to_table(self, times=times)

    def to_pandas(self, times: str | None = "Time") -> Any:
        """A `pandas.DataFrame` of the table (date/time fields as datetime64 by default);
        needs pandas (``pip install 'pdsgen[pandas]'``)."""
        _need("pandas")
        return self.to_table(times=times).to_pandas()

    def to_xarray(self) -> Any:
        """An `xarray.DataArray` of an array (dims named from the label's axes, ``unit``
        attribute) or an `xarray.Dataset` of a table (dim ``record``); needs xarray."""
        _need("xarray")
        import xarray as xr

        if self.kind == "array":
            dims = _unique([a.name or f"axis_{i}" for i, a in enumerate(self.axes)])
            attrs = {k: v for k, v in {"unit": self.unit, "description": self.description}.items() if v}
            return xr.DataArray(_filled(self.physical), dims=dims, name=self.name, attrs=attrs)
        if self.kind != "table":
            raise TypeError(f"{self.name}: a {self.kind} object has no xarray form")
        table = self.to_table(times="Time")
        variables = {}
        for name in table.colnames:
            col = table[name]
            values = col.datetime64 if hasattr(col, "datetime64") else _filled(np.ma.asanyarray(col))
            dims = ["record"] + [f"{name}_dim{i}" for i in range(1, np.ndim(values))]
            attrs = {"unit": str(col.unit)} if getattr(col, "unit", None) is not None else {}
            variables[name] = (dims, values, attrs)
        return xr.Dataset(variables, attrs={"name": self.name})


@dataclass(frozen=True)
class ProductIdentity:
    """Who a product is: the one identity record every stage exchanges.

    A product read (`Product`), written (`pdsgen.render.WrittenProduct`, rendered from a
    `pdsgen.render.ProductContext`), indexed (`pdsgen.archive.index.ProductRecord`, scanned
    as `pdsgen.archive.labels.LabelInfo`) or validated
    (`pdsgen.validate.results.ProductResult`) exposes it as ``.identity``; their
    ``lidvid``/``identifier`` come from here. ``label`` is the label file as that record
    names it (read and written: its path; the index: archive-relative, POSIX slashes;
    validate: as given); ``product_id`` is the PDS3 PRODUCT_ID.
    """

    lid: str | None = None
    vid: str | None = None
    product_class: str | None = None
    title: str | None = None
    label: str | None = None
    product_id: str | None = None

    @property
    def lidvid(self) -> str | None:
        """``lid::vid`` when both are known."""
        return f"{self.lid}::{self.vid}" if self.lid and self.vid else None

    @property
    def identifier(self) -> str | None:
        """The LIDVID, else the LID, else the PDS3 PRODUCT_ID; None when the product has none."""
        return self.lidvid or self.lid or self.product_id


@dataclass
class Product:
    """A labelled product: identification, times, the parsed label and its data objects."""

    standard: Literal["PDS3", "PDS4"]
    path: Path  # the label file
    label: Any  # lxml ElementTree (PDS4) or pvl PVLModule (PDS3)
    objects: list[DataObject] = field(default_factory=list)
    lid: str | None = None
    vid: str | None = None
    product_id: str | None = None
    data_set_id: str | None = None
    product_class: str | None = None  # PDS4 Product_* class, PDS3 PRODUCT_TYPE/ODL object
    product_type: str | None = None
    title: str | None = None
    start_time: str | None = None
    stop_time: str | None = None
    instrument: str | None = None
    information_model_version: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: label-level deviations not tied to one object (objects keep their own)
    label_warnings: list[ReadWarning] = field(default_factory=list, repr=False)
    strict: bool = False

    @property
    def warnings(self) -> list[ReadWarning]:
        """Every deviation recorded so far: the label's, then each object's. Objects record
        data deviations when their data is read (``.data``, `physical_data`, `to_table`);
        `read_all` reads every object first."""
        out = list(self.label_warnings)
        for obj in self.objects:
            out.extend(obj.warnings)
        return out

    def read_all(self) -> list[ReadWarning]:
        """Read every readable object's data (errors stay on the objects); all warnings."""
        from pdsgen.errors import PdsgenError

        for obj in self.objects:
            if obj.error is None and obj.kind != "other":
                try:
                    _ = obj.data
                except PdsgenError:
                    if self.strict:
                        raise
        return self.warnings

    @property
    def identity(self) -> ProductIdentity:
        return ProductIdentity(self.lid, self.vid, self.product_class, self.title, str(self.path),
                               self.product_id)

    @property
    def lidvid(self) -> str | None:
        return self.identity.lidvid

    @property
    def identifier(self) -> str:
        """The LIDVID, LID or PDS3 PRODUCT_ID; the label's file name when it has none."""
        return self.identity.identifier or self.path.name

    def __repr__(self) -> str:
        objects = ", ".join(f"{o.kind} {o.name!r}" for o in self.objects[:4]) + (", …" if len(self.objects) > 4 else "")
        return (f"<Product {self.standard} {self.identifier!r} ({self.product_class}) {self.path.name}: "
                f"{len(self.objects)} object(s) [{objects}]>")

    def info(self, rows: int = 5) -> None:
        """Print what ``pdsgen inspect`` prints: identification, times, objects, first rows."""
        from pdsgen.data import print_summary, summary

        print_summary(summary(self, rows))

    @property
    def start_time_as_time(self) -> Time | None:
        """`start_time` as an `astropy.time.Time` (UTC), or None."""
        return _time(self.start_time)

    @property
    def stop_time_as_time(self) -> Time | None:
        """`stop_time` as an `astropy.time.Time` (UTC), or None."""
        return _time(self.stop_time)

    def close(self) -> None:
        """Drop the data read so far (pdsgen reads data into memory, holding no file open)."""
        for obj in self.objects:
            obj._data = obj._physical = None

    def __enter__(self) -> Product:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getitem__(self, key: int | str) -> DataObject:
        if isinstance(key, int):
            return self.objects[key]
        for obj in self.objects:
            if obj.name == key:
                return obj
        lowered = key.lower()
        for obj in self.objects:
            if obj.name.lower() == lowered:
                return obj
        names = ", ".join(o.name for o in self.objects) or "none"
        raise KeyError(f"{self.path}: no object {key!r} (objects: {names})")

    def __iter__(self) -> Iterator[DataObject]:
        return iter(self.objects)

    def __len__(self) -> int:
        return len(self.objects)


def _time(text: str | None) -> Time | None:
    """Label time text (ISO or PDS day-of-year, optional ``Z``) → UTC `astropy.time.Time`."""
    if not text:
        return None
    from pdsgen.times import to_time

    return to_time(text)


def _need(module: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise ImportError(f"this needs {module}: pip install 'pdsgen[{module}]'")


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}_{seen[n]}")
    return out


def _filled(values: Any) -> Any:
    """Masked values as NaN (floats) for libraries without masks; other kinds unchanged."""
    if isinstance(values, np.ma.MaskedArray):
        if values.dtype.kind == "f" or (values.dtype.kind in "iu" and np.ma.getmaskarray(values).any()):
            return np.ma.filled(values.astype(np.float64), np.nan)
        return np.ma.getdata(values)
    return values
