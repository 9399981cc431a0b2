"""PDS3: a fast, pvl-compatible label parser and readers for PDS3 data objects.

``load``/``loads`` return pvl's own model (``PVLModule`` …) equal to ``pvl.load``;
``pdsgen.open()`` on a PDS3 label gives a `pdsgen.model.Product` (see `product`).
"""

from pdsgen.pds3.label import load, loads, read_label

__all__ = ["load", "loads", "read_label"]
