"""All validation problems of the domain; Enter jumps to the NIC field it names."""

from __future__ import annotations

from collections.abc import Hashable

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from vifconf.problems import Problem
from vifconf.tui.severity import severity_style
from vifconf.tui.widgets.rows import RowPatcher

_BADGE = {"error": "✗ ", "warning": "! ", "info": "i "}


def _row(problem: Problem) -> Option:
    row = Text()
    row.append(_BADGE.get(problem.severity, "  "), style=severity_style(problem.severity))
    where = f"NIC {problem.nic}" if problem.nic is not None else "domain"
    if problem.field:
        where += f" {problem.field}"
    row.append(where + ": ", style="bold")
    row.append(problem.message)
    if problem.target:
        row.append(f" [{problem.target}]", style="dim")
    return Option(row)


def _EMPTY_ROW() -> Option:
    return Option(Text("no problems found", style="dim"), disabled=True)


class ProblemsPanel(OptionList):
    class Jump(Message):
        def __init__(self, problem: Problem) -> None:
            self.problem = problem
            super().__init__()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.problems: list[Problem] = []
        self._rows = RowPatcher()

    def show(self, problems: list[Problem]) -> None:
        """Show the problems; rows that did not change are kept (only edited rows re-render)."""
        if problems == self.problems and self.option_count:
            return
        self.problems = list(problems)
        highlighted = self.highlighted
        keys: list[Hashable] = list(problems) if problems else [None]
        self._rows.apply(self, keys, lambda i: _row(problems[i]) if problems else _EMPTY_ROW())
        if problems and highlighted is not None and self.highlighted != min(highlighted, len(problems) - 1):
            self.highlighted = min(highlighted, len(problems) - 1)
        self.border_title = f"Problems ({len(problems)})"
        self._show_hint(self.highlighted)

    def on_focus(self) -> None:
        """Land on the first problem, so the first Enter already jumps (the help says so)."""
        if self.problems and self.highlighted is None:
            self.highlighted = 0

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        """The highlighted problem's hint under the list (the command line prints it; the UI
        showed only the message)."""
        event.stop()
        self._show_hint(event.option_index)

    def _show_hint(self, index: int | None) -> None:
        problem = self.problems[index] if index is not None and 0 <= index < len(self.problems) else None
        self.border_subtitle = f"hint: {problem.hint}" if problem is not None and problem.hint else ""

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self.problems):
            self.post_message(self.Jump(self.problems[event.option_index]))
