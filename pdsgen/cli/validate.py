"""`pdsgen validate`: PDS4/PDS3 label and content validation (exit 0 clean, 1 errors, 2 could not run).

NASA validate's command line is accepted as well (docs/validate.md has the table): its short
and long option names, its single-dash long forms (``-schema``), options followed by several
values (``-t a.xml b.xml``, ``-x a.xsd b.xsd``), ``-R pds4.*`` rule names, ``-s full|json|xml``
styles, and targets given as ``file:`` URLs or percent-encoded paths.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pdsgen.cli.app import main

if TYPE_CHECKING:
    _IntParamType = click.ParamType[int]
else:  # (generic since click 8.4; pdsgen takes click >= 8.1: subscripted for the type checker only)
    _IntParamType = click.ParamType

#: validate's rule names → pdsgen's
RULE_NAMES = {"pds4.label": "product", "pds4.product": "product", "pds4.folder": "product",
              "pds3.volume": "volume", "pds4.collection": "collection", "pds4.bundle": "bundle",
              "auto": "auto", "product": "product", "collection": "collection", "bundle": "bundle",
              "volume": "volume"}
#: validate's report styles → pdsgen's formats
STYLES = {"full": "text", "text": "text", "json": "json", "xml": "xml", "html": "html"}
#: validate's options that take several values after one flag (commons-cli hasArgs), with
#: which following words are taken as theirs (the others stay targets: ``-C cat.xml dir/``)
MULTI_VALUE: dict[str, tuple[str, Callable[[str], bool]]] = {"-t": ("-t", lambda v: True), "--target": ("-t", lambda v: True),
               "-x": ("-x", lambda v: v.lower().endswith(".xsd")),
               "--schema": ("-x", lambda v: v.lower().endswith(".xsd")),
               "-S": ("-S", lambda v: v.lower().endswith(".sch")),
               "--schematron": ("-S", lambda v: v.lower().endswith(".sch")),
               "-e": ("-e", lambda v: "/" not in v and "\\" not in v and not Path(v).exists()),
               "--regexp": ("-e", lambda v: "/" not in v and "\\" not in v and not Path(v).exists())}


def _long_names(command: click.Command) -> set[str]:
    return {name for p in command.params for name in getattr(p, "opts", []) if name.startswith("--")}


#: validate's configuration-file option (read here, before click sees the arguments)
CONFIG_FLAGS = ("-c", "--config", "-config")


def normalise_argv(args: list[str], long_names: set[str]) -> list[str]:
    """validate's spellings → click's: ``-schema`` → ``--schema``; ``-x a.xsd b.xsd`` →
    ``-x a.xsd -x b.xsd``; ``-t a b`` → positional targets; ``-c FILE`` → the arguments its
    validate configuration file stands for (`pdsgen.cli.validate_config`)."""
    out: list[str] = []
    i = 0
    while i < len(args):
        tok = args[i]
        if tok in CONFIG_FLAGS or tok.startswith("--config="):
            from pdsgen.cli.validate_config import config_arguments

            if "=" in tok:
                value, i = tok.split("=", 1)[1], i + 1
            elif i + 1 < len(args):
                value, i = args[i + 1], i + 2
            else:
                raise click.UsageError(f"option {tok} needs a configuration file")
            out += normalise_argv(config_arguments(value), long_names)
            continue
        if tok.startswith("-") and not tok.startswith("--") and len(tok) > 2 and f"-{tok}" in long_names:
            tok = f"-{tok}"  # a single-dash long option
        spec = MULTI_VALUE.get(tok)
        if spec is not None and i + 1 < len(args):
            flag, theirs = spec
            values = [args[i + 1]]  # the first value is the option's whatever it looks like
            i += 2
            while i < len(args) and not args[i].startswith("-") and theirs(args[i]):
                values.append(args[i])
                i += 1
            if flag == "-t":
                out += values
            else:
                for v in values:
                    out += [flag, v]
            continue
        out.append(tok)
        i += 1
    return out


class JobsType(_IntParamType):
    """``--jobs``: a number of processes (>= 1) or ``auto`` (0: decided from the run's size)."""

    name = "N|auto"

    def convert(self, value: str | int, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        if str(value).strip().lower() == "auto":
            return 0
        try:
            n = int(value)
        except ValueError:
            self.fail(f"{value!r} is neither a number of processes nor 'auto'", param, ctx)
        if n < 1:
            self.fail(f"{n} processes: give 1 or more, or 'auto'", param, ctx)
        return n


class ValidateCommand(click.Command):
    """A click command that also reads validate's argument spellings."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, normalise_argv(list(args), _long_names(self)))


def target_path(target: str) -> str:
    """A target as a path: ``file:`` URLs and percent-encoded paths (``dir%20x/a.xml``) decoded
    when the name as given does not exist."""
    from urllib.parse import unquote, urlparse

    if target.lower().startswith("file:"):
        return unquote(urlparse(target).path) or target
    if "%" in target and not Path(target).exists() and Path(unquote(target)).exists():
        return unquote(target)
    return target


def split_commas(values: tuple[str, ...]) -> tuple[str, ...]:
    """validate's multi-value options and targets take ``a,b`` as two values (commons-cli's
    value separator ``,``); a name that exists as given is kept whole."""
    out: list[str] = []
    for v in values:
        if "," in v and not Path(v).exists() and not Path(target_path(v)).exists():
            out += [p.strip() for p in v.split(",") if p.strip()]
        else:
            out.append(v)
    return tuple(out)


def _deprecated(ctx: click.Context, param: click.Parameter, value: object) -> object:
    if value:
        click.echo(f"warning: {param.opts[0]} is deprecated by validate and has no effect: labels are checked "
                   "against the schemas and Schematron they cite unless -x/-S/-C say otherwise", err=True)
    return value


def _version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from importlib.metadata import version

    click.echo(f"pdsgen validate {version('pdsgen')} (NASA validate's command line accepted)")
    ctx.exit(0)


def label_extensions(patterns: tuple[str, ...]) -> tuple[str, ...]:
    """validate's -e (``xml``, ``.xml``, ``*.xml``, ``*.lblx``) → suffixes."""
    out = []
    for pattern in patterns:
        for p in pattern.split(","):
            p = p.strip().lstrip("*")
            if p:
                out.append(p if p.startswith(".") else f".{p}")
    return tuple(out) or (".xml",)


def _context_files(paths: tuple[str, ...]) -> tuple[str, ...]:
    """validate's --add-context-products: JSON files, or folders of them."""
    out: list[str] = []
    for p in paths:
        q = Path(p)
        out += sorted(str(f) for f in q.glob("*.json")) if q.is_dir() else [p]
    return tuple(out)


def _catalog(paths: tuple[str, ...]) -> str | None:
    """One catalog, or a catalog chaining several (validate takes several -C)."""
    if len(paths) <= 1:
        return paths[0] if paths else None
    import tempfile
    from xml.sax.saxutils import quoteattr

    entries = "".join(f"<nextCatalog catalog={quoteattr(str(Path(p).resolve()))}/>" for p in paths)
    folder = Path(tempfile.mkdtemp(prefix="pdsgen-catalog-"))
    path = folder / "catalog.xml"
    path.write_text('<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">' + entries + "</catalog>")
    return str(path)


@main.command("validate", cls=ValidateCommand)
@click.argument("targets", nargs=-1)
@click.option("-R", "--rule", default="auto", show_default=True,
              help="What the targets are: auto, product, collection, bundle, volume (a PDS3 volume; or "
                   "validate's pds4.label, pds4.product, pds4.folder, pds4.collection, pds4.bundle, pds3.volume).")
@click.option("--no-content", "-D", "--skip-content-validation", "--no-data-check", "no_content", is_flag=True,
              help="Skip data content, file size and checksum checks.")
@click.option("--no-product", "--skip-product-validation", "no_product", is_flag=True,
              help="Skip per-product validation; only cross-product (bundle/collection) checks.")
@click.option("--no-context", "--skip-context-validation", "no_context", is_flag=True,
              help="Skip checking references to context products.")
@click.option("--skip-context-reference-check", is_flag=True, hidden=True,
              help="validate's check that context references are listed by the parent: not made by pdsgen.")
@click.option("--no-context-mismatch-warnings", "--disable-context-mismatch-warnings",
              "no_context_mismatch_warnings", is_flag=True,
              help="Report context name mismatches as info, not warnings.")
@click.option("-C", "--catalog", "catalogs", multiple=True, type=click.Path(dir_okay=False),
              help="OASIS XML catalog, as validate uses it: every schema and Schematron resolves through it "
                   "alone (no shipped copy, cache or download); one it does not map is an "
                   "error.catalog.unresolvable_* error (repeatable).")
@click.option("--schema-catalog", "schema_catalogs", multiple=True, type=click.Path(dir_okay=False),
              help="OASIS XML catalog tried first in pdsgen's own chain (then the shipped schemas, the user "
                   "cache and bounded downloads); ignored with -C (repeatable).")
@click.option("--context-products", type=click.Path(dir_okay=False), multiple=True,
              help="Registered context products JSON used instead of the default list (repeatable).")
@click.option("--add-context-products", "add_context", multiple=True, type=click.Path(),
              help="More context products (JSON file or folder of them) added to the default list.")
@click.option("-u", "--update-context-products", "update_context", is_flag=True,
              help="Download the registered context products from the PDS registry first (online, bounded).")
@click.option("--offline", is_flag=True, help="No network access of any kind (schemas only from the catalog, "
              "the shipped copies and the cache).")
@click.option("--schema-host", "schema_hosts", multiple=True,
              help="Also download schemas from this host (repeatable; default: PDS, PSA, JAXA, ISRO hosts).")
@click.option("--allow-local-schematron/--no-local-schematron", default=True, show_default=True,
              help="Run xml-model Schematron files of the delivery itself, as validate does, sandboxed: no "
                   "embedded XSLT or extension functions, file access only inside the label's folder "
                   "(--no-local-schematron: only catalog, shipped or cached Schematron).")
@click.option("-e", "--label-extension", "--regexp", "extensions", multiple=True, default=("xml",),
              show_default=True, help="Label file extension or pattern (*.xml) to walk folders for (repeatable).")
@click.option("-x", "--schema", "schemas", multiple=True, type=click.Path(dir_okay=False),
              help="Use this XML Schema instead of the label's citations (repeatable).")
@click.option("-S", "--schematron", "schematrons", multiple=True, type=click.Path(dir_okay=False),
              help="Use this Schematron instead of the label's xml-model citations (repeatable).")
@click.option("-M", "--checksum-manifest", "checksum_manifest", type=click.Path(dir_okay=False), default=None,
              help="Check the labels and their files against this checksum manifest (<md5> <path> lines).")
@click.option("-B", "--base-path", "base_path", type=click.Path(file_okay=False), default=None,
              help="Folder the checksum manifest's paths are relative to (default: the first target if a "
                   "folder, else the first target's folder, as validate).")
@click.option("--target-manifest", "target_manifests", multiple=True, type=click.Path(dir_okay=False),
              help="A file listing targets, one per line.")
@click.option("--alternate_file_paths", "--alternate-file-paths", "alternate_paths", multiple=True,
              type=click.Path(file_okay=False),
              help="More folders whose products count for bundle/collection member checks.")
@click.option("-L", "--local", is_flag=True, help="Do not walk target folders recursively.")
@click.option("--allow-unlisted-members", "--skip-strict-collection-membership", "allow_unlisted_members",
              is_flag=True, help="A bundle/collection member no product of the run has is a warning, not an "
                                 "error (accumulating bundles).")
@click.option("--allow-unlabeled-files", "allow_unlabeled", is_flag=True,
              help="Do not report files that no label references.")
@click.option("--jobs", "-j", type=JobsType(), default="auto", show_default=True,
              help="Parallel processes, or auto: one process unless the run is large enough for worker "
                   "processes on every core to pay for compiling its Schematron files in each of them "
                   "(at least 100 labels per Schematron file the labels cite).")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Validate the labels on a Dask cluster: tcp://HOST:8786, or 'local' for a LocalCluster "
                   "of --jobs workers (the files must be at the same paths on the workers).")
@click.option("-o", "--out", "--report", "-r", "--report-file", "report_file", type=click.Path(dir_okay=False),
              default=None, help="Write the report to FILE instead of standard output.")
@click.option("--format", "-s", "--report-style", "--style", "fmt", default="text", show_default=True,
              help="text (validate's full), json, xml or html.")
@click.option("--json", "as_json", is_flag=True, help="The same as --format json.")
@click.option("--strict-field-checks", "strict_fields", is_flag=True,
              help="Warn about non-blank characters between the fields of character tables.")
@click.option("--max-reported", type=int, default=5, show_default=True,
              help="Offending records reported per problem before a count.")
@click.option("--verbose-report", is_flag=True, help="Include info messages and passing products (text).")
@click.option("-v", "--verbose", "verbosity", type=click.IntRange(1, 3), default=None,
              help="validate's level of the text report: 1 includes info messages.")
@click.option("--spot-check-data", type=int, default=None, hidden=True,
              help="validate's record sampling: accepted, every record is checked.")
@click.option("-E", "--max-errors", type=int, default=None, hidden=True,
              help="validate's error cap: accepted, not applied.")
@click.option("--debug-mode", is_flag=True, hidden=True, help="validate's debugging output: accepted, no effect.")
@click.option("--everyN", "every_n", type=int, default=None, hidden=True,
              help="validate's file sampling: accepted (N >= 1), every file is checked.")
@click.option("-f", "--force", is_flag=True, hidden=True, callback=_deprecated, expose_value=False,
              help="Deprecated by validate: no effect.")
@click.option("-m", "--model-version", hidden=True, callback=_deprecated, expose_value=False,
              help="Deprecated by validate: no effect.")
@click.option("--config-target", "config_targets", multiple=True, hidden=True,
              help="A target from a validate configuration file (-c): used when no target is given.")
@click.option("-V", "--version", is_flag=True, expose_value=False, is_eager=True, callback=_version,
              help="Show the version and exit.")
def validate_cmd(targets: tuple[str, ...], rule: str, no_content: bool, no_product: bool, no_context: bool,
                 skip_context_reference_check: bool, no_context_mismatch_warnings: bool, catalogs: tuple[str, ...],
                 schema_catalogs: tuple[str, ...], context_products: tuple[str, ...], add_context: tuple[str, ...],
                 update_context: bool, offline: bool, schema_hosts: tuple[str, ...], allow_local_schematron: bool,
                 extensions: tuple[str, ...], schemas: tuple[str, ...], schematrons: tuple[str, ...],
                 checksum_manifest: str | None, base_path: str | None, target_manifests: tuple[str, ...],
                 alternate_paths: tuple[str, ...], local: bool, allow_unlisted_members: bool, allow_unlabeled: bool,
                 jobs: int, scheduler: str | None, report_file: str | None, fmt: str, as_json: bool,
                 strict_fields: bool, max_reported: int, verbose_report: bool, verbosity: int | None,
                 spot_check_data: int | None, max_errors: int | None, debug_mode: bool, every_n: int | None,
                 config_targets: tuple[str, ...]) -> None:
    """Validate PDS4/PDS3 labels (files or folders) like NASA's validate, much faster.

    Exit status: 0 no errors, 1 errors found, 2 validation could not run.
    """
    from pdsgen.validate import report
    from pdsgen.validate.runner import Options, read_checksum_manifest, run

    rule_name = RULE_NAMES.get(rule.strip().lower())
    if rule_name is None:
        raise click.BadParameter(f"{rule!r} is not one of {', '.join(RULE_NAMES)}", param_hint="'-R/--rule'")
    if as_json:
        if fmt not in ("text", "json"):
            raise click.UsageError(f"--json and --format {fmt} contradict each other")
        fmt = "json"
    style = STYLES.get(fmt.strip().lower())
    if style is None:
        raise click.BadParameter(f"{fmt!r} is not one of {', '.join(STYLES)}", param_hint="'-s/--format'")
    if update_context:
        from pdsgen.validate.context_products import update_context_products

        dest, n = update_context_products()
        click.echo(f"{n} registered context products written to {dest}", err=True)
    if every_n is not None and every_n < 1:
        raise click.BadParameter(f"value must be greater than or equal to 1, not {every_n}", param_hint="'--everyN'")
    catalogs, schemas, schematrons = split_commas(catalogs), split_commas(schemas), split_commas(schematrons)
    add_context, alternate_paths = split_commas(add_context), split_commas(alternate_paths)
    todo = [target_path(t) for t in split_commas(targets or config_targets)]
    for manifest in split_commas(target_manifests):
        try:
            lines = Path(manifest).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise click.BadParameter(f"{manifest}: {exc.strerror}", param_hint="'--target-manifest'") from exc
        todo += [target_path(line.strip()) for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not todo:
        if update_context:
            return
        raise click.UsageError("no target given (a label, a folder, -t, or --target-manifest)")
    checksums = None
    if checksum_manifest:  # paths relative to -B, else to the first target (a folder) or its folder
        first = Path(todo[0])
        checksums = read_checksum_manifest(checksum_manifest, base_path or (first if first.is_dir() else first.parent))
    opts = Options(rule=rule_name, product=not no_product, content=not no_content, context=not no_context,
                   context_mismatch_warnings=not no_context_mismatch_warnings, catalog_path=_catalog(catalogs or schema_catalogs),
                   catalog_alone=bool(catalogs),
                   offline=offline, context_products=tuple(context_products),
                   add_context_products=_context_files(add_context), jobs=jobs,
                   label_extensions=label_extensions(extensions), schemas=tuple(schemas),
                   schematrons=tuple(schematrons), max_reported=max_reported, strict_fields=strict_fields,
                   checksums=checksums, local=local, allow_unlabeled=allow_unlabeled,
                   allow_unlisted_members=allow_unlisted_members,
                   alternate_paths=tuple(alternate_paths), schema_hosts=tuple(schema_hosts),
                   allow_local_schematron=allow_local_schematron, scheduler=scheduler)
    progress = None
    if sys.stderr.isatty():
        from rich.progress import Progress

        progress = Progress(transient=True)
    if progress is not None:
        with progress:
            task = progress.add_task("validating", total=None)
            result = run(todo, opts,
                         on_progress=lambda done, total: progress.update(task, completed=done, total=total))
    else:
        result = run(todo, opts)
    writer = {"json": report.to_json, "html": report.to_html, "xml": report.to_xml}.get(style)
    out = writer(result) if writer else report.to_text(result, verbose=verbose_report or verbosity == 1)
    if report_file:
        from pdsgen.cli.app import write_output

        dest = Path(report_file)
        write_output(dest, out, "the report")
        if style != "text":
            s = report.summary(result)
            click.echo(f"{s['totalErrors']} error(s), {s['totalWarnings']} warning(s); report: {dest}", err=True)
    else:
        if style == "text" and sys.stdout.isatty() and not os.environ.get("NO_COLOR"):
            out = coloured(out)
        click.echo(out, nl=False)
    sys.exit(result.exit_code)


_STYLES = {"ERROR": "red", "WARNING": "yellow", "INFO": "cyan", "FAIL:": "red", "PASS:": "green",
           "SKIP:": "yellow"}


def coloured(text: str) -> str:
    """The text report with severities and product verdicts coloured (for a terminal)."""
    lines = []
    for line in text.splitlines(keepends=True):
        word = line.strip().split(" ", 1)[0]
        style = _STYLES.get(word)
        if style:
            head, _, rest = line.partition(word)
            line = head + click.style(word, fg=style, bold=word.endswith(":")) + rest
        elif line.startswith("Summary:"):
            line = click.style(line, bold=True)
        lines.append(line)
    return "".join(lines)
