"""A dialog with several labelled choices, each with a key (quit guard, save conflict)."""

from __future__ import annotations

from typing import ClassVar, Literal

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static


class ChoiceDialog(ModalScreen[str | None]):
    """Returns the chosen id, or None on escape. ``choices``: (id, label, key)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, title: str, message: str, choices: list[tuple[str, str, str]], *, id: str | None = None) -> None:
        super().__init__(classes="dialog", id=id)
        self.title_text = title
        self.message = message
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.message, classes="dialog-message")
            with Horizontal(classes="dialog-buttons"):
                for index, (choice_id, label, key) in enumerate(self.choices):
                    variant: Literal["primary", "default"] = "primary" if index == 0 else "default"
                    yield Button(escape(f"{label} [{key}]"), id=f"choice-{choice_id}", variant=variant)

    def on_key(self, event: events.Key) -> None:
        for choice_id, _label, choice_key in self.choices:
            if event.key == choice_key:
                event.stop()
                self.dismiss(choice_id)
                return

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss((event.button.id or "").removeprefix("choice-"))

    def action_cancel(self) -> None:
        self.dismiss(None)
