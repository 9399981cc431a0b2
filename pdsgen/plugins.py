"""pdsgen's plug-in mechanism: the one `Registry` helper, and instrument units.

`Registry` is used for everything pdsgen looks up by name or by a test (label readers in
`pdsgen.registry`, data layouts and element types in `pdsgen.data`, recipe algorithms,
instrument units, regeneration makers). One set of rules for all of them:

- ``register(name, item, priority=0)``: several entries may share a name at different
  priorities (the highest wins: a plug-in overrides a built-in by registering above it);
  registering a name again at the *same* priority is an error unless ``replace=True``.
- ``get(name)``: the highest-priority entry; `RegistryError` (also a `KeyError`) listing
  the registered names when there is none.
- ``find(accept)``: the entries tried by priority, highest first; the first priority level
  at which some entry accepts decides, and two entries accepting at that level is an
  ambiguity error naming both (never a silent first-come-first-served).
- ``entries()`` / ``names()``: what is registered, for listings (`pdsgen readers`,
  `pdsgen recipes`).
- ``loader``: an optional function that registers the built-ins on first use (so that
  importing pdsgen does not import every reader or plug-in).

Instrument units (`Instrument`, declared by ``pdsgen/instruments/<name>/__init__.py`` or a
plug-in package and registered through the ``pdsgen.instruments`` entry-point group) are
discovered here too; `pdsgen.instruments` re-exports what a plug-in author needs.

This module sits at the bottom of the layers (it imports only `pdsgen.errors`, and `pdsgen.resources` when asked for a folder), so that
every layer can own a registry.
"""


from __future__ import annotations

import importlib
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Generic, TypeVar

from pdsgen.errors import PdsgenError

T = TypeVar("T")


class RegistryError(PdsgenError, KeyError):
    """Nothing registered under a name, a name registered twice at one priority, or two
    entries that both claim the same input at the same priority."""

    exit_code = 2

    def __str__(self) -> str:  # KeyError would quote the message
        return PdsgenError.__str__(self)


@dataclass(frozen=True)
class Entry(Generic[T]):
    """One registration: ``name``, the registered ``item``, its ``priority`` and ``origin``
    (the module or entry point that registered it, for messages and listings)."""

    name: str
    item: T
    priority: int = 0
    origin: str = ""


class Registry(Generic[T]):
    """Named entries with explicit priorities; see the module docstring for the rules."""

    def __init__(self, kind: str, *, loader: Callable[[], None] | None = None) -> None:
        self.kind = kind
        self._entries: list[Entry[T]] = []
        self._sorted: list[Entry[T]] | None = None  # entries() cache, reset on every change
        self._best: dict[str, Entry[T]] = {}
        self._loader = loader
        self._loaded = loader is None

    def _load(self) -> None:
        if not self._loaded:
            self._loaded = True  # before calling: the loader registers through this registry
            assert self._loader is not None
            self._loader()

    def register(self, name: str, item: T, *, priority: int = 0, origin: str = "",
                 replace: bool = False) -> T:
        """Register ``item`` as ``name`` at ``priority``; returns ``item`` (decorator-friendly)."""
        self._load()
        origin = origin or str(getattr(item, "__module__", "") or "")
        same = [e for e in self._entries if e.name == name and e.priority == priority]
        if same and not replace:
            raise RegistryError(f"{self.kind} {name!r} is already registered at priority {priority} "
                                f"(by {same[0].origin or '?'}); give another priority or replace=True")
        self._entries = [e for e in self._entries if not (e.name == name and e.priority == priority)]
        self._entries.append(Entry(name, item, priority, origin))
        self._changed()
        return item

    def _changed(self) -> None:
        self._sorted = None
        self._best = {}

    def unregister(self, name: str, priority: int | None = None) -> None:
        """Remove ``name`` (at ``priority``, or at every priority)."""
        self._load()
        self._entries = [e for e in self._entries
                         if not (e.name == name and (priority is None or e.priority == priority))]
        self._changed()

    def reset(self) -> None:
        """Forget every registration; the loader (if any) runs again on next use (tests)."""
        self._entries = []
        self._loaded = self._loader is None
        self._changed()

    def entries(self) -> list[Entry[T]]:
        """Every registration, highest priority first (then in registration order)."""
        self._load()
        if self._sorted is None:
            order = {id(e): i for i, e in enumerate(self._entries)}
            self._sorted = sorted(self._entries, key=lambda e: (-e.priority, order[id(e)]))
            self._best = {}
            for e in self._sorted:
                self._best.setdefault(e.name, e)
        return list(self._sorted)

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted({e.name for e in self.entries()})

    def __contains__(self, name: object) -> bool:
        self.entries()
        return name in self._best

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def entry(self, name: str) -> Entry[T]:
        """The highest-priority registration of ``name``; RegistryError if there is none."""
        if self._sorted is None or not self._loaded:
            self.entries()
        hit = self._best.get(name)
        if hit is not None:
            return hit
        raise RegistryError(f"no {self.kind} {name!r} (registered: {', '.join(self.names()) or 'none'})")

    def get(self, name: str) -> T:
        """The item registered as ``name`` at the highest priority; RegistryError if none."""
        return self.entry(name).item

    def find(self, accept: Callable[[T], bool]) -> Entry[T] | None:
        """The entry whose item ``accept``s, trying priorities from the highest; None if
        none does; RegistryError when two accept at the deciding priority."""
        entries = self.entries()
        i = 0
        while i < len(entries):
            level = [e for e in entries[i:] if e.priority == entries[i].priority]
            hits = [e for e in level if accept(e.item)]
            if len(hits) > 1:
                names = " and ".join(f"{e.name!r} ({e.origin or '?'})" for e in hits[:2])
                raise RegistryError(f"ambiguous {self.kind}: {names} both accept it at priority "
                                    f"{entries[i].priority}; register one at another priority")
            if hits:
                return hits[0]
            i += len(level)
        return None


# --------------------------------------------------------------------------- instrument units

ENTRY_POINT_GROUP = "pdsgen.instruments"


class InstrumentError(PdsgenError):
    """A unit that cannot be loaded or whose declaration does not hold together."""

    exit_code = 2


@dataclass(frozen=True)
class Instrument:
    """Declaration of one instrument unit (the object its entry point names)."""

    #: short name: ``pdsgen demo --only NAME``, ``labels/NAME/``
    name: str
    #: Python package of the unit: its folder holds the recipe files and their default calibrations
    package: str
    #: one-line description for listings
    title: str = ""
    #: recipe algorithm name → ``"module:function"`` (imported on first use)
    algorithms: Mapping[str, str] = field(default_factory=dict)
    #: recipe TOML files, relative to the unit's folder
    recipes: tuple[str, ...] = ("recipe.toml",)
    #: module of the demo data generator (``RECIPE``, ``generate``), or None
    demo: str | None = None
    #: reference labels / label templates: a folder relative to the unit's folder, or None for
    #: pdsgen's top-level ``labels/<name>/``
    labels: str | None = None
    #: order in listings and in ``pdsgen demo`` (built-ins 10–50, plug-ins after them)
    order: int = 100

    @property
    def folder(self) -> Path:
        """The unit's folder (its package's directory)."""
        try:
            mod = importlib.import_module(self.package)
        except ImportError as exc:
            raise InstrumentError(f"instrument {self.name!r}: cannot import {self.package!r} ({exc})") from None
        return _module_folder(mod)

    @property
    def labels_dir(self) -> Path:
        """Folder of the unit's reference labels and label templates."""
        if self.labels is not None:
            return self.folder / self.labels
        from pdsgen.resources import labels_dir

        return labels_dir() / self.name

    def recipe_files(self) -> list[Path]:
        """The unit's recipe TOML files (absolute paths)."""
        return [self.folder / r for r in self.recipes]

    def recipe_names(self) -> dict[str, Path]:
        """Recipe name (``[recipe] name``) → file, for each of the unit's recipes."""
        out: dict[str, Path] = {}
        for path in self.recipe_files():
            try:
                out[_recipe_name(path)] = path
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
                raise InstrumentError(f"instrument {self.name!r}: recipe file has no readable [recipe] name "
                                      f"({type(exc).__name__}: {exc})", path=str(path)) from None
        return out

    def demo_module(self) -> ModuleType:
        """The unit's demo data generator module; InstrumentError when it has none."""
        if not self.demo:
            raise InstrumentError(f"instrument {self.name!r} has no demo data generator")
        return importlib.import_module(self.demo)


#: recipe file -> (its mtime and size, its [recipe] name): a file is parsed again only when it changed
_RECIPE_NAMES: dict[Path, tuple[tuple[int, int], str]] = {}


def _recipe_name(path: Path) -> str:
    """``[recipe] name`` of a recipe file (every recipe lookup by name asks for all of them)."""
    st = path.stat()
    stamp = (st.st_mtime_ns, st.st_size)
    cached = _RECIPE_NAMES.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    name = str(tomllib.loads(path.read_text(encoding="utf-8"))["recipe"]["name"])
    _RECIPE_NAMES[path] = (stamp, name)
    return name


def _module_folder(mod: ModuleType) -> Path:
    locations = getattr(mod, "__path__", None)
    if locations:
        return Path(next(iter(locations))).resolve()
    return Path(mod.__file__ or ".").resolve().parent


def _load_instrument_entry_points() -> None:
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = ep.load()
        except Exception as exc:  # a broken plug-in must name itself, not crash pdsgen
            raise InstrumentError(f"instrument entry point {ep.name} = {ep.value!r} failed to load "
                                  f"({type(exc).__name__}: {exc})") from None
        if not isinstance(obj, Instrument):
            raise InstrumentError(f"instrument entry point {ep.name} = {ep.value!r} is a "
                                  f"{type(obj).__name__}, not a pdsgen.instruments.Instrument")
        if obj.name != ep.name:
            raise InstrumentError(f"instrument entry point {ep.name} = {ep.value!r} declares name {obj.name!r}")
        try:
            INSTRUMENTS.register(obj.name, obj, origin=ep.value)
        except RegistryError as exc:
            raise InstrumentError(f"instrument {obj.name!r} is registered twice: {exc.message}") from None


#: every instrument unit, from the ``pdsgen.instruments`` entry points (loaded on first use);
#: `register` adds one at run time (tests, notebooks)
INSTRUMENTS: Registry[Instrument] = Registry("instrument", loader=_load_instrument_entry_points)


def instruments() -> dict[str, Instrument]:
    """Every registered unit by name, in listing order (``order``, then name).

    A plug-in whose entry point fails to load, names something that is not an
    `Instrument`, or reuses another unit's name is an InstrumentError naming it.
    """
    units = {e.name: e.item for e in reversed(INSTRUMENTS.entries())}  # highest priority wins
    return dict(sorted(units.items(), key=lambda kv: (kv[1].order, kv[0])))


def get_instrument(name: str) -> Instrument:
    """The unit called ``name``; InstrumentError listing the registered ones if none is."""
    units = instruments()
    if name not in units:
        raise InstrumentError(f"no instrument {name!r} (registered: {', '.join(units) or 'none'})")
    return units[name]


def recipe_files() -> dict[str, Path]:
    """Recipe name → TOML file, over every unit; a name two units declare is an error."""
    out: dict[str, Path] = {}
    owner: dict[str, str] = {}
    for inst in instruments().values():
        for name, path in inst.recipe_names().items():
            if name in out:
                raise InstrumentError(f"recipe {name!r} is declared by instruments {owner[name]!r} and {inst.name!r}")
            out[name] = path
            owner[name] = inst.name
    return out


def algorithm_targets() -> dict[str, str]:
    """Recipe algorithm name → ``"module:function"``, over every unit."""
    out: dict[str, str] = {}
    owner: dict[str, str] = {}
    for inst in instruments().values():
        for name, target in inst.algorithms.items():
            if name in out:
                raise InstrumentError(f"algorithm {name!r} is declared by instruments {owner[name]!r} and {inst.name!r}")
            out[name] = target
            owner[name] = inst.name
    return out
