"""Delivery workspaces: where a bundle is assembled from raw data, calibration files and
recipe outputs.

``pdsgen archive init WORKSPACE --bundle LID`` writes ``WORKSPACE/workspace.toml`` and
the folders::

    WORKSPACE/
      workspace.toml          bundle LID, collections (name, LID, type, recipes)
      bundle/                 the delivery: one folder per collection
        <collection>/         ... named as the 5th field of the recipes' product LIDs
        browse/               the recipes' browse plots (`pdsgen.recipes.run.browse_lid`)
        document/             the recipes' algorithm descriptions (Product_Document)
      inputs/                 raw inputs and calibration files that are not delivered

A collection folder is named after the collection component of its LID
(``urn:nasa:pds:<bundle>:<collection>``), so packaging derives the same LIDs the recipes
write, and `pdsgen run RECIPE ... --workspace WORKSPACE --out COLLECTION` writes into it.
Raw inputs and calibration files that are delivered are collections of their own
(``--collection raw --collection calibration``); the rest stay in ``inputs/``.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pdsgen.archive.errors import ArchiveInputError
from pdsgen.archive.package import collection_type_for

WORKSPACE_FILE = "workspace.toml"
_LID = re.compile(r"^urn:[a-z]+:[a-z]+:[a-z0-9][a-z0-9._-]*$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass
class Collection:
    name: str
    lid: str
    collection_type: str
    recipes: list[str] = field(default_factory=list)


@dataclass
class Workspace:
    path: Path
    bundle_lid: str
    collections: dict[str, Collection]

    @property
    def bundle_dir(self) -> Path:
        return self.path / "bundle"

    @property
    def inputs_dir(self) -> Path:
        return self.path / "inputs"

    def collection_dir(self, name: str) -> Path:
        """The folder of the collection ``name``; ArchiveInputError naming the known ones."""
        if name not in self.collections:
            known = ", ".join(sorted(self.collections)) or "none"
            raise ArchiveInputError(f"the workspace has no collection {name!r} (collections: {known})",
                                    path=str(self.path / WORKSPACE_FILE))
        return self.bundle_dir / name


def recipe_collections(recipe: object) -> set[str]:
    """Collection LIDs (``urn:nasa:pds:<bundle>:<collection>``) of a recipe's products."""
    product = recipe.product  # type: ignore[attr-defined]
    lids = [product.lid] + [p.get("lid", "") for p in product.parts.values()]
    out = set()
    for lid in lids:
        fields = lid.split(":")
        if len(fields) >= 6 and "{" not in ":".join(fields[:5]):
            out.add(":".join(fields[:5]))
    return out


def recipe_browse_collections(recipe: object) -> set[str]:
    """Collection LIDs of a recipe's browse plots: ``urn:nasa:pds:<bundle>:browse`` for each
    bundle of its products (`pdsgen.recipes.run.browse_lid`)."""
    from pdsgen.recipes.run import BROWSE_COLLECTION

    return {f"{lid.rsplit(':', 1)[0]}:{BROWSE_COLLECTION}" for lid in recipe_collections(recipe)}


def init_workspace(path: str | os.PathLike[str], bundle_lid: str, *,
                   extra: list[str] | tuple[str, ...] = ()) -> Workspace:
    """Create (or complete) a workspace for the bundle ``bundle_lid``: a collection folder
    for each recipe whose products' LIDs lie in the bundle, ``document``, and ``extra``
    collections (``name`` or ``name=Type``, e.g. ``raw``, ``calibration``)."""
    from pdsgen.recipes import load_recipe
    from pdsgen.recipes.loader import list_builtin

    bundle_lid = bundle_lid.strip().lower()
    if not _LID.match(bundle_lid) or bundle_lid.count(":") != 3:
        raise ArchiveInputError(f"--bundle {bundle_lid!r} is not a bundle LID (urn:nasa:pds:<bundle_id>)")
    ws = Path(path)
    collections: dict[str, Collection] = {}
    for name in list_builtin():
        recipe = load_recipe(name)
        for lid in sorted(recipe_collections(recipe) | recipe_browse_collections(recipe)):
            if lid.startswith(bundle_lid + ":"):
                cname = lid.rsplit(":", 1)[-1]
                coll = collections.setdefault(cname, Collection(cname, lid, collection_type_for(cname)))
                coll.recipes.append(recipe.name)
    for item in ("document", *extra):
        cname, _, ctype = item.partition("=")
        cname = cname.strip().lower()
        if not _NAME.match(cname):
            raise ArchiveInputError(f"collection name {cname!r}: lower-case letters, digits, '.', '_', '-' only")
        collections.setdefault(cname, Collection(cname, f"{bundle_lid}:{cname}",
                                                 ctype.strip() or collection_type_for(cname)))
    if len(collections) == 1:
        fits = sorted({lid.rsplit(":", 1)[0] for n in list_builtin() for lid in recipe_collections(load_recipe(n))})
        raise ArchiveInputError(f"no recipe writes products into bundle {bundle_lid}; the recipes' bundles: "
                                f"{', '.join(fits)}")
    for coll in collections.values():
        (ws / "bundle" / coll.name).mkdir(parents=True, exist_ok=True)
    (ws / "inputs").mkdir(parents=True, exist_ok=True)
    out = Workspace(ws, bundle_lid, collections)
    _write(out)
    return out


def _write(ws: Workspace) -> None:
    lines = ["# pdsgen delivery workspace (pdsgen archive init)", "[workspace]",
             f'bundle = "{ws.bundle_lid}"', ""]
    for c in sorted(ws.collections.values(), key=lambda c: c.name):
        recipes = ", ".join(f'"{r}"' for r in c.recipes)
        lines += [f"[collections.{c.name}]", f'lid = "{c.lid}"', f'type = "{c.collection_type}"',
                  f"recipes = [{recipes}]", ""]
    target = ws.path / WORKSPACE_FILE
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text("\n".join(lines), encoding="utf-8")
    os.replace(tmp, target)


def load_workspace(path: str | os.PathLike[str]) -> Workspace:
    """The workspace at ``path`` (its ``workspace.toml``)."""
    ws = Path(path)
    cfg = ws / WORKSPACE_FILE
    try:
        data = tomllib.loads(cfg.read_text(encoding="utf-8"))
        bundle = data["workspace"]["bundle"]
        collections = {
            name: Collection(name, c["lid"], c.get("type", collection_type_for(name)), list(c.get("recipes", [])))
            for name, c in data.get("collections", {}).items()
        }
    except FileNotFoundError:
        raise ArchiveInputError(f"not a workspace (no {WORKSPACE_FILE}): run `pdsgen archive init` first",
                                path=str(ws)) from None
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise ArchiveInputError(f"unreadable workspace file: {type(exc).__name__}: {exc}", path=str(cfg)) from None
    return Workspace(ws, bundle, collections)


def browse_folder(workspace: str | os.PathLike[str], recipe: object) -> Path | None:
    """Where `pdsgen run --workspace WS` writes the recipe's browse plots: the workspace's
    collection of the recipe's browse LIDs (``None`` when it has none: beside the products)."""
    ws = load_workspace(workspace)
    lids = recipe_browse_collections(recipe)
    for coll in ws.collections.values():
        if coll.lid in lids:
            folder = ws.bundle_dir / coll.name
            folder.mkdir(parents=True, exist_ok=True)
            return folder
    return None


def output_folder(workspace: str | os.PathLike[str], collection: str, recipe: object | None = None) -> Path:
    """Where `pdsgen run --workspace WS --out COLLECTION` writes; the recipe's products must
    belong to that collection (their LIDs start with the collection's LID)."""
    ws = load_workspace(workspace)
    folder = ws.collection_dir(collection)
    if recipe is not None:
        lid = ws.collections[collection].lid
        theirs = recipe_collections(recipe)
        if theirs and lid not in theirs:
            raise ArchiveInputError(
                f"recipe {recipe.name} writes products of {', '.join(sorted(theirs))}, "  # type: ignore[attr-defined]
                f"not of collection {collection} ({lid})", path=str(ws.path / WORKSPACE_FILE))
    folder.mkdir(parents=True, exist_ok=True)
    return folder
