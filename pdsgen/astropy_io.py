"""`Table.read(path, format="pds4" | "pds3", object=...)`: pdsgen's readers in astropy's
unified I/O registry (registered by ``import pdsgen``, or, when astropy.table is not imported
yet, the moment it is: `RegisterOnImport`).

>>> from astropy.table import Table
>>> t = Table.read("demo-out/calibrated/chems/cpha0_2004183_0001_cal.xml", format="pds4")
>>> t["E"].unit
Unit("keV")

The result equals ``pdsgen.open(path)[object].to_table(times=times)``. ``object`` is an
index or a name (default: the first table, else the first array). Writing through
``Table.write`` is not registered: a PDS product needs identification (LID, context) that
a bare table does not carry; use `pdsgen.render.write_table`.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import logging
import os
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING

from pdsgen.errors import UnsupportedError

if TYPE_CHECKING:
    from astropy.table import Table


def _reader(standard: str) -> Callable[..., Table]:
    def read(path: str | os.PathLike[str], object: int | str | None = None,  # noqa: A002 - astropy style
             times: str | None = None) -> Table:
        import pdsgen

        product = pdsgen.open(path)
        if product.standard != standard:
            raise UnsupportedError(f"a {product.standard} label, not {standard} "
                                   f"(use format={product.standard.lower()!r})", path=str(path))
        if object is None:
            tabular = [o for o in product.objects if o.kind == "table"] or \
                      [o for o in product.objects if o.kind == "array"]
            if not tabular:
                raise UnsupportedError("no table or array object", path=str(path))
            obj = tabular[0]
        else:
            obj = product[object]
        return obj.to_table(times=times)

    read.__doc__ = f"Read one object of a {standard} product as an astropy Table (pdsgen)."
    return read


def register() -> None:
    """Register the ``pds4`` and ``pds3`` Table readers (idempotent)."""
    from astropy.io import registry
    from astropy.table import Table

    for standard in ("PDS4", "PDS3"):
        name = standard.lower()
        if name not in {f for f in registry.get_formats(Table, "Read")["Format"]}:
            registry.register_reader(name, Table, _reader(standard))


class RegisterOnImport(importlib.abc.MetaPathFinder):
    """A one-shot import hook: when ``astropy.table`` is first imported, it is imported by
    the usual finders and loader, then `register` runs (installed by ``import pdsgen``)."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != "astropy.table":
            return None
        if self in sys.meta_path:
            sys.meta_path.remove(self)  # one shot: the finders below find the real module
        spec = importlib.util.find_spec(fullname)
        if spec is not None and spec.loader is not None:
            spec.loader = _RegisteringLoader(spec.loader)
        return spec


class _RegisteringLoader(importlib.abc.Loader):
    """astropy.table's own loader, then `register` once the module has run."""

    def __init__(self, loader: importlib.abc.Loader):
        self.loader = loader

    def __getattr__(self, name: str) -> object:  # get_source, get_resource_reader, is_package …
        return getattr(self.loader, name)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        try:
            register()
        except Exception as exc:  # noqa: BLE001 - never break the user's astropy import
            logging.getLogger(__name__).warning("pdsgen: Table.read formats not registered: %s", exc)
