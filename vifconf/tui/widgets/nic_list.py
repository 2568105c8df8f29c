"""The NIC list: one two-line row per interface (index, type, source / model, MAC, badge)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

if TYPE_CHECKING:
    from vifconf.model import Domain
    from vifconf.problems import Problem


class NicList(OptionList):
    """Up/Down/j/k move; the screen reacts to `NicList.Selected` (the highlighted NIC)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="nic-list.down", tooltip="next NIC"),
        Binding("k", "cursor_up", "Up", show=False, id="nic-list.up", tooltip="previous NIC"),
    ]

    class Opened(Message):
        """Enter on a row: edit that NIC (the screen focuses the form)."""

    class Selected(Message):
        def __init__(self, index: int) -> None:
            self.index = index
            super().__init__()

    def show(self, domain: Domain, problems: list[Problem], selected: int) -> None:
        """Rebuild the rows (cheap: a domain has a handful of NICs, 64 at the very most)."""
        by_nic: dict[int, list[Problem]] = {}
        for problem in problems:
            if problem.nic is not None:
                by_nic.setdefault(problem.nic, []).append(problem)
        options = []
        for nic in domain.nics:
            found = by_nic.get(nic.index, [])
            errors = sum(1 for p in found if p.severity == "error")
            warnings = len(found) - errors
            row = Text(no_wrap=True, overflow="ellipsis")
            row.append(f"{nic.index:>2} ", style="bold")
            row.append(f"{nic.type or '?':<9}")
            row.append(nic.source or "-", style="italic")
            if errors:
                row.append(f"  ✗{errors}", style="bold red")
            elif warnings:
                row.append(f"  !{warnings}", style="yellow")
            row.append("\n   ")
            row.append(f"{nic.model or 'default':<9}")
            row.append(nic.mac or "(mac generated)", style="dim" if not nic.mac else "")
            options.append(Option(row, id=f"nic-{nic.index}"))
        self.set_options(options)
        if options:
            self.highlighted = max(0, min(selected, len(options)) - 1)

    # Only user moves select a NIC: programmatic highlights (show()) must not echo back.
    def _announce(self) -> None:
        if self.highlighted is not None:
            option = self.get_option_at_index(self.highlighted)
            if option.id:
                self.post_message(self.Selected(int(option.id.removeprefix("nic-"))))

    def action_cursor_down(self) -> None:
        super().action_cursor_down()
        self._announce()

    def action_cursor_up(self) -> None:
        super().action_cursor_up()
        self._announce()

    def action_first(self) -> None:
        super().action_first()
        self._announce()

    def action_last(self) -> None:
        super().action_last()
        self._announce()

    def action_page_down(self) -> None:
        super().action_page_down()  # type: ignore[no-untyped-call]
        self._announce()

    def action_page_up(self) -> None:
        super().action_page_up()  # type: ignore[no-untyped-call]
        self._announce()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._announce()
        self.post_message(self.Opened())
