"""NASA validate's configuration file (``validate -c FILE``) as `pdsgen validate` options.

validate reads a Java properties file through Apache commons-configuration 1.x
(``PropertiesConfiguration`` with ``,`` as the list delimiter) and maps the keys of its
``ConfigKey`` class onto the same settings as its command-line flags
(``ValidateLauncher.query(File)``). Here the file becomes the equivalent argument list,
inserted where ``-c FILE`` stood, so that one option parser serves both.

The reader is written by hand: the PyPI readers of ``.properties`` files implement
``java.util.Properties`` (no list values, no repeated keys), while validate's files rely on
commons-configuration's ``a, b`` lists and keys given several times.

What validate itself does and pdsgen keeps: targets in the file count only when the command
line gives none; ``validate.catalog`` is not read from the file (validate's ``query(File)``
never looks at it: give ``-C``), and a key given with a value of ``false`` still turns
``validate.ignoreProductValidation`` and ``validate.allowUnlabeledFiles`` on (validate tests
only that the key is there). One difference: validate sets the label extension to the key's
name instead of its value (a bug); pdsgen uses the value.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

#: commons-lang BooleanUtils.toBooleanObject spellings (commons-configuration's getBoolean)
_TRUE = {"true", "yes", "on", "y", "t"}
_FALSE = {"false", "no", "off", "n", "f"}


def read_properties(path: Path) -> dict[str, list[str]]:
    """Key → values of a properties file as commons-configuration 1.x reads it: ``#``/``!``
    comments, ``=``/``:``/blank separators, ``\\`` line continuations, ``,`` list values
    (``\\,`` is a comma), each value trimmed, a key given again adds its values."""
    text = path.read_text(encoding="latin-1")  # java.util.Properties' encoding
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip() if not pending else raw.lstrip()
        if not pending and (not line or line[0] in "#!"):
            continue
        trailing = len(line) - len(line.rstrip("\\"))
        if trailing % 2:  # an odd number of backslashes continues the line
            pending += line[:-1]
            continue
        logical.append(pending + line)
        pending = ""
    if pending:
        logical.append(pending)
    out: dict[str, list[str]] = {}
    for line in logical:
        key, value = _split_key(line)
        out.setdefault(key, []).extend(_list_values(value))
    return out


def _split_key(line: str) -> tuple[str, str]:
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "\\":
            i += 2
            continue
        if ch in "=: \t\f":
            key, rest = line[:i], line[i:].lstrip(" \t\f")
            if ch in " \t\f" and rest[:1] in ("=", ":"):
                rest = rest[1:].lstrip(" \t\f")
            elif ch in "=:":
                rest = rest[1:].lstrip(" \t\f")
            return _unescape(key), rest
        i += 1
    return _unescape(line), ""


def _list_values(value: str) -> list[str]:
    parts, cur, i = [], [], 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value) and value[i + 1] == ",":
            cur.append(",")
            i += 2
            continue
        if ch == ",":
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    parts.append("".join(cur))
    return [_unescape(p.strip()) for p in parts]


_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f", "\\": "\\", '"': '"', "'": "'", "=": "=", ":": ":",
            " ": " ", "#": "#", "!": "!"}


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "u" and i + 6 <= len(text):
                try:
                    out.append(chr(int(text[i + 2 : i + 6], 16)))
                    i += 6
                    continue
                except ValueError:
                    pass
            out.append(_ESCAPES.get(nxt, "\\" + nxt))  # an unknown escape keeps its backslash
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _unquoted(values: list[str]) -> list[str]:
    """validate's Utility.removeQuotes: surrounding double quotes dropped."""
    return [v[1:-1] if len(v) >= 2 and v[0] == v[-1] == '"' else v for v in values]


def _boolean(path: Path, key: str, values: list[str]) -> bool:
    word = values[-1].strip().lower() if values else ""
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise click.UsageError(f"{path}: {key} = {values[-1] if values else ''!r} is not a boolean (true/false)")


def _number(path: Path, key: str, values: list[str]) -> str:
    word = values[-1].strip() if values else ""
    try:
        int(word)
    except ValueError:
        raise click.UsageError(f"{path}: {key} = {word!r} is not a whole number") from None
    return word


#: validate's configuration key → the arguments it stands for (from its values)
_Expand = Callable[[Path, str, list[str]], list[str]]


def _flag_if_true(flag: str) -> _Expand:
    return lambda p, k, v: [flag] if _boolean(p, k, v) else []


def _each(flag: str) -> _Expand:
    return lambda p, k, v: [t for value in _unquoted(v) if value for t in (flag, value)]


def _last(flag: str) -> _Expand:
    return lambda p, k, v: [flag, v[-1]] if v and v[-1] else []


KEYS: dict[str, _Expand] = {
    "validate.report": _last("--report-file"),
    "validate.target": _each("--config-target"),
    "validate.verbose": lambda p, k, v: ["--verbose", _number(p, k, v)],
    "validate.schema": _each("--schema"),
    "validate.schematron": _each("--schematron"),
    "validate.local": _flag_if_true("--local"),
    "validate.reportStyle": _last("--report-style"),
    "validate.checksum": _last("--checksum-manifest"),
    "validate.basePath": _last("--base-path"),
    "validate.rule": _last("--rule"),
    "validate.noDataCheck": _flag_if_true("--skip-content-validation"),
    "validate.skipContentValidation": _flag_if_true("--skip-content-validation"),
    "validate.skipContextReferenceCheck": _flag_if_true("--skip-context-reference-check"),
    "validate.checkInbetweenFields": _flag_if_true("--strict-field-checks"),
    "validate.ignoreProductValidation": lambda p, k, v: ["--skip-product-validation"],
    "validate.maxErrors": lambda p, k, v: ["--max-errors", _number(p, k, v)],
    "validate.everyN": lambda p, k, v: ["--everyN", _number(p, k, v)],
    "validate.spotCheckData": lambda p, k, v: ["--spot-check-data", _number(p, k, v)],
    "validate.allowUnlabeledFiles": lambda p, k, v: ["--allow-unlabeled-files"],
    "validate.updateContextProducts": lambda p, k, v: ["--update-context-products"],
    "validate.addContextProducts": _last("--add-context-products"),
    "validate.skipContextValidation": _flag_if_true("--skip-context-validation"),
    "validate.targetManifest": _last("--target-manifest"),
    "validate.extension": _each("--label-extension"),
    # deprecated by validate (its issue 23): read and ignored, as validate does
    "validate.model": lambda p, k, v: [],
    "validate.force": lambda p, k, v: [],
}
#: keys validate's configuration reader does not look at (said once on standard error)
IGNORED = {"validate.catalog": "give catalogs with -C (validate does not read validate.catalog from a "
                                   "configuration file either)"}


def config_arguments(path_text: str) -> list[str]:
    """The command-line arguments a validate configuration file stands for (click.UsageError,
    exit 2, when it is missing, empty or has a value of the wrong kind)."""
    path = Path(path_text)
    if not path.is_file():
        raise click.UsageError(f"Configuration file does not exist: {path}")
    try:
        props = read_properties(path)
    except OSError as exc:
        raise click.UsageError(f"{path}: {exc.strerror}") from None
    if not props:
        raise click.UsageError(f"Configuration file is empty: {path}")
    out: list[str] = []
    for key, values in props.items():
        expand = KEYS.get(key)
        if expand is not None:
            out += expand(path, key, values)
        elif key in IGNORED:
            click.echo(f"warning: {path}: {key} ignored: {IGNORED[key]}", err=True)
        else:
            click.echo(f"warning: {path}: unknown key {key!r} ignored", err=True)
    return out
