"""Algorithm descriptions as PDS4 documents: for each recipe, a plain-text description
written from the recipe itself (what is computed, from which inputs, with which
parameters, calibration files and output columns, with units) and its Product_Document
label, citing the recipe's source document by its title and identifier (the document is
cited, never copied)."""

from __future__ import annotations

import hashlib
import os
import textwrap
import unicodedata
from pathlib import Path
from typing import Any

from pdsgen.archive.package import label_basics, write_product


def _ascii(text: str) -> str:
    """7-bit ASCII for a '7-Bit ASCII Text' document: accents dropped, symbols spelled out."""
    text = text.replace("µ", "u").replace("Δ", "delta ").replace("σ", "sigma").replace("→", "->")
    text = text.replace("×", "x").replace("°", " deg").replace("–", "-").replace("—", "-")
    text = text.replace("’", "'").replace("“", '"').replace("”", '"')
    norm = unicodedata.normalize("NFKD", text)
    return norm.encode("ascii", "ignore").decode("ascii")


def _para(text: str, indent: str = "") -> list[str]:
    words = " ".join(text.split())
    return textwrap.wrap(words, 78, initial_indent=indent, subsequent_indent=indent) or [indent.rstrip()]


def recipe_text(recipe: Any) -> str:
    """The description of ``recipe`` (CRLF lines, ASCII)."""
    lines = [recipe.title, "=" * min(78, len(recipe.title)), ""]
    lines += _para(f"This document describes pdsgen recipe '{recipe.name}' version {recipe.version}, "
                   f"algorithm '{recipe.algorithm}', which writes {recipe.standard.upper()} products.")
    lines.append("")
    lines += ["What is computed", "----------------"] + _para(recipe.description) + [""]
    if recipe.aggregate:
        lines += _para(f"Inputs are grouped ({recipe.group_by}); one set of products is written per group.")
        lines.append("")
    if recipe.inputs:
        lines += ["Inputs", "------"]
        for name, spec in recipe.inputs.items():
            where = ", ".join(x for x in (
                f"column {spec.column}" if getattr(spec, "column", None) else "",
                f"object {spec.object}" if getattr(spec, "object", None) else "",
                f"keyword {spec.keyword}" if getattr(spec, "keyword", None) else "",
                f"unit {spec.unit}" if getattr(spec, "unit", None) else "") if x)
            desc = getattr(spec, "description", "") or ""
            lines += _para(f"- {name}: {where}{'. ' + desc if desc else ''}", "  ")
        lines.append("")
    if recipe.calibrations:
        lines += ["Calibration files", "-----------------"]
        for name, cal in recipe.calibrations.items():
            default = f" (default: {cal.default}, shipped with the recipe)" if cal.default else ""
            lines += _para(f"- {name}: files matching {cal.match}{default}. {cal.description}", "  ")
        lines.append("")
    if recipe.parameters:
        lines += ["Parameters and constants", "------------------------"]
        for name, p in recipe.parameters.items():
            unit = getattr(p, "unit", "") or ""
            desc = getattr(p, "description", "") or ""
            lines += _para(f"- {name} = {p.default}{' ' + unit if unit else ''}{'. ' + desc if desc else ''}", "  ")
        lines.append("")
    if recipe.outputs:
        lines += ["Outputs", "-------"]
        for o in recipe.outputs:
            part = f" [product part {o.part}]" if o.part else ""
            unit = f" ({o.unit})" if o.unit else ""
            lines += _para(f"- {o.name}{unit}{part}: {o.description}", "  ")
        lines.append("")
    if recipe.source_document:
        lines += ["Source", "------"]
        lines += _para(f"The algorithm is documented in: {recipe.source_document}. This description is "
                       "written from the recipe that implements it; see the source document for the "
                       "derivation and its discussion.")
        lines.append("")
    return "\r\n".join(_ascii(line).rstrip() for line in lines) + "\r\n"


def write_recipe_document(recipe: Any, folder: str | os.PathLike[str], collection_lid: str, *,
                          creation_time: Any = None, vid: str = "1.0") -> Path:
    """Write ``<recipe>_algorithm.txt`` and its Product_Document label into ``folder``;
    returns the label. LID: ``<collection_lid>:<recipe name>_algorithm``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stem = recipe.name.lower().replace("-", "_") + "_algorithm"
    text = recipe_text(recipe).encode("ascii")
    context = label_basics(creation_time)
    context |= {
        "lid": f"{collection_lid}:{stem}", "vid": vid,
        "title": _ascii(f"Algorithm description: {recipe.title}"), "publication_date": context["date"],
        "description": _ascii(f"What pdsgen recipe {recipe.name} {recipe.version} computes, from which inputs, "
                              "with which constants and units."),
        "recipe_name": recipe.name, "recipe_version": recipe.version,
        "source_document": _ascii(recipe.source_document),
        "file": {"file_name": f"{stem}.txt", "size": len(text), "md5": hashlib.md5(text).hexdigest()},
    }
    return write_product("archive/document.xml.j2", context, folder / f"{stem}.xml", [(folder / f"{stem}.txt", text)])
