"""The NIC list: one two-line row per interface (index, type, source / model, MAC, badge)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from vifconf.tui.severity import severity_style
from vifconf.tui.widgets.rows import RowPatcher

if TYPE_CHECKING:
    from vifconf.model import Domain
    from vifconf.problems import Problem


def _clipped(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _row(key: tuple[int, str | None, str | None, str | None, str | None, int, int]) -> Option:
    index, kind, source, model, mac, errors, warnings = key
    row = Text(no_wrap=True, overflow="ellipsis")
    row.append(f"{index:>2} ", style="bold")
    row.append(f"{kind or '?':<9} " if len(kind or "?") >= 9 else f"{kind or '?':<9}")
    row.append(_clipped(source or "-", 16), style="italic")  # the badge after it stays in view
    if errors:
        row.append(f"  ✗{errors}", style=severity_style("error"))
    elif warnings:
        row.append(f"  !{warnings}", style=severity_style("warning"))
    row.append("\n   ")  # always two lines: RowPatcher relies on rows keeping their height
    model = _clipped(model or "default", 12)
    row.append(f"{model:<9}" if len(model) < 9 else model + " ")
    row.append(mac or "(mac generated)", style="dim" if not mac else "")
    return Option(row, id=f"nic-{index}")


class NicList(OptionList):
    """Up/Down/j/k move; the screen reacts to `NicList.Selected` (the highlighted NIC)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # no descriptions: the help lists these once, with the problems panel's (help.EXTRA_KEYS)
        Binding("down,j", "cursor_down", "", show=False, priority=True, id="nic-list.down"),
        Binding("up,k", "cursor_up", "", show=False, priority=True, id="nic-list.up"),
        Binding("home", "first", "", show=False, priority=True, id="nic-list.first"),
        Binding("end", "last", "", show=False, priority=True, id="nic-list.last"),
        Binding("pagedown", "page_down", "", show=False, priority=True, id="nic-list.page-down"),
        Binding("pageup", "page_up", "", show=False, priority=True, id="nic-list.page-up"),
        Binding("enter", "select", "Edit", show=False, priority=True, id="nic-list.edit",
                tooltip="edit the highlighted NIC"),
    ]
    """All priority bindings: Enter moves the focus as it arrives (see `action_select`), and
    the keys that move in the list must too, or in a burst (``down enter``) Enter would jump
    ahead of them: the form opened on the NIC before, and the Down went to its picker."""

    class Opened(Message):
        """Enter on a row: edit that NIC (the screen focuses the form)."""

    class Selected(Message):
        def __init__(self, index: int) -> None:
            self.index = index
            super().__init__()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows = RowPatcher()

    def show(self, domain: Domain, problems: list[Problem], selected: int) -> None:
        """Show the rows; only rows whose summary changed are rebuilt (64 NICs, per keystroke)."""
        counts: dict[int, list[int]] = {}
        for problem in problems:
            if problem.nic is not None:
                tally = counts.setdefault(problem.nic, [0, 0])
                tally[0 if problem.severity == "error" else 1] += 1
        keys: list[Hashable] = []
        for nic in domain.nics:
            errors, warnings = counts.get(nic.index, (0, 0))
            keys.append((nic.index, nic.type, nic.source, nic.model, nic.mac, errors, warnings))
        self._rows.apply(self, keys, lambda i: _row(keys[i]))  # type: ignore[arg-type]
        if keys:
            highlighted = max(0, min(selected, len(keys)) - 1)
            if self.highlighted != highlighted:
                self.highlighted = highlighted

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

    def action_select(self) -> None:
        """Enter: edit the highlighted NIC. A priority binding, told to the screen directly:
        keys typed right behind Enter (a burst over SSH) then reach the app after the form
        has the focus, so a `d` among them is no command there, instead of deleting the NIC
        (a plain binding runs only once Enter has bubbled up behind them)."""
        if self.highlighted is None:
            return
        self._announce()
        self.screen.post_message(self.Opened())

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._announce()
        self.post_message(self.Opened())
