"""A `Select` whose dropdown shows each choice with its one-line explanation.

Textual's type-to-search matches anywhere in an option's prompt, so with the explanation in
the prompt, typing ``netback`` in the model picker finds ``netfront`` (whose explanation names
the seed's 'netback'), and typing ``macvtap`` in the type picker finds ``direct``. The closed
field shows only the name; the full explanation is in the help line under it.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.css.query import NoMatches
from textual.widgets import Select

NAME_WIDTH = 10


def described(name: str, explanation: str) -> Text:
    """The dropdown row: the name, padded, then the explanation dimmed (one line, no wrap)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(name.ljust(NAME_WIDTH - 1) + " ")
    if explanation:
        text.append(explanation, style="dim")
    return text


class Picker(Select[str]):
    """Options are ``(name, explanation, value)``; the closed field shows ``name`` only."""

    def set_choices(self, choices: list[tuple[str, str, str]]) -> None:
        self._names = {value: name for name, _, value in choices}
        self.set_options([(described(name, explanation), value) for name, explanation, value in choices])
        self._show_name(self.value)

    def watch_value(self, value: Any) -> None:
        self._show_name(value)

    def _show_name(self, value: Any) -> None:
        names: dict[str, str] = getattr(self, "_names", {})
        if value is Select.NULL or value not in names:
            return
        try:
            current: Any = self.query_one("SelectCurrent")
        except NoMatches:
            return
        current.update(names[value])
