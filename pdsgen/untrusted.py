"""Rules for untrusted labels, in one place: every stage that reads a label goes through them.

Labels and data come from deliveries pdsgen did not write, so

- XML is parsed without entity expansion, DTD loading or network access (`xml_parser`),
  and a label whose DOCTYPE declares entities or cites an external DTD is refused
  (`doctype_problem`, `check_doctype`): PDS4 labels have no DOCTYPE;
- a file a label references (PDS4 ``file_name``, PDS3 ``^POINTER``/``^STRUCTURE``,
  inventory file names, names derived from LIDs) must stay inside the folder it is
  resolved against: `confine` refuses absolute references and ones that leave the folder
  through ``..`` or a symbolic link, with a `ReferenceEscapeError` naming the label and the
  reference. The check is one ``lstat`` per part of a reference (a full ``realpath`` only
  when a part is a symbolic link), never per record;
- a file name with characters PDS forbids (control characters first: a newline in a name
  would forge a line of a manifest) is recognised by `name_problem`.

API::

    from pdsgen.untrusted import check_doctype, confine, name_problem, xml_parser
    tree = etree.parse(path, xml_parser())
    check_doctype(tree, path)                        # LabelError if entities are declared
    data = confine(label.parent, "data/x.tab", label=label)   # Path, or ReferenceEscapeError
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from lxml import etree

from pdsgen.errors import LabelError


# --------------------------------------------------------------------------- XML
def xml_parser(**options: Any) -> etree.XMLParser:
    """An lxml parser that expands no entity, loads no DTD and opens no network connection."""
    settings = dict(resolve_entities=False, load_dtd=False, no_network=True, dtd_validation=False,
                    huge_tree=True)
    settings.update(options)
    return etree.XMLParser(**settings)


def doctype_problem(tree: etree._ElementTree) -> str | None:
    """Why the document's DOCTYPE is refused (it declares entities or cites an external
    DTD), or None when it has none (or a bare ``<!DOCTYPE name>``)."""
    info = tree.docinfo
    if not info.doctype:  # cheap: no DOCTYPE at all, the case of every real PDS4 label
        return None
    dtd = info.internalDTD
    names = [e.name for e in dtd.iterentities()] if dtd is not None else []
    if names:
        shown = ", ".join(names[:5]) + (", …" if len(names) > 5 else "")
        return (f"the DOCTYPE declares XML entities ({shown}); labels may not declare entities "
                "and pdsgen does not expand them")
    if info.system_url or info.public_id:
        return "the DOCTYPE cites an external DTD; labels may not, and pdsgen does not load it"
    return None


def check_doctype(tree: etree._ElementTree, path: str | os.PathLike[str]) -> None:
    """`LabelError` naming ``path`` when `doctype_problem` finds one."""
    problem = doctype_problem(tree)
    if problem is not None:
        raise LabelError(problem, path=str(path), line=1)


def parse_label_xml(source: bytes | str | os.PathLike[str], path: str | os.PathLike[str] | None = None,
                    **options: Any) -> etree._ElementTree:
    """A label parsed by `xml_parser` with its DOCTYPE checked; `LabelError` (with line and
    column) for malformed XML, refused entities and unreadable files."""
    where = str(path if path is not None else source)
    parser = xml_parser(**options)
    try:
        if isinstance(source, bytes):
            tree = etree.ElementTree(etree.fromstring(source, parser, base_url=where))
        else:
            tree = etree.parse(os.fspath(source), parser)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno, None)
        message = exc.msg if getattr(exc, "msg", None) else str(exc)
        message = re.sub(r",? line \d+, column \d+\s*$", "", message)  # the position is in the prefix
        raise LabelError(f"malformed XML: {message}", path=where, line=line, column=column) from None
    except OSError as exc:
        raise LabelError(f"cannot read label: {exc.strerror or exc}", path=where) from None
    check_doctype(tree, where)
    return tree


# --------------------------------------------------------------------------- paths
class ReferenceEscapeError(LabelError):
    """A label references a file outside the folder it may reference files in."""

    def __init__(self, message: str, *, path: str | None = None, reference: str = "", obj: str | None = None):
        self.reference = reference
        super().__init__(message, path=path, obj=obj)


@lru_cache(maxsize=4096)
def _real(folder: str) -> str:
    return os.path.realpath(folder)


def real_folder(folder: str) -> str:
    """`os.path.realpath` of a folder, kept for the process (folders of a delivery are
    looked up once per label otherwise)."""
    return _real(folder)


def _inside(target: str, folder: str) -> bool:
    return target == folder or target.startswith(folder.rstrip(os.sep) + os.sep)


def is_plain_name(ref: str) -> bool:
    """Whether a reference is one plain file name: no folder part, not ``.`` or ``..``, no
    drive (``C:``), no NUL — inside its folder unless it is a symbolic link."""
    return bool(ref) and "/" not in ref and "\\" not in ref and "\0" not in ref and ref not in (".", "..") \
        and ref[1:2] != ":"


def confine(base: str | os.PathLike[str], reference: str, *, label: str | os.PathLike[str] | None = None,
            what: str = "file reference", roots: Iterable[str | os.PathLike[str]] = (),
            single: bool = False) -> Path:
    """``base/reference``, refused with `ReferenceEscapeError` (naming ``label`` and the
    reference) when the reference is absolute or the path leaves ``base`` — through ``..``
    or a symbolic link — and is not inside one of ``roots`` either. ``single``: the reference
    must be one file name (no folder part), as names pdsgen derives from LIDs.

    Cost: string checks and one ``lstat`` per part of the reference (``base``'s real path
    is cached); a full ``realpath`` only when a part is a symbolic link."""
    ref = str(reference)
    if is_plain_name(ref):
        joined = base / ref if isinstance(base, Path) else Path(base, ref)  # fast path: a plain name
        try:
            if not stat.S_ISLNK(os.lstat(joined).st_mode):
                return joined
        except OSError:
            return joined  # absent: nothing to read (the caller reports it missing)
    where = str(label) if label is not None else str(base)
    norm = ref.replace("\\", "/")
    if not ref or norm[0] == "/" or norm[1:2] == ":" or "\0" in ref:
        raise ReferenceEscapeError(f"{what} {ref!r} is an absolute path or empty: a label may only reference "
                                   "files inside its own folder", path=where, reference=ref)
    if single and ("/" in norm or norm in (".", "..")):
        raise ReferenceEscapeError(f"{what} {ref!r} is not a plain file name", path=where, reference=ref)
    parts = [p for p in norm.split("/") if p not in ("", ".")] if "/" in norm else [norm]
    candidate = os.path.join(os.fspath(base), *parts)
    if ".." not in parts and _plain_below(os.fspath(base), parts):
        return Path(candidate)
    real = os.path.realpath(candidate)
    for folder in (base, *roots):
        if _inside(real, _real(os.fspath(folder))):
            return Path(candidate)
    raise ReferenceEscapeError(f"{what} {ref!r} leads outside the label's folder"
                               + (" (through a symbolic link)" if ".." not in norm.split("/") else "")
                               + "; not read", path=where, reference=ref)


def _plain_below(base: str, parts: list[str]) -> bool:
    """Whether ``base/parts…`` has no symbolic link among its parts (one ``lstat`` each; a
    missing part ends the walk: nothing below it exists to be read)."""
    current = base
    for part in parts:
        current = os.path.join(current, part)
        try:
            if stat.S_ISLNK(os.lstat(current).st_mode):
                return False
        except OSError:
            return True
    return True


def not_a_file(path: str | os.PathLike[str], *, follow: bool = True) -> str | None:
    """What stands at ``path`` when it is not a regular file: "a folder", "a FIFO", "a
    device", "a socket", "a symbolic link" (``follow=False``: the link itself); None for a
    regular file or nothing there. A pointer to a FIFO would block a reader for ever, one
    to ``/dev/zero`` never end; a link in an output folder would be written through."""
    try:
        mode = os.stat(path).st_mode if follow else os.lstat(path).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return None
    for test, kind in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device")):
        if test(mode):
            return kind
    return "no regular file"


def inside(path: str | os.PathLike[str], folder: str | os.PathLike[str]) -> bool:
    """Whether ``path`` (symbolic links followed) is ``folder`` or below it."""
    return _inside(os.path.realpath(path), _real(os.fspath(folder)))


# --------------------------------------------------------------------------- names
#: PDS4 Standards Reference 6C.1: file and folder names use A-Z a-z 0-9 _ - . only
_LEGAL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


def name_problem(name: str) -> str | None:
    """What is wrong with the characters of one file or folder name (None: nothing)."""
    if _CONTROL.search(name):
        return f"name {name!r} holds control characters (newline, tab, CR …)"
    if not _LEGAL_NAME.fullmatch(name):
        return f"name {name!r} uses characters outside A-Z a-z 0-9 _ - ."
    return None


def path_problem(relative: str) -> str | None:
    """`name_problem` of the first bad part of a relative POSIX path (None: all good)."""
    for part in relative.split("/"):
        problem = name_problem(part)
        if problem is not None:
            return problem
    return None


#: PDS3 Standards Reference 10.1.2 ("27.3" names, ISO 9660 level 2) and 19.3: file names
#: A-Z 0-9 _ with one period, a base of 1-27 characters and an extension of up to 3;
#: directory names A-Z 0-9 _ of 1-31 characters, at most 8 directory levels.
_PDS3_FILE = re.compile(r"[A-Z0-9_]{1,27}\.[A-Z0-9_]{0,3}")
_PDS3_DIR = re.compile(r"[A-Z0-9_]{1,31}")
PDS3_MAX_DEPTH = 8


def pds3_name_problem(relative: str) -> str | None:
    """What breaks the PDS3 volume naming rules in a relative POSIX path (None: nothing):
    each folder name, the file name, and the depth."""
    parts = relative.split("/")
    if len(parts) - 1 > PDS3_MAX_DEPTH:
        return f"{relative!r} lies {len(parts) - 1} folders deep (PDS3 allows {PDS3_MAX_DEPTH})"
    for part in parts[:-1]:
        if not _PDS3_DIR.fullmatch(part):
            return (f"folder name {part!r} in {relative!r} is not 1-31 characters of A-Z 0-9 _ "
                    "(PDS3 volume naming, ISO 9660 level 2)")
    name = parts[-1]
    if not _PDS3_FILE.fullmatch(name):
        return (f"file name {name!r} in {relative!r} is not a PDS3 27.3 name (A-Z 0-9 _, a base of "
                "1-27 characters, one period, an extension of up to 3)")
    return None
