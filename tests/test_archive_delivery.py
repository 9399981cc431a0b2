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
NS = {"p": "http://pds.nasa.gov/pds4/pds/v1"}

#: instrument → (bundle, the recipe's data collection, collections holding delivered raw
#: inputs (label count), calibration tables labelled in calibration/, raw inputs left in
#: inputs/ (not delivered), products per collection remade after the scripted calibration
#: change (None: no change), data files whose values do NOT change with it)
WALK = {
    # the dataset plan: scan 10 of run 1020 moves from D001 to D002 → the 4 tables and the 12
    # plots cite it; run 1021's values do not change, nor do the plain spectra of run 1020's
    # datasets D003-D005 (their background-subtracted ones do: the backgrounds D001/D002 changed)
    "inms": ("urn:nasa:pds:cassini.inms.reu", "calibrated", {"raw": 58}, ["inms_datasets.csv"], 0,
             {"calibrated": 4, "browse": 12},
             {"calibrated/inms_crosstalk_r1021.tab", "calibrated/inms_spectra_r1021.tab",
              "browse/inms_crosstalk_r1021_ms_d001.png", "browse/inms_crosstalk_r1021_ms_d002.png",
              *(f"browse/inms_crosstalk_r1020_ms_d00{d}.png" for d in (3, 4, 5))}),
    # ACA's raw dark calibrations are products of the recipe's bundle (…:calibration:acadark_…);
    # the recipe has no calibration files, so no change
    "aca": ("urn:nasa:pds:chandra.aca.dark", "calibrated", {"calibration": 6}, [], 0, None, set()),
    # IUVS's raw darks belong to another bundle (maven.iuvs.raw): not delivered, left in inputs/;
    # DET_TEMP's offset +0.5 degC changes both channels' trend tables and all 6 plots
    "iuvs": ("urn:nasa:pds:maven.iuvs.calibrated", "dark_trend", {}, ["iuvs_temperature_polynomials.csv"], 36,
             {"dark_trend": 2, "browse": 6}, set()),
    # CHEMS and FIPS read PDS3 products: not PDS4 members, they stay in inputs/; CHEMS's PDS3
    # calibration table is delivered with a PDS4 label, and the recipe reads it through that
    "chems": ("urn:nasa:pds:cassini_mimi_calibrated", "data_chems_pha", {}, ["CHEMS_PHA_CAL_V01.CSV"], 3,
              {"data_chems_pha": 3, "browse": 3}, set()),
    # the proton efficiency at 1 keV/e: every product cites the three tables, so all 6 are
    # remade; the velocity distributions do not use the efficiency and keep their values
    "fips": ("urn:nasa:pds:mess_epps_fips_cdr", "data", {}, ["fips_eq_table.csv", "fips_proton_efficiency.csv",
                                                            "fips_angle_constants.csv"], 4,
             {"data": 6, "browse": 2}, {"data/fips_pha_2008280_edr_vdist.tab", "data/fips_pha_2011100_edr_vdist.tab"}),
}


def _files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".pdsgen" not in p.parts}


def _ident(data: bytes) -> tuple[str, str, str]:
    """(LID, VID, product class) of a label."""
    from lxml import etree

    root = etree.fromstring(data)
    return (root.findtext("p:Identification_Area/p:logical_identifier", namespaces=NS),
            root.findtext("p:Identification_Area/p:version_id", namespaces=NS), etree.QName(root).localname)


def _browse_of(data: bytes) -> list[str]:
    from lxml import etree

    return etree.fromstring(data).xpath("//p:Internal_Reference[p:reference_type='browse_to_data']"
                                        "/p:lidvid_reference/text()", namespaces=NS)


@pytest.fixture(scope="module")
def walk(tmp_path_factory):
    """instrument → (the delivery after the change, the delivery without the change (the
    state before it, same seed and creation time), the products a plain `pdsgen run`
    makes with the changed calibration file); made once per instrument. INMS's
    regeneration runs on the local pool; ``walk("inms-dask")`` on a Dask LocalCluster."""
    from pdsgen.archive.delivery import deliver

    made = {}

    def get(name):
        if name not in made:
            inst = name.split("-")[0]
            base = tmp_path_factory.mktemp(name)
            kw = {"jobs": 2, "scheduler": "local"} if name.endswith("-dask") else {"jobs": 2 if inst == "inms" else 1}
            after = deliver(base / "ws", inst, creation_time=T0, change_time=T1, **kw)
            before = deliver(base / "first", inst, creation_time=T0, change=False)
            made[name] = (after, before, _fresh_run(base / "fresh", inst) if WALK[inst][5] else None)
        return made[name]

    return get


def _fresh_run(folder, instrument):
    """What `pdsgen run` writes from the same inputs with the changed calibration file (made
    independently of regeneration: the file is edited, relabelled at 1.0, the recipe run)."""
    from pdsgen.archive.ancillary import label_delimited
    from pdsgen.archive.delivery import prepare
    from pdsgen.recipes.demo_data import calibration_change
    from pdsgen.recipes.run import run_recipe

    prep = prepare(folder / "ws", instrument, created=T1)
    change = calibration_change(instrument)
    cal_dir = prep.workspace.collection_dir("calibration")
    table = cal_dir / change.file
    change.apply(table)
    lid = _ident((cal_dir / f"{table.stem}.xml").read_bytes())[0]
    label_delimited(table, cal_dir, lid, title="changed", creation_time=T1)
    out = folder / "out"
    rep = run_recipe(prep.recipe, prep.data.inputs, out, cal_files=prep.cal_files, params=dict(prep.data.params),
                     creation_time=T1)
    assert not rep.failed
    return {p.name: p.read_bytes() for p in out.iterdir() if p.suffix in (".tab", ".png", ".img")}


def check_walkthrough(instrument, after, before, fresh):
    import hashlib

    bundle, coll, raw_colls, cal_tables, _left, remade, unchanged = WALK[instrument]
    bid = bundle.rsplit(":", 1)[1]
    steps = {s.step.split(";")[0]: s for s in after.steps}
    checked = ["package + validate"] + (["validate"] if remade else [])
    for name in checked:  # valid before and after the change: 0 errors, 0 warnings
        assert (steps[name].errors, steps[name].warnings) == (0, 0), after.findings
    assert after.findings == []
    old, files = _files(before.bundle), _files(after.bundle)
    collections = sorted({coll, "browse", "document", *raw_colls, *(["calibration"] if cal_tables else [])})
    assert steps["package + validate"].versions == ", ".join(sorted(f"{c} 1.0" for c in [*collections, "bundle"]))
    # the bundle: one member per collection, the browse collection among them
    members = sorted(etree_xpath(files[f"bundle_{bid}.xml"], "//p:Bundle_Member_Entry/p:lidvid_reference/text()"))
    vid = "1.1" if remade else "1.0"
    bumped = {*(remade or {}), *(["calibration"] if remade else [])}
    assert members == sorted(f"{bundle}:{c}::{'1.1' if c in bumped else '1.0'}" for c in collections)
    assert f"{bundle}:browse::" in " ".join(members)
    # browse plots are their own collection: only Product_Browse in browse/, none elsewhere
    labels = {rel: _ident(data) for rel, data in files.items() if rel.endswith(".xml") and "SUPERSEDED" not in rel
              and not rel.split("/")[-1].startswith(("collection_", "bundle_")) and "/" in rel}
    browse = {rel for rel, (_l, _v, cls) in labels.items() if cls == "Product_Browse"}
    assert browse and browse == {rel for rel in labels if rel.startswith("browse/")}
    assert all(labels[rel][0].startswith(f"{bundle}:browse:") for rel in browse)
    # inventories: exactly the current members with their current versions
    for c in collections:
        inv = files[f"{c}/collection_{c}_inventory.csv"].decode("ascii")
        assert inv.endswith("\r\n")
        expected = sorted(f"P,{lid}::{v}" for rel, (lid, v, _c) in labels.items() if rel.startswith(c + "/"))
        assert inv.split("\r\n")[:-1] == expected, c
    if not remade:
        assert after.remade == [] and len(after.manifests) == 2
        return
    # what regeneration remade: every product of the data and browse collections, as new versions
    assert {c: sum(r.startswith(c + "/") for r in after.remade) for c in remade} == remade
    assert len(after.remade) == sum(remade.values())
    for rel in after.remade:
        assert labels[rel][1] == "1.1" and _ident(old[rel])[1] == "1.0", rel
    # superseded copies: byte-equal to the old version (labels, data files, collection and bundle labels)
    for rel in after.remade:
        c, name = rel.split("/", 1)
        assert files[f"{c}/SUPERSEDED/v1_0/{name}"] == old[rel], rel
        for f in etree_xpath(old[rel], "//p:File/p:file_name/text()"):
            assert files[f"{c}/SUPERSEDED/v1_0/{f}"] == old[f"{c}/{f}"], f
    for c in bumped:
        for f in (f"collection_{c}.xml", f"collection_{c}_inventory.csv"):
            assert files[f"{c}/SUPERSEDED/v1_0/{f}"] == old[f"{c}/{f}"], f
    assert files[f"SUPERSEDED/v1_0/bundle_{bid}.xml"] == old[f"bundle_{bid}.xml"]
    from pdsgen.recipes.demo_data import calibration_change

    changed = calibration_change(instrument).file
    for t in cal_tables:  # the changed calibration product: old version kept, the new one has the change
        stem = t.rsplit(".", 1)[0]
        if t != changed:  # the others: untouched
            assert files[f"calibration/{t}"] == old[f"calibration/{t}"] and f"calibration/SUPERSEDED/v1_0/{t}" not in files
            continue
        assert files[f"calibration/SUPERSEDED/v1_0/{t}"] == old[f"calibration/{t}"] != files[f"calibration/{t}"]
        assert files[f"calibration/SUPERSEDED/v1_0/{stem}.xml"] == old[f"calibration/{stem}.xml"]
        assert _ident(files[f"calibration/{stem}.xml"])[1] == "1.1"
        for old_text, new_text in calibration_change(instrument).replace:
            assert new_text in files[f"calibration/{t}"].decode() and old_text not in files[f"calibration/{t}"].decode()
    # the remade values are what a plain run with the changed calibration makes; the plots too
    for rel in after.remade:
        for f in etree_xpath(files[rel], "//p:File/p:file_name/text()"):
            data = files[f"{rel.split('/')[0]}/{f}"]
            assert data == fresh[f], f
            assert (data == old[f"{rel.split('/')[0]}/{f}"]) == (f"{rel.split('/')[0]}/{f}" in unchanged), f
    # each plot points at the current (remade) versions of the data products it shows
    current = {f"{lid}::{v}" for lid, v, _c in labels.values()}
    for rel in browse:
        refs = _browse_of(files[rel])
        assert refs and set(refs) <= current and all(r.endswith("::1.1") for r in refs), rel
    # manifests: every checksum line is the file's MD5 (hashlib); the transfer manifest lists every label
    checksum, transfer = after.manifests
    assert checksum.name == f"{bid}_v{vid}_checksum_manifest.txt"
    lines = checksum.read_bytes().decode().split("\r\n")[:-1]
    assert {line.split("  ", 1)[1] for line in lines} == set(files)
    for line in lines:
        md5, rel = line.split("  ", 1)
        assert hashlib.md5(files[rel]).hexdigest() == md5, rel
    listed = {line.split()[1]: line.split()[0] for line in transfer.read_text().splitlines()}
    assert set(listed) == {p for p in files if p.endswith(".xml")}
    assert listed[f"{coll}/SUPERSEDED/v1_0/collection_{coll}.xml"] == f"{bundle}:{coll}::1.0"


def etree_xpath(data: bytes, path: str) -> list[str]:
    from lxml import etree

    return [t.strip() for t in etree.fromstring(data).xpath(path, namespaces=NS)]


@pytest.mark.slow
def test_walkthrough_inms(walk):
    after, before, fresh = walk("inms")
    check_walkthrough("inms", after, before, fresh)
    steps = {s.step.split(";")[0]: s for s in after.steps}
    assert steps["validate"].versions == ("browse 1.1, bundle 1.1, calibrated 1.1, calibration 1.1, document 1.0, "
                                          "raw 1.0")
    files = _files(after.bundle)
    assert files["calibration/collection_calibration_inventory.csv"] == \
        b"P,urn:nasa:pds:cassini.inms.reu:calibration:inms_datasets::1.1\r\n"
    doc = files["document/inms_crosstalk_algorithm.txt"].decode("ascii")
    assert "Cassini INMS REU calibration analysis code (seed 000)" in doc.replace("\r\n", " ")
    # run 1020's plan changed: its tables and the mass spectra of D001/D002 are new values
    old = _files(before.bundle)
    for f in ("calibrated/inms_crosstalk_r1020.tab", "browse/inms_crosstalk_r1020_ms_d001bkgc.png",
              "browse/inms_crosstalk_r1020_ms_d002bkgo.png"):
        assert files[f] != old[f], f


@pytest.mark.slow
def test_walkthrough_pool_and_dask_byte_identical(walk):
    pool, dask = walk("inms")[0], walk("inms-dask")[0]
    assert _files(pool.bundle) == _files(dask.bundle)
    assert [m.read_bytes() for m in pool.manifests] == [m.read_bytes() for m in dask.manifests]


@pytest.mark.slow
@pytest.mark.parametrize("instrument", ["aca", "chems", "fips", "iuvs"])
def test_walkthrough_other_instruments(walk, instrument):
    import csv
    import hashlib

    from lxml import etree

    after, before, fresh = walk(instrument)
    check_walkthrough(instrument, after, before, fresh)
    bundle, coll, raw_colls, cal_tables, not_delivered, _remade, _u = WALK[instrument]
    # the recipe's products: as many as a plain run of the same demo data writes
    d = before
    from pdsgen.recipes.demo_data import generate

    data = generate(instrument, d.workspace.parent / "plain" / "in", 0)
    made = 0
    for c in (coll, "browse"):
        made += len((d.bundle / c / f"collection_{c}_inventory.csv").read_text().splitlines())
    from pdsgen.recipes import load_recipe
    from pdsgen.recipes.run import run_recipe

    rep = run_recipe(load_recipe(data.recipe), data.inputs, d.workspace.parent / "plain" / "out",
                     cal_files=data.calibrations, params=dict(data.params), creation_time=T0)
    assert made == sum(len(o.outputs) for o in rep.written)
    # delivered raw inputs: every one listed, citing pdsgen's Information Model (1.22, not the 1.19
    # of the plain demo's raw labels); raw inputs that are not delivered stay in inputs/
    for name, n in raw_colls.items():
        labels = [p for p in (d.bundle / name).glob("*.xml") if not p.name.startswith("collection_")]
        assert len(labels) == n
        for p in labels:
            assert etree.parse(str(p)).findtext("{*}Identification_Area/{*}information_model_version") == "1.22.0.0"
    assert len([p for p in data.inputs if (d.workspace / "inputs" / p.name).is_file()]) == not_delivered
    # calibration tables: Product_Ancillary labels whose checksum and record count match the file
    for name in cal_tables:
        stem = name.rsplit(".", 1)[0]
        table = (d.bundle / "calibration" / name).read_bytes()
        cal = etree.parse(str(d.bundle / "calibration" / f"{stem}.xml")).getroot()
        assert cal.findtext(".//p:md5_checksum", namespaces=NS) == hashlib.md5(table).hexdigest()
        rows = list(csv.reader(table.decode("ascii").splitlines()))
        assert cal.findtext(".//p:Table_Delimited/p:records", namespaces=NS) == str(len(rows) - 1)
        lengths = [int(t) for t in cal.xpath(".//p:Field_Delimited/p:maximum_field_length/text()", namespaces=NS)]
        assert lengths == [max(len(r[i]) for r in rows[1:]) for i in range(len(rows[0]))]


def test_workspace_init_and_run_into_a_collection(tmp_path):
    from pdsgen.archive.workspace import load_workspace

    ws = tmp_path / "ws"
    res = CliRunner().invoke(main, ["archive", "init", str(ws), "--bundle", "urn:nasa:pds:cassini.inms.reu",
                                    "--collection", "raw", "--collection", "calibration"])
    assert res.exit_code == 0, res.output
    loaded = load_workspace(ws)
    assert {n: (c.lid, c.collection_type) for n, c in loaded.collections.items()} == {
        "browse": ("urn:nasa:pds:cassini.inms.reu:browse", "Browse"),
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
    # the plots: products of the browse collection, in its folder
    plots = sorted(p.name for p in (ws / "bundle/browse").glob("*.xml"))
    assert len(plots) == 12 and not list((ws / "bundle/calibrated").glob("*.png"))
    assert "<logical_identifier>urn:nasa:pds:cassini.inms.reu:browse:inms_crosstalk_r1020_ms_d003<" in \
        (ws / "bundle/browse/inms_crosstalk_r1020_ms_d003.xml").read_text()
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
    assert "pdsgen delivery walk-through: chems" in res.output and "walk-through: fips" in res.output
    assert "change calibration" in res.output and "efficiency" in res.output
    for name, bid, vid in (("chems", "cassini_mimi_calibrated", "1.1"), ("fips", "mess_epps_fips_cdr", "1.1")):
        assert (tmp_path / "delivery" / name / "bundle" / f"bundle_{bid}.xml").is_file()
        assert (tmp_path / "delivery" / name / "manifests" / f"{bid}_v{vid}_checksum_manifest.txt").is_file()
    assert not (tmp_path / "delivery" / "inms").exists()  # --only
