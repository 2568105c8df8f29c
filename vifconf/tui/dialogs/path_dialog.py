"""Ask for a file path (save as, import)."""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from vifconf.tui.widgets.ordered_input import OrderedInput


class OneLineInput(OrderedInput):
    """An Input that keeps a multi-line paste as one line, its lines joined by spaces:
    Textual keeps only the first line, which cuts a pasted `xm list -l` (vif …) after
    ``(device``. The paste as it was is kept too (`as_pasted`): in an xm/xl config a line
    break ends a ``#`` comment and starts a setting, so joined lines read differently."""

    pasted: tuple[str, str] | None = None
    """The last multi-line paste: (the field's value right after it, the text as pasted)."""

    def as_pasted(self) -> str:
        """The value, or, when it is still just what the last multi-line paste made it, the
        pasted text with its line breaks."""
        if self.pasted is not None and self.value == self.pasted[0]:
            return self.pasted[1]
        return self.value

    def _on_paste(self, event: events.Paste) -> None:
        if event.text:
            line = " ".join(part.strip() for part in event.text.splitlines() if part.strip())
            selection = self.selection
            if selection.is_empty:
                self.insert_text_at_cursor(line)
            else:
                self.replace(line, *selection)
            multi_line = len(event.text.strip().splitlines()) > 1
            self.pasted = (self.value, event.text) if multi_line and self.value == line else None
        event.prevent_default()  # Input's own handler (first line only) must not run as well
        event.stop()


class PathDialog(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="path-dialog.cancel")]

    def __init__(self, title: str, initial: str = "", message: str = "", *,
                 placeholder: str = "path/to/domain.xml", enter: str = "save") -> None:  # fmt: skip
        super().__init__(classes="dialog path-dialog")  # no id: a failed import opens another while this one leaves
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
            box = OneLineInput(" ".join(self.initial.split()) if "\n" in self.initial else self.initial,
                               id="path-input", placeholder=self.placeholder)
            if "\n" in self.initial:  # a multi-line paste given back to fix: kept as pasted unless edited
                box.pasted = (box.value, self.initial)
            yield box
            yield Static(f"Enter to {self.enter}, Escape to cancel", classes="dialog-message")

    def on_key(self, event: events.Key) -> None:
        """A key typed before the input has the focus (right behind the key that opened the
        dialog, see `editor.TYPED_AHEAD`) reaches the screen itself: it is typing for the
        input, which gets it after its focus (which selects the text, as typing would find it)."""
        if self.focused is not None:
            return
        box = self.query_one("#path-input", Input)
        box.focus()
        if event.is_printable:
            event.stop()
            event.prevent_default()
            box.post_message(events.Key(event.key, event.character))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        box = event.input
        value = (box.as_pasted() if isinstance(box, OneLineInput) else event.value).strip()
        self.dismiss(value or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
