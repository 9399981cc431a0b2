"""`pdsgen migrate`: PDS3 products → PDS4 labels over the same data bytes (docs/migrate.md).

Exit status: 0 every product migrated, 1 some product failed (each report line says why),
2 unusable input (no labels, bad --map, bad --bundle-lid).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pdsgen.cli.app import main, unusable_input


@main.command("migrate")
@click.argument("targets", nargs=-1, required=True)
@click.option("--out", "out", type=click.Path(file_okay=False), required=True,
              help="Folder for the PDS4 labels and the (hard-linked or copied) data files.")
@click.option("--bundle-lid", default=None, help="Bundle LID, e.g. urn:nasa:pds:ody_accel.")
@click.option("--collection", default="data", show_default=True, help="Collection name (LID component).")
@click.option("--templates", "templates_dir", type=click.Path(file_okay=False), default=None,
              help="Folder overriding pds4/migrate/Product_Observational.xml.j2.")
@click.option("--map", "map_file", type=click.Path(dir_okay=False), default=None,
              help="TOML: LID pattern, processing level, discipline, context LIDs, keyword and unit mappings.")
@click.option("-j", "--jobs", type=int, default=1, show_default=True, help="Worker processes.")
@click.option("--creation-time", default=None, help="ISO UTC creation time (default SOURCE_DATE_EPOCH, else now).")
@click.option("-C", "--catalog", type=click.Path(dir_okay=False), default=None,
              help="OASIS XML catalog for validation (default: the schemas pdsgen ships and the user cache).")
@click.option("--context-products", type=click.Path(dir_okay=False), multiple=True,
              help="Registered context products JSON (default: the list shipped with validate).")
@click.option("--online", is_flag=True, help="Allow schema downloads during validation.")
def migrate_cmd(targets: tuple[str, ...], out: str, bundle_lid: str | None, collection: str,
                templates_dir: str | None, map_file: str | None, jobs: int, creation_time: str | None,
                catalog: str | None, context_products: tuple[str, ...], online: bool) -> None:
    """Migrate PDS3 products (labels or folders) to PDS4: one label per product, data unchanged,
    each validated and read back equal through both labels before it is placed in --out."""
    from pdsgen.migrate import MigrateOptions, MigrationMap, find_labels, migrate
    from pdsgen.render.ids import check_lid
    from pdsgen.times import resolve_creation_time

    with unusable_input():
        mapping = MigrationMap.load(map_file)
        if bundle_lid is not None:
            check_lid(bundle_lid, level="bundle", what="--bundle-lid")
        created = resolve_creation_time(creation_time)
        labels = find_labels(targets)
        if templates_dir is not None:  # a template folder that does not compile is unusable input
            from pdsgen.migrate.run import TEMPLATE
            from pdsgen.render.env import label_environment

            env = label_environment(templates_dir)
            for cls in ("Product_Observational", "Product_Document", "Product_Browse"):
                env.get_template(TEMPLATE.format(product_class=cls))
    if not labels:
        click.echo("pdsgen migrate: no PDS3 labels (*.lbl) found in the targets", err=True)
        sys.exit(2)
    _writable(Path(out))
    opts = MigrateOptions(out=Path(out), bundle_lid=bundle_lid, collection=collection, templates_dir=templates_dir,
                          mapping=mapping, creation_time=created, catalog_path=catalog, offline=not online,
                          context_products=tuple(context_products))
    results = migrate([str(p) for p in labels], opts, jobs=jobs)
    for r in results:
        click.echo(r.line())
        for note in r.notes:
            click.echo(f"    note: {note}")
    failed = sum(r.status != "migrated" for r in results)
    click.echo(f"{len(results) - failed} migrated, {failed} failed", err=True)
    sys.exit(1 if failed else 0)


def _writable(out: Path) -> None:
    """``--out`` made if absent and tried with a file of its own (removed): a folder that
    cannot be written is unusable input (exit 2), not a failure of every product."""
    import tempfile

    from pdsgen.cli.app import OutputError

    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(prefix=".migrate-probe-", dir=out):
            pass
    except OSError as exc:
        raise OutputError(f"cannot write in --out: {exc.strerror or exc}", path=str(out)) from None
