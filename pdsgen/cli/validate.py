"""`pdsgen validate`: PDS4/PDS3 label and content validation (exit 0 clean, 1 errors, 2 could not run)."""

from __future__ import annotations

import os
import sys

import click

from pdsgen.cli.app import main


@main.command("validate")
@click.argument("targets", nargs=-1, required=True)
@click.option("-R", "--rule", type=click.Choice(["auto", "product", "collection", "bundle"]), default="auto",
              show_default=True, help="What the targets are; auto detects bundle/collection folders.")
@click.option("--no-content", is_flag=True, help="Skip data content, file size and checksum checks.")
@click.option("--no-product", is_flag=True,
              help="Skip per-product validation; only cross-product (bundle/collection) checks.")
@click.option("--no-context", is_flag=True, help="Skip checking references to context products.")
@click.option("--no-context-mismatch-warnings", is_flag=True,
              help="Report context name mismatches as info, not warnings.")
@click.option("-C", "--catalog", type=click.Path(dir_okay=False), default=None,
              help="OASIS XML catalog for schema URLs (default: the user cache).")
@click.option("--context-products", type=click.Path(dir_okay=False), multiple=True,
              help="Registered context products JSON (repeatable).")
@click.option("--offline", is_flag=True, help="No network access of any kind (schemas only from the catalog, "
              "the shipped copies and the cache).")
@click.option("--schema-host", "schema_hosts", multiple=True,
              help="Also download schemas from this host (repeatable; default: PDS, PSA, JAXA, ISRO hosts).")
@click.option("--allow-local-schematron", is_flag=True,
              help="Run xml-model Schematron files of the delivery itself, their file access limited to the "
                   "label's folder (default: only catalog, shipped or cached Schematron).")
@click.option("-e", "--label-extension", "extensions", multiple=True, default=("xml",), show_default=True,
              help="Label file extension to walk folders for (repeatable).")
@click.option("--schema", "schemas", multiple=True, type=click.Path(dir_okay=False),
              help="Use this XML Schema instead of the label's citations (repeatable).")
@click.option("--schematron", "schematrons", multiple=True, type=click.Path(dir_okay=False),
              help="Use this Schematron instead of the label's xml-model citations (repeatable).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Parallel processes (as every pdsgen command: 1 unless asked).")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Validate the labels on a Dask cluster: tcp://HOST:8786, or 'local' for a LocalCluster "
                   "of --jobs workers (the files must be at the same paths on the workers).")
@click.option("-o", "--out", "--report", "report_file", type=click.Path(dir_okay=False), default=None,
              help="Write the report to FILE instead of standard output.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="The same as --format json.")
@click.option("--strict-field-checks", "strict_fields", is_flag=True,
              help="Warn about non-blank characters between the fields of character tables.")
@click.option("--max-reported", type=int, default=5, show_default=True,
              help="Offending records reported per problem before a count.")
@click.option("--verbose-report", is_flag=True, help="Include info messages and passing products (text).")
def validate_cmd(targets, rule, no_content, no_product, no_context, no_context_mismatch_warnings, catalog, context_products,
                 offline, schema_hosts, allow_local_schematron, extensions, schemas, schematrons, jobs, scheduler,
                 report_file, fmt, as_json, strict_fields, max_reported, verbose_report) -> None:
    """Validate PDS4/PDS3 labels (files or folders) like NASA's validate, much faster.

    Exit status: 0 no errors, 1 errors found, 2 validation could not run.
    """
    from pathlib import Path

    from pdsgen.validate import report
    from pdsgen.validate.runner import Options, run

    if as_json:
        if fmt not in ("text", "json"):
            raise click.UsageError(f"--json and --format {fmt} contradict each other")
        fmt = "json"
    opts = Options(rule=rule, product=not no_product, content=not no_content, context=not no_context,
                   context_mismatch_warnings=not no_context_mismatch_warnings, catalog_path=catalog,
                   offline=offline, context_products=tuple(context_products), jobs=jobs,
                   label_extensions=tuple(extensions), schemas=tuple(schemas), schematrons=tuple(schematrons),
                   max_reported=max_reported, strict_fields=strict_fields, schema_hosts=tuple(schema_hosts),
                   allow_local_schematron=allow_local_schematron, scheduler=scheduler)
    progress = None
    if sys.stderr.isatty():
        from rich.progress import Progress

        progress = Progress(transient=True)
    if progress is not None:
        with progress:
            task = progress.add_task("validating", total=None)
            result = run(list(targets), opts,
                         on_progress=lambda done, total: progress.update(task, completed=done, total=total))
    else:
        result = run(list(targets), opts)
    text = {"json": report.to_json, "html": report.to_html}.get(fmt, None)
    out = text(result) if text else report.to_text(result, verbose=verbose_report)
    if report_file:
        from pdsgen.cli.app import write_output

        dest = Path(report_file)
        write_output(dest, out, "the report")
        if fmt != "text":
            s = report.summary(result)
            click.echo(f"{s['totalErrors']} error(s), {s['totalWarnings']} warning(s); report: {dest}", err=True)
    else:
        if fmt == "text" and sys.stdout.isatty() and not os.environ.get("NO_COLOR"):
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
