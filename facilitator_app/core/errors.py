"""Typed errors whose messages a facilitator can act on."""

from __future__ import annotations

from dataclasses import dataclass


class FieldKitError(Exception):
    """Base class: its message is shown to the user as is."""


@dataclass(frozen=True)
class FieldProblem:
    """One invalid value: which field, and what to do about it."""

    field: str
    message: str

    def __str__(self) -> str:
        return self.message


class ValidationError(FieldKitError):
    """One or more values are not acceptable; nothing was saved."""

    def __init__(self, problems: list[FieldProblem]):
        self.problems = list(problems)
        super().__init__("; ".join(p.message for p in self.problems))

    def for_field(self, field: str) -> list[str]:
        return [p.message for p in self.problems if p.field == field]


class NotFoundError(FieldKitError):
    """A practice, visit or strategy that the user named does not exist."""
