"""Deterministic raw archives for `pdsgen demo`, one generator module per instrument.

Interface (every module here): ``RECIPE = "<recipe name>"`` and
``generate(out_dir: Path, seed: int = 0) -> DemoData``. ``generate`` writes raw products
in the instrument's documented format (data files with their PDS3/PDS4 labels) and the
calibration files the recipe needs under ``out_dir`` (created if missing), and returns
what to pass to `pdsgen run`. Same seed → byte-identical files. Keep it small and fast:
the whole demo (five instruments, generate + run + validate) runs in under a minute.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Instrument generator modules, in demo order.
INSTRUMENTS = ("chems", "fips", "iuvs", "aca", "inms")


@dataclass
class DemoData:
    """What `generate` produced: the run's inputs, ``--cal`` files and ``--set`` values."""

    recipe: str
    inputs: list[Path]
    calibrations: list[Path] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    description: str = ""


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary name beside ``path``, then rename: never a half-written file."""
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_fits(path: Path, hdus: list) -> list[dict[str, Any]]:
    """Write ``hdus`` as one FITS file (atomically, verified) and return astropy's
    ``fileinfo`` of each HDU (header and data byte offsets, for the PDS4 label)."""
    from astropy.io import fits

    tmp = path.with_name(path.name + ".part")
    fits.HDUList(hdus).writeto(tmp, overwrite=True, output_verify="exception")
    with fits.open(tmp) as hdul:
        info = [hdul.fileinfo(k) for k in range(len(hdus))]
    os.replace(tmp, path)
    return info


def generator(instrument: str) -> Any:
    """The generator module of ``instrument`` (``chems``, ``fips``, ``iuvs``, ``aca``, ``inms``)."""
    return importlib.import_module(f"pdsgen.recipes.demo_data.{instrument}")


def generate(instrument: str, out_dir: Path, seed: int = 0) -> DemoData:
    mod = generator(instrument)
    data = mod.generate(Path(out_dir), seed)
    if not data.recipe:
        data.recipe = mod.RECIPE
    return data
