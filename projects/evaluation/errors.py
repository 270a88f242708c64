"""Why an evaluation was refused: the refusal every evaluation use case raises, and the one for a predictions file.

`EvaluationRefused` says what could not be done (wrong control, unreachable model, runs on different items, bad
cases already sent); `PredictionFileError` lists every problem of a predictions file by file, line and field.
"""

from __future__ import annotations

from projects.errors import Refusal

PROBLEMS_SHOWN = 20


class EvaluationRefused(Refusal):
    """An evaluation that cannot be done as asked (wrong control, unreachable model, ...); the message says why."""


class PredictionFileError(EvaluationRefused):
    """A predictions file with problems; each names the file, the line and the field. Nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        shown = problems[:PROBLEMS_SHOWN]
        more = f"\n… and {len(problems) - PROBLEMS_SHOWN} more" if len(problems) > PROBLEMS_SHOWN else ""
        super().__init__(
            f"{len(problems)} problem(s) in the predictions; nothing was written:\n" + "\n".join(shown) + more
        )
        self.problems = problems
