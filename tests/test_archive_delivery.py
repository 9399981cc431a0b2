"""Delivery packaging checks what validate checks (members' LIDs start with their
collection's, collections' with their bundle's), and the delivery workflow."""

from __future__ import annotations

import shutil

import pytest
import synthetic_archive as synthetic
from click.testing import CliRunner

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


# ---------------------------------------------------------------- the delivery walk-through
T0 = "2026-01-01T00:00:00Z"
T1 = "2026-01-02T00:00:00Z"


@pytest.fixture(scope="module")
def delivered(tmp_path_factory):
    """The walk-through, run twice: regeneration on the local pool and on a Dask LocalCluster."""
    from pdsgen.archive.delivery import deliver

    base = tmp_path_factory.mktemp("delivery")
    pool = deliver(base / "pool", creation_time=T0, change_time=T1, jobs=2)
    dask = deliver(base / "dask", creation_time=T0, change_time=T1, jobs=2, scheduler="local")
    return pool, dask


def _files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".pdsgen" not in p.parts}


def _vid_of(data: bytes) -> str:
    from lxml import etree

    return etree.fromstring(data).findtext("{*}Identification_Area/{*}version_id")


@pytest.mark.slow
def test_walkthrough_versions_inventories_and_validity(delivered):
    import hashlib

    d, _ = delivered
    steps = {s.step: s for s in d.steps}
    # valid before and after the change: 0 errors, 0 warnings (the delivered raw scans cite
    # the IM of pdsgen's labels, so no pds4_version_mismatch)
    for name in ("package + validate", "validate"):
        assert (steps[name].errors, steps[name].warnings) == (0, 0), d.findings
    assert d.findings == []
    assert steps["package + validate"].versions == "bundle 1.0, calibrated 1.0, calibration 1.0, document 1.0, raw 1.0"
    assert steps["validate"].versions == "bundle 1.1, calibrated 1.1, calibration 1.1, document 1.0, raw 1.0"
    files = _files(d.bundle)
    inv = files["calibrated/collection_calibrated_inventory.csv"].decode().splitlines()
    tables = {f"inms_{k}_r{r}" for k in ("crosstalk", "spectra") for r in (1020, 1021)}
    assert len(inv) == 16
    for line in inv:
        name, vid = line.split(":")[-3], line.split("::")[1]
        assert vid == ("1.1" if name in tables else "1.0"), line
    assert files["calibration/collection_calibration_inventory.csv"] == \
        b"P,urn:nasa:pds:cassini.inms.reu:calibration:inms_datasets::1.1\r\n"
    doc = files["document/inms_crosstalk_algorithm.txt"].decode("ascii")
    assert "Cassini INMS REU calibration analysis code (seed 000)" in doc.replace("\r\n", " ")
    # superseded copies: the old versions, self-consistent (label checksum = kept table)
    for t in tables:
        old_label = files[f"calibrated/SUPERSEDED/v1_0/{t}.xml"]
        old_tab = files[f"calibrated/SUPERSEDED/v1_0/{t}.tab"]
        assert _vid_of(old_label) == "1.0" and _vid_of(files[f"calibrated/{t}.xml"]) == "1.1"
        assert hashlib.md5(old_tab).hexdigest().encode() in old_label
    assert files["calibrated/SUPERSEDED/v1_0/inms_crosstalk_r1020.tab"] != files["calibrated/inms_crosstalk_r1020.tab"]
    assert _vid_of(files["SUPERSEDED/v1_0/bundle_cassini.inms.reu.xml"]) == "1.0"
    # manifests: every line's checksum is the file's MD5; the transfer manifest lists every label
    checksum, transfer = d.manifests
    assert checksum.name == "cassini.inms.reu_v1.1_checksum_manifest.txt"
    lines = checksum.read_bytes().decode().split("\r\n")[:-1]
    assert {line.split("  ", 1)[1] for line in lines} == set(files)
    for line in lines:
        md5, rel = line.split("  ", 1)
        assert hashlib.md5(files[rel]).hexdigest() == md5, rel
    listed = {line.split()[1]: line.split()[0] for line in transfer.read_text().splitlines()}
    assert set(listed) == {p for p in files if p.endswith(".xml")}
    assert listed["calibrated/SUPERSEDED/v1_0/collection_calibrated.xml"] == "urn:nasa:pds:cassini.inms.reu:calibrated::1.0"


@pytest.mark.slow
def test_walkthrough_pool_and_dask_byte_identical(delivered):
    pool, dask = delivered
    assert _files(pool.bundle) == _files(dask.bundle)
    assert [m.read_bytes() for m in pool.manifests] == [m.read_bytes() for m in dask.manifests]


def test_workspace_init_and_run_into_a_collection(tmp_path):
    from pdsgen.archive.workspace import load_workspace

    ws = tmp_path / "ws"
    res = CliRunner().invoke(main, ["archive", "init", str(ws), "--bundle", "urn:nasa:pds:cassini.inms.reu",
                                    "--collection", "raw", "--collection", "calibration"])
    assert res.exit_code == 0, res.output
    loaded = load_workspace(ws)
    assert {n: (c.lid, c.collection_type) for n, c in loaded.collections.items()} == {
        "calibrated": ("urn:nasa:pds:cassini.inms.reu:calibrated", "Data"),
        "calibration": ("urn:nasa:pds:cassini.inms.reu:calibration", "Calibration"),
        "document": ("urn:nasa:pds:cassini.inms.reu:document", "Document"),
        "raw": ("urn:nasa:pds:cassini.inms.reu:raw", "Data"),
    }
    assert loaded.collections["calibrated"].recipes == ["inms-crosstalk"]
    assert all((ws / "bundle" / n).is_dir() for n in loaded.collections) and (ws / "inputs").is_dir()
    from pdsgen.recipes.demo_data import generate

    data = generate("inms", ws / "inputs", 0)
    res = CliRunner().invoke(main, ["run", "inms-crosstalk", *map(str, data.inputs), "--workspace", str(ws),
                                    "--out", "calibrated", "--cal", str(data.calibrations[0]), "-q",
                                    "--creation-time", T0])
    assert res.exit_code == 0, res.output
    assert (ws / "bundle/calibrated/inms_crosstalk_r1020.xml").is_file()
    res = CliRunner().invoke(main, ["run", "chems-pha", str(data.inputs[0]), "--workspace", str(ws),
                                    "--out", "calibrated"])
    assert res.exit_code == 2 and "not of collection calibrated" in res.output
    res = CliRunner().invoke(main, ["run", "inms-crosstalk", str(data.inputs[0]), "--workspace", str(ws),
                                    "--out", "nowhere"])
    assert res.exit_code == 2 and "no collection 'nowhere'" in res.output


def test_recipe_document_written_from_the_recipe(tmp_path):
    import hashlib

    from lxml import etree

    from pdsgen.archive.documents import write_recipe_document
    from pdsgen.recipes import load_recipe

    recipe = load_recipe("inms-crosstalk")
    label = write_recipe_document(recipe, tmp_path, "urn:nasa:pds:cassini.inms.reu:document", creation_time=T0)
    data = (tmp_path / "inms_crosstalk_algorithm.txt").read_bytes()
    data.decode("ascii")  # 7-bit ASCII, as the label says
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    text = " ".join(data.decode().split())
    # from the recipe: inputs with their objects, columns and units; parameters with defaults and units
    assert "pressure: column chamber_ion_pmon, object MONITORS, unit Torr" in text
    assert f"filament_on_min = {recipe.parameters['filament_on_min'].default} uA" in text
    assert f"version {recipe.version}" in text and "Cassini INMS REU calibration analysis code (seed 000)" in text
    tree = etree.parse(str(label)).getroot()
    ns = {"p": "http://pds.nasa.gov/pds4/pds/v1"}
    assert tree.findtext(".//p:Document_File/p:md5_checksum", namespaces=ns) == hashlib.md5(data).hexdigest()
    assert tree.findtext(".//p:Document_File/p:file_size", namespaces=ns) == str(len(data))
    assert tree.findtext(".//p:External_Reference/p:reference_text", namespaces=ns) == recipe.source_document
    assert tree.findtext("p:Identification_Area/p:logical_identifier", namespaces=ns) == \
        "urn:nasa:pds:cassini.inms.reu:document:inms_crosstalk_algorithm"


# ------------------------------------------------- the other instruments, delivered the same way
#: instrument → (bundle, the recipe's collection, collections holding delivered raw inputs,
#: CSV calibration files labelled in calibration/, raw inputs left in inputs/ (not delivered))
OTHERS = {
    # ACA's raw dark calibrations are products of the recipe's bundle (…:calibration:acadark_…)
    "aca": ("urn:nasa:pds:chandra.aca.dark", "calibrated", {"calibration": 6}, [], 0),
    # IUVS's raw darks belong to another bundle (maven.iuvs.raw): not delivered
    "iuvs": ("urn:nasa:pds:maven.iuvs.calibrated", "dark_trend", {}, ["iuvs_temperature_polynomials.csv"], 36),
    # CHEMS and FIPS read PDS3 products: not PDS4 members, they stay in inputs/
    "chems": ("urn:nasa:pds:cassini_mimi_calibrated", "data_chems_pha", {}, [], 3),
    "fips": ("urn:nasa:pds:mess_epps_fips_cdr", "data", {}, ["fips_eq_table.csv", "fips_proton_efficiency.csv",
                                                            "fips_angle_constants.csv"], 4),
}


@pytest.mark.parametrize("instrument", sorted(OTHERS))
def test_other_instruments_delivered_as_valid_bundles(tmp_path, instrument):
    import csv
    import hashlib

    from lxml import etree

    from pdsgen.archive.delivery import deliver_instrument
    from pdsgen.recipes.demo_data import generate

    bundle, coll, raw_colls, csv_cals, not_delivered = OTHERS[instrument]
    d = deliver_instrument(tmp_path / "ws", instrument, creation_time=T0)
    step = {s.step: s for s in d.steps}["package + validate"]
    assert (step.errors, step.warnings) == (0, 0), d.findings
    assert d.findings == []
    bid = bundle.rsplit(":", 1)[1]
    label = etree.parse(str(d.bundle / f"bundle_{bid}.xml")).getroot()
    ns = {"p": "http://pds.nasa.gov/pds4/pds/v1"}
    members = sorted(label.xpath("//p:Bundle_Member_Entry/p:lidvid_reference/text()", namespaces=ns))
    expected = {coll, "document", *raw_colls, *(["calibration"] if csv_cals else [])}
    assert members == sorted(f"{bundle}:{c}::1.0" for c in expected)
    # the recipe's products: as many as a plain run of the same demo data writes
    plain = tmp_path / "plain"
    data = generate(instrument, plain / "in", 0)
    from pdsgen.recipes import load_recipe
    from pdsgen.recipes.run import run_recipe

    rep = run_recipe(load_recipe(data.recipe), data.inputs, plain / "out", cal_files=data.calibrations,
                     params=dict(data.params), creation_time=T0)
    made = sorted(p.name for p in (plain / "out").glob("*.xml"))
    inv = (d.bundle / coll / f"collection_{coll}_inventory.csv").read_text().splitlines()
    assert len(inv) == len(made) == sum(len(o.outputs) for o in rep.written)
    # delivered raw inputs: every one listed, citing pdsgen's Information Model (1.22, not the 1.19
    # of the plain demo's raw labels); raw inputs that are not delivered stay in inputs/
    for name, n in raw_colls.items():
        labels = [p for p in (d.bundle / name).glob("*.xml") if not p.name.startswith("collection_")]
        assert len(labels) == n
        for p in labels:
            assert etree.parse(str(p)).findtext("{*}Identification_Area/{*}information_model_version") == "1.22.0.0"
    assert len([p for p in data.inputs if (d.workspace / "inputs" / p.name).is_file()]) == not_delivered
    # CSV calibration files: Product_Ancillary labels whose checksum and record count match the file
    for name in csv_cals:
        stem = name.rsplit(".", 1)[0]
        table = (d.bundle / "calibration" / name).read_bytes()
        cal = etree.parse(str(d.bundle / "calibration" / f"{stem}.xml")).getroot()
        assert cal.findtext(".//p:md5_checksum", namespaces=ns) == hashlib.md5(table).hexdigest()
        rows = list(csv.reader(table.decode("ascii").splitlines()))
        assert cal.findtext(".//p:Table_Delimited/p:records", namespaces=ns) == str(len(rows) - 1)
        lengths = [int(t) for t in cal.xpath(".//p:Field_Delimited/p:maximum_field_length/text()", namespaces=ns)]
        assert lengths == [max(len(r[i]) for r in rows[1:]) for i in range(len(rows[0]))]
    # the checksum manifest covers the bundle's files with their MD5s
    lines = d.manifests[0].read_text().splitlines()
    files = {p.relative_to(d.bundle).as_posix() for p in d.bundle.rglob("*") if p.is_file() and ".pdsgen" not in p.parts}
    assert {line.split("  ", 1)[1] for line in lines} == files


def test_ancillary_field_lengths_from_the_text(tmp_path):
    """maximum_field_length is the longest value as written, not as astropy prints the number."""
    from lxml import etree

    from pdsgen.archive.ancillary import label_delimited

    src = tmp_path / "coeffs.csv"
    src.write_text("name,c1\nA,-6.5734e-2\nBB,1.5\n", encoding="ascii")
    label = label_delimited(src, tmp_path / "cal", "urn:nasa:pds:x:calibration:coeffs", title="c", creation_time=T0)
    lengths = etree.parse(str(label)).xpath("//*[local-name()='maximum_field_length']/text()")
    assert lengths == ["2", "10"]


def test_cli_demo_deliver_one_bundle_per_instrument(tmp_path):
    res = CliRunner().invoke(main, ["demo", "--out", str(tmp_path), "--deliver", "--only", "chems", "--only", "fips",
                                    "--creation-time", T0])
    assert res.exit_code == 0, res.output
    assert "pdsgen delivery: chems" in res.output and "pdsgen delivery: fips" in res.output
    for name, bid, vid in (("chems", "cassini_mimi_calibrated", "1.0"), ("fips", "mess_epps_fips_cdr", "1.0")):
        assert (tmp_path / "delivery" / name / "bundle" / f"bundle_{bid}.xml").is_file()
        assert (tmp_path / "delivery" / name / "manifests" / f"{bid}_v{vid}_checksum_manifest.txt").is_file()
    assert not (tmp_path / "delivery" / "inms").exists()  # --only
