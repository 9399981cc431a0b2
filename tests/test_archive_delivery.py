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
