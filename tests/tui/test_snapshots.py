"""Snapshot tests (pytest-textual-snapshot): main screen at 80x24 and 160x48, the save dialog,
the help screen. Paths are relative (cwd = a temp dir) so the header is the same every run."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from vifconf.examples import EXAMPLE_DOMAIN


@pytest.fixture
def relative_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    target = Path("gihan-hvm.xml")
    shutil.copyfile(EXAMPLE_DOMAIN, target)
    return target


def test_main_screen_80x24(snap_compare: Any, make_test_app: Any, relative_example: Path) -> None:
    assert snap_compare(make_test_app(relative_example), terminal_size=(80, 24))


def test_main_screen_160x48(snap_compare: Any, make_test_app: Any, relative_example: Path) -> None:
    assert snap_compare(make_test_app(relative_example), terminal_size=(160, 48))


def test_main_screen_nic3_selected_80x24(snap_compare: Any, make_test_app: Any, relative_example: Path) -> None:
    """The bad MAC of NIC 3 shown in place (red field + message), problems badge in the list."""
    assert snap_compare(make_test_app(relative_example), terminal_size=(80, 24), press=["down", "down"])


def test_save_dialog(snap_compare: Any, make_test_app: Any, relative_example: Path) -> None:
    async def edit(pilot: Any) -> None:
        await pilot.pause()
        screen = pilot.app.screen
        screen.apply_edit(3, "mac", "00:16:3e:00:a5:59")
        screen.apply_edit(1, "type", "none")
        screen.apply_edit(2, "model", "e1000")
        await pilot.pause()

    assert snap_compare(make_test_app(relative_example), terminal_size=(80, 24), run_before=edit,
                        press=["ctrl+s", "_"])


def test_help_screen(snap_compare: Any, make_test_app: Any, relative_example: Path) -> None:
    assert snap_compare(make_test_app(relative_example), terminal_size=(80, 24), press=["question_mark", "_"])
