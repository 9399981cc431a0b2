"""Writing PDS products: data files plus Jinja-templated PDS4/PDS3 labels.

Public API (see docs/writers.md for the template variables and the context contract)::

    from pdsgen.render import ProductContext, ContextReference, write_table

    ctx = ProductContext(lid="urn:nasa:pds:b:c:p", vid="1.0", title="…",
                         start_time="2004-01-01T00:00:00Z", stop_time="…",
                         investigations=[ContextReference("Cassini-Huygens", "Mission",
                                                   "urn:nasa:pds:context:investigation:mission.cassini-huygens")],
                         observing_system=[…], targets=[…],
                         input_products=["urn:…::1.0"], recipe_name="chems_pha", recipe_version="1")
    out = write_table(table, "out/", basename="p", context=ctx, table_format="character")
    out.label_path, out.data_path, out.lidvid, out.md5, out.size

Writers (all atomic: data then label, each via a temporary name and ``os.replace``):

- `write_table` — PDS4 Table_Character / Table_Delimited / Table_Binary (big or little
  endian) in Product_Observational (or ``product_class="Product_Ancillary"``); PDS3 ASCII
  TABLE / BINARY TABLE / SPREADSHEET with detached (default) or attached labels.
- `write_ancillary_table` — `write_table` as Product_Ancillary (calibration tables).
- `write_array` — PDS4 Array_1D / Array_2D_Image / Array_3D_Image / any Array_* class,
  PDS3 IMAGE; raw binary, last index fastest.
- `write_fits` — a FITS file (astropy.io.fits) with a PDS4 label describing its headers
  and the image/binary-table HDUs at their byte offsets.
- `write_browse` — Product_Browse for a PNG/JPEG/GIF/TIFF plot.

Label machinery (also used by the archive packager for collection/bundle labels):

- `render_label(template_name, variables, templates_dir=None)` and `LabelEnvironment` /
  `label_environment(dirs)` — loader chain: the given folders first, the built-in
  ``templates/`` last (also reachable as ``builtin/…``); StrictUndefined; errors →
  `pdsgen.errors.TemplateError` naming template file and line.
- `commit_files([(path, bytes), …])` — the atomic multi-file write; `md5_hex`.
- `write_labels([(path, template_name, variables), …], jobs=N)` — many labels: rendered in
  the calling thread while writer threads do the atomic writes.
- `check_lid`, `check_vid`, `check_lidvid`, `information_model(version)` (schema and
  Schematron URLs), `iso_utc`, `resolve_creation_time` (argument > SOURCE_DATE_EPOCH > now).
- Filters in every template: ``xml``, ``pds3``, ``pds3_string``, ``pds3_text``,
  ``pds3_symbol``, ``iso_utc``, ``iso_date``, ``real``.
"""

from __future__ import annotations

from pdsgen.render.atomic import commit_files, md5_hex
from pdsgen.render.batch import write_labels
from pdsgen.render.env import LabelEnvironment, label_environment, render_label
from pdsgen.render.ids import (
    DEFAULT_IM_VERSION,
    InformationModel,
    check_lid,
    check_lid_or_lidvid,
    check_lidvid,
    check_vid,
    information_model,
)
from pdsgen.render.product_context import ContextReference, ModificationDetail, ProductContext
from pdsgen.render.writers import (
    DEFAULT_TEMPLATES,
    FileInfo,
    WrittenProduct,
    write_ancillary_table,
    write_array,
    write_browse,
    write_fits,
    write_table,
)
from pdsgen.times import iso_date, iso_utc, resolve_creation_time

__all__ = [
    "DEFAULT_IM_VERSION",
    "DEFAULT_TEMPLATES",
    "FileInfo",
    "InformationModel",
    "LabelEnvironment",
    "ModificationDetail",
    "ProductContext",
    "ContextReference",
    "WrittenProduct",
    "check_lid",
    "check_lid_or_lidvid",
    "check_lidvid",
    "check_vid",
    "commit_files",
    "information_model",
    "iso_date",
    "iso_utc",
    "label_environment",
    "md5_hex",
    "render_label",
    "resolve_creation_time",
    "write_ancillary_table",
    "write_array",
    "write_browse",
    "write_fits",
    "write_labels",
    "write_table",
]
