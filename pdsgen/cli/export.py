"""`pdsgen export PATH OUT [--object NAME|INDEX] [--to csv|fits|ecsv|parquet]`.

The format comes from ``--to``, else from OUT's suffix (``.csv``, ``.ecsv``, ``.fits``/
``.fit``/``.fts``, ``.parquet``/``.pq``). OUT's folder must exist (a mistyped path is
not silently created).

Writes one table or array object through astropy (units and masks kept where the
format can hold them) to a temporary name in the output folder, then renames it, so
a failed export never leaves a half-written file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pdsgen.cli.app import main

if TYPE_CHECKING:
    from astropy.table import Table

    from pdsgen.model import DataObject, Product

FORMATS = {"csv": "ascii.csv", "ecsv": "ascii.ecsv", "fits": "fits", "parquet": "parquet"}
#: output suffix → format, when --to is not given
SUFFIXES = {".csv": "csv", ".ecsv": "ecsv", ".fits": "fits", ".fit": "fits", ".fts": "fits",
            ".parquet": "parquet", ".pq": "parquet"}


def format_of(out: Path, fmt: str | None) -> str:
    """``fmt`` if given, else the format named by ``out``'s suffix (`UsageError` if none)."""
    if fmt:
        return fmt
    found = SUFFIXES.get(out.suffix.lower())
    if found is None:
        raise click.UsageError(f"cannot tell the format from {out.name!r}: give --to "
                               f"({', '.join(sorted(FORMATS))}) or a suffix ({', '.join(SUFFIXES)})")
    return found


def pick_object(product: Product, selector: str | None) -> DataObject:
    """The object named or numbered by ``selector``; default: the first table or array."""
    from pdsgen.errors import UnsupportedError

    if selector is None:
        for obj in product.objects:
            if obj.kind in ("table", "array"):
                return obj
        for obj in product.objects:  # a table whose description is broken is not "no table"
            if obj.error is not None and not isinstance(obj.error, UnsupportedError):
                raise obj.error
        raise UnsupportedError("has no table or array object to export", path=str(product.path))
    if selector.lstrip("-").isdigit():
        index = int(selector)
        if not -len(product.objects) <= index < len(product.objects):
            raise UnsupportedError(f"no object number {index} (it has {len(product.objects)})",
                                   path=str(product.path))
        return product.objects[index]
    try:
        return product[selector]
    except KeyError as exc:
        raise UnsupportedError(str(exc.args[0]).split(": ", 1)[-1], path=str(product.path)) from None


def write_object(obj: DataObject, out: Path, fmt: str) -> None:
    """Write ``obj`` as ``fmt`` to ``out`` atomically (temporary file + os.replace)."""
    from pdsgen.errors import UnsupportedError

    if obj.kind not in ("table", "array"):
        raise UnsupportedError(f"{obj.kind} objects cannot be exported as {fmt} (only tables and arrays)",
                               path=str(obj.file), obj=obj.name)
    from pdsgen.errors import PdsgenError

    try:
        _write(obj, out, fmt)
    except OSError as exc:  # the output side: no such folder, permission, disk full
        raise PdsgenError(f"cannot write the export: {exc.strerror or exc}", path=str(out)) from None


def _write(obj: DataObject, out: Path, fmt: str) -> None:
    import numpy as np
    from astropy.io import fits

    from pdsgen.cli.app import OutputError
    from pdsgen.data import physical_data

    if not out.parent.is_dir():
        raise OutputError(f"cannot write the export: {out.parent} is not an existing folder "
                          "(pdsgen does not create it)", path=str(out))
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if fmt == "fits" and obj.kind == "array" and len(obj.shape) >= 2:
            # Images stay images: a primary HDU, masked values as NaN, unit in BUNIT.
            values = physical_data(obj)
            if np.ma.isMaskedArray(values):
                values = np.ma.filled(values.astype(np.float64), np.nan)
            hdu = fits.PrimaryHDU(np.asarray(values))
            hdu.header["EXTNAME"] = obj.name[:68]
            if obj.unit:
                hdu.header["BUNIT"] = obj.unit
            hdu.writeto(tmp, overwrite=True)
        else:
            table = obj.to_table()
            # arrays and vector columns; text columns stay with astropy's writer (quoting rules)
            wide = (fmt == "csv" and any(col.ndim > 1 for col in table.itercols())
                    and all(col.dtype.kind in "biuf" for col in table.itercols()))
            if fmt == "csv" and not wide:
                table = _flatten_columns(table)
            if fmt == "fits":
                # FITS keywords: 8 characters, upper case; the description goes in the column headers.
                table.meta = {"EXTNAME": obj.name[:68], "PDSCLASS": obj.label_type}
                _ascii_text_columns(table)
            if wide:
                _write_wide_csv(table, tmp)
            elif fmt == "parquet":
                _write_parquet(table, tmp)
            elif fmt == "fits":
                _write_fits_table(table, tmp)
            else:
                table.write(tmp, format=FORMATS[fmt], overwrite=True)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_fits_table(table: Table, tmp: Path) -> None:
    """A binary table HDU; units the FITS standard does not know (DN, counts/bin …) are kept
    as written (TUNITn) instead of being dropped with a warning, as astropy's writer does."""
    import warnings

    from astropy.io import fits
    from astropy.units import UnitsWarning

    units = {name: table[name].unit for name in table.colnames}
    table = table.copy(copy_data=False)
    for name, unit in units.items():
        if unit is not None:
            try:
                unit.to_string("fits")
            except (ValueError, TypeError):  # u / e (elementary charge), scaled composites …
                table[name].unit = None  # written as the label spells it, below
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnitsWarning)
        warnings.filterwarnings("ignore", message="The unit .* could not be saved")  # it is, below
        hdu = fits.table_to_hdu(table)
    for n, name in enumerate(table.colnames, start=1):
        unit = units[name]
        key = f"TUNIT{n}"
        if unit is not None and key not in hdu.header and unit.to_string("generic"):
            hdu.header[key] = unit.to_string("generic")
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(tmp, overwrite=True)


def _ascii_text_columns(table: Table) -> None:
    """FITS text is ASCII: store non-ASCII strings as their UTF-8 bytes instead of failing."""
    import numpy as np

    for name in table.colnames:
        col = table[name]
        if col.dtype.kind == "U":
            encoded = np.char.encode(np.asarray(col), "utf-8")
            if hasattr(col, "mask"):
                table[name] = np.ma.MaskedArray(encoded, mask=np.ma.getmaskarray(col))
            else:
                table[name] = encoded
            table[name].unit, table[name].description = col.unit, col.description


def _write_wide_csv(table: Table, tmp: Path) -> None:
    """CSV holds one value per cell: a column of shape (n, a, b) becomes a·b columns
    ``name[i,j]``. Written through Arrow, one cast per source column: astropy's CSV writer
    handles a 1024×1024 image as 1024 Python columns (seconds; a 2×32×512 cube took 7 s).
    Cells read as astropy writes them: floats keep a decimal point, masked values are empty."""
    import csv
    import io

    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    names: list[str] = []
    arrays: list[Any] = []  # pyarrow arrays (pyarrow ships no type information)
    for col in table.itercols():
        n = len(col)
        data = np.ma.getdata(col)
        if data.dtype.byteorder not in ("=", "|"):  # Arrow takes native byte order only (FITS is big-endian)
            data = data.astype(data.dtype.newbyteorder("="))
        mask = np.ma.getmaskarray(col) if hasattr(col, "mask") else None
        index = list(np.ndindex(*col.shape[1:])) if col.ndim > 1 else [()]
        width = len(index)
        # column-major: every output column is one contiguous slice of a single Arrow array
        by_cell = np.ascontiguousarray(data.reshape(n, width).T).reshape(-1)
        cell_mask = None if mask is None or not mask.any() else np.ascontiguousarray(mask.reshape(n, width).T).reshape(-1)
        values = pa.array(by_cell, mask=cell_mask)
        if pa.types.is_floating(values.type):
            text = pc.cast(values, pa.string())
            whole = pc.match_substring_regex(text, r"^-?[0-9]+$")
            values = pc.if_else(whole, pc.binary_join_element_wise(text, ".0", ""), text)
        elif pa.types.is_boolean(values.type):
            values = pc.if_else(values, "True", "False")
        for k, idx in enumerate(index):
            names.append(col.name if col.ndim <= 1 else f"{col.name}[{','.join(map(str, idx))}]")
            arrays.append(values.slice(k * n, n))
    # header quoted where needed ("name[0,1]" holds a comma), as astropy and the csv module do;
    # the cells are numbers (no quoting needed, so none: Arrow would quote every text cell)
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(names)
    with open(tmp, "wb") as out:
        out.write(header.getvalue().encode())
        pcsv.write_csv(pa.Table.from_arrays(arrays, names=names), out,
                       write_options=pcsv.WriteOptions(include_header=False, quoting_style="none"))


def _flatten_columns(table: Table) -> Table:
    """CSV holds one value per cell: a column of shape (n, a, b) becomes a·b columns ``name[i,j]``
    (astropy path, for tables with text columns)."""
    import numpy as np
    from astropy.table import Table

    if all(col.ndim <= 1 for col in table.itercols()):
        return table
    out = Table(meta=table.meta)
    for col in table.itercols():
        if col.ndim <= 1:
            out.add_column(col)
            continue
        for index in np.ndindex(*col.shape[1:]):
            sub = col[(slice(None), *index)]
            sub.name = f"{col.name}[{','.join(map(str, index))}]"
            out.add_column(sub)
    return out


def _write_parquet(table: Table, tmp: Path) -> None:
    """Parquet through pyarrow (astropy's writer rejects masked/multi-dim columns in places)."""
    import json

    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrays, fields = [], []
    for col in table.itercols():
        data = np.asarray(col)
        if data.dtype.byteorder not in ("=", "|"):
            data = data.astype(data.dtype.newbyteorder("="))  # arrow takes native byte order only
        mask = np.ma.getmaskarray(col) if hasattr(col, "mask") else None
        values = data.reshape(-1)
        value_mask = mask.reshape(-1) if mask is not None and mask.any() else None
        flat = pa.array(values, mask=value_mask) if value_mask is not None else pa.array(values)
        # Sub-array columns: nested fixed-size lists over the flat values (no Python per value).
        for size in reversed(data.shape[1:]):
            flat = pa.FixedSizeListArray.from_arrays(flat, size)
        meta = {"unit": str(col.unit)} if col.unit is not None else {}
        if col.description:
            meta["description"] = col.description
        fields.append(pa.field(col.name, flat.type, metadata={k: v.encode() for k, v in meta.items()}))
        arrays.append(flat)
    schema = pa.schema(fields, metadata={b"pdsgen": json.dumps(dict(table.meta), default=str).encode()})
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), tmp)


@main.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=str))
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--object", "selector", metavar="NAME|INDEX", help="Object to export (default: first table/array).")
@click.option("--to", "fmt", type=click.Choice(sorted(FORMATS)), default=None,
              help="Output format (default: from OUT's suffix).")
def export_command(path: str, out: Path, selector: str | None, fmt: str | None) -> None:
    """Write one table or array object of a product as csv, ecsv, fits or parquet."""
    import pdsgen
    from pdsgen.cli.app import unusable_input

    fmt = format_of(out, fmt)
    with unusable_input():
        product = pdsgen.open(path)
        obj = pick_object(product, selector)
        write_object(obj, out, fmt)
    click.echo(f"wrote {obj.kind} {obj.name!r} ({'×'.join(map(str, obj.shape))}) to {out} as {fmt}")
