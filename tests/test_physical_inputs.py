"""One way to read inputs: physical values (scaling applied, special constants missing)
whether a recipe input is a ``ref`` (shorthand), a ``column``, the table view or
`pdsgen resolve` — issue 13 item 2."""

from __future__ import annotations

import json

import numpy as np
from click.testing import CliRunner

from pdsgen.cli import main
from pdsgen.recipes import recipe_from_dict
from pdsgen.recipes.engine import compute

# stored VALUE: 1 and -1; SCALING_FACTOR 2, MISSING_CONSTANT -1 → physical [2.0, missing]
LABEL = """PDS_VERSION_ID = PDS3
RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 10
FILE_RECORDS = 2
PRODUCT_ID = "CPHA0_SCALED"
^TABLE = "CPHA0_SCALED.TAB"
OBJECT = TABLE
  INTERCHANGE_FORMAT = ASCII
  ROWS = 2
  ROW_BYTES = 10
  COLUMNS = 3
  OBJECT = COLUMN
    NAME = PURPOSE
    DATA_TYPE = CHARACTER
    START_BYTE = 1
    BYTES = 3
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = VALUE
    DATA_TYPE = ASCII_INTEGER
    START_BYTE = 5
    BYTES = 2
    SCALING_FACTOR = 2
    MISSING_CONSTANT = -1
  END_OBJECT = COLUMN
  OBJECT = COLUMN
    NAME = STEP
    DATA_TYPE = ASCII_INTEGER
    START_BYTE = 8
    BYTES = 1
  END_OBJECT = COLUMN
END_OBJECT = TABLE
END
"""


def _product(tmp_path):
    (tmp_path / "CPHA0_SCALED.TAB").write_bytes(b"sci, 1,0\r\nsci,-1,1\r\n")
    lbl = tmp_path / "CPHA0_SCALED.LBL"
    lbl.write_text(LABEL)
    return lbl


def test_ref_column_table_and_resolve_agree_on_a_scaled_masked_column(tmp_path):
    import pdsgen

    lbl = _product(tmp_path)
    table = pdsgen.open(lbl).objects[0].to_table()
    assert table["VALUE"][0] == 2.0 and bool(table["VALUE"].mask[1])  # [2.0, masked]

    recipe = recipe_from_dict({
        "recipe": {"name": "physical", "algorithm": "expressions"},
        "inputs": {
            "by_column": {"column": "VALUE"},
            "by_ref": {"ref": 'dp:CPHA:"sci":["VALUE"]'},
            "masked_int": {"column": "STEP"},
        },
        "outputs": [{"name": "y", "missing_constant": -1e32}],
        "expressions": {"y": "by_ref"},
        "product": {"lid": "urn:nasa:pds:b:c:{stem}", "product_id": "{STEM}", "file_name": "{stem}.tab"},
    })
    c = compute(recipe, [lbl])
    by_column = np.asarray(c.context.inputs["by_column"], dtype=float)
    by_ref = np.asarray(c.context.inputs["by_ref"], dtype=float)
    assert by_column[0] == 2.0 and np.isnan(by_column[1])  # not the stored 1 and -1
    np.testing.assert_array_equal(by_ref, by_column)
    out = c.tables[""]["y"]
    assert out[0] == 2.0 and (bool(np.ma.getmaskarray(out)[1]) or np.isnan(out[1]))  # → missing constant

    r = CliRunner().invoke(main, ["resolve", 'dp:CPHA:"sci":["VALUE"]', "--dp", str(lbl), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == [2.0, None]
    r = CliRunner().invoke(main, ["resolve", 'dp:CPHA:"sci":["VALUE"]', "--dp", str(lbl)])
    assert r.output.split() == ["2.0", "nan"]


def test_missing_as_nan_forms():
    from pdsgen.data.values import missing_as_nan

    ints = np.ma.MaskedArray(np.array([3, -1], dtype=np.int16), mask=[False, True])
    out = missing_as_nan(ints)
    assert out.dtype == np.float64 and out[0] == 3.0 and np.isnan(out[1])
    text = np.ma.MaskedArray(np.array(["a", "N/A"]), mask=[False, True])
    assert missing_as_nan(text).tolist() == ["a", ""]
    plain = np.array([1, 2])
    assert missing_as_nan(plain) is plain or np.array_equal(missing_as_nan(plain), plain)
