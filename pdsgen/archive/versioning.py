"""PDS4 version rules: VIDs are ``major.minor`` (positive integers, no leading zeros); a
changed product gets the next minor (``1.0`` → ``1.1``) or major (``1.3`` → ``2.0``)
version, and superseded versions may stay in the archive beside the current one."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from pdsgen.errors import LabelError

_VID = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)$")

#: Folder (inside a collection folder) holding superseded versions, one sub-folder per
#: version (``SUPERSEDED/v1_0/...``: PDS4 folder names allow no period), same relative layout, so each old label still finds
#: its data files by the same relative file_name.
SUPERSEDED = "SUPERSEDED"
#: folders an archive walk never enters (pdsgen's own state, VCS, caches)
SKIP_DIRS = {".pdsgen", ".git", "__pycache__"}


def parse_vid(vid: str) -> tuple[int, int]:
    m = _VID.match(vid.strip()) if vid else None
    if m is None:
        raise LabelError(f"version_id {vid!r} is not a PDS4 VID (major.minor, e.g. 1.0)")
    return int(m[1]), int(m[2])


def bump_vid(vid: str, kind: str = "minor") -> str:
    """The next VID: ``minor`` keeps the major number, ``major`` resets minor to 0."""
    major, minor = parse_vid(vid)
    if kind == "minor":
        return f"{major}.{minor + 1}"
    if kind == "major":
        return f"{major + 1}.0"
    raise ValueError(f"version bump must be 'minor' or 'major', not {kind!r}")


def superseded_dir(collection_dir: Path, vid: str) -> Path:
    major, minor = parse_vid(vid)  # (a VID from a label: never a path)
    return collection_dir / SUPERSEDED / f"v{major}_{minor}"


def keep_superseded(collection_dir: Path, files: list[Path], vid: str) -> list[Path]:
    """Copy ``files`` (all inside ``collection_dir``) to ``SUPERSEDED/v<major>_<minor>/`` keeping their
    relative paths; copies are written to a temporary name then renamed. Returns the copies."""
    out = []
    dest_root = superseded_dir(collection_dir, vid)
    for f in files:
        rel = f.resolve().relative_to(collection_dir.resolve())
        dest = dest_root / rel
        if dest.exists():
            out.append(dest)
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.tmp")
        shutil.copy2(f, tmp)
        os.replace(tmp, dest)
        out.append(dest)
    return out


def in_superseded(rel_path: str) -> bool:
    return SUPERSEDED in rel_path.split("/")
