"""Problems: the one currency validation and renderers pay in.

Every check in vifconf ends as a `Problem`; the CLI prints them, `--json` serialises them
exactly as ``shared/spec/cli-json.md`` says, and the TUI lists them. Keeping one type means a
renderer's refusal ("xend cannot carry this") and a validator's finding look the same to users.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "info"]

SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class Problem:
    code: str
    severity: Severity
    message: str
    nic: int | None = None
    field: str | None = None
    hint: str | None = None
    line: int | None = None
    target: str | None = None
    """The render target that raised it (``None`` for target-independent checks)."""

    def as_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "nic": self.nic,
            "field": self.field,
            "message": self.message,
            "hint": self.hint,
            "line": self.line,
        }


def has_errors(problems: list[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)


def sort_problems(problems: list[Problem]) -> list[Problem]:
    """Domain-level first, then by NIC, then by severity, keeping insertion order otherwise."""
    return sorted(
        problems,
        key=lambda p: (p.nic if p.nic is not None else 0, SEVERITY_ORDER[p.severity]),
    )
