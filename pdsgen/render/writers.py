"""Product writers: data bytes (from `encode`/`arrays`) + a label rendered from a template,
committed atomically. Everything computable is computed here and handed to the template
(see docs/writers.md for the variables); templates only hold wording and structure."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from markupsafe import Markup

from pdsgen.errors import DataError, LabelError, UnsupportedError
from pdsgen.model import ProductIdentity
from pdsgen.render.arrays import ArrayInfo, encode_array
from pdsgen.render.atomic import StagedFile, commit_files, md5_hex
from pdsgen.render.columns import columns_from
from pdsgen.render.encode import EncodedTable, encode_binary, encode_character, encode_delimited
from pdsgen.render.env import PathLike, TemplateDirs, label_environment
from pdsgen.render.ids import (
    DEFAULT_IM_VERSION,
    check_lid,
    check_lid_or_lidvid,
    check_lidvid,
    check_vid,
    information_model,
)
from pdsgen.render.product_context import ModificationDetail, ProductContext
from pdsgen.render.provenance import pdsgen_version
from pdsgen.times import iso_date, iso_utc, resolve_creation_time

Standard = Literal["pds4", "pds3"]
TableFormat = Literal["character", "delimited", "binary"]

_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-.]*")
_PDS3_KEYWORD = re.compile(r"(?:[A-Z][A-Z0-9_]*:)?[A-Z][A-Z0-9_]*")

#: default template per (standard, product kind)
DEFAULT_TEMPLATES = {
    ("pds4", "Product_Observational", "table"): "pds4/Product_Observational_table.xml.j2",
    ("pds4", "Product_Observational", "array"): "pds4/Product_Observational_array.xml.j2",
    ("pds4", "Product_Observational", "fits"): "pds4/Product_Observational_fits.xml.j2",
    ("pds4", "Product_Ancillary", "fits"): "pds4/Product_Ancillary_fits.xml.j2",
    ("pds4", "Product_Ancillary", "table"): "pds4/Product_Ancillary_table.xml.j2",
    ("pds4", "Product_Ancillary", "array"): "pds4/Product_Ancillary_array.xml.j2",
    ("pds4", "Product_Browse", "browse"): "pds4/Product_Browse.xml.j2",
    ("pds3", "TABLE", "table"): "pds3/table.lbl.j2",
    ("pds3", "SPREADSHEET", "table"): "pds3/spreadsheet.lbl.j2",
    ("pds3", "IMAGE", "array"): "pds3/image.lbl.j2",
}
DATA_EXTENSIONS = {"character": ".tab", "delimited": ".csv", "binary": ".dat", "array": ".img",
                   "fits": ".fits"}
TABLE_CLASSES = {"character": "Table_Character", "delimited": "Table_Delimited", "binary": "Table_Binary"}


@dataclass
class WrittenProduct:
    """What a writer produced: paths, identifiers, and the data file's size and MD5."""

    label_path: Path
    data_paths: list[Path]
    standard: Standard
    lid: str | None = None
    vid: str | None = None
    product_id: str | None = None
    md5: str = ""  # of the (first) data file
    size: int = 0  # bytes of the (first) data file
    creation_time: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def data_path(self) -> Path:
        return self.data_paths[0]

    @property
    def identity(self) -> ProductIdentity:
        return ProductIdentity(self.lid, self.vid, label=str(self.label_path), product_id=self.product_id)

    @property
    def lidvid(self) -> str | None:
        return self.identity.lidvid

    @property
    def identifier(self) -> str:
        return self.identity.identifier or self.label_path.name


@dataclass
class FileInfo:
    """The PDS4 File / PDS3 file-level values of one written file."""

    file_name: str
    size: int
    md5: str
    creation_date_time: str
    records: int | None = None


# ---------------------------------------------------------------------- shared steps


@contextmanager
def _discarded_on_error(staged: StagedFile | None) -> Iterator[None]:
    """Remove a staged (partly written) data file when writing the product fails."""
    try:
        yield
    except BaseException:
        if staged is not None:
            staged.discard()
        raise


def _check_basename(basename: str) -> str:
    if not isinstance(basename, str) or not _FILE_NAME.fullmatch(basename) or len(basename) > 240:
        raise LabelError(f"file base name {basename!r} may only hold letters, digits, '_', '-', '.' "
                         "and must start with a letter or digit")
    return basename


def _check_context(ctx: ProductContext, standard: Standard, product_class: str,
                   label: Path | None = None) -> None:
    """The identification rules a label must meet, checked before anything is written;
    errors name the label that would have been written."""
    try:
        _check_identification(ctx, standard, product_class)
    except LabelError as exc:
        if exc.path is None and label is not None:
            exc.path = str(label)
        raise


def _check_identification(ctx: ProductContext, standard: Standard, product_class: str) -> None:
    if standard not in ("pds4", "pds3"):
        raise UnsupportedError(f"standard must be 'pds4' or 'pds3', not {standard!r}")
    if standard == "pds4":
        if not ctx.lid:
            raise LabelError("product context has no lid (PDS4 logical_identifier)")
        check_lid(ctx.lid, level="product")
        check_vid(ctx.vid)
        if not ctx.title or not ctx.title.strip():
            raise LabelError(f"{ctx.lid}: product context has no title")
        if len(" ".join(ctx.title.split())) > 255:
            raise LabelError(f"{ctx.lid}: title is longer than 255 characters")
        for x in ctx.internal_inputs:
            check_lidvid(x, what="input product")
        for x in ctx.internal_calibration_files:
            check_lid_or_lidvid(x, what="calibration file")
        for r in ctx.investigations + ctx.observing_system + ctx.targets:
            if r.lid_reference:
                check_lid_or_lidvid(r.lid_reference, what=f"reference to {r.name!r}")
        if product_class == "Product_Observational":
            missing = [n for n, v in (("start_time", ctx.start_time), ("stop_time", ctx.stop_time),
                                      ("investigations", ctx.investigations),
                                      ("observing_system", ctx.observing_system),
                                      ("targets", ctx.targets)) if not v]
            if missing:
                raise LabelError(f"{ctx.lid}: Product_Observational needs {', '.join(missing)} "
                                 "in the product context")
    else:
        if not ctx.product_id:
            raise LabelError("product context has no product_id (PDS3 PRODUCT_ID)")
        for key in ctx.pds3_keywords:
            if not _PDS3_KEYWORD.fullmatch(str(key)):
                raise LabelError(f"PDS3 keyword {key!r} is not an ODL identifier "
                                 "(upper-case letters, digits, '_', optional NAMESPACE:)")


def _base_context(ctx: ProductContext, created: str, im_version: str, standard: Standard) -> dict[str, Any]:
    history = ctx.modification_history or [
        ModificationDetail(iso_date(created), ctx.vid, f"Generated by pdsgen {pdsgen_version()}.")
    ]
    return {
        "product": ctx,
        "im": information_model(im_version) if standard == "pds4" else None,
        "creation_time": created,
        "creation_date": iso_date(created),
        "start_time": iso_utc(ctx.start_time, what="start_time") if ctx.start_time is not None else None,
        "stop_time": iso_utc(ctx.stop_time, what="stop_time") if ctx.stop_time is not None else None,
        "pdsgen_version": pdsgen_version(),
        # the statement quotes with apostrophes: escape only what XML needs, so that the
        # label reads {'alpha': 0.5}, not {&#39;alpha&#39;: 0.5}
        "provenance": Markup(ctx.provenance_text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
        if standard == "pds4" else ctx.provenance_text,
        "modification_history": history,
    }


def _render(template: str, variables: Mapping[str, Any], templates_dir: TemplateDirs, standard: Standard) -> bytes:
    text = label_environment(templates_dir).render(template, variables)
    if standard == "pds3":
        if not text.isascii():
            raise LabelError(f"rendered PDS3 label from {template} holds non-ASCII characters")
        return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("ascii")
    return text.encode("utf-8")


def _render_attached(template: str, variables: dict[str, Any], templates_dir: TemplateDirs, *,
                     record_bytes: int | None) -> bytes:
    """A PDS3 attached label whose pointer/LABEL_RECORDS agree with its own padded length.

    Fixed-length records: the label is padded with spaces to whole records and the data
    pointer is a record number; stream files: the pointer is a byte offset. The length
    depends on the digits of the pointer, so iterate to the fixed point.
    """
    pds3 = variables["pds3"]
    size = 0
    for _ in range(20):
        if record_bytes:
            pds3["label_records"] = max(1, math.ceil(size / record_bytes))
            pds3["pointer"] = str(pds3["label_records"] + 1)
            pds3["file_records"] = pds3["label_records"] + pds3["data_records"]
        else:
            pds3["pointer"] = f"{size + 1} <BYTES>"
        raw = _render(template, variables, templates_dir, "pds3")
        need = len(raw)
        if record_bytes:
            need = math.ceil(len(raw) / record_bytes) * record_bytes
        if need <= size:
            return raw + b" " * (size - len(raw))
        size = need
    raise LabelError(f"attached label from {template} did not reach a stable length")


def _file_info(name: str, data: bytes | memoryview, created: str, records: int | None,
               md5: str | None = None) -> FileInfo:
    return FileInfo(name, memoryview(data).nbytes, md5 or md5_hex(data), created, records)


# ---------------------------------------------------------------------- tables


def write_table(
    table: Any,
    directory: PathLike,
    *,
    basename: str,
    context: ProductContext | Mapping[str, Any],
    standard: Standard = "pds4",
    table_format: TableFormat = "character",
    byte_order: Literal["big", "little"] = "big",
    product_class: str = "Product_Observational",
    template: str | None = None,
    templates_dir: PathLike | Iterable[PathLike] | None = None,
    creation_time: Any = None,
    information_model_version: str = DEFAULT_IM_VERSION,
    units: Mapping[str, str] | None = None,
    descriptions: Mapping[str, str] | None = None,
    special_constants: Mapping[str, Mapping[str, Any]] | None = None,
    statistics: bool = True,
    table_name: str | None = None,
    table_description: str | None = None,
    attached: bool = False,
    data_extension: str | None = None,
    fsync: bool = False,
) -> WrittenProduct:
    """Write a table product (data file + label) and return what was written.

    ``table``: astropy Table, numpy structured array or {name: 1-D array}; masked values
    and NaN in character/delimited tables are written as the column's missing_constant
    (from ``special_constants`` or the column's ``meta``). ``standard='pds3'`` writes an
    ASCII TABLE (character), BINARY TABLE (binary) or SPREADSHEET (delimited) with a
    detached ``.lbl`` (``attached=True``: label and data in one file).
    """
    _check_basename(basename)
    directory = Path(directory)
    ctx = ProductContext.coerce(context)
    _check_context(ctx, standard, product_class,
                   directory / (basename + (".xml" if standard == "pds4" else ".lbl")))
    if table_format not in TABLE_CLASSES:
        raise UnsupportedError(f"table_format must be one of {', '.join(TABLE_CLASSES)}, not {table_format!r}")
    if attached and standard != "pds3":
        raise UnsupportedError("attached labels exist only in PDS3")
    pds3 = standard == "pds3"
    cols = columns_from(table, units=units, descriptions=descriptions, special_constants=special_constants)
    for c in cols:
        if not c.name.strip() or len(c.name) > 255:
            raise LabelError(f"column name {c.name[:60]!r} must have 1 to 255 characters",
                             path=str(directory / basename))
    if not pds3 and len(cols[0].values) == 0:
        raise DataError("table has no rows; a PDS4 table needs at least one record",
                        path=str(directory / basename))
    ext = data_extension or DATA_EXTENSIONS[table_format]
    data_name = basename + ext
    staged = None
    if not attached and table_format != "delimited" and len(cols[0].values) * len(cols) >= 100_000:
        # big fixed-length tables: the data file is written block by block while it is
        # encoded and hashed (under its temporary name; placed with the label)
        if not directory.is_dir():
            raise DataError("output folder does not exist", path=str(directory))
        staged = StagedFile(directory / data_name)
    with _discarded_on_error(staged):
        sink = staged.write if staged is not None else None
        try:
            if table_format == "character":
                enc = encode_character(cols, pds3=pds3, sink=sink)
            elif table_format == "delimited":
                enc = encode_delimited(cols, pds3=pds3)
            else:
                enc = encode_binary(cols, byte_order=byte_order, pds3=pds3, sink=sink)
        except DataError as exc:
            exc.path = exc.path or str(directory / basename)
            raise
        if not statistics:
            for f in enc.fields:
                f.minimum = f.maximum = None
        created = iso_utc(resolve_creation_time(creation_time))
        variables = _base_context(ctx, created, information_model_version, standard)
        table_vars = _table_variables(enc, table_format, table_name or "table", table_description)
        variables["table"] = table_vars
        if standard == "pds4":
            kind_key = ("pds4", product_class, "table")
            label_name = basename + ".xml"
            variables["file"] = _file_info(data_name, enc.data, created, enc.records, enc.md5)
            variables["product_class"] = product_class
        else:
            obj = "SPREADSHEET" if table_format == "delimited" else "TABLE"
            kind_key = ("pds3", obj, "table")
            label_name = data_name if attached else basename + ".lbl"
            variables["file"] = _file_info(data_name, enc.data, created, enc.records, enc.md5)
            variables["pds3"] = _pds3_variables(data_name, attached, enc.record_length, enc.records,
                                                stream=table_format == "delimited")
        template = template or DEFAULT_TEMPLATES.get(kind_key)
        if template is None:
            raise UnsupportedError(f"no built-in template for {kind_key[1]} {kind_key[2]}; give template=")
        return _commit(directory, template, variables, templates_dir, standard, attached,
                       label_name, data_name, enc.data, ctx, created, enc.record_length, fsync,
                       staged=staged)


def write_ancillary_table(table: Any, directory: PathLike, **kwargs: Any) -> WrittenProduct:
    """`write_table` as a PDS4 ``Product_Ancillary`` (calibration tables and the like)."""
    kwargs.setdefault("product_class", "Product_Ancillary")
    return write_table(table, directory, **kwargs)


def _table_variables(enc: EncodedTable, table_format: str, name: str, description: str | None) -> dict[str, Any]:
    return {
        "class_name": TABLE_CLASSES[table_format],
        "format": table_format,
        "name": name,
        "description": description,
        "offset": 0,
        "records": enc.records,
        "record_length": enc.record_length,
        "max_record_length": enc.max_record_length,
        "fields": enc.fields,
        "field_count": sum(1 for f in enc.fields if f.repetitions == 1),
        "group_count": sum(1 for f in enc.fields if f.repetitions > 1),
        "byte_order": enc.byte_order,
        "record_delimiter": enc.record_delimiter,
        "field_delimiter": "Comma",
    }


def _pds3_variables(data_name: str, attached: bool, record_bytes: int | None, records: int,
                    *, stream: bool) -> dict[str, Any]:
    return {
        "attached": attached,
        "data_file": data_name,
        "record_type": "STREAM" if stream else "FIXED_LENGTH",
        "record_bytes": None if stream else record_bytes,
        "data_records": records,
        "file_records": None if stream else records,
        "label_records": None,
        "pointer": f'"{data_name}"',
    }


def _commit(directory: Path, template: str, variables: dict[str, Any], templates_dir: TemplateDirs, standard: Standard,
            attached: bool, label_name: str, data_name: str, data: bytes | memoryview, ctx: ProductContext,
            created: str, record_bytes: int | None, fsync: bool,
            extra_files: list[tuple[Path, bytes | memoryview]] | None = None,
            staged: StagedFile | None = None) -> WrittenProduct:
    if not directory.is_dir():
        raise DataError("output folder does not exist", path=str(directory))
    if attached:
        stream = variables["pds3"]["record_type"] == "STREAM"
        label = _render_attached(template, variables, templates_dir, record_bytes=None if stream else record_bytes)
        files: list[tuple[Path, bytes | memoryview]] = [(directory / label_name, label + bytes(data))]
        data_paths = [directory / label_name]
    else:
        label = _render(template, variables, templates_dir, standard)
        files = [*(extra_files or []), (directory / data_name, data), (directory / label_name, label)]
        data_paths = [p for p, _ in files[:-1]]
        if staged is not None:  # the data file is already written (see write_table)
            files = [f for f in files if f[0] != staged.path]
    commit_files(files, fsync=fsync, staged=[staged] if staged is not None else [])
    file = variables.get("file")
    return WrittenProduct(
        label_path=directory / label_name, data_paths=data_paths, standard=standard,
        lid=ctx.lid if standard == "pds4" else None, vid=ctx.vid if standard == "pds4" else None,
        product_id=ctx.product_id, md5=file.md5 if file else "", size=file.size if file else 0,
        creation_time=created,
    )


# ---------------------------------------------------------------------- arrays


def write_array(
    array: Any,
    directory: PathLike,
    *,
    basename: str,
    context: ProductContext | Mapping[str, Any],
    standard: Standard = "pds4",
    array_class: str | None = None,
    axis_names: tuple[str, ...] | None = None,
    byte_order: Literal["big", "little"] = "big",
    product_class: str = "Product_Observational",
    unit: str | None = None,
    scaling_factor: float | None = None,
    value_offset: float | None = None,
    special_constants: Mapping[str, Any] | None = None,
    statistics: bool = True,
    description: str | None = None,
    template: str | None = None,
    templates_dir: PathLike | Iterable[PathLike] | None = None,
    creation_time: Any = None,
    information_model_version: str = DEFAULT_IM_VERSION,
    attached: bool = False,
    data_extension: str | None = None,
    fsync: bool = False,
) -> WrittenProduct:
    """Write an N-D array (PDS4 Array_*, PDS3 IMAGE) as raw binary, C order (last index fastest).

    Masked elements are written as ``special_constants['missing_constant']``.
    """
    _check_basename(basename)
    directory = Path(directory)
    ctx = ProductContext.coerce(context)
    _check_context(ctx, standard, product_class,
                   directory / (basename + (".xml" if standard == "pds4" else ".lbl")))
    if attached and standard != "pds3":
        raise UnsupportedError("attached labels exist only in PDS3")
    info, data = encode_array(array, byte_order=byte_order, array_class=array_class,
                              axis_names=axis_names, unit=unit, scaling_factor=scaling_factor,
                              value_offset=value_offset, special_constants=special_constants,
                              statistics=statistics, description=description)
    if standard == "pds3" and info.ndim not in (2, 3):
        raise UnsupportedError(f"PDS3 IMAGE needs a 2-D or 3-D array, not {info.ndim}-D")
    created = iso_utc(resolve_creation_time(creation_time))
    variables = _base_context(ctx, created, information_model_version, standard)
    data_name = basename + (data_extension or DATA_EXTENSIONS["array"])
    variables["array"] = info
    variables["file"] = _file_info(data_name, data, created, None)
    record_bytes = info.shape[-1] * info.itemsize
    if standard == "pds4":
        key = ("pds4", product_class, "array")
        label_name = basename + ".xml"
        variables["product_class"] = product_class
    else:
        key = ("pds3", "IMAGE", "array")
        label_name = data_name if attached else basename + ".lbl"
        lines = int(np.prod(info.shape[:-1]))
        variables["pds3"] = _pds3_variables(data_name, attached, record_bytes, lines, stream=False)
    template = template or DEFAULT_TEMPLATES.get(key)
    if template is None:
        raise UnsupportedError(f"no built-in template for {key[1]} arrays; give template=")
    return _commit(directory, template, variables, templates_dir, standard, attached,
                   label_name, data_name, data, ctx, created, record_bytes, fsync)


# ---------------------------------------------------------------------- browse

_MAGIC = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF8", "GIF"),
          (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"), (b"%PDF", "PDF"))


def write_browse(
    image: PathLike | bytes,
    directory: PathLike,
    *,
    basename: str,
    context: ProductContext | Mapping[str, Any],
    browse_of: Iterable[str] = (),
    template: str | None = None,
    templates_dir: PathLike | Iterable[PathLike] | None = None,
    creation_time: Any = None,
    information_model_version: str = DEFAULT_IM_VERSION,
    description: str | None = None,
    fsync: bool = False,
) -> WrittenProduct:
    """Write a PDS4 ``Product_Browse`` for an encoded image (PNG, JPEG, GIF, TIFF).

    ``image`` is the file (copied next to the label unless it already is there) or its
    bytes; ``browse_of`` are the LIDVIDs/LIDs of the data products it shows.
    """
    _check_basename(basename)
    directory = Path(directory)
    ctx = ProductContext.coerce(context)
    _check_context(ctx, "pds4", "Product_Browse", directory / (basename + ".xml"))
    if isinstance(image, bytes | bytearray):
        data = bytes(image)
        src = None
    else:
        src = Path(image)
        try:
            data = src.read_bytes()
        except OSError as exc:
            raise DataError(f"cannot read browse image: {exc.strerror}", path=str(src)) from exc
    encoding = next((name for magic, name in _MAGIC if data.startswith(magic)), None)
    if encoding is None or encoding == "PDF":
        raise UnsupportedError("browse image is not PNG, JPEG, GIF or TIFF",
                               path=str(src) if src else None)
    ext = {"PNG": ".png", "JPEG": ".jpg", "GIF": ".gif", "TIFF": ".tif"}[encoding]
    data_name = basename + ext
    targets = [check_lid_or_lidvid(x, what="browse_of") for x in browse_of]
    created = iso_utc(resolve_creation_time(creation_time))
    variables = _base_context(ctx, created, information_model_version, "pds4")
    variables["file"] = _file_info(data_name, data, created, None)
    variables["product_class"] = "Product_Browse"
    variables["browse"] = {"encoding_standard_id": encoding, "object_length": len(data),
                           "browse_of": targets,
                           "references": [(r, "browse_to_data", None) for r in targets],
                           "description": description, "offset": 0}
    template = template or DEFAULT_TEMPLATES[("pds4", "Product_Browse", "browse")]
    return _commit(directory, template, variables, templates_dir, "pds4", False,
                   basename + ".xml", data_name, data, ctx, created, None, fsync)





# ---------------------------------------------------------------------- FITS


def write_fits(
    data: Any,
    directory: PathLike,
    *,
    basename: str,
    context: ProductContext | Mapping[str, Any],
    product_class: str = "Product_Observational",
    fits_header: Mapping[str, Any] | None = None,
    axis_names: tuple[str, ...] | None = None,
    array_class: str | None = None,
    statistics: bool = True,
    template: str | None = None,
    templates_dir: PathLike | Iterable[PathLike] | None = None,
    creation_time: Any = None,
    information_model_version: str = DEFAULT_IM_VERSION,
    fsync: bool = False,
) -> WrittenProduct:
    """Write a FITS file (image in the primary HDU, or a table as a BINTABLE extension)
    and a PDS4 label describing every HDU's header and data at their byte offsets."""
    from pdsgen.render.fits import describe_fits, fits_bytes

    _check_basename(basename)
    directory = Path(directory)
    ctx = ProductContext.coerce(context)
    _check_context(ctx, "pds4", product_class, directory / (basename + ".xml"))
    raw = fits_bytes(data, header=dict(fits_header or {}))
    hdus = describe_fits(raw, statistics=statistics, axis_names=axis_names, array_class=array_class)
    created = iso_utc(resolve_creation_time(creation_time))
    variables = _base_context(ctx, created, information_model_version, "pds4")
    data_name = basename + DATA_EXTENSIONS["fits"]
    variables["file"] = _file_info(data_name, raw, created, None)
    variables["product_class"] = product_class
    variables["hdus"] = hdus
    template = template or DEFAULT_TEMPLATES.get(("pds4", product_class, "fits"))
    if template is None:
        raise UnsupportedError(f"no built-in FITS template for {product_class}; give template=")
    return _commit(directory, template, variables, templates_dir, "pds4", False,
                   basename + ".xml", data_name, raw, ctx, created, None, fsync)


__all__ = [
    "DEFAULT_TEMPLATES",
    "ArrayInfo",
    "FileInfo",
    "WrittenProduct",
    "write_ancillary_table",
    "write_array",
    "write_browse",
    "write_fits",
    "write_table",
]
