"""Every product pdsgen writes exports to every format `pdsgen export` offers, and units in
labels use PDS4's Units_of_* spelling where the vocabulary has one (issue 13, units)."""

from __future__ import annotations

import pytest

from pdsgen.cli.export import FORMATS, write_object
from pdsgen.recipes.demo import run_demo


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo_export")
    rows = run_demo(out, validate=False, creation_time="2026-01-01T00:00:00Z")
    assert all(r.ok for r in rows), [(r.error, r.problems) for r in rows if not r.ok]
    return out


def test_every_written_product_exports_to_every_format(demo_out, tmp_path):
    from astropy.io import fits

    import pdsgen

    labels = sorted((demo_out / "calibrated").rglob("*.xml"))
    assert len(labels) >= 10
    done = 0
    for label in labels:
        for obj in pdsgen.open(label).objects:
            if obj.kind not in ("table", "array"):
                continue
            for fmt in sorted(FORMATS):
                out = tmp_path / f"{label.stem}_{obj.name}.{fmt}"
                write_object(obj, out, fmt)  # raises on any unit or type it cannot write
                assert out.stat().st_size > 0
                done += 1
            if obj.kind == "table":
                t = obj.to_table()
                hdu = fits.open(tmp_path / f"{label.stem}_{obj.name}.fits")[1]
                for n, name in enumerate(t.colnames, start=1):  # every unit kept, as labelled
                    if t[name].unit is not None and str(t[name].unit):
                        assert hdu.header.get(f"TUNIT{n}"), (label.name, name)
    assert done >= 40


def test_labels_use_the_pds4_unit_vocabulary(demo_out):
    import re

    from pdsgen.units import pds4_unit_vocabulary

    vocab = {v for values in pds4_unit_vocabulary().values() for v in values}
    assert "degC" in vocab and "deg_C" not in vocab
    units = set()
    for label in (demo_out / "calibrated").rglob("*.xml"):
        units |= set(re.findall(r"<unit>([^<]*)</unit>", label.read_text()))
    assert "degC" in units and "deg_C" not in units  # aca T_CCD, iuvs temperatures
    assert "u / e" in units  # chems M/Q: no PDS4 term for it, astropy's generic spelling


def test_label_unit_text_by_hand():
    import astropy.units as u

    from pdsgen.units import E_CHARGE, label_unit_text

    assert label_unit_text(u.deg_C) == "degC"
    assert label_unit_text(u.electron) == "electrons"
    assert label_unit_text(u.km / u.s) == "km/s"
    assert label_unit_text(u.keV) == "keV"
    assert label_unit_text(u.u / E_CHARGE) == "u / e"
    assert label_unit_text(u.s**-1) == "1 / s"  # not "Hz": same dimension, other meaning
    assert label_unit_text(u.dimensionless_unscaled) is None
