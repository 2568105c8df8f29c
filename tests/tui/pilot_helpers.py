"""Keyboard-only Pilot helpers shared by the TUI tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.widgets import Input, Select

from vifconf.tui.dialogs.save_dialog import SaveDialog
from vifconf.tui.screens.editor import EditorScreen


def editor(app: Any) -> EditorScreen:
    """The editor, which must be the screen on top (no dialog open)."""
    screen = app.screen
    assert isinstance(screen, EditorScreen)
    return screen


async def until(pilot: Any, done: Callable[[], bool], rounds: int = 100) -> None:
    """Let the app run until ``done()``, for at most ``rounds`` short pauses."""
    for _ in range(rounds):
        await pilot.pause(0.02)
        if done():
            return
    raise AssertionError(f"the app never got there (screen: {pilot.app.screen!r})")


async def pick(pilot: Any, select_id: str, query: str) -> None:
    """Open a picker with Enter, type to search, Enter to choose (keyboard only)."""
    pilot.app.screen.query_one(f"#{select_id}", Select).focus()
    await pilot.press("enter")
    await pilot.pause()
    for char in query:
        await pilot.press(char)
    await pilot.press("enter")
    await pilot.pause()


async def type_into(pilot: Any, input_id: str, text: str, clear: bool = True) -> None:
    """Focus an input, erase what it holds (unless ``clear`` is False), type ``text``."""
    widget = pilot.app.screen.query_one(f"#{input_id}", Input)
    widget.focus()
    await pilot.pause()
    if clear:
        await pilot.press("end", *["backspace"] * len(widget.value))
    for char in text:
        await pilot.press(char)
    await pilot.pause()


async def conflict(pilot: Any, clean_file: Path, change: Callable[[Path], None]) -> None:
    """Add a NIC, let someone else change the file, ctrl+s → y → the conflict dialog."""
    await pilot.pause()
    await pilot.press("a")
    change(clean_file)
    await pilot.press("ctrl+s")
    await until(pilot, lambda: isinstance(pilot.app.screen, SaveDialog))
    await pilot.press("y")
    await until(pilot, lambda: getattr(pilot.app.screen, "id", None) == "conflict-dialog")


async def import_answer(pilot: Any, answer: str | None = None, pasted: str | None = None) -> None:
    """`i`, then ``answer`` typed (or ``pasted`` as one paste) into the import dialog, and Enter."""
    from textual import events

    from vifconf.tui.dialogs.path_dialog import PathDialog

    await pilot.press("i")
    await pilot.pause()
    assert isinstance(pilot.app.screen, PathDialog)
    if pasted is not None:
        pilot.app.screen.query_one("#path-input").post_message(events.Paste(pasted))
        await pilot.pause()
    if answer is not None:
        await type_into(pilot, "path-input", answer)
    await pilot.press("enter")
    await pilot.pause()
