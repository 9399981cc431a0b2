"""FITS products: astropy writes the file, the PDS4 label places every header and data
object at the right byte offset (checked by pds4_tools, astropy and the schema)."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

import pdsgen
from pdsgen.render import write_fits
from tests._render_helpers import CREATED, context
from tests.test_render_pds4 import _valid


@pytest.mark.parametrize("dtype", ["u1", "i2", "u2", "f4", "f8"])
def test_fits_image(tmp_path, dtype):
    import pds4_tools

    img = (np.arange(35).reshape(5, 7) * 3).astype(dtype)
    out = write_fits(img, tmp_path, basename="f", context=context(), creation_time=CREATED,
                     fits_header={"ORIGIN": "pdsgen"})
    _valid(out.label_path)
    with fits.open(out.data_path) as hdul:
        np.testing.assert_array_equal(hdul[0].data, img)
        assert hdul[0].header["ORIGIN"] == "pdsgen"
    structs = pds4_tools.read(str(out.label_path), quiet=True)
    arr = [s for s in structs if s.is_array()][0]
    np.testing.assert_array_equal(np.asarray(arr.data), img)  # value_offset applied for u2
    obj = [o for o in pdsgen.open(out.label_path) if o.kind == "array"][0]
    physical = obj.data.astype(np.float64) * (obj.scaling_factor or 1) + (obj.value_offset or 0)
    np.testing.assert_array_equal(physical, img)
    assert out.size == out.data_path.stat().st_size and out.size % 2880 == 0


def test_fits_table(tmp_path):
    import pds4_tools

    t = {"i": np.arange(-3, 7, dtype="i4"), "u": np.arange(10, dtype="u2") * 7000,
         "d": np.linspace(-1, 1, 10), "s": np.array([f"s{k}" for k in range(10)])}
    out = write_fits(t, tmp_path, basename="ft", context=context(), creation_time=CREATED)
    _valid(out.label_path)
    tab = [s for s in pds4_tools.read(str(out.label_path), quiet=True) if s.is_table()][0]
    for name, values in t.items():
        got = np.asarray(tab[name])
        if values.dtype.kind == "U":
            assert [g.strip() for g in got.astype(str)] == list(values)
        else:
            np.testing.assert_array_equal(got, values)
    obj = [o for o in pdsgen.open(out.label_path) if o.kind == "table"][0]
    for name, values in t.items():
        f = obj.field(name)
        got = obj.data[name]
        if values.dtype.kind == "U":
            assert [g.decode().strip() for g in got] == list(values)
        else:
            np.testing.assert_array_equal(got.astype(np.float64) * (f.scaling_factor or 1)
                                          + (f.value_offset or 0), values)
