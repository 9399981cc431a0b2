"""Writer outputs beyond the basic cases (vector columns, times, masked arrays, FITS with
BZERO, PDS3-sourced provenance) pass the full `pdsgen validate` (schema, Schematron,
context references, content checks)."""

from __future__ import annotations

import numpy as np

from pdsgen.render import write_array, write_fits, write_table
from tests._render_helpers import CREATED, context
from tests.conftest import validate_options


def test_complex_products_pass_validate(tmp_path):
    from pdsgen.validate.runner import Options, run

    t = {"a": np.arange(4), "v": np.arange(12).reshape(4, 3) * 1.5,
         "s": np.array([["ab", "c"], ["d", "e"], ["f", "g"], ["h", "ij"]]),
         "i": np.arange(8, dtype=">i2").reshape(4, 2),
         "tm": np.array(["2004-01-01T00:00:00.250"] * 4, dtype="datetime64[ms]")}
    paths = []
    for k, fmt in enumerate(["character", "delimited", "binary"]):
        ctx = context(lid=f"urn:nasa:pds:test_bundle:data:vec_{k}", input_products=["CHEMS_PHA_2004001"])
        paths.append(write_table(t, tmp_path, basename=f"g{fmt}", context=ctx, table_format=fmt,
                                 creation_time=CREATED).label_path)
    paths.append(write_fits(np.ones((3, 4), "u2"), tmp_path, basename="f",
                            context=context(lid="urn:nasa:pds:test_bundle:data:fits_1"),
                            creation_time=CREATED).label_path)
    masked = np.ma.masked_array(np.arange(6, dtype="f4").reshape(2, 3), mask=[[1, 0, 0], [0, 0, 1]])
    paths.append(write_array(masked, tmp_path, basename="m",
                             context=context(lid="urn:nasa:pds:test_bundle:data:masked_1"),
                             special_constants={"missing_constant": -1e30},
                             creation_time=CREATED).label_path)
    res = run([str(p) for p in paths], Options(**validate_options()))
    errors = [str(f) for f in res.all_findings() if f.is_error]
    assert not errors
    assert [p.status for p in res.products] == ["PASS"] * len(paths)
