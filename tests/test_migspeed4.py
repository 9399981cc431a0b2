"""What the fourth speed round of `pdsgen migrate` changed around the products — the
garbage collector's settings during a run, pds4_tools' log, Jinja's attribute look-up on
dicts — leaves nothing behind and changes no result."""

from __future__ import annotations

import gc
import logging
from pathlib import Path

import jinja2
import pytest
from test_migrate import binary_values, ctx_file, make_binary, options  # noqa: F401 - ctx_file: fixture

from pdsgen.migrate import migrate
from pdsgen.render.env import LabelEnvironment


def test_a_run_restores_the_garbage_collector(tmp_path, ctx_file, monkeypatch):  # noqa: F811
    from pdsgen.migrate import run

    for k in range(3):
        make_binary(tmp_path / "in" / f"p{k}", pid=f"P_{k}", stem=f"B{k}")
    seen: list[tuple[tuple[int, ...], int]] = []
    settle = run._settle_heap

    def watch() -> None:
        settle()
        seen.append((gc.get_threshold(), gc.get_freeze_count()))

    monkeypatch.setattr(run, "_settle_heap", watch)
    monkeypatch.setattr(run, "BATCH", 2)  # two batches: settled after the first, not again
    before = gc.get_threshold()
    results = migrate([tmp_path / "in"], options(tmp_path, ctx_file))
    assert [r.status for r in results] == ["migrated"] * 3, [r.reason for r in results]
    # during the run: young collections every 10,000 allocations, the heap frozen once
    assert [t[0] for t, _n in seen] == [max(before[0], run._YOUNG_THRESHOLD)] * 2
    assert seen[0][1] > 10_000 and seen[1][1] <= seen[0][1]  # (frozen objects may still be freed)
    # after it: the collector as it was, nothing frozen
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_pds4_tools_read_back_keeps_no_log_records(tmp_path, ctx_file):  # noqa: F811
    pytest.importorskip("pds4_tools")
    from pds4_tools.utils.logging import logger_init

    import pdsgen
    from pdsgen.migrate.verify import pds4_tools_difference

    results = migrate([make_binary(tmp_path / "in")], options(tmp_path, ctx_file))
    label = Path(results[0].pds4_label)
    log = logger_init()
    records = log.get_handler("log_handler").records
    level, count = log.level, len(records)
    objects = pdsgen.open(label).objects
    for _ in range(3):
        assert pds4_tools_difference(label, objects) == []
    assert len(records) == count and log.level == level
    # still a real read: other values in the data file are told apart
    values = binary_values()
    values["U"][2] = 7
    (label.parent / "BIN.DAT").unlink()  # (a hard link of the input: other bytes, another file)
    (label.parent / "BIN.DAT").write_bytes(values.tobytes())
    assert pds4_tools_difference(label, objects) == [
        "object 'TABLE' field 'U' (pds4_tools): 1 values differ, first at (2,): np.uint16(65535) vs np.uint16(7)"]
    assert len(records) == count and log.level == level == logging.getLogger("PDS4ToolsLogger").level


def test_template_attributes_of_dicts_in_jinja_order():
    env = LabelEnvironment().env
    render = lambda text, **kw: env.from_string(text).render(**kw)  # noqa: E731
    # an item by attribute syntax
    assert render("{{ d.name }}/{{ d['name'] }}", d={"name": "TABLE"}) == "TABLE/TABLE"
    # a dict's own attribute first, as Jinja has it (the method, not the item "items")
    assert render("{{ d.items is callable }} {{ d['items'] }}", d={"items": 3}) == "True 3"
    # a missing item is undefined (StrictUndefined: an error), also on a dict subclass
    with pytest.raises(jinja2.UndefinedError):
        render("{{ d.missing }}", d={"name": "x"})

    class Sub(dict):
        pass

    assert render("{{ d.name }}", d=Sub(name="y")) == "y"
    with pytest.raises(jinja2.UndefinedError):
        render("{{ d.missing }}", d=Sub(name="y"))
