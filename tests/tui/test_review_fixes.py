"""Pilot tests (keyboard only) for the review fixes: conflict reload / save as, --output
fingerprints, the quit dialog's "Save first", and the model picker's "other…"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from tests.tui.pilot_helpers import conflict, pick, until
from vifconf.tui.dialogs.message import MessageDialog
from vifconf.tui.dialogs.path_dialog import PathDialog
from vifconf.tui.dialogs.save_dialog import SaveDialog
from vifconf.tui.screens.editor import EditorScreen


def editor(app: Any) -> EditorScreen:
    for screen in reversed(app.screen_stack):
        if isinstance(screen, EditorScreen):
            return screen
    raise AssertionError("no editor")


async def palette(pilot: Any, command: str) -> None:
    await pilot.press("ctrl+p")
    await pilot.pause()
    for char in command:
        await pilot.press(char)
    await pilot.pause(0.3)
    await pilot.press("enter")
    await pilot.pause()


# -- 1. Reload when the file is gone or does not parse ------------------------------------
@pytest.mark.parametrize("change", ["delete", "garbage"])
async def test_reload_of_a_broken_file_keeps_the_edits(make_test_app: Any, clean_file: Path, change: str) -> None:
    def spoil(path: Path) -> None:
        if change == "delete":
            path.unlink()
        else:
            path.write_text("<domain type='xen'><devices><interface")

    app = make_test_app(clean_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await conflict(pilot, clean_file, spoil)
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, MessageDialog))
        assert app.screen.title_text == "Cannot reload"
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, EditorScreen))
        assert app.is_running
        screen = editor(app)
        assert len(screen.domain.nics) == 4 and screen.dirty  # the edit is still there
        assert screen.session.path == str(clean_file)


async def test_reload_resets_the_snapshot(make_test_app: Any, clean_file: Path) -> None:
    changed = clean_file.read_text().replace("gihan-hvm", "someone-else")
    app = make_test_app(clean_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await conflict(pilot, clean_file, lambda p: p.write_text(changed))
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, EditorScreen))
        session = editor(app).session
        assert session.snapshot().data == session.domain.to_bytes()
        assert b"someone-else" in session.snapshot().data and not session.snapshot().dirty
        from vifconf.fileio import fingerprint

        assert session.fingerprint is not None
        assert session.fingerprint.sha256 == fingerprint(str(clean_file)).sha256


# -- 2. "Save as…" from the conflict dialog ------------------------------------------------
async def test_conflict_save_as_the_same_file_is_refused(make_test_app: Any, clean_file: Path) -> None:
    changed = clean_file.read_text().replace("gihan-hvm", "someone-else")
    app = make_test_app(clean_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await conflict(pilot, clean_file, lambda p: p.write_text(changed))
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, PathDialog))
        assert app.screen.query_one("#path-input", Input).value == f"{clean_file}.new"
        await pilot.press("end", *["backspace"] * len(".new"), "enter")  # the original path
        await until(pilot, lambda: isinstance(app.screen, MessageDialog))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, EditorScreen))
        assert editor(app).dirty and len(editor(app).domain.nics) == 4
    assert clean_file.read_text() == changed  # their change survived


async def test_conflict_save_as_elsewhere_confirms_the_diff(make_test_app: Any, clean_file: Path) -> None:
    changed = clean_file.read_text().replace("gihan-hvm", "someone-else")
    other = Path(f"{clean_file}.new")
    app = make_test_app(clean_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await conflict(pilot, clean_file, lambda p: p.write_text(changed))
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, PathDialog))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SaveDialog))  # no silent write
        assert not other.exists()
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, EditorScreen))
        assert not editor(app).dirty and editor(app).session.path == str(other)
    assert other.read_text().count("</interface>") == 4
    assert clean_file.read_text() == changed


async def test_conflict_save_as_an_existing_file_that_changes_conflicts(make_test_app: Any, clean_file: Path) -> None:
    changed = clean_file.read_text().replace("gihan-hvm", "someone-else")
    other = Path(f"{clean_file}.new")
    other.write_text("<domain/>\n")
    app = make_test_app(clean_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await conflict(pilot, clean_file, lambda p: p.write_text(changed))
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, PathDialog))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SaveDialog))
        other.write_text("<domain>a third writer</domain>\n")
        await save_into_a_conflict_and_cancel(pilot)
    assert other.read_text() == "<domain>a third writer</domain>\n"


async def save_into_a_conflict_and_cancel(pilot: Any) -> None:
    """Confirm the save dialog, meet the conflict dialog (someone wrote the target), cancel:
    back in the editor with the edits kept."""
    app = pilot.app
    await pilot.press("y")
    await until(pilot, lambda: getattr(app.screen, "id", None) == "conflict-dialog")
    await pilot.press("c")
    await until(pilot, lambda: isinstance(app.screen, EditorScreen))
    assert editor(app).dirty


# -- 3. --output and save-as fingerprints ---------------------------------------------------
async def test_output_then_save_as_the_input_has_no_false_conflict(make_test_app: Any, clean_file: Path) -> None:
    out = Path(f"{clean_file}.out")
    original = clean_file.read_bytes()
    app = make_test_app(clean_file, output=str(out))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("a", "ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SaveDialog))
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, EditorScreen) and not editor(app).dirty)
        assert out.read_text().count("</interface>") == 4
        assert clean_file.read_bytes() == original
        session = editor(app).session
        assert session.path == str(clean_file)
        from vifconf.fileio import fingerprint

        assert session.fingerprint is not None
        assert session.fingerprint.sha256 == fingerprint(str(clean_file)).sha256  # still FILE's
        await pilot.press("a")
        await palette(pilot, "Save as")
        await until(pilot, lambda: isinstance(app.screen, PathDialog))
        assert app.screen.query_one("#path-input", Input).value == str(out)
        await pilot.press("end", *["backspace"] * len(".out"), "enter")  # FILE itself
        await until(pilot, lambda: isinstance(app.screen, SaveDialog))
        assert app.screen.diff.count("<interface") == 2  # against FILE as it is, not OUT
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, EditorScreen) and not editor(app).dirty)
    assert clean_file.read_text().count("</interface>") == 5  # saved, no conflict dialog


async def test_output_changed_after_the_diff_conflicts(make_test_app: Any, clean_file: Path) -> None:
    out = Path(f"{clean_file}.out")
    out.write_bytes(clean_file.read_bytes())
    app = make_test_app(clean_file, output=str(out))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("a", "ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SaveDialog))
        out.write_text("<domain>someone else's output</domain>\n")
        await save_into_a_conflict_and_cancel(pilot)
    assert out.read_text() == "<domain>someone else's output</domain>\n"


# -- 4. the quit dialog's "Save first" ------------------------------------------------------
async def test_save_first_that_fails_does_not_quit(
    make_test_app: Any, clean_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vifconf import fileio

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(fileio, "save_atomic", broken)
    app = make_test_app(clean_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("a", "ctrl+q")
        await until(pilot, lambda: getattr(app.screen, "id", None) == "quit-dialog")
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SaveDialog))
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, MessageDialog))
        assert "disk on fire" in app.screen.message
        await pilot.pause(0.1)
        assert app.is_running
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, EditorScreen))
        assert app.is_running and editor(app).dirty and len(editor(app).domain.nics) == 4


async def test_no_quit_dialog_over_a_save_in_progress(make_test_app: Any, clean_file: Path) -> None:
    original = clean_file.read_bytes()
    app = make_test_app(clean_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("a", "ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SaveDialog))
        await pilot.press("ctrl+q")
        await pilot.pause(0.1)
        assert isinstance(app.screen, SaveDialog) and app.is_running
        assert not any(getattr(s, "id", None) == "quit-dialog" for s in app.screen_stack)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, EditorScreen))
        await pilot.press("ctrl+q")  # the save is over: now the quit dialog comes
        await until(pilot, lambda: getattr(app.screen, "id", None) == "quit-dialog")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, EditorScreen))
        assert app.is_running
    assert clean_file.read_bytes() == original


# -- 5. "other…" shows the model that is set ------------------------------------------------
async def test_other_model_starts_from_the_current_model(make_test_app: Any, example_file: Path) -> None:
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("down")  # NIC 2: rtl8139
        await pilot.pause()
        screen = editor(app)
        assert screen.selected == 2 and screen.domain.nic(2).model == "rtl8139"
        await pick(pilot, "field-model", "other")
        assert app.screen.query_one("#row-model-other").display
        assert app.screen.query_one("#field-model-other", Input).value == "rtl8139"
        assert screen.domain.nic(2).model == "rtl8139" and not screen.dirty
        await pilot.press("end", "x")  # editing the pre-filled name edits the model
        await pilot.pause()
        assert screen.domain.nic(2).model == "rtl8139x"
