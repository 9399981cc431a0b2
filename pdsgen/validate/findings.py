"""What a check reports: one `Finding` per problem, named with NASA validate's message types.

Message type names follow validate's (``error.label.schema``, ``error.table.records_mismatch``
…) so that users can compare the two tools line by line; the severity is the first dotted
component of the type.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from dataclasses import field as _dc_field
from typing import Any, Literal

Severity = Literal["error", "warning", "info", "debug"]


@dataclass(init=False)
class Finding:
    """One problem found in a label or its data.

    ``type`` is validate's message type (``error.label.schematron``); ``file`` the file the
    problem is in (a label or a data file); ``line``/``column`` 1-based where known;
    ``record``/``field`` 1-based for content findings; ``context`` an XPath-like location.
    """

    type: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    record: int | None = None
    field: int | None = None
    context: str | None = None
    #: validate reports some types under another severity (file_naming_problem: warning)
    severity_override: str | None = None
    extra: dict[str, Any] = _dc_field(default_factory=dict)

    def __init__(self, type: str, message: str, file: str | None = None, line: int | None = None,  # noqa: A002
                 column: int | None = None, record: int | None = None, field: int | None = None,
                 context: str | None = None, severity: str | None = None,
                 extra: dict[str, Any] | None = None):
        self.type, self.message, self.file, self.line, self.column = type, message, file, line, column
        self.record, self.field, self.context = record, field, context
        self.severity_override = severity
        self.extra = extra or {}

    @property
    def severity(self) -> str:
        return self.severity_override or self.type.split(".", 1)[0]

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in asdict(self).items() if v not in (None, {}, "")}
        d.pop("severity_override", None)
        d["severity"] = self.severity.upper()
        return d

    def __str__(self) -> str:
        where = self.file or ""
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        if self.record is not None:
            where += f" record {self.record}"
            if self.field is not None:
                where += f" field {self.field}"
        return f"{self.severity.upper()} [{self.type}] {where}: {self.message}".replace(" : ", ": ")


def error(type_: str, message: str, **kw: Any) -> Finding:
    """A finding whose type must be an ``error.*`` type (guards against typos)."""
    assert type_.startswith("error."), type_
    return Finding(type_, message, **kw)
