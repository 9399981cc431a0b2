"""Deterministic raw archives for `pdsgen demo`: the shared part of the instrument units'
demo generators (``pdsgen/instruments/<name>/demo.py``, declared by the unit's ``demo``).

Interface (every generator module): ``RECIPE = "<recipe name>"`` and
``generate(out_dir: Path, seed: int = 0) -> DemoData``; optionally
``CALIBRATION_CHANGE = CalibrationChange(...)``: the scripted change of one calibration
file that `pdsgen demo --deliver` makes before it regenerates. ``generate`` writes raw products
in the instrument's documented format (data files with their PDS3/PDS4 labels) and the
calibration files the recipe needs under ``out_dir`` (created if missing), and returns
what to pass to `pdsgen run`. Same seed → byte-identical files. Keep it small and fast:
the whole demo (five instruments, generate + run + validate) runs in under a minute.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class DemoData:
    """What `generate` produced: the run's inputs, ``--cal`` files and ``--set`` values."""

    recipe: str
    inputs: list[Path]
    calibrations: list[Path] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True)
class CalibrationChange:
    """A documented change of one of the demo's calibration files: in the file named
    ``file``, each ``(old, new)`` text of ``replace`` is replaced once; ``description``
    says what the change means (which value, from what to what)."""

    file: str
    replace: tuple[tuple[str, str], ...]
    description: str

    def apply(self, path: Path) -> None:
        """Edit ``path`` in place; ValueError naming the file when a text to replace is missing."""
        text = path.read_bytes().decode("ascii")
        for old, new in self.replace:
            if old not in text:
                raise ValueError(f"{path}: the calibration file does not hold {old!r}, which the demo changes")
            text = text.replace(old, new, 1)
        write_atomic(path, text.encode("ascii"))


def calibration_change(instrument: str) -> CalibrationChange | None:
    """The scripted calibration change of ``instrument``'s demo (``None``: it has none)."""
    return getattr(generator(instrument), "CALIBRATION_CHANGE", None)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary name beside ``path``, then rename: never a half-written file."""
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_fits(path: Path, hdus: list[Any]) -> list[dict[str, Any]]:
    """Write ``hdus`` as one FITS file (atomically, verified) and return astropy's
    ``fileinfo`` of each HDU (header and data byte offsets, for the PDS4 label)."""
    from astropy.io import fits

    tmp = path.with_name(path.name + ".part")
    fits.HDUList(hdus).writeto(tmp, overwrite=True, output_verify="exception")
    with fits.open(tmp) as hdul:
        info = [hdul.fileinfo(k) for k in range(len(hdus))]
    os.replace(tmp, path)
    return info


def demo_instruments() -> tuple[str, ...]:
    """Names of the registered instrument units that have a demo generator, in demo order."""
    from pdsgen.plugins import instruments

    return tuple(name for name, inst in instruments().items() if inst.demo)


def __getattr__(name: str) -> Any:
    if name == "INSTRUMENTS":  # the registered units, looked up when asked for
        return demo_instruments()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Information Model the raw reference labels cite by default: 1.19 (PDS4_PDS_1J00), that of
#: the real archives the demo's raw formats imitate
RAW_IM_VERSION = "1.19.0.0"
_raw_im_version: ContextVar[str] = ContextVar("raw_im_version", default=RAW_IM_VERSION)


@contextmanager
def raw_information_model(version: str) -> Iterator[None]:
    """Within the block, raw reference labels cite Information Model ``version`` (a delivery
    writes the raw inputs it delivers against the IM of the rest of its bundle)."""
    from pdsgen.render import information_model

    information_model(version)  # a malformed version is an error here, not in a template
    token = _raw_im_version.set(version)
    try:
        yield
    finally:
        _raw_im_version.reset(token)


def render_label(instrument: str, template: str, **context: Any) -> str:
    """Render the reference label template ``template`` of ``instrument`` (found in the unit's
    declared labels folder, pdsgen's ``labels/<instrument>/`` for the built-ins); strict: an
    undefined variable is an error, not an empty string. The template gets ``im``, the
    `InformationModel` to cite (`RAW_IM_VERSION` unless `raw_information_model` says otherwise)."""
    import jinja2

    from pdsgen.plugins import get_instrument
    from pdsgen.render import information_model

    context.setdefault("im", information_model(_raw_im_version.get()))

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(get_instrument(instrument).labels_dir)),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(["xml", "j2"]),
        keep_trailing_newline=True,
    )
    return env.get_template(template).render(**context)


def generator(instrument: str) -> Any:
    """The demo generator module of the registered unit ``instrument``."""
    from pdsgen.plugins import get_instrument

    return get_instrument(instrument).demo_module()


def generate(instrument: str, out_dir: Path, seed: int = 0, *, im_version: str | None = None) -> DemoData:
    """Run ``instrument``'s demo generator; ``im_version``: the IM its PDS4 raw labels cite."""
    mod = generator(instrument)
    with raw_information_model(im_version or _raw_im_version.get()):
        data: DemoData = mod.generate(Path(out_dir), seed)
    if not data.recipe:
        data.recipe = mod.RECIPE
    return data
