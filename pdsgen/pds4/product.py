"""PDS4 products: detect a PDS4 label, read identification, times and data objects.

Registers with `pdsgen.registry` on import (``pdsgen.open`` then handles ``.xml`` and
``.lblx`` PDS4 labels). Objects are described, not read: each object's bytes are read
when its ``.data`` is asked for, and an object whose description or file is broken
carries its error instead of stopping the whole product from opening.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from pdsgen.errors import DataError, LabelError
from pdsgen.model import Product
from pdsgen.pds4.label import child, children, find_path, local, parse, text
from pdsgen.pds4.objects import build_object, classify
from pdsgen.registry import register_reader
from pdsgen.untrusted import ReferenceEscapeError, confine

PDS4_NAMESPACE = b"pds.nasa.gov/pds4/pds/v1"
LABEL_SUFFIXES = (".xml", ".lblx")


def detect(path: Path, head: bytes) -> bool:
    """A PDS4 label: the PDS4 namespace or a Product_* root near the top of the file.

    A ``.xml``/``.lblx`` file that starts like XML is also claimed, so that a broken
    PDS4 label gets a PDS4 parse error (with line number) rather than "not a label".
    """
    if PDS4_NAMESPACE in head or b"<Product_" in head:
        return True
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    # (an empty .xml/.lblx file is claimed too: "empty label" beats "not a label")
    return path.suffix.lower() in LABEL_SUFFIXES and (stripped.startswith(b"<") or not stripped)


def _resolve(label_path: Path, file_name: str) -> Path:
    """The data file beside the label; a case-insensitive match if the exact name is absent.

    `ReferenceEscapeError` when the name leads outside the label's folder."""
    candidate = confine(label_path.parent, file_name, label=label_path, what="file_name")
    if candidate.exists():
        return candidate
    folder = candidate.parent
    if folder.is_dir():
        lowered = candidate.name.lower()
        for entry in folder.iterdir():
            if entry.name.lower() == lowered:
                return entry
    return candidate


def _file_areas(root: etree._Element) -> Iterator[etree._Element]:
    for el in root.iter():
        if isinstance(el.tag, str) and local(el).startswith("File_Area"):
            yield el


def _objects(product: Product, root: etree._Element) -> None:
    index = 0
    for area in _file_areas(root):
        file_el = child(area, "File")
        file_name = text(file_el, "file_name") if file_el is not None else None
        file_error: Exception | None
        if file_name is None:
            data_file = product.path
            file_error = LabelError("<File> has no <file_name>", path=str(product.path), line=area.sourceline)
        else:
            try:
                data_file = _resolve(product.path, file_name)
            except ReferenceEscapeError as exc:  # kept on every object of the area: never read
                data_file, file_error = product.path.parent / file_name, exc
            else:
                file_error = None if data_file.exists() else DataError(
                    f"data file {file_name!r} named by the label does not exist", path=str(data_file)
                )
        for el in children(area):
            tag = local(el)
            if classify(tag) is None:
                continue
            index += 1
            obj = build_object(el, tag, index, data_file, label_path=product.path, file_error=file_error)
            obj.details.setdefault("file_area", local(area))
            product.objects.append(obj)


def _times(product: Product, root: etree._Element) -> None:
    tc = None
    for el in root.iter():
        if isinstance(el.tag, str) and local(el) == "Time_Coordinates":
            tc = el
            break
    if tc is not None:
        product.start_time = text(tc, "start_date_time")
        product.stop_time = text(tc, "stop_date_time")


def _instrument(root: etree._Element) -> str | None:
    names = []
    for el in root.iter():
        if isinstance(el.tag, str) and local(el) == "Observing_System_Component":
            name = text(el, "name")
            if (text(el, "type") or "").lower() == "instrument" and name:
                names.append(name)
    return ", ".join(dict.fromkeys(names)) or None


def open_pds4(path: Path) -> Product:
    """Open a PDS4 label (``.xml``/``.lblx``) as a `Product`."""
    path = Path(path)
    return product_from_tree(parse(path), path)


def product_from_tree(tree: etree._ElementTree, path: Path) -> Product:
    """A `Product` from a label already parsed (`pdsgen.untrusted.parse_label_xml`):
    ``path`` is where the label is (or will be), its data files resolve beside it."""
    root = tree.getroot()
    product_class = local(root)
    if not product_class.startswith("Product"):
        raise LabelError(f"root element is <{product_class}>, not a PDS4 Product_* class", path=str(path),
                         line=root.sourceline)
    ident = child(root, "Identification_Area")
    product = Product(standard="PDS4", path=path, label=tree, product_class=product_class)
    if ident is not None:
        product.lid = text(ident, "logical_identifier")
        product.vid = text(ident, "version_id")
        product.title = text(ident, "title")
        product.information_model_version = text(ident, "information_model_version")
        declared = text(ident, "product_class")
        if declared and declared != product_class:
            product.extra["declared_product_class"] = declared
    _times(product, root)
    product.instrument = _instrument(root)
    summary = find_path(root, "Observation_Area", "Primary_Result_Summary")
    if summary is not None:
        level = text(summary, "processing_level")
        if level:
            product.extra["processing_level"] = level
            product.product_type = level
    investigation = find_path(root, "Observation_Area", "Investigation_Area")
    if investigation is not None and text(investigation, "name"):
        product.extra["investigation"] = text(investigation, "name")
    _objects(product, root)
    return product


register_reader("PDS4", detect, open_pds4, priority=20)
