"""The `pdsgen` click group and its error handling: user errors print one line and exit
non-zero (2 for unusable input, 1 for findings), never a traceback."""

from __future__ import annotations

import logging
import sys

import click

from pdsgen import __version__
from pdsgen.errors import PdsgenError


class _Group(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except PdsgenError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            sys.exit(exc.exit_code)
        except (OSError, ValueError, KeyError) as exc:
            # Anything that escaped the readers' own checks still gets one clear line.
            click.secho(f"error: {type(exc).__name__}: {exc}", fg="red", err=True)
            sys.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pdsgen")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def main(verbose: int) -> None:
    """pdsgen: read, calibrate, write, validate and package PDS3/PDS4 products."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
