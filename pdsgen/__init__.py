"""pdsgen: a PDS archive-aware data product generator.

Read PDS3 and PDS4 products (`pdsgen.open`), resolve MIMI dp:/cdp: shorthand
references, run calibration recipes, write labelled products, validate labels and
content, and keep an index of an archive.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from pdsgen.errors import (
    DataError,
    LabelError,
    PdsgenError,
    RecipeError,
    ResolutionError,
    ShorthandError,
    TemplateError,
    UnsupportedError,
)
from pdsgen.model import Axis, DataObject, Field, Product
from pdsgen.registry import open, register_reader

try:
    __version__ = version("pdsgen")
except PackageNotFoundError:  # running from a checkout without install
    __version__ = "0.0.0+unknown"


def _register_astropy() -> None:
    """``Table.read(path, format="pds4" | "pds3")`` through astropy's unified I/O registry:
    registered now when astropy.table is already imported, else the moment it is (a
    one-shot import hook), so that ``import pdsgen`` does not pay astropy.table's import
    (~0.25 s of CPU) in commands that never make a Table (validate, index, most of the CLI).
    astropy offers no lazy registration for Table formats; hence the hook."""
    import sys

    if "astropy.table" in sys.modules:
        from pdsgen.astropy_io import register

        register()
    else:
        from pdsgen.astropy_io import RegisterOnImport

        sys.meta_path.insert(0, RegisterOnImport())


_register_astropy()

__all__ = [
    "Axis",
    "DataError",
    "DataObject",
    "Field",
    "LabelError",
    "PdsgenError",
    "Product",
    "RecipeError",
    "ResolutionError",
    "ShorthandError",
    "TemplateError",
    "UnsupportedError",
    "__version__",
    "open",
    "register_reader",
]
