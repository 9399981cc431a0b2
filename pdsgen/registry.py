"""The label-reader registry behind `pdsgen.open` (like astropy's unified I/O registry).

Each label standard registers a detector and an opener (`register_reader`); `open()` asks
the detectors by priority (`pdsgen.plugins.Registry` rules: PDS4 at priority 20, PDS3 at
10, readers registered by others at 100 unless they say otherwise; two readers claiming a
file at the same priority is an error naming both). `pdsgen readers` lists them.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pdsgen.errors import LabelError
from pdsgen.model import Product
from pdsgen.plugins import Registry, RegistryError

log = logging.getLogger(__name__)

Detector = Callable[[Path, bytes], bool]
Opener = Callable[[Path], Product]


@dataclass(frozen=True)
class LabelReader:
    """A label standard's detector (``detect(path, first 4096 bytes) -> bool``) and opener."""

    standard: str
    detect: Detector
    open: Opener


#: modules that register the built-in readers on import, loaded by name like plug-ins (this
#: module sits below them: they import `register_reader` from here)
BUILTIN_READER_MODULES = ("pdsgen.pds3.product", "pdsgen.pds4.product")


def _builtin_readers() -> None:
    for module in BUILTIN_READER_MODULES:
        importlib.import_module(module)


READERS: Registry[LabelReader] = Registry("label reader", loader=_builtin_readers)


def register_reader(standard: str, detect: Detector, opener: Opener, *, priority: int = 100) -> None:
    """Register a label reader. Readers are tried by priority (highest first): the built-in
    PDS4 reader has 20, PDS3 10; a new reader defaults to 100, i.e. before them."""
    READERS.register(standard, LabelReader(standard, detect, opener), priority=priority,
                     origin=getattr(opener, "__module__", "") or "")


def open(path: str | os.PathLike[str], *, strict: bool = False) -> Product:  # noqa: A001 - mirrors astropy
    """Open a PDS3 or PDS4 label (detached or attached) and return its `Product`.

    Reading is lenient: deviations the reader can recover from (an unknown element, a
    value that is not a number, bytes that are not text ...) are recorded in
    ``product.warnings`` and reading goes on. ``strict=True`` raises `DataError` on the
    first one instead: label deviations here, data deviations when the data is read.

    >>> p = pdsgen.open("demo-out/calibrated/chems/cpha0_2004183_0001_cal.xml")
    >>> p
    <Product PDS4 'urn:nasa:pds:cassini_mimi_calibrated:data_chems_pha:cpha0_2004183_0001_cal::1.0' (Product_Observational) cpha0_2004183_0001_cal.xml: 1 object(s) [table 'table']>
    >>> p[0]["E"][:2]                       # one field, physical values (keV)
    masked_array(data=[3.870588, 11.61176], mask=[False, False], fill_value=1e+20)
    >>> p[0].to_table(times="Time")["utc"][0].isot
    '2004-07-01T00:00:38.956'

    Nothing is read until asked for: objects read their bytes on first use
    (``.data`` stored values, ``obj["F"]``/``.physical`` physical values).
    """
    p = Path(path)
    try:
        if p.is_dir():
            raise LabelError("is a folder, not a label", path=str(p))
        with p.open("rb") as fh:
            head = fh.read(4096)
    except FileNotFoundError:
        raise LabelError("no such file", path=str(p)) from None
    except OSError as exc:  # permission denied, symlink loop, a device that fails ...
        raise LabelError(f"cannot read label: {exc.strerror or exc}", path=str(p)) from None
    if not head.strip():
        raise LabelError("empty file, not a label", path=str(p))
    try:
        hit = READERS.find(lambda r: r.detect(p, head))
    except RegistryError as exc:
        raise LabelError(exc.message, path=str(p)) from None
    if hit is None:
        raise LabelError("not a PDS3 or PDS4 label (no XML Product_* root, no PDS3 keywords)", path=str(p))
    log.debug("opening %s as %s", p, hit.item.standard)
    return _strictness(hit.item.open(p), strict)


def _strictness(product: Product, strict: bool) -> Product:
    product.strict = strict
    for obj in product.objects:
        obj.strict = strict
    if strict and product.warnings:
        from pdsgen.errors import DataError

        raise DataError(f"{product.warnings[0]} (strict reading)")
    return product
