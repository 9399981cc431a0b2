"""PDS4 label rules beyond XML Schema and Schematron, on a parsed lxml tree.

Pure checks (no data reads except file sizes/MD5 of the referenced files): identifiers
(LID, LIDVID, VID syntax), the File_Area files (missing, size, MD5, name versus encoding),
data objects that overlap in their file, and the label's ``xml-model`` citations.
Message types are validate's.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from pdsgen.pds4.label import (
    PDS_NS,
    SCHEMATRON_NS,
    XSI_NS,
    child,
    child_text,
    children,
    local,
    texts,
)
from pdsgen.validate.findings import Finding

#: LID: urn:<agency>:<authority>:<bundle>[:<collection>[:<product>]] (context LIDs have
#: more segments); segment characters per the PDS4 Standards Reference §6D.2.
_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9._\-]*"
LID_RE = re.compile(rf"^urn:{_SEGMENT}:{_SEGMENT}(:{_SEGMENT}){{1,6}}$")
VID_RE = re.compile(r"^\d+\.\d+$")
MAX_LID_LENGTH = 255

#: file extensions that fit each Encoded_* encoding_standard_id (lower case)
ENCODING_EXTENSIONS = {
    "jpeg": {".jpg", ".jpeg"},
    "png": {".png"},
    "gif": {".gif"},
    "tiff": {".tif", ".tiff"},
    "pdf": {".pdf"},
    "pdf/a": {".pdf"},
    "j2c": {".j2c", ".jp2"},
    "jpeg 2000": {".jp2", ".j2c", ".jpx"},
    "mp4/h.264": {".mp4", ".m4v"},
    "mp4": {".mp4"},
}


def xml_models(tree: etree._ElementTree) -> list[tuple[str, str | None, int | None]]:
    """(href, schematypens, line) of each ``<?xml-model?>`` before the root element."""
    out = []
    node = tree.getroot().getprevious()
    pis = []
    while node is not None:
        if isinstance(node, etree._ProcessingInstruction) and node.target == "xml-model":
            pis.append(node)
        node = node.getprevious()
    for pi in reversed(pis):
        attrs = dict(re.findall(r'(\w+)\s*=\s*["\']([^"\']*)["\']', pi.text or ""))
        if "href" in attrs:
            out.append((attrs["href"], attrs.get("schematypens"), pi.sourceline))
    return out


#: an xml-model PI validate takes as a Schematron citation: exactly these two pseudo-attributes,
#: in this order, double-quoted, one blank apart (after collapsing whitespace)
_SCHEMATRON_PI = re.compile(r'href="([^=]*)"( schematypens="([^=]*)")[ ]*')


def schematron_citations(tree: etree._ElementTree, file: str) -> tuple[list[tuple[str, str, int | None]],
                                                                        list[Finding]]:
    """(href, schematypens, line) of the Schematron citations, read the way validate reads them,
    and its warnings: an xml-model without ``schematypens=`` or without a blank before it is
    ``warning.label.bad_schematypens``, as is a schematypens other than ISO Schematron's; a PI
    not of the form ``href="…" schematypens="…"`` cites nothing, and a label citing nothing is
    ``warning.label.missing_schematron_spec`` (no Schematron runs)."""
    pis = []
    node = tree.getroot().getprevious()
    while node is not None:
        if isinstance(node, etree._ProcessingInstruction) and node.target == "xml-model":
            pis.append(node)
        node = node.getprevious()
    cited: list[tuple[str, str, int | None]] = []
    out: list[Finding] = []
    spacing_told = False
    for pi in reversed(pis):
        data = " ".join((pi.text or "").split())
        pos = data.find("schematypens=")
        if pos < 0:
            out.append(Finding("warning.label.bad_schematypens",
                               f"xml-model {data!r} has no schematypens", file=file, line=pi.sourceline))
        elif pos > 0 and data[pos - 1] != " " and not spacing_told:
            spacing_told = True
            out.append(Finding("warning.label.bad_schematypens",
                               f"invalid xml-model {data!r}: a blank is expected before schematypens=",
                               file=file, line=pi.sourceline))
        m = _SCHEMATRON_PI.fullmatch(data)
        if m is None:
            continue
        href, ns = m.group(1).strip(), m.group(3).strip()
        if ns != SCHEMATRON_NS:
            out.append(Finding("warning.label.bad_schematypens",
                               f"xml-model {href} has schematypens {ns!r}, not {SCHEMATRON_NS!r}", file=file,
                               line=pi.sourceline))
        cited.append((href, ns, pi.sourceline))
    if not cited:
        out.append(Finding("warning.label.missing_schematron_spec",
                           "the label cites no Schematron (xml-model href=\"…\" schematypens=\"…\")", file=file))
    return cited, out


_URL_SCHEMES = {"http", "https", "file", "ftp", "jar"}


@functools.lru_cache(maxsize=1024)
def _url_stem(text: str, ext: str) -> str | None:
    """Path (with query) of an absolute URL, lower-cased, without `ext`; None if not such a URL."""
    from urllib.parse import urlsplit

    try:
        u = urlsplit(text)
    except ValueError:
        return None
    if u.scheme.lower() not in _URL_SCHEMES:
        return None
    path = (u.path + (f"?{u.query}" if u.query else "")).lower()
    return path[: -len(ext)] if path.endswith(ext) else None


def schema_schematron_versions(tree: etree._ElementTree, file: str) -> list[Finding]:
    """The schemas of ``xsi:schemaLocation`` and the Schematron files of the xml-models should
    come in pairs (same path, ``.xsd``/``.sch``), as validate checks before schema validation:
    ``warning.label.schema`` when they do not, or when no schema is given, and
    ``warning.label.schematron`` when no xml-model is given."""
    root = tree.getroot()
    location = (root.get(f"{{{XSI_NS}}}schemaLocation") or "").strip()
    models = []
    node = root.getprevious()
    while node is not None:
        if isinstance(node, etree._ProcessingInstruction) and node.target == "xml-model":
            models.append(node.text or "")
        node = node.getprevious()
    if not location:
        return [Finding("warning.label.schema", "cannot check versioning: no schema given (xsi:schemaLocation)",
                        file=file, line=root.sourceline)]
    if not models:
        return [Finding("warning.label.schematron", "cannot check versioning: no Schematron given (xml-model)",
                        file=file, line=root.sourceline)]
    schemas = {stem for token in location.split() if (stem := _url_stem(token, ".xsd"))}
    schematrons = set()
    for model in models:
        for part in model.split():
            first, last = part.find('"'), part.rfind('"')
            if part.lower().startswith("href") and 0 <= first < last:
                stem = _url_stem(part[first + 1: last], ".sch")
                if stem:
                    schematrons.add(stem)
    only_xsd, only_sch = sorted(schemas - schematrons), sorted(schematrons - schemas)
    if not only_xsd and not only_sch:
        return []
    def name(stems: list[str]) -> str:
        return ", ".join(s.rsplit("/", 1)[-1].upper() for s in stems) or "none"

    return [Finding("warning.label.schema",
                    f"the schema version(s) [{name(only_xsd)}] do not match the Schematron version(s) "
                    f"[{name(only_sch)}]", file=file, line=root.sourceline)]


def identification(tree: etree._ElementTree) -> tuple[str | None, str | None]:
    ia = child(tree.getroot(), "Identification_Area")
    if ia is None:
        return None, None
    return child_text(ia, "logical_identifier"), child_text(ia, "version_id")


def check_identifiers(tree: etree._ElementTree, file: str) -> list[Finding]:
    """Line feeds in the product's LID and in Reference_List references (validate's rule), and
    the syntax of every other lid_reference / lidvid_reference (pdsgen's own warning). The
    product's own LID and VID grammar is the XML Schema's (ASCII_LID, ASCII_VID patterns:
    ``error.label.schema``) and the Schematron's: validate has no message type of its own
    for them, so none is added here (a VID ``1`` is valid there)."""
    out: list[Finding] = []
    root = tree.getroot()
    ia = child(root, "Identification_Area")
    if ia is not None:
        lid_el = child(ia, "logical_identifier")
        # validate (its issue 401, LabelUtil): a logical_identifier whose text holds a line feed
        if lid_el is not None and "\n" in "".join(lid_el.itertext()):
            out.append(Finding("error.validation.invalid_field_value",
                               f"logical_identifier {''.join(lid_el.itertext())!r} contains a line break",
                               file=file, line=lid_el.sourceline))
    for el in root.iter(f"{{{PDS_NS}}}lid_reference", f"{{{PDS_NS}}}lidvid_reference"):
        raw = "".join(el.itertext())
        value = raw.strip()
        parent = el.getparent()
        in_reference_list = (parent is not None and local(parent) == "Internal_Reference"
                             and parent.getparent() is not None and local(parent.getparent()) == "Reference_List")
        if "\n" in raw and in_reference_list:
            # validate (issue 401, LabelUtil): a Reference_List/Internal_Reference whose
            # lid(vid)_reference text holds a line feed is an invalid value
            out.append(Finding("error.validation.invalid_field_value",
                               f"{local(el)} {raw!r} contains a line break", file=file, line=el.sourceline))
            continue
        if local(el) == "lidvid_reference":
            lid, sep, vid = value.partition("::")
            msg = lid_problem(lid) or (None if sep and VID_RE.match(vid) else f"version {vid!r} is not M.n"
                                       if sep else "no '::<version>' part")
        else:
            msg = lid_problem(value)
        if msg:  # a warning: validate itself does not check reference syntax
            out.append(Finding("warning.label.invalid_lid_reference", f"{local(el)} {value!r}: {msg}",
                               file=file, line=el.sourceline))
    return out


def lid_problem(lid: str) -> str | None:
    """Why `lid` is not a syntactically valid LID, or None."""
    if not lid:
        return "empty"
    if len(lid) > MAX_LID_LENGTH:
        return f"longer than {MAX_LID_LENGTH} characters"
    if not lid.lower().startswith("urn:"):
        return "does not start with 'urn:'"
    if "::" in lid:
        return "contains '::' (a LIDVID where a LID is expected)"
    if not LID_RE.match(lid):
        bad = sorted({c for c in lid if not (c.isalnum() or c in "._-:")})
        if bad:
            return f"contains characters not allowed in a LID: {''.join(bad)!r}"
        return "malformed (empty segment or too few segments)"
    return None


@dataclass
class ObjectRef:
    """A data object's position in its file, from the label."""

    tag: str
    element: etree._Element
    offset: int | None
    size: int | None  # bytes, when the label says or implies it


@dataclass
class FileArea:
    """One File_Area_*: its File and data objects."""

    area: etree._Element
    file_element: etree._Element | None
    file_name: str | None
    path: Path | None
    file_size: int | None = None
    md5: str | None = None
    #: ``file_size`` / ``md5_checksum`` as written (validate compares these strings with the
    #: file's size in decimal and its lower-case MD5, exactly: ``06``, `` 6 `` or an upper-case
    #: checksum do not match)
    file_size_text: str | None = None
    md5_text: str | None = None
    objects: list[ObjectRef] = field(default_factory=list)
    refused: str | None = None  # why `path` is None: the name leads outside the label's folder
    absolute_dir: str | None = None  # a directory_path_name starting with "/" (not looked up)


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        try:
            f = float(text)
        except ValueError:
            return None
        return int(f) if f.is_integer() else None


def _object_size(el: etree._Element, tag: str) -> int | None:
    length = _int(child_text(el, "object_length"))
    if length is not None:
        return length
    if tag in ("Table_Character", "Table_Binary", "Transfer_Manifest"):
        rec = child(el, "Record_Character")
        if rec is None:
            rec = child(el, "Record_Binary")
        records, reclen = _int(child_text(el, "records")), _int(child_text(rec, "record_length")) if rec is not None else None
        if records is not None and reclen is not None:
            return records * reclen
    if tag.startswith("Array"):
        from pdsgen.data import types

        elem = child(el, "Element_Array")
        dtype = child_text(elem, "data_type") if elem is not None else None
        try:
            itemsize = types.binary_type(dtype).itemsize if dtype else None
        except KeyError:
            itemsize = None
        n = 1
        for ax in children(el, "Axis_Array"):
            e = _int(child_text(ax, "elements"))
            if e is None:
                return None
            n *= e
        return n * itemsize if itemsize else None
    return None


def _file_area_elements(root: etree._Element) -> list[etree._Element]:
    """The File_Area_* elements of a label in document order: the product's own, and those of
    its Information_Package_Component(_Deep_Archive)s (Product_AIP's File_Area_Transfer_Manifest,
    Product_SIP_Deep_Archive's File_Area_SIP_Deep_Archive) — validate's
    ``//*[starts-with(name(), 'File_Area')]``, where File_Areas are."""
    out = []
    for el in root:
        if not isinstance(el.tag, str):
            continue
        name = local(el)
        if name.startswith("File_Area"):
            out.append(el)
        elif name.startswith("Information_Package_Component"):
            out += [c for c in el if isinstance(c.tag, str) and local(c).startswith("File_Area")]
    return out


def file_areas(tree: etree._ElementTree, label_dir: Path) -> list[FileArea]:
    """Every File_Area_* of the label with its File and object positions."""
    out = []
    for area in _file_area_elements(tree.getroot()):
        f = child(area, "File")
        name = child_text(f, "file_name") if f is not None else None
        fa = FileArea(area, f, name, None)
        fa.path, fa.refused = _confined(label_dir, name, "file_name")
        if f is not None:
            _size_and_md5(fa, f)
        for el in area:
            tag = local(el)
            if not tag or tag == "File":
                continue
            fa.objects.append(ObjectRef(tag, el, _int(child_text(el, "offset")), _object_size(el, tag)))
        out.append(fa)
    for doc_file in tree.getroot().iter(f"{{{PDS_NS}}}Document_File"):
        name = child_text(doc_file, "file_name")
        folder = _written(doc_file, "directory_path_name") or ""
        if folder.startswith("/"):  # (validate's issue 349: whatever the file name)
            out.append(FileArea(doc_file, doc_file, name, None, absolute_dir=folder))
            continue
        if not name:
            continue
        folder = folder.strip()
        fa = FileArea(doc_file, doc_file, name, None)
        fa.path, fa.refused = _confined(label_dir, f"{folder}/{name}" if folder else name, "Document_File")
        _size_and_md5(fa, doc_file)
        out.append(fa)
    return out


def _written(element: etree._Element, name: str) -> str | None:
    """The text of the first child `name` as written (blanks kept), None without one."""
    c = next(element.iterchildren(f"{{*}}{name}"), None)
    return None if c is None else "".join(c.itertext())


def _size_and_md5(fa: FileArea, f: etree._Element) -> None:
    fa.file_size_text, fa.md5_text = _written(f, "file_size"), _written(f, "md5_checksum")
    fa.file_size = _int(fa.file_size_text.strip()) if fa.file_size_text else None
    md5 = (fa.md5_text or "").strip()
    fa.md5 = md5.lower() if md5 else None


#: the File_Areas whose file names validate checks with the label, by product class
#: (FileAreaExtractor.getTableFileAreas: observational, inventory, ancillary and browse
#: areas, an AIP's transfer manifests and a SIP's deep-archive area; a collection's only when
#: it holds an Inventory)
NAME_CHECKED_AREAS = {
    "Product_Observational": "File_Area_Observational",
    "Product_Collection": "File_Area_Inventory",
    "Product_Ancillary": "File_Area_Ancillary",
    "Product_Browse": "File_Area_Browse",
    "Product_AIP": "File_Area_Transfer_Manifest",
    "Product_SIP_Deep_Archive": "File_Area_SIP_Deep_Archive",
}


def name_checked_files(tree: etree._ElementTree, areas: list[FileArea]) -> list[Path]:
    """The data files whose names validate checks with every label (the label's own name is
    checked too): those of the File_Areas of `NAME_CHECKED_AREAS` — not documents, not a
    bundle's or context product's text files, not supplemental observational areas."""
    wanted = NAME_CHECKED_AREAS.get(local(tree.getroot()))
    return [fa.path for fa in areas
            if fa.path is not None and wanted is not None and local(fa.area) == wanted
            and (wanted != "File_Area_Inventory" or child(fa.area, "Inventory") is not None)]


def _confined(label_dir: Path, name: str | None, what: str) -> tuple[Path | None, str | None]:
    """(path, None) of a referenced file inside the label's folder, else (None, why)."""
    if not name:
        return None, None
    from pdsgen.untrusted import ReferenceEscapeError, confine

    try:
        return confine(label_dir, name, what=what), None
    except ReferenceEscapeError as exc:
        return None, exc.message


def character_field_counts(tree: etree._ElementTree) -> tuple[int, int]:
    """(the Record_Characters' ``fields`` added up, their Field_Character children) of a
    Product_Observational's File_Area_Observational tables, as validate's
    TableFieldDefinitionRule counts them (nested groups' fields are not counted)."""
    root = tree.getroot()
    declared = found = 0
    if local(root) != "Product_Observational":
        return 0, 0
    for area in root.iterchildren(f"{{{PDS_NS}}}File_Area_Observational"):
        for table in area.iterchildren(f"{{{PDS_NS}}}Table_Character"):
            for rec in table.iterchildren(f"{{{PDS_NS}}}Record_Character"):
                declared += _int(child_text(rec, "fields")) or 0
                found += sum(1 for c in rec if isinstance(c.tag, str) and local(c) == "Field_Character")
    return declared, found


def check_record_counts(tree: etree._ElementTree, file: str) -> list[Finding]:
    """validate's one count rule (TableFieldDefinitionRule): the Record_Characters' ``fields``
    added up against their Field_Character children (`character_field_counts`), when there is
    at least one: ``invalid_object_definition``, and then no table of the label is read
    (`table_definition_findings`). Other ``fields``/``groups`` counts are the Schematron's
    (Record_Delimited, groups), and a binary record's pds4-jparser's when the table is opened
    (``table_definition_problem``, `tables._binary_count_problems`)."""
    declared, found = character_field_counts(tree)
    if not found or declared == found:
        return []
    return [Finding("error.label.invalid_object_definition",
                    f"Record_Character fields add up to {declared}, the tables have {found} Field_Character",
                    file=file)]


#: data types whose field_format may not have a ``+`` flag / a ``-`` flag (validate's
#: TableFieldDefinitionRule)
_STRING_TYPES = {"ASCII_Short_String_Collapsed", "ASCII_Short_String_Preserved", "ASCII_String",
                 "ASCII_Text_Collapsed", "ASCII_Text_Preserved"}
_NUMBER_TYPES = {"ASCII_NonNegative_Integer", "ASCII_Numeric_Base16", "ASCII_Numeric_Base2", "ASCII_Numeric_Base8",
                 "ASCII_Real", "ASCII_Integer"}

_STRING_TYPES_UPPER = frozenset(t.upper() for t in _STRING_TYPES)
_NUMBER_TYPES_UPPER = frozenset(t.upper() for t in _NUMBER_TYPES)


def table_definition_findings(tree: etree._ElementTree, file: str) -> tuple[list[Finding], bool]:
    """validate's field definition rule, run before any table's content: a ``%+`` field_format
    on a string field or a ``%-`` one on a number field is ``error.label.invalid_object_definition``;
    that, or the Record_Characters' ``fields`` adding up to another count than their
    Field_Characters (reported by `check_record_counts`), means validate reads no table of the
    label. (findings, tables readable?)"""
    out: list[Finding] = []
    fields: list[etree._Element] = []
    for rec in tree.getroot().iter(f"{{{PDS_NS}}}Record_Character"):
        parent = rec.getparent()
        if parent is None or local(parent) != "Table_Character":
            continue
        fields += [c for c in rec if isinstance(c.tag, str) and local(c) == "Field_Character"]
    if not fields:
        return out, True
    declared, found = character_field_counts(tree)
    for f in fields:
        values = texts(f, "field_format", "data_type")  # (one pass over the field's children)
        fmt, dtype = values["field_format"] or "", (values["data_type"] or "").strip()
        if dtype.upper() in _STRING_TYPES_UPPER and "%+" in fmt:
            out.append(Finding("error.label.invalid_object_definition",
                               f"field {child_text(f, 'name')!r}: a string field_format may not have '+' ({fmt})",
                               file=file, line=f.sourceline))
        elif dtype.upper() in _NUMBER_TYPES_UPPER and "%-" in fmt:
            out.append(Finding("error.label.invalid_object_definition",
                               f"field {child_text(f, 'name')!r}: a number field_format may not have '-' ({fmt})",
                               file=file, line=f.sourceline))
    return out, not out and (not found or declared == found)


#: the errors of a stat that mean "no such file" (those `Path.is_file` answers False to)
_NOT_THERE = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP})


def check_files(areas: list[FileArea], file: str, *, content: bool = True) -> list[Finding]:
    """Referenced files: missing, file_size, md5_checksum, extension versus encoding."""
    from pdsgen.untrusted import name_problem

    out: list[Finding] = []
    for fa in sorted(areas, key=lambda fa: fa.area.sourceline or 0):  # (in label order)
        line = fa.file_element.sourceline if fa.file_element is not None else None
        if fa.absolute_dir is not None:
            # validate (FileReferenceValidationRule, its issue 349): an absolute
            # directory_path_name is an error, and the label's file references after it
            # are not checked (the rule returns), with or without the content checks
            out.append(Finding("error.directory.unallowed_name",
                               f"the directory name {fa.absolute_dir!r} for tag 'directory_path_name' cannot be "
                               f"absolute", file=file, line=line))
            break
        if fa.refused is not None:
            out.append(Finding("error.validation.file_naming_problem", fa.refused, file=file, line=line))
        if fa.path is None:
            continue
        problem = name_problem(fa.path.name)
        if problem is not None and "control" in problem:  # (other characters: the walk's naming checks)
            out.append(Finding("error.file.name_has_invalid_characters", f"file_{problem}", file=file, line=line))
        for obj in fa.objects:
            enc = child_text(obj.element, "encoding_standard_id")
            if enc and obj.tag.startswith("Encoded"):
                allowed = ENCODING_EXTENSIONS.get(enc.strip().lower())
                if allowed and fa.path.suffix.lower() not in allowed:
                    out.append(Finding("error.validation.file_naming_problem",
                                       f"file {fa.file_name!r} has extension {fa.path.suffix!r} but "
                                       f"its {obj.tag} says encoding {enc!r}", file=file, line=line,
                                       severity="warning"))
        if not content:
            continue
        try:
            st = os.stat(fa.path)  # (one stat: is it a file, its size; errors as Path.is_file)
        except OSError as exc:
            if exc.errno not in _NOT_THERE:
                raise
            st = None
        except ValueError:
            st = None
        if st is None or not stat.S_ISREG(st.st_mode):
            out.append(_missing(fa.path, fa.file_name, file, line))
            continue
        # validate (FileReferenceValidationRule.handleFilesize/handleChecksum) compares the
        # label's text with the file's size in decimal and its lower-case hexadecimal MD5 as
        # strings: a size written "06" or " 6 ", or an upper-case checksum, is a mismatch
        actual = st.st_size
        if fa.file_size_text and fa.file_size_text != str(actual):
            out.append(Finding("error.label.filesize_mismatch",
                               f"file_size of {fa.file_name!r} is {fa.file_size_text!r} in the label, "
                               f"the file has {actual} bytes", file=file, line=line))
        if fa.md5_text:
            digest = md5_of(fa.path)
            if digest != fa.md5_text:
                why = " (validate compares the lower-case hexadecimal digest as written)" \
                    if digest == fa.md5_text.strip().lower() else ""
                out.append(Finding("error.label.checksum_mismatch",
                                   f"md5_checksum of {fa.file_name!r} is {fa.md5_text!r} in the label, the "
                                   f"file's is {digest}{why}", file=file, line=line))
    return out


def _missing(path: Path, file_name: str | None, file: str, line: int | None) -> Finding:
    folder = path.parent
    msg = f"file {file_name!r} referenced by the label does not exist"
    if folder.is_dir():
        lowered = path.name.lower()
        for cand in folder.iterdir():
            if cand.name.lower() == lowered:
                msg += f" (a file {cand.name!r} differs only in case)"
                break
    return Finding("error.label.missing_file", msg, file=file, line=line)


def md5_of(path: Path, chunk: int = 1 << 22) -> str:
    h = hashlib.md5()  # noqa: S324 - PDS4 md5_checksum, not security
    with open(path, "rb") as fh:
        while True:
            block = fh.read(chunk)
            if not block:
                break
            h.update(block)
    return h.hexdigest()


def check_object_layout(areas: list[FileArea], file: str) -> list[Finding]:
    """Data objects against each other, as validate's DataDefinitionAndContentValidationRule
    (its newer releases) checks them: the objects of the label sorted by offset, each starting
    at or after the end (offset + size) of the one before it in that order when both lie in
    the same file (the expectation starts afresh whenever the file changes in that order):
    ``invalid_object_definition`` on the later one. Objects that do not overlap but are listed
    in another order than their offsets are no error: ``warning.data_objects.out_of_order``.
    An object of unknown size ends where it starts."""
    out: list[Finding] = []
    listed = [(o.offset, fa, o) for fa in areas for o in fa.objects if o.offset is not None]
    prev: tuple[int, FileArea, ObjectRef] | None = None
    for offset, fa, o in sorted(listed, key=lambda item: item[0]):
        if prev is not None and prev[1].file_name == fa.file_name:
            p_offset, _, p = prev
            end = p_offset + (p.size or 0)
            if offset < end:
                out.append(Finding(
                    "error.label.invalid_object_definition",
                    f"{o.tag} at offset {offset} overlaps the {p.tag} before it (bytes {p_offset}..{end - 1}) "
                    f"in {fa.file_name!r}", file=file, line=o.element.sourceline))
        prev = (offset, fa, o)
    for fa in areas:
        last: tuple[int, ObjectRef] | None = None
        for o in fa.objects:
            if o.offset is None:
                continue
            if last is not None and o.offset < last[0] and o.offset + (o.size or 0) <= last[0]:
                out.append(Finding("warning.data_objects.out_of_order",
                                   f"{o.tag} at offset {o.offset} is listed after the {last[1].tag} at offset "
                                   f"{last[0]} in {fa.file_name!r}; objects are read in their order in the "
                                   f"file", file=file, line=o.element.sourceline))
            last = (o.offset, o)
        for o in fa.objects:
            if o.offset is not None and o.offset < 0:
                out.append(Finding("error.label.invalid_object_definition",
                                   f"{o.tag} has negative offset {o.offset}", file=file,
                                   line=o.element.sourceline))
    return out


def check_local_references(tree: etree._ElementTree, file: str) -> list[Finding]:
    """Every local_identifier_reference names a local_identifier of the same label, as
    validate's LocalIdentifierReferencesRule finds them: elements of the PDS namespace only (a
    discipline dictionary's own are neither checked nor targets). Blanks around the text do
    not count: validate's stored rule compares the text as written, but its own expectation
    for a reference ending in a line break and tabs (github15) reports nothing."""
    root = tree.getroot()
    known = {"".join(el.itertext()).strip() for el in root.iter(f"{{{PDS_NS}}}local_identifier")}
    out = []
    for el in root.iter(f"{{{PDS_NS}}}local_identifier_reference"):
        value = "".join(el.itertext()).strip()
        if value not in known:
            out.append(Finding("error.label.local_identifier_not_found",
                               f"local_identifier_reference {value!r} matches no local_identifier in the label",
                               file=file, line=el.sourceline))
    return out


#: document formats pdsgen reads as text; any other Document_File is reported as not checked
TEXT_DOCUMENTS = {"7-bit ascii text", "utf-8 text"}


def not_checked_documents(tree: etree._ElementTree, file: str) -> list[Finding]:
    out = []
    for el in tree.getroot().iter(f"{{{PDS_NS}}}Document_File"):
        std = child_text(el, "document_standard_id") or "unknown"
        if std.lower() not in TEXT_DOCUMENTS:
            out.append(Finding("info.validation.not_checked",
                               f"{child_text(el, 'file_name')!r} ({std}) content is not checked by pdsgen (format "
                               f"outside its scope: PDF/A, images, office and media formats)",
                               file=file, line=el.sourceline))
    return out
