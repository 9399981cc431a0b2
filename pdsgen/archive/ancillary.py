"""Label a small delimited table (a calibration file such as a CSV plan or constants
table) as a PDS4 Product_Ancillary, so it can be delivered as a member of a calibration
collection: a header line (Header object) and comma-separated records (Table_Delimited,
CRLF), field types from the values (astropy's ASCII reader)."""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pdsgen.archive.errors import ArchiveInputError
from pdsgen.archive.package import label_basics, write_product
from pdsgen.model import Field


def _field_type(column: Any) -> str:
    kind = column.dtype.kind
    return {"i": "ASCII_Integer", "u": "ASCII_NonNegative_Integer", "f": "ASCII_Real", "b": "ASCII_Boolean"}.get(
        kind, "ASCII_String")


def label_delimited(source: str | os.PathLike[str], folder: str | os.PathLike[str], lid: str, *,
                    title: str, description: str = "", vid: str = "1.0", history: Sequence[dict[str, str]] = (),
                    creation_time: Any = None) -> Path:
    """Copy the CSV ``source`` (first line: column names) into ``folder`` with CRLF line
    ends, and write its Product_Ancillary label (``purpose`` Calibration); returns the label."""
    from astropy.io import ascii as astropy_ascii

    src = Path(source)
    try:
        text = src.read_text(encoding="ascii")
        table = astropy_ascii.read(text, format="csv")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ArchiveInputError(f"not a readable ASCII CSV table with a header line: {exc}", path=str(src)) from None
    lines = [line for line in text.splitlines() if line.strip()]
    data = ("\r\n".join(lines) + "\r\n").encode("ascii")
    header_len = len(lines[0]) + 2
    context = label_basics(creation_time)
    date = context["date"]
    history = list(history) + [{"date": date, "vid": vid,
                                "description": "First version." if not history else f"Version {vid}."}]
    # maximum_field_length from the values as written (astropy's str() of a parsed number
    # can be shorter: -6.5734e-2 prints as -0.065734)
    import numpy as np

    cells = np.array(list(csv.reader(lines[1:])), dtype=str).reshape(len(lines) - 1, len(table.colnames))
    lengths = np.char.str_len(cells).max(axis=0) if len(cells) else np.ones(len(table.colnames), dtype=int)
    fields = [Field(name, _field_type(table[name]), i, max(int(lengths[i]), 1), number=i + 1)
              for i, name in enumerate(table.colnames)]
    context |= {
        "lid": lid, "vid": vid, "title": title, "description": description or title, "modification_history": history,
        "file": {"file_name": src.name, "size": len(data), "md5": hashlib.md5(data).hexdigest()},
        "header_length": header_len, "records": len(lines) - 1, "fields": fields,
    }
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return write_product("archive/ancillary_table.xml.j2", context, folder / (src.stem + ".xml"),
                         [(folder / src.name, data)])
