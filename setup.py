"""Package list for setuptools: every folder of the `pdsgen` code (data-only folders such
as ``pdsgen/recipes/builtin`` and ``pdsgen/validate/schemas/...`` included, as namespace
packages) plus the top-level `templates/` and `labels/` folders shipped as
`pdsgen.templates` / `pdsgen.labels` (mapped in pyproject.toml), which package discovery
cannot see by itself. Listing every folder keeps setuptools from warning "Package would be
ignored"."""

from pathlib import Path

from setuptools import find_namespace_packages, setup

root = Path(__file__).parent
data_packages = []
for top in ("templates", "labels"):
    data_packages.append(f"pdsgen.{top}")
    for sub in sorted(p for p in (root / top).rglob("*") if p.is_dir() and "__pycache__" not in p.parts):
        data_packages.append("pdsgen." + ".".join((top,) + sub.relative_to(root / top).parts))

code = find_namespace_packages(include=["pdsgen", "pdsgen.*"], exclude=["*.__pycache__", "*.__pycache__.*"])
setup(packages=code + data_packages)
