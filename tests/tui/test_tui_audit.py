"""What a keyboard-only audit of the UI in tmux found (2026-11-26), pinned. (Its fleet fixture,
autouse here, turns each guest's own checks off: tests that need them live elsewhere.)"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.tui.test_fleet_review_fixes import open_guest
from tests.tui.test_fleet_screen import _fleet_checks_only, app_for, fleet_dir, loaded
from vifconf.tui.dialogs.choice import ChoiceDialog

__all__ = ["_fleet_checks_only", "fleet_dir"]  # fixtures shared with test_fleet_screen


def palette_command(app: Any, title: str) -> Any:
    [command] = [c for c in app.get_system_commands(app.screen) if c.title == title]
    return command.callback


async def test_the_palettes_quit_asks_about_unsaved_edits(make_test_app: Any, example_file: Path) -> None:
    """It exited at once, edits lost (only the crash journal kept them)."""
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        await palette_command(app, "Quit")()
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog) and app.screen.id == "quit-dialog"
        assert app.return_code is None  # still running
        [quit_command] = [c for c in app.get_system_commands(app.screen) if c.title == "Quit"]
        assert "asks first" in quit_command.help  # Textual's said "as soon as possible"
        await pilot.press("c")  # Cancel is [c], as in the other dialogs (it was [escape] only)
        await pilot.pause()
        assert not isinstance(app.screen, ChoiceDialog) and app.return_code is None


async def test_the_palettes_quit_asks_in_the_fleet_too(fleet_dir: Path) -> None:
    async with app_for(fleet_dir).run_test(size=(140, 30)) as pilot:
        await open_guest(pilot, await loaded(pilot), "db")
        await pilot.press("a", "b")
        await pilot.pause()
        await palette_command(pilot.app, "Quit")()
        await pilot.pause()
        assert isinstance(pilot.app.screen, ChoiceDialog) and pilot.app.screen.id == "quit-dialog"


async def test_the_palettes_screenshot_lands_in_the_working_directory(
        make_test_app: Any, example_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """Textual's default is ~/Downloads, often missing on a server: "Failed to save screenshot"."""
    monkeypatch.chdir(tmp_path)
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        palette_command(app, "Screenshot")()
        for _ in range(20):
            await pilot.pause(0.05)
            if list(tmp_path.glob("*.svg")):
                break
        [shot] = list(tmp_path.glob("*.svg"))
        assert shot.read_text().startswith("<svg") and os.path.dirname(shot) == str(tmp_path)



async def test_the_fleet_has_help_and_palette_commands(fleet_dir: Path) -> None:
    """`?` and F1 did nothing in the fleet, and the palette held only Textual's own commands."""
    from vifconf.tui.commands import VifconfCommands
    from vifconf.tui.screens.help import HelpScreen

    async with app_for(fleet_dir).run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot)
        names = [name for name, _, _ in VifconfCommands(screen)._commands()]
        assert {"Filter", "Export", "Next to review", "Help"} <= set(names)
        await pilot.press("question_mark")
        await pilot.pause()
        help_screen = pilot.app.screen
        assert isinstance(help_screen, HelpScreen)
        keys = [key for _, key, _ in help_screen.rows()]
        assert {"/", "x", "enter", "left/right"} <= set(keys)
        assert len(keys) == len(set(keys))  # S and escape were listed twice


@pytest.mark.parametrize("room", range(0, 70))
def test_fit_path_fits_and_keeps_the_file_name_while_it_can(room: int) -> None:
    from vifconf.tui.widgets.domain_header import fit_path

    path = "/srv/very-long-directory-name/another-level/guest-with-long-name.xml"
    shown = fit_path(path, room)
    assert len(shown) <= max(room, 0)
    if room > len("/guest-with-long-name.xml"):
        assert shown.endswith("/guest-with-long-name.xml")
    if room >= len(path):
        assert shown == path


async def test_a_guest_changed_on_disk_opens_as_it_is_now(fleet_dir: Path) -> None:
    """The editor showed what the fleet had read (xenbr1 while the disk said xenbrZ); only a
    save noticed the change."""
    async with app_for(fleet_dir).run_test(size=(140, 30)) as pilot:
        screen = await loaded(pilot)
        path = fleet_dir / "db.xml"
        path.write_text(path.read_text().replace("'br0'", "'br7'"))
        editor = await open_guest(pilot, screen, "db")
        assert editor.domain.nic(1).source == "br7"
        await pilot.press("b")
        await pilot.pause()
        path.write_text(path.read_text().replace("'br7'", "'br8'"))
        editor = await open_guest(pilot, screen, "db")
        await pilot.press("a")  # an edit of its own: kept, and the change on disk only said
        await pilot.press("b")
        await pilot.pause()
        path.write_text(path.read_text().replace("'br8'", "'br9'"))
        editor = await open_guest(pilot, screen, "db")
        assert editor.domain.nic(1).source == "br8" and len(editor.domain.nics) == 2
