"""One CLI vocabulary: ``--json`` on the archive and recipe commands, a global ``-q``."""

from __future__ import annotations

import json

from click.testing import CliRunner

from pdsgen.cli import main
from pdsgen.recipes.demo_data import generate


def _cli(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_recipe_show_json_is_the_recipe_file():
    res = _cli("recipe", "show", "chems-pha", "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["name"] == "chems-pha"
    assert doc["recipe"]["recipe"]["algorithm"] == "chems_pha"
    assert {o["name"] for o in doc["recipe"]["outputs"]} >= {"M", "MQ", "Q", "E"}


def test_archive_init_index_collection_bundle_json(tmp_path):
    ws = tmp_path / "ws"
    res = _cli("archive", "init", ws, "--bundle", "urn:nasa:pds:cassini.inms.reu", "--json")
    assert res.exit_code == 0, res.output
    init = json.loads(res.stdout)
    assert init["bundle_lid"] == "urn:nasa:pds:cassini.inms.reu"
    names = {c["name"] for c in init["collections"]}
    assert "document" in names and all((ws / "bundle" / n).is_dir() for n in names)

    target = next(c["name"] for c in init["collections"] if "inms-crosstalk" in c["recipes"] and c["name"] != "browse")
    demo = generate("inms", tmp_path / "raw")
    out = ws / "bundle" / target
    res = _cli("-q", "run", "inms-crosstalk", *[str(p) for p in demo.inputs], "--workspace", ws,
               "--out", target, "--creation-time", "2026-01-01T00:00:00Z")
    assert res.exit_code == 0, res.output
    assert "note" not in res.output.lower()

    res = _cli("archive", "index", ws / "bundle", "--json")
    assert res.exit_code == 0, res.output
    idx = json.loads(res.stdout)
    n_labels = len(list(out.glob("*.xml")))
    n_browse = len(list((ws / "bundle" / "browse").glob("*.xml")))  # the browse plots: their own collection
    assert n_browse > 0 and idx["added"] == idx["products"] == n_labels + n_browse and idx["unreadable"] == []

    res = _cli("archive", "collection", out, "--json", "--creation-time", "2026-01-01T00:00:00Z")
    assert res.exit_code == 0, res.output
    col = json.loads(res.stdout)
    assert col["members"] == n_labels and col["changed"] is True
    assert col["lidvid"] == f"{col['lid']}::{col['vid']}"

    res = _cli("archive", "bundle", ws / "bundle", "--json", "--creation-time", "2026-01-01T00:00:00Z")
    assert res.exit_code == 0, res.output
    bun = json.loads(res.stdout)
    assert bun["lid"] == "urn:nasa:pds:cassini.inms.reu"
    assert any(c["lid"] == col["lid"] for c in bun["collections"])
    assert bun["checksum_manifest"] and bun["transfer_manifest"]
