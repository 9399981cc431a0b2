"""`pdsgen resolve REFERENCE --dp ... --cdp ...`: print what a dp:/cdp: reference points at."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from pdsgen.cli.app import main

if TYPE_CHECKING:
    from pdsgen.shorthand import Source


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    out = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{item!r}: expected NAME=VALUE", param_hint=option)
        out[name.strip()] = value
    return out


def _value(text: str) -> int | float | str:
    """--var values: numbers become numbers, "quoted" stays text."""
    stripped = text.strip()
    if len(stripped) >= 2 and stripped[0] == stripped[-1] == '"':
        return stripped[1:-1]
    for kind in (int, float):
        try:
            return kind(stripped)
        except ValueError:
            pass
    return stripped


def _plain(value: object) -> int | float | str | bool | None:
    import numpy as np

    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None  # NaN → JSON null
    return value if isinstance(value, (int, float, str, bool)) or value is None else str(value)


@main.command("resolve")
@click.argument("reference")
@click.option("--dp", "dps", multiple=True, type=click.Path(dir_okay=False), help="Data product (label or CSV); repeatable.")
@click.option("--cdp", "cdps", multiple=True, type=click.Path(dir_okay=False), help="Calibration file (label or CSV); repeatable.")
@click.option("--var", "var", multiple=True, metavar="NAME=VALUE", help="Bind a variable to a value.")
@click.option("--bind", "bind", multiple=True, metavar="NAME=COLUMN", help="Bind a variable per record to a column of the data product.")
@click.option("--latest", multiple=True, metavar="NAME", help="Match this variable 'latest at or before' (validity starts).")
@click.option("--sensor", "sensors", multiple=True, metavar="FILE=SENSOR", help="Say which sensor data type a file holds.")
@click.option("--object", "object_name", metavar="NAME", help="Table object of labelled files (default: the first table).")
@click.option("--ignore-case", is_flag=True, help="Compare text row values case-insensitively.")
@click.option("--one", is_flag=True, help="Need exactly one record even for a dp reference.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def resolve_command(reference: str, dps: tuple[str, ...], cdps: tuple[str, ...], var: tuple[str, ...],
                    bind: tuple[str, ...], latest: tuple[str, ...], sensors: tuple[str, ...], object_name: str | None,
                    ignore_case: bool, one: bool, as_json: bool) -> None:
    """Resolve a MIMI dp:/cdp: shorthand REFERENCE and print its values, one per line.

    \b
    pdsgen resolve 'CPHA:cdf:step_(step)_E/Q(keV/e)' --cdp CHEMS_PHA_CAL_V01.LBL --var step=3
    pdsgen resolve 'CPHA:cdf:step_(step)_E/Q(keV/e)' --dp CPHA0_2004183_0001.LBL \\
        --cdp CHEMS_PHA_CAL_V01.LBL --bind step=DPPS_Level --json
    """
    import json
    from pathlib import Path

    from pdsgen.shorthand import load_source, resolve
    from pdsgen.shorthand.grammar import format_value

    overrides = {Path(k).name: v for k, v in _pairs(sensors, "--sensor").items()}
    unknown = set(overrides) - {Path(p).name for p in (*dps, *cdps)}
    if unknown:
        raise click.BadParameter(f"{sorted(unknown)} not among --dp/--cdp files", param_hint="--sensor")

    def load(path: str) -> Source:
        return load_source(path, sensor=overrides.get(Path(path).name), object_name=object_name)

    from pdsgen.cli.app import unusable_input

    with unusable_input():  # a data file that cannot be read is unusable input too (exit 2)
        result = resolve(
            reference,
            dp=[load(p) for p in dps],
            cdp=[load(p) for p in cdps],
            variables={k: _value(v) for k, v in _pairs(var, "--var").items()},
            bind=_pairs(bind, "--bind"),
            latest=latest,
            one=one,
            fold_case=ignore_case,
        )
    values = result.values.reshape(-1)
    if as_json:
        click.echo(json.dumps([_plain(v) for v in values.tolist()]))
    else:
        click.echo("\n".join(format_value(v) if not isinstance(v, float) else repr(v) for v in values.tolist()))
