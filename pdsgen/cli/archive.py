"""`pdsgen archive index|find|collection|bundle|regenerate` (archive issue)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from pdsgen.cli.app import main, quiet_requested

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from pdsgen.archive.index import ArchiveIndex

#: a click command function (before click turns it into a command)
_F = TypeVar("_F", bound=Callable[..., Any])


@main.group("archive")
def archive() -> None:
    """Index an archive, find products, package deliveries, regenerate products."""


def _db_option(f: _F) -> _F:
    return click.option("--db", type=click.Path(dir_okay=False),
                        help="Index database (default ROOT/.pdsgen/archive.sqlite).")(f)


def _open(root: Path, db: str | None) -> ArchiveIndex:
    from pdsgen.archive.index import default_db, open_index

    return open_index(db or default_db(root))


def _echo_json(doc: object) -> None:
    """One JSON document on stdout (paths and other objects as text), as ``--json`` everywhere."""
    click.echo(json.dumps(doc, indent=2, default=str))


def _as_dict(result: DataclassInstance) -> dict[str, Any]:
    """A result dataclass as a JSON-ready dict, with its ``lidvid``."""
    import dataclasses

    doc = dataclasses.asdict(result)
    if hasattr(result, "lidvid"):
        doc["lidvid"] = result.lidvid
    return doc


@archive.command("init")
@click.argument("workspace", type=click.Path(file_okay=False, path_type=Path))
@click.option("--bundle", "bundle_lid", required=True, metavar="LID",
              help="The bundle's LID (urn:nasa:pds:<bundle_id>); recipes writing into it get collection folders.")
@click.option("--collection", "extra", multiple=True, metavar="NAME[=TYPE]",
              help="A further collection delivered in the bundle, e.g. raw or calibration (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def init_cmd(workspace: Path, bundle_lid: str, extra: tuple[str, ...], as_json: bool) -> None:
    """Set up a delivery workspace: WORKSPACE/bundle/<collection>/ for every collection the
    recipes write into the bundle, browse/ (their browse plots), document/, further
    --collection folders, and inputs/ for raw and calibration files that are not delivered."""
    from pdsgen.archive.workspace import init_workspace

    ws = init_workspace(workspace, bundle_lid, extra=extra)
    if as_json:
        _echo_json({"workspace": ws.path, "bundle_lid": ws.bundle_lid, "inputs": ws.path / "inputs",
                    "collections": [{"name": c.name, "lid": c.lid, "collection_type": c.collection_type,
                                     "recipes": list(c.recipes)}
                                    for c in sorted(ws.collections.values(), key=lambda c: c.name)]})
        return
    click.echo(f"workspace {ws.path} for {ws.bundle_lid}:")
    for c in sorted(ws.collections.values(), key=lambda c: c.name):
        by = f" (recipes: {', '.join(c.recipes)})" if c.recipes else ""
        click.echo(f"  bundle/{c.name}/  {c.lid}  {c.collection_type}{by}")
    click.echo("  inputs/  raw inputs and calibration files that are not delivered")


@archive.command("index")
@click.argument("root", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_db_option
@click.option("--full", is_flag=True, help="Re-read every label, not only changed ones.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes reading labels (worth it for thousands of new labels).")
@click.option("--scheduler", metavar="ADDRESS", help="Read labels and checksum files on a Dask cluster: "
              "tcp://HOST:8786, or 'local' (a LocalCluster of --jobs workers); same paths on the workers.")
@click.option("--json", "as_json", is_flag=True, help="JSON output (the counts and the unreadable labels).")
def index_cmd(root: Path, db: str | None, full: bool, quiet: bool, jobs: int, scheduler: str | None,
              as_json: bool) -> None:
    """Record every product under ROOT (bundle, volume or folder of labels) in the index."""
    import time

    from rich.progress import Progress, SpinnerColumn, TextColumn

    from pdsgen.archive.scan import scan

    t0 = time.perf_counter()
    quiet = quiet or as_json or quiet_requested()
    with _open(root, db) as idx:
        if quiet:
            report = scan(root, idx, full=full, jobs=jobs, scheduler=scheduler)
        else:
            with Progress(SpinnerColumn(), TextColumn("{task.description} {task.completed} labels"),
                          transient=True) as bar:
                task = bar.add_task("indexing")
                report = scan(root, idx, full=full, jobs=jobs, scheduler=scheduler,
                              progress=lambda n: bar.advance(task, n))
        total = idx.count()
    dt = time.perf_counter() - t0
    if as_json:
        _echo_json({"products": total, "added": report.added, "updated": report.updated,
                    "touched": report.touched, "unchanged": report.unchanged, "removed": report.removed,
                    "unreadable": report.errors, "seconds": round(dt, 3)})
        if report.errors:
            sys.exit(1)
        return
    for err in report.errors:
        click.secho(f"skipped: {err}", fg="yellow", err=True)
    click.echo(
        f"{total} products indexed: {report.added} added, {report.updated} updated, "
        f"{report.touched} touched, {report.unchanged} unchanged, {report.removed} removed, "
        f"{len(report.errors)} unreadable ({report.seen / dt if dt else 0:.0f} labels/s)"
    )
    if report.errors:  # the readable ones are indexed; like inspect, unreadable input is status 1
        sys.exit(1)


@archive.command("find")
@click.argument("root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=".")
@_db_option
@click.option("--type", "types", multiple=True, help="Product type or class (repeatable).")
@click.option("--start", help="Start of the time range (ISO 8601 or YYYY:DOY[:hh:mm:ss]).")
@click.option("--stop", help="End of the time range.")
@click.option("--lid", help="LID (or PDS3 PRODUCT_ID) glob; without wildcards a substring.")
@click.option("--instrument", help="Instrument name (substring, case-insensitive).")
@click.option("--recipe", help="Only products made by this pdsgen recipe.")
@click.option("--calibrations", is_flag=True, help="Only calibration products.")
@click.option("--calibration-for", "cal_for", metavar="PRODUCT",
              help="Print the calibration in force at PRODUCT's time (LIDVID, LID, PRODUCT_ID or label).")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def find_cmd(root: Path, db: str | None, types: tuple[str, ...], start: str | None, stop: str | None,
             lid: str | None, instrument: str | None, recipe: str | None, calibrations: bool,
             cal_for: str | None, as_json: bool) -> None:
    """Find indexed products under ROOT by time range, type, LID and instrument."""
    from pdsgen.archive.errors import ArchiveInputError
    from pdsgen.archive.find import calibration_for, iter_find
    from pdsgen.archive.index import default_db

    where = Path(db) if db else default_db(root)
    if not str(where).startswith(("postgres://", "postgresql://")) and not where.is_file():
        raise ArchiveInputError(f"no archive index at {where}: run `pdsgen archive index {root}` first")
    with _open(root, db) as idx:
        if cal_for:
            found = iter([calibration_for(idx, cal_for, root=root, types=types)])
        else:
            found = iter_find(idx, types=types, start=start, stop=stop, lid=lid, instrument=instrument,
                              recipe=recipe, calibration=True if calibrations else None)
        if as_json:
            # streamed: one product at a time, the same text json.dumps(list, indent=1) gives
            first = True
            for r in found:
                body = json.dumps(r.to_json(), indent=1).replace("\n", "\n ")
                click.echo(("[\n " if first else ",\n ") + body, nl=False)
                first = False
            click.echo("[]" if first else "\n]")
            return
        for r in found:
            click.echo("\t".join([r.identifier, r.start_time or "-", r.stop_time or "-",
                                  r.product_type or r.product_class or "-", r.label_path]))


def _packaging_options(f: _F) -> _F:
    f = click.option("--templates", "templates", type=click.Path(exists=True, file_okay=False),
                     multiple=True, help="Project template folder(s) overriding archive/*.xml.j2.")(f)
    f = click.option("--creation-time", help="Creation time written in labels (default "
                     "SOURCE_DATE_EPOCH or now).")(f)
    f = click.option("--keep-superseded", "keep", is_flag=True,
                     help="Keep the previous version's files under SUPERSEDED/v<major>_<minor>/.")(f)
    f = click.option("--major", "bump", flag_value="major",
                     help="A changed collection/bundle gets the next major version.")(f)
    f = click.option("--minor", "bump", flag_value="minor", default=True,
                     help="A changed collection/bundle gets the next minor version (default).")(f)
    f = click.option("--title", help="Title of a new collection/bundle.")(f)
    f = click.option("--lid", help="LID of a new collection/bundle (default: from the members).")(f)
    return _db_option(f)


@archive.command("collection")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_packaging_options
@click.option("--type", "collection_type", help="collection_type of a new collection "
              "(default from the folder name: data, calibration, browse, document ...).")
@click.option("--secondary", multiple=True, metavar="LID", help="Secondary member (S,lid record).")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def collection_cmd(folder: Path, db: str | None, lid: str | None, title: str | None, bump: str,
                   keep: bool, creation_time: str | None, templates: tuple[str, ...],
                   collection_type: str | None, secondary: tuple[str, ...], as_json: bool) -> None:
    """Write or update the inventory and label of the collection in FOLDER (a folder
    directly under the bundle root, whose index is used)."""
    from pdsgen.archive.package import package_collection

    root = folder.resolve().parent
    with _open(root, db) as idx:
        r = package_collection(root, folder, idx, lid=lid, title=title, bump=bump, keep=keep,
                               collection_type=collection_type, secondary=secondary,
                               creation_time=creation_time, templates=templates or None)
    if as_json:
        _echo_json(_as_dict(r))
        return
    if r.changed:
        was = f" (was {r.previous_vid})" if r.previous_vid else ""
        click.echo(f"{r.lidvid}{was}: {r.members} members, +{len(r.added)} -{len(r.removed)}; "
                   f"wrote {r.inventory.name}, {r.label.name}")
    else:
        click.echo(f"{r.lidvid}: unchanged ({r.members} members)")


@archive.command("bundle")
@click.argument("root", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_packaging_options
@click.option("--manifest-dir", type=click.Path(file_okay=False),
              help="Where the checksum and transfer manifests go (default: ROOT's parent).")
@click.option("--no-manifests", is_flag=True, help="Skip the checksum and transfer manifests.")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def bundle_cmd(root: Path, db: str | None, lid: str | None, title: str | None, bump: str,
               keep: bool, creation_time: str | None, templates: tuple[str, ...],
               manifest_dir: str | None, no_manifests: bool, as_json: bool) -> None:
    """Package the bundle at ROOT: every collection's inventory and label, the bundle label,
    the checksum manifest (MD5, relative paths) and the transfer manifest."""
    from pdsgen.archive.package import package_bundle

    with _open(root, db) as idx:
        r = package_bundle(root, idx, lid=lid, title=title, bump=bump, keep=keep,
                           creation_time=creation_time, templates=templates or None,
                           manifest_dir=manifest_dir, manifests=not no_manifests)
    if as_json:
        doc = _as_dict(r)
        doc["collections"] = [_as_dict(c) for c in r.collections]
        _echo_json(doc)
        if r.left_out:
            raise SystemExit(1)
        return
    for c in r.collections:
        state = f"new version (was {c.previous_vid})" if c.changed and c.previous_vid else (
            "new" if c.changed else "unchanged")
        click.echo(f"  {c.lidvid}: {c.members} members, {state}")
    state = f"new version (was {r.previous_vid})" if r.changed and r.previous_vid else (
        "new" if r.changed else "unchanged")
    click.echo(f"{r.lidvid}: {len(r.collections)} collections, {state}")
    for m in (r.checksum_manifest, r.transfer_manifest):
        if m is not None:
            click.echo(f"wrote {m}")
    for rel, problem in r.left_out:  # names that could forge manifest lines: reported, never listed
        click.echo(f"{str(root / rel)!r}: left out of the manifests: {problem}", err=True)
    if r.left_out:
        raise SystemExit(1)


@archive.command("regenerate")
@click.argument("root", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_db_option
@click.option("--recipe", help="Only products made by this recipe.")
@click.option("--since", help="Only input/calibration changes to files modified at or after this "
              "time (ISO 8601 or YYYY:DOY[:hh:mm:ss]).")
@click.option("--dry-run", is_flag=True, help="List the products that would be remade, and why.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes (local pool), or LocalCluster workers with --scheduler local.")
@click.option("--scheduler", help="Dask distributed: tcp://HOST:8786, or 'local' for a LocalCluster.")
@click.option("--major", "bump", flag_value="major", help="Remade products get the next major version.")
@click.option("--minor", "bump", flag_value="minor", default=True,
              help="Remade products get the next minor version (default).")
@click.option("--keep-superseded", "keep", is_flag=True,
              help="Keep the previous versions under SUPERSEDED/v<major>_<minor>/.")
@click.option("--creation-time", help="Creation time written in the new labels "
              "(default SOURCE_DATE_EPOCH or now).")
@click.option("--no-validate", is_flag=True, help="Do not re-validate what was written.")
@click.option("--json", "as_json", is_flag=True, help="JSON output (with --dry-run).")
@click.option("--restart", is_flag=True, help="Abandon an unfinished run instead of resuming it.")
def regenerate_cmd(root: Path, db: str | None, recipe: str | None, since: str | None, dry_run: bool,
                   jobs: int, scheduler: str | None, bump: str, keep: bool,
                   creation_time: str | None, no_validate: bool, as_json: bool, restart: bool) -> None:
    """Remake the pdsgen-made products under ROOT whose inputs, calibration files, recipe or
    pdsgen version changed; new versions, updated inventories and labels; resumable."""
    import sys

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from pdsgen.archive.index import default_db
    from pdsgen.archive.regenerate import regenerate, stale_as_json

    where = Path(db) if db else default_db(root)
    if not str(where).startswith(("postgres://", "postgresql://")) and not where.is_file():
        click.secho(f"note: no index at {where} yet; indexing now records the current checksums of "
                    "inputs as the baseline, so nothing can be stale until something changes",
                    fg="yellow", err=True)
    with _open(root, db) as idx:
        if dry_run:
            report = regenerate(root, idx, recipe=recipe, since=since, dry_run=True)
            if as_json:
                click.echo(stale_as_json(report.stale))
            else:
                for s in report.stale:
                    note = f" (not checked, not in the archive: {', '.join(s.unchecked)})" if s.unchecked else ""
                    click.echo(f"{s.record.lidvid or s.record.label_path}: {'; '.join(s.reasons)}{note}")
                _say_unchecked(report.unchecked)
                click.echo(f"{len(report.stale)} products to remake{_unchecked_tail(report.unchecked)}")
            return
        with Progress("{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      transient=True, disable=not sys.stderr.isatty()) as bar:
            task = bar.add_task("regenerating", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            report = regenerate(root, idx, recipe=recipe, since=since, jobs=jobs,
                                scheduler=scheduler, bump=bump, keep=keep,
                                creation_time=creation_time, validate=not no_validate,
                                progress=progress, restart=restart)
    if report.resumed:
        click.echo(f"resumed run {report.run_id}: {report.skipped_done} products were already done")
    for lp, err in report.failed:
        click.secho(f"failed: {lp}: {err}", fg="red", err=True)
    for note in report.notes:
        click.secho(f"note: {note}", fg="yellow", err=True)
    for problem in report.invalid:
        click.secho(f"invalid: {problem}", fg="red", err=True)
    for c in report.collections:
        if c.changed:
            click.echo(f"  {c.lidvid} (was {c.previous_vid}): +{len(c.added)} -{len(c.removed)}")
    if report.bundle is not None and report.bundle.changed:
        click.echo(f"  {report.bundle.lidvid} (was {report.bundle.previous_vid})")
    _say_unchecked(report.unchecked)
    click.echo(f"{len(report.remade)} remade, {report.skipped_done} already done, "
               f"{len(report.failed)} failed, {len(report.invalid)} validation problems "
               f"in {report.seconds:.1f} s{_unchecked_tail(report.unchecked)}")
    if report.failed or report.invalid:
        raise SystemExit(1)


def _say_unchecked(unchecked: dict[str, list[str]], most: int = 10) -> None:
    """What regeneration could not check, one line per reference, on standard error."""
    for what, products in list(unchecked.items())[:most]:
        click.secho(f"not checked: {what}; cited by {len(products)} product(s), e.g. {products[0]}",
                    fg="yellow", err=True)
    if len(unchecked) > most:
        click.secho(f"not checked: {len(unchecked) - most} more references", fg="yellow", err=True)


def _unchecked_tail(unchecked: dict[str, list[str]]) -> str:
    products = {p for ps in unchecked.values() for p in ps}
    return f"; {len(products)} products could not be fully checked (see 'not checked')" if products else ""


@archive.command("volume")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", "-o", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The volume folder to create (must not exist; written in a staging folder, renamed at the end).")
@click.option("--volume-id", required=True, help="VOLUME_ID: 1-11 characters of A-Z 0-9 _ (e.g. COMIMI_0001).")
@click.option("--volume-set-id", required=True, help="VOLUME_SET_ID: up to 60 characters of A-Z 0-9 _.")
@click.option("--data-set-id", "data_set_ids", multiple=True, required=True,
              help="DATA_SET_ID of the volume's products (repeatable; every product's must be one of them).")
@click.option("--volume-name", help="VOLUME_NAME (default: the data set ids and the volume id).")
@click.option("--volume-set-name", help="VOLUME_SET_NAME (default: the volume set id).")
@click.option("--volume-series-name", help="VOLUME_SERIES_NAME (default: the volume set name).")
@click.option("--volume-version-id", default="VERSION 1", show_default=True, help="VOLUME_VERSION_ID.")
@click.option("--volumes", type=click.IntRange(min=1), default=1, show_default=True,
              help="VOLUMES: how many volumes the set has.")
@click.option("--description", help="DESCRIPTION of the VOLUME object (default: what the volume holds).")
@click.option("--publication-date", help="PUBLICATION_DATE, YYYY-MM-DD (default: the creation date).")
@click.option("--producer-name", required=True, help="DATA_PRODUCER FULL_NAME.")
@click.option("--producer-institution", required=True, help="DATA_PRODUCER INSTITUTION_NAME.")
@click.option("--producer-facility", required=True, help="DATA_PRODUCER FACILITY_NAME.")
@click.option("--producer-address", required=True, help="DATA_PRODUCER ADDRESS_TEXT.")
@click.option("--catalog", "catalogs", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="A catalog file (MISSION.CAT, DATASET.CAT ...) for CATALOG/ (repeatable).")
@click.option("--documents", type=click.Path(exists=True, file_okay=False),
              help="A folder of labelled documents for DOCUMENT/.")
@click.option("--uppercase", is_flag=True,
              help="Give files and folders upper-case names and rewrite the labels' pointers to them.")
@click.option("--copy", "copy_files", is_flag=True, help="Copy the products (default: hard links where possible).")
@click.option("--creation-time", help="Creation time written in the volume's labels (default SOURCE_DATE_EPOCH or now).")
@click.option("--templates", type=click.Path(exists=True, file_okay=False), multiple=True,
              help="Project template folder(s) overriding pds3/volume/*.j2.")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def volume_cmd(src: Path, out: Path, volume_id: str, volume_set_id: str, data_set_ids: tuple[str, ...],
               volume_name: str | None, volume_set_name: str | None, volume_series_name: str | None,
               volume_version_id: str, volumes: int, description: str | None, publication_date: str | None,
               producer_name: str, producer_institution: str, producer_facility: str, producer_address: str,
               catalogs: tuple[str, ...], documents: str | None, uppercase: bool, copy_files: bool,
               creation_time: str | None, templates: tuple[str, ...], as_json: bool) -> None:
    """Package the PDS3 products under SRC as a PDS3 volume: DATA/, INDEX/INDEX.TAB + INDEX.LBL,
    INDEX/CHECKSUM.TAB + CHECKSUM.LBL (MD5s), VOLDESC.CAT, AAREADME.TXT, CATALOG/, DOCUMENT/."""
    from pdsgen.archive.pds3volume import DataProducer, VolumeInfo, build_volume

    info = VolumeInfo(volume_id=volume_id, volume_set_id=volume_set_id, data_set_ids=data_set_ids,
                      producer=DataProducer(producer_name, producer_institution, producer_facility, producer_address),
                      volume_name=volume_name, volume_set_name=volume_set_name,
                      volume_series_name=volume_series_name, volume_version_id=volume_version_id,
                      volumes=volumes, description=description, publication_date=publication_date)
    r = build_volume(src, out, info, catalogs=list(catalogs), documents=documents, uppercase=uppercase,
                     link=not copy_files, creation_time=creation_time, templates=templates or None)
    if as_json:
        _echo_json({"volume": r.root, "volume_id": r.volume_id, "files": r.files, "documents": r.documents,
                    "catalogs": r.catalogs, "products": [_as_dict(p) for p in r.products]})
        return
    click.echo(f"{r.root}: volume {r.volume_id}, {len(r.products)} products indexed, {r.files} files "
               f"(INDEX/INDEX.TAB, INDEX/CHECKSUM.TAB, VOLDESC.CAT, AAREADME.TXT)")
