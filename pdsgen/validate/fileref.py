"""validate's file reference rules beyond existence, size and checksum (FileReferenceValidationRule
in validate's ``src/main/java``, run with the content checks):

* a File or Document_File without a file name: ``error.validation.unknown_value``;
* a file that is found, but whose real path does not end with the name the label gives —
  another case on a case-insensitive file system, or a symbolic link to a file of another
  name (Java's ``getCanonicalPath().endsWith(getName())``): ``warning.label.file_ref_case_mismatch``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from lxml import etree

from pdsgen.pds4.label import child, local
from pdsgen.validate.findings import Finding

__all__ = ["file_reference_findings", "canonical_path"]


def _file_elements(tree: etree._ElementTree) -> list[etree._Element]:
    """The File of each File_Area and every Document_File, in label order."""
    out = []
    for el in tree.getroot().iter("{*}File", "{*}Document_File"):
        parent = el.getparent()
        if local(el) == "Document_File" or (parent is not None and local(parent).startswith("File_Area")):
            out.append(el)
    return out


def file_reference_findings(tree: etree._ElementTree, paths: dict[etree._Element, Path], file: str) -> list[Finding]:
    """Missing file names and case/link mismatches of the files a label references.

    `paths`: the File/Document_File elements whose file the label checks found inside the
    label's folder (confined, not resolved), by element."""
    out: list[Finding] = []
    for el in _file_elements(tree):
        name_el = child(el, "file_name")
        name = "".join(name_el.itertext()) if name_el is not None else ""
        if name == "":
            out.append(Finding("error.validation.unknown_value", f"missing file_name in {local(el)}", file=file,
                               line=el.sourceline))
            continue
        path = paths.get(el)
        if path is None or not path.is_file():
            continue  # not found: error.label.missing_file (the label checks)
        real = canonical_path(path)
        if not real.endswith(path.name):
            out.append(Finding("warning.label.file_ref_case_mismatch",
                               f"file reference {name!r} exists but its real name is {Path(real).name!r}",
                               file=file, line=el.sourceline))
    return out


def canonical_path(path: Path) -> str:
    """The real path of an existing file with symbolic links resolved and the name's case as
    stored (Java's File.getCanonicalPath); on a case-sensitive file system one extra stat."""
    real = _realpath(os.fspath(path))
    folder, name = os.path.split(real)
    other = name.swapcase()
    if other == name or not os.path.exists(os.path.join(folder, other)):
        return real  # the name is the only spelling that exists: as stored
    try:
        if not os.path.samefile(real, os.path.join(folder, other)):
            return real  # two files differing in case (case-sensitive system)
        stored = [n for n in os.listdir(folder) if n.lower() == name.lower()]
    except OSError:
        return real
    return os.path.join(folder, stored[0]) if len(stored) == 1 else real


def _realpath(path: str) -> str:
    """`os.path.realpath` of a file: its folder's real path (cached, as `confine` keeps it) and
    its name when the file is no symbolic link (one ``lstat``), else resolved in full."""
    from pdsgen.untrusted import real_folder

    folder, name = os.path.split(os.path.abspath(path))
    try:
        if name and not stat.S_ISLNK(os.lstat(path).st_mode):
            return os.path.join(real_folder(folder), name)
    except OSError:
        pass
    return os.path.realpath(path)
