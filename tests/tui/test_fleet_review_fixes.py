"""Pilot tests for the fleet review fixes: quitting with a dirty editor open, save-as from a
fleet editor, the editor's incremental cross-guest check, journals on "Quit without saving"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input

from tests.tui.pilot_helpers import until
from tests.tui.test_fleet_screen import _fleet_checks_only, app_for, fleet_dir, loaded, write_guest
from vifconf import journal
from vifconf.fleet import cross_guest_problems
from vifconf.model.domain import Domain
from vifconf.tui.fleet_screen import CrossGuestIndex, FleetEditorScreen, FleetScreen

__all__ = ["_fleet_checks_only", "fleet_dir"]  # fixtures shared with test_fleet_screen


async def open_guest(pilot: Any, screen: FleetScreen, name: str, nic: int = 1) -> FleetEditorScreen:
    table = screen.query_one(DataTable)
    table.move_cursor(row=next(i for i, r in enumerate(screen.shown_rows) if (r.domain, r.nic) == (name, nic)))
    await pilot.press("enter")
    await pilot.pause()
    editor = pilot.app.screen
    assert isinstance(editor, FleetEditorScreen)
    return editor


async def test_quit_asks_when_an_open_editor_holds_edits_on_a_new_domain(fleet_dir: Path) -> None:
    async with app_for(fleet_dir).run_test(size=(140, 36)) as pilot:
        screen = await loaded(pilot)
        editor = await open_guest(pilot, screen, "db")
        # a journal restore / reload hands the editor a new Domain; the fleet entry keeps the old one
        path = str(fleet_dir / "db.xml")
        editor.session.domain = Domain.from_bytes(Path(path).read_bytes(), path)
        editor.apply_edit(1, "mac", "52:54:00:00:00:77")
        assert screen.unsaved() == []  # the old check alone would quit without asking
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert pilot.app.screen.id == "quit-dialog"
        await pilot.press("c")
        await pilot.pause()
        assert pilot.app.screen is editor


async def test_save_as_keeps_the_original_entrys_disk_state(fleet_dir: Path, tmp_path: Path) -> None:
    async with app_for(fleet_dir).run_test(size=(140, 36)) as pilot:
        screen = await loaded(pilot)
        editor = await open_guest(pilot, screen, "db")
        position = next(i for i, e in enumerate(screen.fleet.entries) if e.name == "db")
        before = screen.file_state(position)
        editor.apply_edit(1, "mac", "52:54:00:00:00:77")
        # what a "save as" leaves in the session: another path, that file's bytes and fingerprint
        other = tmp_path / "copy.xml"
        data = editor.session.domain.to_bytes()
        other.write_bytes(data)
        editor.session.path = str(other)
        editor.session.mark_saved(None, data)
        editor.action_back()
        await pilot.pause()
        assert pilot.app.screen is screen
        assert screen.on_disk[position] == before
        assert screen.unsaved() == ["db"]  # db.xml itself was never saved


async def test_editor_cross_guest_problems_match_the_whole_fleet(fleet_dir: Path) -> None:
    write_guest(fleet_dir, "web1", ("bridge", "br0", "52:54:00:00:00:aa"))  # a second "web1": labels
    (fleet_dir / "web1.xml").rename(fleet_dir / "web1b.xml")
    write_guest(fleet_dir, "web1", ("bridge", "br0", "52:54:00:00:00:01"), ("network", "default", "52:54:00:00:00:02"))
    async with app_for(fleet_dir).run_test(size=(140, 36)) as pilot:
        screen = await loaded(pilot)
        editor = await open_guest(pilot, screen, "db")
        entries = screen.fleet.entries
        position = next(i for i, e in enumerate(entries) if e.name == "db")

        def whole_fleet(domain: Domain) -> list[Any]:
            loaded_ = [(i, e.domain) for i, e in enumerate(entries) if e.domain is not None]
            domains = [domain if i == position else d for i, d in loaded_]
            mine = next(k for k, (i, _) in enumerate(loaded_) if i == position)
            return cross_guest_problems(domains)[mine]

        index = CrossGuestIndex(entries, position)
        for field, value in [("mac", "52:54:00:00:00:aa"), ("mac", "52:54:00:00:00:01"),
                             ("source", "bro"), ("source", "br1"), ("source", "xenbr")]:
            editor.apply_edit(1, field, value)
            await pilot.pause()
            assert index.problems(editor.domain) == whole_fleet(editor.domain), (field, value)
            assert editor.snapshot is not None
            fleet_codes = ("mac-duplicate-across-guests", "target-duplicate-across-guests", "source-likely-typo")
            shown = [p for p in editor.snapshot.problems if p.code in fleet_codes]
            assert sorted(map(str, shown)) == sorted(map(str, whole_fleet(editor.domain)))
        editor.apply_edit(1, "mac", "52:54:00:00:00:aa")
        await pilot.pause()
        assert editor.snapshot is not None
        dup = [p for p in editor.snapshot.problems if p.code == "mac-duplicate-across-guests"]
        assert dup and "'web1' (" in dup[0].message and "web1b.xml" in dup[0].message  # two 'web1's: told apart


async def test_quit_without_saving_discards_the_journals(fleet_dir: Path) -> None:
    async with app_for(fleet_dir).run_test(size=(140, 36)) as pilot:
        screen = await loaded(pilot)
        closed = str(fleet_dir / "db.xml")
        editor = await open_guest(pilot, screen, "db")
        editor.apply_edit(1, "mac", "52:54:00:00:00:77")
        journal.write(closed, editor.domain.to_bytes())
        editor.action_back()
        await pilot.pause()
        still_open = str(fleet_dir / "odd.xml")
        editor = await open_guest(pilot, screen, "odd")
        editor.apply_edit(1, "mac", "52:54:00:00:00:78")
        journal.write(still_open, editor.domain.to_bytes())
        assert journal.entry(closed) is not None and journal.entry(still_open) is not None
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert pilot.app.screen.id == "quit-dialog"
        await pilot.press("q")
        await pilot.pause()
        assert journal.entry(closed) is None and journal.entry(still_open) is None


async def test_an_export_with_unsaved_edits_says_so(fleet_dir: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """The export showed a guest's unsaved edits as if its file said them, without a word."""
    monkeypatch.chdir(tmp_path)
    async with app_for(fleet_dir).run_test(size=(140, 30)) as pilot:
        screen = await loaded(pilot)
        editor = await open_guest(pilot, screen, "db")
        editor.apply_edit(1, "mac", "52:54:00:00:00:77")
        editor.action_back()
        await pilot.pause()
        for name, edited in (("all.csv", True), ("web.csv", False)):
            if not edited:
                screen.query_one("#fleet-filter", Input).value = "web"
                await pilot.pause()
            pilot.app._notifications.clear()
            screen._export(name)
            await until(pilot, lambda name=name: (tmp_path / name).exists() and bool(pilot.app._notifications))
            [note] = list(pilot.app._notifications)
            assert ("1 guest with unsaved edits as edited" in note.message) == edited
            assert (note.severity == "warning") == edited
        assert "52:54:00:00:00:77" in (tmp_path / "all.csv").read_text()
