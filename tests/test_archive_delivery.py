"""Delivery packaging checks what validate checks (members' LIDs start with their
collection's, collections' with their bundle's), and the delivery workflow."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from pdsgen.archive import synthetic
from pdsgen.archive.errors import ArchiveInputError
from pdsgen.archive.index import SQLiteIndex
from pdsgen.archive.package import package_bundle, package_collection
from pdsgen.cli import main

CT = "2026-01-01T00:00:00Z"


def _foreign(tmp_path):
    """A bundle 'synth' whose data folder also holds two products of bundle 'other'."""
    root = synthetic.make_bundle(tmp_path / "synth", 4, n_calibrations=1, per_folder=4)
    other = synthetic.make_bundle(tmp_path / "other", 2, n_calibrations=0, bundle="other")
    for p in (other / "data/d0000").iterdir():
        shutil.copy(p, root / "data/d0000" / ("o_" + p.name))
    # the copies' labels name their data files by the old names: rename back in the label
    for lbl in (root / "data/d0000").glob("o_*.xml"):
        lbl.write_text(lbl.read_text().replace("<file_name>p", "<file_name>o_p"))
    return root


def test_collection_lid_cannot_take_foreign_members(tmp_path):
    root = _foreign(tmp_path)
    with SQLiteIndex(tmp_path / "i.sqlite") as idx:
        with pytest.raises(ArchiveInputError) as err:
            package_collection(root, root / "data", idx, lid="urn:nasa:pds:synth:data", creation_time=CT)
    text = str(err.value)
    assert "missing_parent_prefix" in text and "2 member(s)" in text
    assert "urn:nasa:pds:other:data:p0000000" in text and "data/d0000/o_p0000000.xml" in text
    assert not list((root / "data").glob("collection_*"))  # nothing written


def test_cli_bundle_lid_cannot_take_foreign_collections(tmp_path):
    root = synthetic.make_bundle(tmp_path / "synth", 3, n_calibrations=1)
    res = CliRunner().invoke(main, ["archive", "bundle", str(root), "--db", str(tmp_path / "i.sqlite"),
                                    "--lid", "urn:nasa:pds:elsewhere", "--creation-time", CT])
    assert res.exit_code == 2, res.output
    assert "missing_parent_prefix" in res.output
    assert "calibration: urn:nasa:pds:synth:calibration" in res.output
    assert not list(root.glob("*/collection_*")) and not list(root.glob("bundle_*"))


def test_collection_of_a_bundle_checked_against_the_bundle_label(tmp_path):
    root = synthetic.make_bundle(tmp_path / "synth", 3, n_calibrations=1)
    with SQLiteIndex(tmp_path / "i.sqlite") as idx:
        package_bundle(root, idx, creation_time=CT, manifests=False)
        extra = root / "extra"
        extra.mkdir()
        other = synthetic.make_bundle(tmp_path / "other", 1, n_calibrations=0, bundle="other")
        for p in (other / "data/d0000").iterdir():
            shutil.copy(p, extra / p.name)
        with pytest.raises(ArchiveInputError, match="missing_parent_prefix"):
            package_collection(root, extra, idx, lid="urn:nasa:pds:other:data", creation_time=CT)


def _stats(folder):
    return {p.relative_to(folder).as_posix(): (p.stat().st_mtime_ns, p.stat().st_ino)
            for p in folder.rglob("*") if p.is_file() and ".pdsgen" not in p.parts}


def test_bundle_with_nothing_changed_rewrites_nothing(tmp_path):
    root = synthetic.make_bundle(tmp_path / "d" / "synth", 5, n_calibrations=1, per_folder=5)
    with SQLiteIndex(tmp_path / "i.sqlite") as idx:
        first = package_bundle(root, idx, creation_time=CT)
        before = _stats(tmp_path / "d")
        again = package_bundle(root, idx, creation_time="2027-01-01T00:00:00Z")
    assert first.checksum_manifest.is_file() and first.transfer_manifest.is_file()
    assert not again.changed and not any(c.changed for c in again.collections)
    assert _stats(tmp_path / "d") == before  # not one file rewritten, manifests included


def test_find_json_streams_the_same_document(tmp_path):
    import json

    from pdsgen.archive.find import find, iter_find

    root = synthetic.make_bundle(tmp_path / "synth", 1200, n_calibrations=2, per_folder=600)
    db = str(tmp_path / "i.sqlite")
    with SQLiteIndex(db) as idx:
        from pdsgen.archive.scan import scan

        scan(root, idx)
        it = iter_find(idx, start="2005-01-02", stop="2005-02-10")
        assert iter(it) is it  # a generator, not a list
        expected = [r.to_json() for r in find(idx, start="2005-01-02", stop="2005-02-10")]
    # products i cover hours [i, i+1]: overlap when i + 1 >= 24 and i <= 40 days * 24; both calibrations
    assert len(expected) == 2 + (960 - 23 + 1)
    res = CliRunner().invoke(main, ["archive", "find", str(root), "--db", db, "--start", "2005-01-02",
                                    "--stop", "2005-02-10", "--json"])
    assert res.exit_code == 0, res.output
    assert res.output == json.dumps(expected, indent=1) + "\n"
    res = CliRunner().invoke(main, ["archive", "find", str(root), "--db", db, "--lid", "nothing-like-this", "--json"])
    assert res.output == "[]\n"


def test_regenerate_says_what_it_could_not_check(tmp_path):
    root = synthetic.make_bundle(tmp_path / "synth", 6, n_calibrations=2, per_folder=5)
    synthetic.make_calibrated(root, creation_time=CT)
    db = str(tmp_path / "i.sqlite")
    with SQLiteIndex(db) as idx:
        package_bundle(root, idx, creation_time=CT, manifests=False)
    for suffix in (".xml", ".tab"):  # cal000 (in force for products 0-2) leaves the archive
        (root / f"calibration/cal000{suffix}").unlink()
    res = CliRunner().invoke(main, ["archive", "regenerate", str(root), "--db", db, "--dry-run"])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[-1] == "0 products to remake; 3 products could not be fully checked (see 'not checked')"
    assert ("not checked: calibration urn:nasa:pds:synth:calibration:cal000::1.0: not in the archive "
            "(not indexed under the root, no file of that name there); cited by 3 product(s), "
            "e.g. data_calibrated/p0000000_cal.xml") in res.stderr
