"""Ask for a file path (save as, import)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static


class PathDialog(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="path-dialog.cancel")]

    def __init__(self, title: str, initial: str = "", message: str = "", *,
                 placeholder: str = "path/to/domain.xml", enter: str = "save") -> None:  # fmt: skip
        super().__init__(classes="dialog", id="path-dialog")
        self.title_text = title
        self.initial = initial
        self.placeholder = placeholder
        self.enter = enter
        """What Enter does, for the hint under the input."""
        self.message = message
        """Why a path is asked for (e.g. stdin without --output), shown above the input."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.title_text, classes="dialog-title")
            if self.message:
                yield Static(self.message, classes="dialog-message", id="path-why")
            yield Input(self.initial, id="path-input", placeholder=self.placeholder)
            yield Static(f"Enter to {self.enter}, Escape to cancel", classes="dialog-message")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        self.dismiss(value or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
