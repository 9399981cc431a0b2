"""The README's tour runs as written: every ``$ pdsgen …`` line of its console block (in
order, in a fresh folder holding ``docs/`` as the checkout does) exits 0 and writes what
it says, and its Python block runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow


def _tour() -> tuple[list[str], str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## A tour"):]
    section = section[:section.index("\n## ", 1)]
    console = re.search(r"```console\n(.*?)```", section, re.S).group(1)
    python = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    commands, current = [], ""
    for line in console.splitlines():
        if line.startswith("$ "):
            current = line[2:]
        elif current:
            current += "\n" + line
        if current and not current.endswith("\\"):
            commands.append(current)
            current = ""
    return commands, python


def test_every_tour_command_runs_as_written(tmp_path):
    commands, python = _tour()
    assert commands[0].startswith("pdsgen demo") and len(commands) >= 10
    (tmp_path / "docs").symlink_to(ROOT / "docs")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for cmd in commands:
        res = subprocess.run(cmd, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert res.returncode == 0, (cmd, res.stdout[-2000:], res.stderr[-2000:])
    for made in ("demo-out/calibrated/chems/cpha0_2004183_0001_cal.xml", "out.parquet", "chems.toml",
                 "bundle/chems/cpha0_2004183_0001_cal.xml", "r.html", "bundle/.pdsgen/archive.sqlite",
                 "bundle/chems/collection_chems_inventory.csv", "bundle/browse/collection_browse_inventory.csv"):
        assert (tmp_path / made).is_file(), made
    res = subprocess.run([sys.executable, "-c", python], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
