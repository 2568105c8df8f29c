"""The `?` help screen: every key, generated from the bindings themselves."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

EXTRA_KEYS: list[tuple[str, str]] = [
    ("tab/shift+tab", "move between the NIC list, the form, the problems and the preview"),
    ("up/down, j/k", "move in the NIC list and the problems panel (home/end, page up/down too)"),
    ("enter", "in the problems panel: jump to the NIC field the problem names"),
    ("enter/space", "on a picker: open it; type to search (e.g. 'netback' finds netfront)"),
    ("escape", "in the form: back to the NIC list"),
    ("left/right", "on the preview's tab bar: switch the tab"),
    ("ctrl+p", "command palette: every action by name"),
    ("dialogs", "each button shows its key (Save [y], Cancel [n], …); enter takes the focused one, "
                "escape cancels; page up/down scroll the save dialog's diff"),
]
"""Keys no binding lists. Each fits the 14-column key column at 80×24; the place it works
in goes in the description."""


FLEET_EXTRA_KEYS: list[tuple[str, str]] = [
    ("enter", "open the highlighted NIC in the editor (b, or escape twice, comes back here)"),
    ("up/down, j/k", "move in the table; the pane under it shows the row whole"),
    ("left/right", "scroll the columns after the NIC number, a column at a time (home/end: all the way)"),
    ("ctrl+p", "command palette: every action by name"),
]
"""The fleet table's keys no binding lists."""


def _key_name(key: str) -> str:
    return " / ".join(part.strip() for part in key.split(","))


def binding_rows(groups: Iterable[tuple[str, list[BindingType]]]) -> list[tuple[str, str, str]]:
    rows = []
    for group, bindings in groups:
        for binding in bindings:
            if isinstance(binding, Binding) and binding.description:
                key = _key_name(binding.key_display or binding.key)
                rows.append((group, key, binding.tooltip or binding.description))
    return rows


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "close", "Close help", id="help.close"),
    ]

    def __init__(self, groups: list[tuple[str, list[BindingType]]],
                 extra: list[tuple[str, str]] | None = None) -> None:  # fmt: skip
        super().__init__(id="help-screen")
        self.groups = groups
        self.extra = EXTRA_KEYS if extra is None else extra

    def rows(self) -> list[tuple[str, str, str]]:
        """Where, key, what it does: the bindings', then the keys no binding lists."""
        return binding_rows(self.groups) + [("", key, description) for key, description in self.extra]

    def compose(self) -> ComposeResult:
        table = Table(box=None, expand=True, show_header=True, pad_edge=False)
        table.add_column("where", style="dim", no_wrap=True, width=8)
        table.add_column("key", style="bold", no_wrap=True, width=14)
        table.add_column("does", ratio=1)
        # Text, not str: Rich would read "[y]" in a description as markup and drop it
        for group, key, description in self.rows():
            table.add_row(Text(group), Text(key), Text(description))
        with VerticalScroll(id="help-box"):
            yield Label("vifconf keys  (escape closes)", classes="dialog-title")
            yield Static(table)

    def action_close(self) -> None:
        self.dismiss(None)
