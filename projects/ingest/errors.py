"""Errors a person can act on when a task file is refused."""

from __future__ import annotations

from dataclasses import dataclass

from projects.errors import InputRefused


@dataclass(frozen=True)
class RowError:
    file: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ImportRefused(InputRefused):
    """The file was refused as a whole; nothing was written."""

    def __init__(self, errors: list[RowError], more: bool = False) -> None:
        self.errors = errors
        self.more = more
        lines = [str(error) for error in errors]
        if more:
            lines.append("... more errors not shown; fix these and import again.")
        super().__init__("\n".join(lines))

    def details(self) -> dict:
        rows = [{"file": row.file, "line": row.line, "field": row.field, "message": row.message} for row in self.errors]
        return {"errors": rows, "more": self.more}
