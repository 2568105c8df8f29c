"""All validation problems of the domain; Enter jumps to the NIC field it names."""

from __future__ import annotations

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from vifconf.problems import Problem

_BADGE = {"error": ("✗ ", "bold red"), "warning": ("! ", "yellow"), "info": ("i ", "cyan")}


class ProblemsPanel(OptionList):
    class Jump(Message):
        def __init__(self, problem: Problem) -> None:
            self.problem = problem
            super().__init__()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.problems: list[Problem] = []

    def show(self, problems: list[Problem]) -> None:
        if problems == self.problems and self.option_count:
            return
        self.problems = list(problems)
        highlighted = self.highlighted
        options = []
        for problem in problems:
            badge, style = _BADGE.get(problem.severity, ("  ", ""))
            row = Text()
            row.append(badge, style=style)
            where = f"NIC {problem.nic}" if problem.nic is not None else "domain"
            if problem.field:
                where += f" {problem.field}"
            row.append(where + ": ", style="bold")
            row.append(problem.message)
            if problem.target:
                row.append(f" [{problem.target}]", style="dim")
            options.append(Option(row))
        if not options:
            options.append(Option(Text("no problems found", style="dim"), disabled=True))
        self.set_options(options)
        if problems and highlighted is not None:
            self.highlighted = min(highlighted, len(problems) - 1)
        self.border_title = f"Problems ({len(problems)})"

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self.problems):
            self.post_message(self.Jump(self.problems[event.option_index]))
