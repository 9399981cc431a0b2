"""Jinja2 environment for label templates: a loader chain (project template folders
first, pdsgen's built-in `templates/` last), StrictUndefined, and template errors turned
into `TemplateError` naming the template file and line.

Environments are cached per folder chain: compiling a template costs ~1000× rendering
it, and the bench renders thousands of labels per second through one environment.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

import pdsgen.render.escape as escape
from pdsgen.errors import TemplateError
from pdsgen.model import Field
from pdsgen.times import iso_date, iso_utc

PathLike = str | os.PathLike[str]
#: a templates folder, a chain of them (first wins), or None for the built-ins only
TemplateDirs = PathLike | Iterable[PathLike] | None

SPECIAL_CONSTANT_ORDER = (
    "saturated_constant", "missing_constant", "error_constant", "invalid_constant",
    "unknown_constant", "not_applicable_constant", "valid_maximum",
    "high_instrument_saturation", "high_representation_saturation", "valid_minimum",
    "low_instrument_saturation", "low_representation_saturation",
)


def _builtin_dir() -> Path:
    from pdsgen.resources import templates_dir

    return templates_dir()


def _autoescape(name: str | None) -> bool:
    # XML templates escape every value; PDS3 .lbl templates quote via filters instead.
    return name is not None and name.endswith((".xml.j2", ".xml"))


def _fmt_real(value: Any) -> str:
    """Shortest text that reads back to the same float (Python repr)."""
    return repr(float(value)) if not isinstance(value, int) else str(value)


#: names a plain dict has as attributes (``d.items``): Jinja gives those before any item
_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(jinja2.Environment):
    """Jinja's environment, refusing ``field.location`` on a `pdsgen.model.Field`.

    A template's fields are `pdsgen.model.Field`s, whose ``location`` is the 0-based byte
    offset readers use; labels want the 1-based ``start``. Templates written when fields
    had a 1-based ``location`` would otherwise come out one byte off without a word, so
    the attribute is refused with the fix in the message (``f.location`` resolves here).
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            # Jinja's own order — the attribute, else the item — without the AttributeError
            # a plain dict raises for every name that is not one of dict's own attributes
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        if attribute == "location" and isinstance(obj, Field):
            raise ValueError(  # `render` turns it into a TemplateError naming the template and line
                f"field {obj.name!r}: 'location' is the 0-based byte offset of pdsgen.model.Field; "
                "a label's field_location is 1-based: use 'start' (docs/writers.md)"
            )
        return super().getattr(obj, attribute)


class _SandboxedEnvironment(_Environment, SandboxedEnvironment):
    """`_Environment` in Jinja's sandbox: for template folders a project supplies (``--templates``).

    Templates are configuration, not code: a template may read its context's values and
    call their ordinary methods, but not reach Python's internals (``''.__class__.__mro__``,
    ``cycler.__init__.__globals__``: attributes starting with ``_`` and unsafe callables are
    refused, an error naming the template and line). Files are reached only through the
    loader: ``{% include %}`` of an absolute path or one with ``..`` is a template not
    found."""


class LabelEnvironment:
    """Renders label templates found first in ``templates_dirs`` then among the built-ins.

    A project overrides ``pds4/Product_Observational_table.xml.j2`` by putting a file of
    that relative name in its own folder; ``{% extends %}``/``{% import %}`` resolve
    through the same chain, so an override can extend the built-in by its name
    prefixed with ``builtin/`` (e.g. ``{% extends "builtin/pds4/Product_Browse.xml.j2" %}``).
    """

    def __init__(self, templates_dirs: PathLike | Iterable[PathLike] | None = None):
        if templates_dirs is None:
            dirs: tuple[Path, ...] = ()
        elif isinstance(templates_dirs, str | os.PathLike):
            dirs = (Path(templates_dirs),)
        else:
            dirs = tuple(Path(d) for d in templates_dirs)
        for d in dirs:
            if not d.is_dir():
                raise TemplateError("template folder does not exist", path=str(d))
        self.templates_dirs = dirs
        builtin = str(_builtin_dir())
        loader = jinja2.ChoiceLoader(
            [
                jinja2.FileSystemLoader([str(d) for d in dirs] + [builtin]),
                jinja2.PrefixLoader({"builtin": jinja2.FileSystemLoader(builtin)}),
            ]
        )
        # pdsgen's own templates are trusted; a project's folders render in the sandbox
        self.env = (_SandboxedEnvironment if dirs else _Environment)(
            loader=loader,
            finalize=escape.xml_chars,
            undefined=jinja2.StrictUndefined,
            autoescape=_autoescape,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,
            cache_size=-1,
        )
        # schema order of Special_Constants children (PDS4 and the PDS3 templates use it)
        self.env.globals["SPECIAL_CONSTANT_ORDER"] = SPECIAL_CONSTANT_ORDER
        self.env.filters.update(
            {
                "xml": escape.xml_escape,
                "pds3": escape.pds3_value,
                "pds3_string": escape.pds3_string,
                "pds3_text": escape.pds3_text,
                "pds3_symbol": escape.pds3_symbol,
                "iso_utc": iso_utc,
                "iso_date": iso_date,
                "real": _fmt_real,
            }
        )

    def get_template(self, name: str) -> jinja2.Template:
        try:
            return self.env.get_template(name)
        except jinja2.TemplateNotFound as exc:
            where = ", ".join(str(d) for d in self.templates_dirs) or "none"
            raise TemplateError(
                f"template {exc.name!r} not found (project template folders: {where}; "
                f"built-in: {_builtin_dir()})"
            ) from exc
        except jinja2.TemplateSyntaxError as exc:
            raise _template_error(exc, name) from exc

    def render(self, template_name: str, context: Mapping[str, Any]) -> str:
        """Render ``template_name`` with ``context``; `TemplateError` names file and line on failure."""
        template = self.get_template(template_name)
        try:
            return template.render(context)
        except TemplateError:
            raise
        except jinja2.TemplateSyntaxError as exc:
            raise _template_error(exc, template_name) from exc
        except Exception as exc:  # undefined variables, filter errors, LabelError in filters
            raise _template_error(exc, template_name) from exc


def _template_error(exc: BaseException, name: str) -> TemplateError:
    """`TemplateError` for an exception raised while loading/rendering a template."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        path = exc.filename or exc.name or name
        return TemplateError(f"line {exc.lineno}: {exc.message}", path=path)
    path, line = name, None
    # Jinja rewrites tracebacks so template frames carry the template file and line;
    # the innermost such frame is where the mistake is (possibly in a macro file).
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith(".j2") or frame.filename.endswith((".xml", ".lbl")):
            path, line = frame.filename, frame.lineno
    message = getattr(exc, "message", None) or str(exc)
    if isinstance(exc, jinja2.TemplateNotFound):
        message = (f"template {exc.name!r} not found (includes and imports are looked up inside the template "
                   "folders only: no absolute path, no '..')")
    if isinstance(exc, jinja2.UndefinedError):
        message = f"undefined variable: {message}"
    where = f"line {line}: " if line is not None else ""
    return TemplateError(f"{where}{message}", path=path)


@lru_cache(maxsize=32)
def _cached_environment(dirs: tuple[str, ...]) -> LabelEnvironment:
    return LabelEnvironment(dirs)


def label_environment(templates_dirs: PathLike | Iterable[PathLike] | None = None) -> LabelEnvironment:
    """A cached `LabelEnvironment` for a folder chain (None = built-ins only)."""
    if templates_dirs is None:
        key: tuple[str, ...] = ()
    elif isinstance(templates_dirs, str | os.PathLike):
        key = (str(Path(templates_dirs).resolve()),)
    else:
        key = tuple(str(Path(d).resolve()) for d in templates_dirs)
    return _cached_environment(key)


def render_label(
    template_name: str,
    context: Mapping[str, Any],
    templates_dir: PathLike | Iterable[PathLike] | None = None,
) -> str:
    """Render one label template through the cached environment for ``templates_dir``."""
    return label_environment(templates_dir).render(template_name, context)
