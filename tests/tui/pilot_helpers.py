"""Keyboard-only Pilot helpers shared by the TUI tests."""

from __future__ import annotations

from typing import Any

from textual.widgets import Select


async def pick(pilot: Any, select_id: str, query: str) -> None:
    """Open a picker with Enter, type to search, Enter to choose (keyboard only)."""
    pilot.app.screen.query_one(f"#{select_id}", Select).focus()
    await pilot.press("enter")
    await pilot.pause()
    for char in query:
        await pilot.press(char)
    await pilot.press("enter")
    await pilot.pause()
