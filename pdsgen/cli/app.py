"""The `pdsgen` click group and its error contract (the table in the README):

- pdsgen's own errors (`pdsgen.errors.PdsgenError` and subclasses) print one line
  ``error: FILE: object 'NAME': problem`` and exit with the error's status (2 for
  unusable input, 1 for findings or failed products);
- usage errors (bad options, a label path that is a folder) print one line and exit 2;
- anything else is a bug: one line ``internal error, please report: …`` naming a log file
  that holds the traceback, exit 3. Never a bare traceback.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from pdsgen import __version__
from pdsgen.errors import PdsgenError

#: exit status of an internal error (a bug in pdsgen, not bad input)
EXIT_INTERNAL = 3
#: exit status of a usage error (as click's own)
EXIT_USAGE = 2


@contextlib.contextmanager
def unusable_input() -> Iterator[None]:
    """For commands whose only failure is input they cannot use (inspect's label, export,
    resolve): any pdsgen error inside exits 2, whatever its class's default."""
    try:
        yield
    except PdsgenError as exc:
        exc.exit_code = EXIT_USAGE
        raise


class OutputError(PdsgenError):
    """An output file a command cannot write (no such folder, permission, disk full)."""

    exit_code = EXIT_USAGE


def write_output(dest: Path, text: str, what: str) -> None:
    """Write a command's text output (a report, a recipe) to ``dest`` atomically: a temporary
    name in the same folder, fsync, rename. A device or pipe (``/dev/stdout``) is written in
    place, never replaced. A failed write is one `OutputError` line naming ``dest`` and
    leaves no partial file."""
    import stat

    try:
        special = dest.exists() and not stat.S_ISREG(dest.stat().st_mode)
    except OSError:
        special = False
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        if special:
            with open(dest, "w", encoding="utf-8") as fh:
                fh.write(text)
            return
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {what}: {exc.strerror or exc}", path=str(dest)) from None


def log_dir() -> Path:
    """Where internal-error tracebacks go: ``$PDSGEN_LOG_DIR``, else the user cache
    (``$XDG_CACHE_HOME/pdsgen/logs``, default ``~/.cache/pdsgen/logs``)."""
    if os.environ.get("PDSGEN_LOG_DIR"):
        return Path(os.environ["PDSGEN_LOG_DIR"])
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "pdsgen" / "logs"


def write_internal_error_log(exc: BaseException, argv: list[str] | None = None) -> Path | None:
    """Write the traceback of ``exc`` to a new log file and return its path (``None`` when
    no folder is writable: the one-line message then says so)."""
    text = (f"pdsgen {__version__}, Python {sys.version.split()[0]}\n"
            f"command: {' '.join(argv if argv is not None else sys.argv)}\n\n"
            + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    stamp = time.strftime("%Y%m%dT%H%M%S")
    for folder in (log_dir(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f"pdsgen-internal-error-{stamp}-", suffix=".log", dir=folder)
            with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as fh:
                fh.write(text)
            return Path(name)
        except OSError:
            continue
    return None


def internal_error_line(exc: BaseException, log: Path | None) -> str:
    """The one line printed for a bug: short, with the log file holding the details."""
    short = " ".join(f"{type(exc).__name__}: {exc}".split())
    if len(short) > 200:
        short = short[:197] + "..."
    where = f"details in {log}" if log is not None else "no log file could be written"
    return f"internal error, please report: {short} ({where})"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PdsgenError as exc:
            click.secho(f"error: {error_line(exc)}", fg="red", err=True)
            sys.exit(exc.exit_code)
        except click.UsageError as exc:
            # Bad options or arguments (a label path that is a folder, a missing argument):
            # one line with where to find help, instead of click's four-line usage block.
            command = exc.ctx.command_path if exc.ctx is not None else ctx.command_path
            click.secho(f"error: {command}: {_one_line(exc.format_message())} "
                        f"(see '{command} --help')", fg="red", err=True)
            sys.exit(EXIT_USAGE)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - anything else is a bug: log it, one line
            _internal(exc)


def error_line(exc: PdsgenError) -> str:
    """``exc`` as the one line the CLI prints (a shorthand error's caret display, three
    lines in the library, becomes "at character N: 'text'")."""
    from pdsgen.errors import ShorthandError

    if isinstance(exc, ShorthandError) and exc.position is not None:
        return _one_line(f"{exc.message} at character {exc.position + 1}: {exc.text!r}")
    return _one_line(str(exc))


def quiet_requested() -> bool:
    """True when ``pdsgen -q COMMAND`` was given: commands drop notes and progress."""
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root() if ctx is not None else None
    return bool(root is not None and isinstance(root.obj, dict) and root.obj.get("quiet"))


def _internal(exc: BaseException) -> None:
    log = write_internal_error_log(exc)
    click.secho(f"error: {internal_error_line(exc, log)}", fg="red", err=True)
    sys.exit(EXIT_INTERNAL)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pdsgen")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="No notes, progress or log output: errors and summaries only.")
@click.pass_context
def main(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """pdsgen: read, calibrate, write, validate and package PDS3/PDS4 products."""
    ctx.obj = {"quiet": quiet}
    level = logging.ERROR if quiet else logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
