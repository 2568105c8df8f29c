"""The save confirmation: the XML diff of what will be written, then yes / no."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from vifconf.diff import diff_stats
from vifconf.tui.widgets.diff_text import styled_diff


class SaveDialog(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Save", id="save-dialog.confirm"),
        Binding("n,escape", "cancel", "Cancel", id="save-dialog.cancel"),
        Binding("pageup", "scroll_diff(-1)", "Scroll diff", show=False, id="save-dialog.page-up"),
        Binding("pagedown", "scroll_diff(1)", "Scroll diff", show=False, id="save-dialog.page-down"),
        # diff lines are never wrapped (a wrapped one lost its +/-): long ones scroll sideways
        Binding("left", "scroll_diff_sideways(-1)", "Scroll diff left", show=False, id="save-dialog.left"),
        Binding("right", "scroll_diff_sideways(1)", "Scroll diff right", show=False, id="save-dialog.right"),
    ]

    def __init__(self, target: str, diff: str) -> None:
        super().__init__(classes="dialog", id="save-dialog")
        self.target = target
        self.diff = diff

    def compose(self) -> ComposeResult:
        added, removed = diff_stats(self.diff)
        body = styled_diff(self.diff)
        with Vertical(classes="dialog-box wide"):
            yield Label(f"Save {self.target}?  (+{added} −{removed} lines)", classes="dialog-title")
            with VerticalScroll(id="save-diff"):
                yield Static(body or Text("(no changes: the file will be written as it is)"))
            with Horizontal(classes="dialog-buttons"):
                # escaped: "[y]" alone is content markup and would vanish
                yield Button(escape("Save [y]"), id="save-yes", variant="primary")
                yield Button(escape("Cancel [n]"), id="save-no")

    def on_mount(self) -> None:
        self.query_one("#save-yes", Button).focus()  # Enter saves; Tab reaches the diff

    def action_scroll_diff(self, pages: int) -> None:
        diff = self.query_one("#save-diff", VerticalScroll)
        if pages > 0:
            diff.scroll_page_down()
        else:
            diff.scroll_page_up()

    def action_scroll_diff_sideways(self, direction: int) -> None:
        diff = self.query_one("#save-diff", VerticalScroll)
        diff.scroll_to(x=diff.scroll_x + direction * max(diff.size.width // 2, 1), animate=False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "save-yes")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
