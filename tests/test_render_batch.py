"""write_labels: many labels rendered and written atomically, in worker processes."""

from __future__ import annotations

import pytest

from pdsgen.errors import TemplateError
from pdsgen.render import render_label, write_labels


def _templates(tmp_path):
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "item.xml.j2").write_text("<item n=\"{{ n }}\">{{ name }}</item>\n")
    (folder / "item.lbl.j2").write_text("PDS_VERSION_ID = PDS3\nN = {{ n }}\nEND\n")
    return folder


@pytest.mark.parametrize("jobs", [1, 2])
def test_labels_equal_one_by_one_rendering(tmp_path, jobs):
    templates = _templates(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    items = [(out / f"l{i}.xml", "item.xml.j2", {"n": i, "name": f"a&b {i}"}) for i in range(250)]
    paths = write_labels(items, templates_dir=templates, jobs=jobs)
    assert paths == [p for p, _, _ in items]
    assert sorted(p.name for p in out.iterdir()) == sorted(f"l{i}.xml" for i in range(250))  # no temps
    for path, name, variables in items[::37]:
        assert path.read_text() == render_label(name, variables, templates_dir=templates)
    assert (out / "l7.xml").read_text() == '<item n="7">a&amp;b 7</item>\n'  # escaped by hand


def test_pds3_labels_have_crlf(tmp_path):
    templates = _templates(tmp_path)
    items = [(tmp_path / f"p{i}.lbl", "item.lbl.j2", {"n": i}) for i in range(3)]
    write_labels(items, templates_dir=templates, standard="pds3")
    assert (tmp_path / "p2.lbl").read_bytes() == b"PDS_VERSION_ID = PDS3\r\nN = 2\r\nEND\r\n"


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_failing_label_raises_its_template_error_and_leaves_no_temporary_file(tmp_path, jobs):
    templates = _templates(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    items = [(out / f"l{i}.xml", "item.xml.j2", {"n": i, "name": "x"}) for i in range(300)]
    items[123] = (out / "l123.xml", "item.xml.j2", {"n": 123})  # 'name' missing
    with pytest.raises(TemplateError, match=r"item\.xml\.j2: line 1.*'name' is undefined"):
        write_labels(items, templates_dir=templates, jobs=jobs)
    names = {p.name for p in out.iterdir()}
    assert "l123.xml" not in names and not any(n.startswith(".") for n in names)
    assert "l0.xml" in names  # labels before the failure are complete files
    assert (out / "l0.xml").read_text() == '<item n="0">x</item>\n'
