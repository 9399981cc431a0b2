"""The ``--map FILE`` (TOML) of `pdsgen migrate`: what a PDS3 label cannot say.

```toml
[lid]
pattern = "{bundle}:{collection}:{product_id}"   # {bundle} {collection} {product_id} {data_set_id} {stem}

[product]
processing_level = "Derived"     # default: Raw / Partially Processed / Calibrated / Derived from DATA_SET_ID level
purpose = "Science"
discipline = "Atmospheres"       # Science_Facets/discipline_name
title = "..."                    # default PRODUCT_NAME, else "<DATA_SET_ID> <PRODUCT_ID>"

[context]                        # LIDs used instead of the registered-name look-up
investigation = "urn:nasa:pds:context:investigation:mission.x"
instrument_host = "..."
instrument = "..."
target = "..."
target_type = "Asteroid"       # a PDS4 Target_Identification type (the Schematron's list)

[keywords]                       # PDS3 keyword values used instead of the label's
TARGET_NAME = "MARS"
MISSION_NAME = "2001 MARS ODYSSEY"

[units]                          # PDS3 UNIT spelling → PDS4 unit
"DEGREES NORTH" = "deg"
```
"""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pdsgen.errors import LabelError
from pdsgen.migrate.vocabulary import TARGET_TYPES

_SECTIONS = {"lid": {"pattern"},
             "product": {"processing_level", "purpose", "discipline", "title"},
             "context": {"investigation", "instrument_host", "instrument", "target", "target_type"},
             "keywords": None, "units": None}
PROCESSING_LEVELS = ("Raw", "Telemetry", "Partially Processed", "Calibrated", "Derived")


_PATTERN_FIELDS = ("bundle", "collection", "product_id", "data_set_id", "stem")


def _parses(pattern: Any) -> bool:
    try:
        return isinstance(pattern, str) and all(spec == "" and conv is None for _t, _f, spec, conv
                                                in string.Formatter().parse(pattern))
    except ValueError:
        return False


def _lid_problem(lid: Any) -> str | None:
    """Why ``lid`` is not a PDS4 LID (`pdsgen.render.ids.check_lid`), or None."""
    from pdsgen.render.ids import check_lid

    try:
        check_lid(lid)
    except LabelError as exc:
        return exc.message
    return None


@dataclass(frozen=True)
class MigrationMap:
    lid_pattern: str = "{bundle}:{collection}:{product_id}"
    product: dict[str, str] = field(default_factory=dict)
    context: dict[str, str] = field(default_factory=dict)
    keywords: dict[str, Any] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path | None) -> MigrationMap:
        if path is None:
            return cls()
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise LabelError(f"cannot read the map file: {exc}", path=str(p)) from exc
        except tomllib.TOMLDecodeError as exc:
            raise LabelError(f"not TOML: {exc}", path=str(p)) from exc
        for section, value in data.items():
            if section not in _SECTIONS:
                raise LabelError(f"unknown section [{section}] (known: {', '.join(_SECTIONS)})", path=str(p))
            if not isinstance(value, dict):
                raise LabelError(f"[{section}] must be a table", path=str(p))
            known = _SECTIONS[section]
            if known is not None:
                for key, v in value.items():
                    if key not in known:
                        raise LabelError(f"[{section}] has unknown key {key!r} (known: {', '.join(sorted(known))})",
                                         path=str(p))
                    if not isinstance(v, str):
                        raise LabelError(f"[{section}] {key} must be a string", path=str(p))
        level = data.get("product", {}).get("processing_level")
        if level is not None and level not in PROCESSING_LEVELS:
            raise LabelError(f"[product] processing_level {level!r} is not one of {', '.join(PROCESSING_LEVELS)}",
                             path=str(p))
        target_type = data.get("context", {}).get("target_type")
        if target_type is not None and target_type not in TARGET_TYPES:
            raise LabelError(f"[context] target_type {target_type!r} is not a PDS4 target type (one of "
                             f"{', '.join(sorted(TARGET_TYPES))})", path=str(p))
        for kind, lid in data.get("context", {}).items():
            if kind != "target_type":
                problem = _lid_problem(lid)
                if problem:
                    raise LabelError(f"[context] {kind}: {problem}", path=str(p))
        for key, value in data.get("keywords", {}).items():
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                raise LabelError(f"[keywords] {key} must be a string or a number, not {value!r}", path=str(p))
        for key, value in data.get("units", {}).items():
            if not isinstance(value, str):
                raise LabelError(f"[units] {key!r} must be a string, not {value!r}", path=str(p))
        pattern = data.get("lid", {}).get("pattern", cls.lid_pattern)
        fields = [f for _text, f, _spec, _conv in string.Formatter().parse(pattern) if f is not None] \
            if _parses(pattern) else None
        if fields is None or any(f not in _PATTERN_FIELDS for f in fields):
            raise LabelError(f"[lid] pattern {pattern!r}: only the fields {{{'}, {'.join(_PATTERN_FIELDS)}}} "
                             "may be used (no attributes, indexes or formats)", path=str(p))
        problem = _lid_problem(pattern.format(bundle="urn:nasa:pds:b", collection="c", product_id="p",
                                              data_set_id="d", stem="s"))
        if problem:
            raise LabelError(f"[lid] pattern {pattern!r} does not give a LID: {problem}", path=str(p))
        return cls(lid_pattern=pattern, product=dict(data.get("product", {})),
                   context=dict(data.get("context", {})),
                   keywords={str(k).upper(): v for k, v in data.get("keywords", {}).items()},
                   units={str(k): str(v) for k, v in data.get("units", {}).items()})
