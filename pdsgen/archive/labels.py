"""Cheap label readers for indexing: identification, times, files and provenance only.

`pdsgen.open` builds the full structure of every data object, which indexing does not
need; at thousands of labels per second the index reads just the elements it stores,
in one pass over the parsed XML tree (PDS4) or the ODL keywords (PDS3).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from pdsgen.archive.index import ProvenanceRef
from pdsgen.errors import LabelError
from pdsgen.model import ProductIdentity
from pdsgen.pds4.label import local_name
from pdsgen.times import try_normalize
from pdsgen.untrusted import check_doctype, xml_parser

_PARSER = xml_parser(collect_ids=False)

#: Internal_Reference types naming the products a product was made from (PDS4 IM).
INPUT_REFERENCE_TYPES = {
    "data_to_raw_source_product",
    "data_to_raw_product",
    "data_to_partially_processed_source_product",
    "data_to_calibrated_source_product",
    "data_to_derived_source_product",
    "data_to_telemetry_source_product",
}
CALIBRATION_REFERENCE_TYPES = {"data_to_calibration_product", "ancillary_to_calibration_product"}


@dataclass
class LabelInfo:
    """What the index keeps of one label (paths of data files relative to the label's folder)."""

    standard: str
    lid: str | None = None
    vid: str | None = None
    product_id: str | None = None
    data_set_id: str | None = None
    product_class: str | None = None
    product_type: str | None = None
    title: str | None = None
    start_time: str | None = None
    stop_time: str | None = None
    instrument: str | None = None
    purposes: list[str] = field(default_factory=list)
    collection_type: str | None = None
    data_files: list[str] = field(default_factory=list)
    provenance: list[ProvenanceRef] = field(default_factory=list)
    recipe_name: str | None = None
    recipe_version: str | None = None
    pdsgen_version: str | None = None
    parameters: dict[str, Any] | None = None
    text_roles: dict[str, str] = field(default_factory=dict)

    @property
    def identity(self) -> ProductIdentity:
        """The label's identity (the scan adds the label's archive path: `ProductRecord`)."""
        return ProductIdentity(self.lid, self.vid, self.product_class, self.title, product_id=self.product_id)


def md5_file(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    h = hashlib.md5()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def _text(el: etree._Element) -> str | None:
    t = el.text
    return t.strip() if t and t.strip() else None


def _child_text(el: etree._Element, tag: str) -> str | None:
    t = el.findtext(tag)
    if t is None:
        return None
    t = t.strip()
    return t or None


def read_pds4(path: str | Path, data: bytes | None = None) -> LabelInfo:
    """Identification, times, instrument, file names and provenance of a PDS4 label."""
    try:
        root = etree.fromstring(data, _PARSER) if data is not None else etree.parse(str(path), _PARSER).getroot()
    except etree.XMLSyntaxError as exc:
        raise LabelError(f"not well-formed XML: {exc}", path=str(path)) from exc
    check_doctype(root.getroottree(), path)
    info = LabelInfo(standard="PDS4", product_class=local_name(root.tag))
    tag = root.tag if isinstance(root.tag, str) else ""
    ns = tag[: tag.index("}") + 1] if tag.startswith("{") else ""
    instrument_lids: list[str] = []
    ia = root.find(f"{ns}Identification_Area")
    if ia is not None:
        info.lid = _child_text(ia, f"{ns}logical_identifier")
        info.vid = _child_text(ia, f"{ns}version_id")
        title = ia.findtext(f"{ns}title")
        info.title = " ".join(title.split()) or None if title else None
    # One pass in C over just the elements of interest (iterating every element in
    # Python costs more than parsing the label).
    wanted = [f"{ns}{n}" for n in (
        "Time_Coordinates", "Primary_Result_Summary", "Collection", "File",
        "Observing_System_Component", "Internal_Reference", "Source_Product_Internal",
        "Source_Product_External", "comment", "description")] + ["{*}Software_Program", "{*}Software"]
    for el in root.iter(*wanted):
        name = el.tag[len(ns):] if el.tag.startswith(ns) else local_name(el.tag)
        if name == "Time_Coordinates":
            info.start_time = _child_text(el, f"{ns}start_date_time")
            info.stop_time = _child_text(el, f"{ns}stop_date_time")
        elif name == "Primary_Result_Summary":
            info.purposes += [t.strip() for t in (e.text for e in el.iterchildren(f"{ns}purpose")) if t and t.strip()]
            info.product_type = info.product_type or _child_text(el, f"{ns}processing_level")
        elif name == "Collection":
            info.collection_type = _child_text(el, f"{ns}collection_type")
            info.product_type = info.collection_type
        elif name == "File":
            if t := _child_text(el, f"{ns}file_name"):
                info.data_files.append(t)
        elif name == "Observing_System_Component":
            kind = _child_text(el, f"{ns}type")
            name_ = _child_text(el, f"{ns}name")
            if kind and kind.lower() in ("instrument", "spacecraft instrument") and name_ and not info.instrument:
                info.instrument = name_
        elif name == "Internal_Reference":
            _internal_reference(el, info, instrument_lids)
        elif name in ("Source_Product_Internal", "Source_Product_External"):
            _source_products(el, info)
        elif name in ("Software_Program", "Software"):
            _software(el, info)
        elif name in ("description", "comment"):
            if el.text and "Generated by pdsgen" in el.text:
                _provenance_text(el.text, info)
    if info.text_roles:
        # the provenance statement says which references are calibration files; the
        # Source_Product_External element of the writers lists both kinds together
        info.provenance = [p for p in info.provenance
                           if info.text_roles.get(p.ref, p.role) == p.role]
    if info.instrument is None and instrument_lids:
        info.instrument = instrument_lids[0].rsplit(":", 1)[-1]
    return info


def _internal_reference(el: etree._Element, info: LabelInfo, instrument_lids: list[str]) -> None:
    ref = rtype = None
    comment = None
    for child in el:
        cn = local_name(child.tag)
        if cn in ("lidvid_reference", "lid_reference"):
            ref = _text(child)
        elif cn == "reference_type":
            rtype = _text(child)
        elif cn == "comment":
            comment = _text(child)
    if not ref or not rtype:
        return
    if rtype.endswith("_to_instrument"):
        instrument_lids.append(ref)
        return
    md5 = None
    if comment:
        m = re.search(r"\bmd5[ :=]+([0-9a-fA-F]{32})\b", comment)
        md5 = m.group(1).lower() if m else None
    if rtype in CALIBRATION_REFERENCE_TYPES:
        info.provenance.append(ProvenanceRef("calibration", ref, md5))
    elif rtype in INPUT_REFERENCE_TYPES:
        info.provenance.append(ProvenanceRef("input", ref, md5))


def _source_products(el: etree._Element, info: LabelInfo) -> None:
    """Source_Product_Internal/External (the writers' provenance): the comment or
    description says "Calibration files." for calibration products, else inputs."""
    refs = []
    note = ""
    for child in el:
        cn = local_name(child.tag)
        if cn in ("lidvid_reference", "lid_reference", "external_source_product_identifier"):
            if t := _text(child):
                refs.append(t)
        elif cn in ("comment", "description"):
            note = (child.text or "").lower()
    role = "calibration" if note.startswith("calibration") else "input"
    for ref in refs:
        info.provenance.append(ProvenanceRef(role, ref))


def _software(el: etree._Element, info: LabelInfo) -> None:
    """proc:Software_Program (name, program_version) and the pdsgen recipe behind a product."""
    values = {local_name(c.tag): _text(c) for c in el}
    name = values.get("name") or values.get("software_id") or ""
    version = values.get("program_version") or values.get("software_version_id")
    if name.lower() == "pdsgen":
        info.pdsgen_version = version
    elif name.lower().startswith("pdsgen recipe ") or name.lower().startswith("recipe "):
        info.recipe_name = name.split()[-1]
        info.recipe_version = version


def _provenance_text(text: str, info: LabelInfo) -> None:
    """The statement the writers put in pdsgen-made labels, read by the module that writes
    it (`pdsgen.render.provenance`): recipe, typed parameters, inputs and calibration files
    with their MD5s."""
    from pdsgen.render.provenance import parse_provenance, to_json

    p = parse_provenance(text)
    if p is None:
        return
    info.pdsgen_version = info.pdsgen_version or p.pdsgen_version
    info.recipe_name = info.recipe_name or p.recipe_name
    info.recipe_version = info.recipe_version or p.recipe_version
    stated: dict[tuple[str, str], str | None] = {}
    for role, refs in (("input", p.inputs), ("calibration", p.calibrations)):
        for r in refs:
            stated[(role, r.ref)] = r.md5
            info.text_roles[r.ref] = role
    # the statement's checksum wins over a reference element's (which has none)
    kept = [ProvenanceRef(x.role, x.ref, x.md5 or stated.get((x.role, x.ref))) for x in info.provenance]
    seen = {(x.role, x.ref) for x in kept}
    kept += [ProvenanceRef(role, ref, md5) for (role, ref), md5 in stated.items() if (role, ref) not in seen]
    info.provenance = kept
    if info.parameters is None and (p.parameters or "Parameters: " in text):
        info.parameters = to_json(p.parameters)


# ---------------------------------------------------------------------------- PDS3
def _pds3_loads(data: bytes, path: str) -> Any:
    """pdsgen's PDS3 parser, strict as `pdsgen.open` is (a parameter without a value is an
    error, which pvl would let through)."""
    from pdsgen.pds3 import loads

    return loads(data, strict=True, path=path)


def read_pds3(path: str | Path, data: bytes | None = None) -> LabelInfo:
    """Top-level keywords and file pointers of a PDS3 label."""
    try:
        label = _pds3_loads(data if data is not None else Path(path).read_bytes(), str(path))
    except LabelError:
        raise
    except Exception as exc:  # anything else the parser raises
        raise LabelError(f"not a parseable PDS3 label: {exc}", path=str(path)) from exc

    def get(key: str) -> str | None:
        v = label.get(key)
        if v is None:
            return None
        if isinstance(v, list | tuple | set | frozenset):
            v = ",".join(str(x) for x in v)
        s = str(v).strip()
        return None if s.upper() in ("N/A", "UNK", "NULL", "") else s

    info = LabelInfo(standard="PDS3")
    info.product_id = get("PRODUCT_ID")
    info.data_set_id = get("DATA_SET_ID")
    info.product_type = get("PRODUCT_TYPE") or get("STANDARD_DATA_PRODUCT_ID")
    info.title = get("PRODUCT_NAME") or get("TITLE")
    info.start_time = _pds3_time(label.get("START_TIME"))
    info.stop_time = _pds3_time(label.get("STOP_TIME"))
    info.instrument = get("INSTRUMENT_ID") or get("INSTRUMENT_NAME")
    objects = [k for k, v in label.items() if hasattr(v, "items") and not k.startswith("^")]
    info.product_class = objects[0] if objects else None
    for key, value in label.items():
        if key.startswith("^"):
            target = value[0] if isinstance(value, list | tuple) else value
            if isinstance(target, str) and target not in info.data_files:
                info.data_files.append(target)
    for src in _as_list(label.get("SOURCE_PRODUCT_ID")):
        info.provenance.append(ProvenanceRef("input", str(src)))
    for key in ("CALIBRATION_SOURCE_ID", "CALIBRATION_FILE_NAME", "CALIBRATION_PRODUCT_ID"):
        for cal in _as_list(label.get(key)):
            info.provenance.append(ProvenanceRef("calibration", str(cal)))
    soft = get("SOFTWARE_NAME")
    if soft and soft.lower().startswith("pdsgen"):
        info.pdsgen_version = get("SOFTWARE_VERSION_ID")
    description = label.get("DESCRIPTION")
    if isinstance(description, str) and "Generated by pdsgen" in description:
        _provenance_text(description, info)
        if info.text_roles:
            info.provenance = [p for p in info.provenance if info.text_roles.get(p.ref, p.role) == p.role]
    return info


def _as_list(v: Any) -> list[Any]:
    if v is None:
        return []
    if isinstance(v, list | tuple | set | frozenset):
        return [x for x in v if str(x).upper() not in ("N/A", "UNK")]
    return [] if str(v).upper() in ("N/A", "UNK") else [v]


def _pds3_time(v: Any) -> str | None:
    if v is None:
        return None
    return str(v).strip().replace(" ", "T") or None


def read_label(path: str | Path, data: bytes | None = None) -> LabelInfo:
    """PDS4 (``.xml`` with a Product_* root) or PDS3 (``.lbl``) label at ``path``."""
    if str(path).lower().endswith(".xml"):
        return read_pds4(path, data)
    return read_pds3(path, data)


def is_calibration(info: LabelInfo, rel_label: str) -> bool:
    """Calibration products: purpose "Calibration", a calibration collection, or a calib/ folder."""
    if any(p.lower() == "calibration" for p in info.purposes):
        return True
    if (info.collection_type or "").lower() == "calibration":
        return False  # the collection product itself is not a calibration file
    if info.lid and re.search(r":calibration(?::|$)", info.lid.lower()):
        return True
    parts = [p.lower() for p in rel_label.split("/")[:-1]]
    if any(p in ("calib", "calibration") for p in parts):
        return True
    return bool(info.product_type and "calib" in info.product_type.lower() and "calibrated" not in info.product_type.lower())


def normalized_times(info: LabelInfo) -> tuple[str | None, str | None]:
    return try_normalize(info.start_time), try_normalize(info.stop_time)
