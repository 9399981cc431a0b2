"""Error types. Every error pdsgen raises on bad input names the file, the object and
the problem, so that the CLI can print one line and exit non-zero instead of a traceback."""

from __future__ import annotations


class PdsgenError(Exception):
    """Base of all errors pdsgen reports to users (the CLI prints these without traceback)."""

    exit_code = 1

    def __init__(self, message: str, *, path: str | None = None, obj: str | None = None):
        self.message = message
        self.path = str(path) if path is not None else None
        self.obj = obj
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.path:
            where.append(self.path)
        if self.obj:
            where.append(f"object {self.obj!r}")
        prefix = ": ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class LabelError(PdsgenError):
    """A label that cannot be parsed or does not describe its data consistently."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        obj: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ):
        self.line = line
        self.column = column
        super().__init__(message, path=path, obj=obj)

    def __str__(self) -> str:
        where = self.path or "<label>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        if self.obj:
            where += f": object {self.obj!r}"
        return f"{where}: {self.message}"


class DataError(PdsgenError):
    """Data bytes that do not match what the label says (short file, bad value, ...)."""


class UnsupportedError(PdsgenError):
    """A valid construct pdsgen does not handle; says so instead of guessing."""


class ShorthandError(PdsgenError):
    """Malformed dp:/cdp: shorthand text; `position` is the offending character index."""

    exit_code = 2

    def __init__(self, message: str, *, text: str = "", position: int | None = None):
        self.text = text
        self.position = position
        super().__init__(message)

    def __str__(self) -> str:
        if self.position is None:
            return f"{self.message}: {self.text!r}" if self.text else self.message
        pointer = " " * self.position + "^"
        return f"{self.message} at character {self.position + 1}\n  {self.text}\n  {pointer}"


class ResolutionError(PdsgenError):
    """A shorthand reference that matches no record, or several where one is needed."""

    exit_code = 2


class RecipeError(PdsgenError):
    """A recipe that is malformed or whose inputs do not fit."""

    exit_code = 2


class TemplateError(PdsgenError):
    """A label template mistake (undefined variable, syntax), naming template and line."""

    exit_code = 2


class ValidationRunError(PdsgenError):
    """Validation could not run at all (unresolvable schema, bad catalog): exit status 2."""

    exit_code = 2
