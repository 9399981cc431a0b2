"""Big fixed-length tables: the data file is written block by block while it is encoded
(StagedFile), then placed with the label; the same bytes as encoding in memory, and
nothing left behind when the product fails."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from pdsgen.errors import DataError, TemplateError
from pdsgen.render import write_table
from pdsgen.render.columns import columns_from
from pdsgen.render.encode import encode_binary, encode_character
from tests._render_helpers import CREATED, context

ROWS = 40_000  # x 4 columns: above the staging threshold; the character table is 2 blocks


def _table():
    rng = np.random.default_rng(7)
    return {"i": rng.integers(-(10**6), 10**6, ROWS), "x": rng.normal(size=ROWS),
            "s": np.array(["ab", "cde", "f"] * (ROWS // 3) + ["g"] * (ROWS % 3)),
            "v": rng.normal(size=(ROWS, 3)).astype(np.float32)}


@pytest.mark.parametrize("fmt", ["character", "binary"])
def test_staged_data_file_equals_the_encoded_bytes(tmp_path, fmt):
    table = _table()
    out = write_table(table, tmp_path, basename="t", context=context(), table_format=fmt,
                      creation_time=CREATED)
    encode = encode_character if fmt == "character" else encode_binary
    expected = bytes(encode(columns_from(table)).data)
    raw = out.data_path.read_bytes()
    assert raw == expected
    assert out.md5 == hashlib.md5(raw).hexdigest() and out.size == len(raw)
    assert f"<md5_checksum>{out.md5}</md5_checksum>" in out.label_path.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([out.data_path.name, "t.xml"])


def test_a_failing_label_removes_the_staged_data_file(tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "bad.xml.j2").write_text("<a>{{ nope }}</a>\n")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(TemplateError, match="nope"):
        write_table(_table(), out, basename="t", context=context(), template="bad.xml.j2",
                    templates_dir=templates, creation_time=CREATED)
    assert list(out.iterdir()) == []


def test_bad_data_removes_the_staged_data_file(tmp_path):
    table = _table()
    table["x"][ROWS - 1] = np.inf  # found while encoding, after the file was opened
    with pytest.raises(DataError, match="infinite"):
        write_table(table, tmp_path, basename="t", context=context(), creation_time=CREATED)
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_is_one_clear_error(tmp_path):
    with pytest.raises(DataError, match="output folder does not exist"):
        write_table(_table(), tmp_path / "nope", basename="t", context=context(), creation_time=CREATED)
