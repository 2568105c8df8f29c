"""Keys typed right behind the key that opens a dialog (a fast typist, a paste, an SSH burst)
go to the dialog: Textual hands them to the screen underneath before a plain binding has run,
where they were dropped, or acted on that screen (see `editor.TYPED_AHEAD`).

Each test posts its keys in one go, as a terminal delivers a burst; `pilot.press` would wait
for each key to be handled, which is the case that always worked."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.widgets import Input

from tests.tui.pilot_helpers import editor
from tests.tui.test_fleet_screen import _fleet_checks_only, app_for, fleet_dir, loaded
from vifconf.tui.dialogs.path_dialog import PathDialog

__all__ = ["_fleet_checks_only", "fleet_dir"]  # fixtures shared with test_fleet_screen


def burst(app: Any, keys: Iterable[str]) -> None:
    """Post ``keys`` at once (a string: its characters; a list: key names)."""
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


async def emptied(pilot: Any, screen: Any, input_id: str) -> Input:
    """The form field ``input_id``, focused and emptied."""
    box = screen.query_one(f"#{input_id}", Input)
    box.focus()
    box.value = ""
    await pilot.pause()
    return box  # type: ignore[no-any-return]


async def settle(pilot: Any) -> None:
    for _ in range(10):
        await pilot.pause()


async def test_a_path_typed_right_behind_x_goes_to_the_export_dialog(fleet_dir: Path) -> None:
    async with app_for(fleet_dir).run_test(size=(140, 30)) as pilot:
        screen = await loaded(pilot)
        burst(pilot.app, "xsab")
        await settle(pilot)
        assert isinstance(pilot.app.screen, PathDialog)
        assert pilot.app.screen.query_one("#path-input", Input).value == "sab"  # it replaced the suggestion
        assert screen.sort_column is None  # `s` did not sort the table under the dialog


async def test_an_x_typed_into_the_fleet_filter_is_text(fleet_dir: Path) -> None:
    async with app_for(fleet_dir).run_test(size=(140, 30)) as pilot:
        screen = await loaded(pilot)
        await pilot.press("slash")
        burst(pilot.app, "xen")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert screen.query_one("#fleet-filter", Input).value == "xen"


async def test_a_path_typed_right_behind_i_goes_to_the_import_dialog(make_test_app: Any, example_file: Path) -> None:
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = editor(app)
        nics = len(screen.domain.nics)
        burst(app, "i/adc")
        await settle(pilot)
        assert isinstance(app.screen, PathDialog)
        assert app.screen.query_one("#path-input", Input).value == "/adc"
        assert len(screen.domain.nics) == nics  # `a`, `d`, `c` added, deleted, cloned nothing


async def test_an_i_typed_into_a_form_field_is_text(make_test_app: Any, example_file: Path) -> None:
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = editor(app)
        box = await emptied(pilot, screen, "field-target")
        burst(app, "vifi")
        await settle(pilot)
        assert app.screen is screen and box.value == "vifi"


async def test_letters_after_a_tab_go_to_the_next_field(make_test_app: Any, example_file: Path) -> None:
    """`br0` Tab `vif1.0` typed in one burst: the letters behind the Tab were typed into the field
    being left (the bridge became br0vif1.0), because Tab moved the focus only once handled."""
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = editor(app)
        source = await emptied(pilot, screen, "field-source")
        after = screen.focus_chain[screen.focus_chain.index(source) + 1]
        burst(app, [*"xyz", "tab", *"abc"])
        await settle(pilot)
        assert source.value == "xyz"
        assert app.focused is after and str(getattr(after, "value", "")).endswith("abc")


async def test_a_d_right_behind_enter_on_the_nic_list_deletes_nothing(make_test_app: Any,
                                                                     example_file: Path) -> None:  # fmt: skip
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = editor(app)
        nics = len(screen.domain.nics)
        burst(app, ["enter", "d"])
        await settle(pilot)
        assert len(screen.domain.nics) == nics
        assert app.focused is screen.query_one("#field-type")


async def test_moves_in_the_nic_list_keep_their_order_before_enter(make_test_app: Any, example_file: Path) -> None:
    """`down enter` in one burst opened NIC 1 (Enter, a priority binding, jumped ahead of Down,
    which then opened the Type picker's dropdown)."""
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = editor(app)
        burst(app, ["down", "down", "enter"])
        await settle(pilot)
        assert screen.selected == 3
        assert app.focused is screen.query_one("#field-type")
        burst(app, ["escape"])
        await settle(pilot)
        burst(app, ["up", "tab"])
        await settle(pilot)
        assert screen.selected == 2


async def test_a_filter_typed_in_one_burst_is_the_filter(fleet_dir: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """`/xen` Enter in one burst: x (a priority binding) ran before the filter had the focus,
    and the export dialog took `en` and wrote a file named en."""
    monkeypatch.chdir(tmp_path)  # where such an export would land
    async with app_for(fleet_dir).run_test(size=(140, 30)) as pilot:
        screen = await loaded(pilot)
        burst(pilot.app, ["slash", *"xen", "enter"])
        await settle(pilot)
        assert pilot.app.screen is screen and screen.filter_text == "xen"
    assert not (tmp_path / "en").exists()


@pytest.mark.parametrize(("start", "keys", "value"), [
    ("0", ["backspace", *"xenbr0"], "xenbr0"),  # was "0xenbr": the Backspace ran after the letters
    ("xenbr0", ["backspace", "1"], "xenbr1"),  # was "xenbr0": the 1 typed, then deleted
    ("ac", ["left", "b"], "abc"),
    ("br0", ["home", "x", "end", "y"], "xbr0y"),
    ("xenbr0", ["delete", "home", "delete", "Y"], "Yenbr0"),
])  # fmt: skip
async def test_an_inputs_own_keys_act_in_the_order_typed(make_test_app: Any, example_file: Path, start: str,
                                                        keys: list[str], value: str) -> None:  # fmt: skip
    """From a tmux audit: Textual runs a field's Backspace, arrows, Home… only after the key
    has bubbled up to the App, so letters typed right behind them (a fast typist over SSH)
    went in first, and the mangled value went into the XML."""
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = editor(app)
        box = await emptied(pilot, screen, "field-source")
        box.insert_text_at_cursor(start)
        await settle(pilot)
        burst(app, keys)
        await settle(pilot)
        assert box.value == value
        assert screen.domain.nic(screen.selected).source == value


async def test_the_fleet_filter_keeps_the_order_typed_too(fleet_dir: Path) -> None:
    async with app_for(fleet_dir).run_test(size=(140, 30)) as pilot:
        screen = await loaded(pilot)
        await pilot.press("slash")
        burst(pilot.app, [*"xem", "backspace", "n"])
        await settle(pilot)
        assert screen.query_one("#fleet-filter", Input).value == "xen"
