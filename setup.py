"""Package list for setuptools: the `pdsgen` code plus the top-level `templates/` and
`labels/` folders shipped as `pdsgen.templates` / `pdsgen.labels` (mapped in
pyproject.toml), which `find_packages` cannot see by itself."""

from pathlib import Path

from setuptools import find_packages, setup

root = Path(__file__).parent
data_packages = []
for top in ("templates", "labels"):
    data_packages.append(f"pdsgen.{top}")
    for sub in sorted(p for p in (root / top).rglob("*") if p.is_dir() and "__pycache__" not in p.parts):
        data_packages.append("pdsgen." + ".".join((top,) + sub.relative_to(root / top).parts))

setup(packages=find_packages(include=["pdsgen", "pdsgen.*"]) + data_packages)
