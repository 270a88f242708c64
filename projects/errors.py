"""Refusals: errors a person can act on, raised by use cases and rendered once per interface.

A use case that will not do what was asked raises a `Refusal` (or a subclass named for the
use case) whose message says what was refused and why, in words for the person who asked:
the file, line and field; the server, project and reason. Each interface renders it once:
the API as a 4xx (or 502 for an outside server) with the message (projects/api/errors.py),
the admin as an error message (projects/admin/refusals.py), a command as a CommandError
(projects/management/base.py). Anything else is a bug and surfaces as one.
"""

from __future__ import annotations


class Refusal(Exception):
    """A request annotate will not carry out, for a reason the person who asked can act on."""

    # The request was understood; the state of things refuses it. Bad input says 400, an
    # outside server that failed says 502.
    http_status = 409

    def details(self) -> dict:
        """What the API adds beside the message (e.g. the rows of a refused file)."""
        return {}


class InputRefused(Refusal):
    """What was sent cannot be used as it is (a file, a field, an option)."""

    http_status = 400


class OutsideFailure(Refusal):
    """A server annotate depends on failed or refused; the message names it and why."""

    http_status = 502
