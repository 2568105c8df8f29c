"""The issue-4 audit's last gaps: the diff tab marks the selected NIC, the Type explanation
is readable at 80×24, and the fleet app gets the `vifconf -` keyboard fix too."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text

from tests.tui.pilot_helpers import editor, pick
from vifconf.diff import diff_lines_within, nic_line_ranges, xml_diff
from vifconf.examples import EXAMPLE_DOMAIN
from vifconf.model import Domain


# -- 1. the XML diff tab highlights the selected NIC -------------------------------------
def test_nic_line_ranges_of_the_example() -> None:
    assert nic_line_ranges(EXAMPLE_DOMAIN.read_bytes()) == {1: (27, 31), 2: (32, 36), 3: (37, 41)}
    assert nic_line_ranges(b"not xml") == {}


def test_diff_lines_within_a_replaced_opening_line_and_an_added_child() -> None:
    domain = Domain.from_path(EXAMPLE_DOMAIN)
    domain.nic(1).set("model", "e1000")
    domain.nic(2).set("type", "network")
    domain.nic(2).set("source", "default")
    data = domain.to_bytes()
    diff = xml_diff(domain.raw, data)
    lines = diff.splitlines()
    ranges = nic_line_ranges(data)
    second = {lines[i] for i in diff_lines_within(diff, *ranges[2])}
    assert "-    <interface type='bridge'>" in second  # the replaced opening line is NIC 2's
    assert "+    <interface type='network'>" in second and "+      <source network='default'/>" in second
    assert "+      <model type='e1000'/>" not in second  # NIC 1's
    first = {lines[i] for i in diff_lines_within(diff, *ranges[1])}
    assert "+      <model type='e1000'/>" in first and "-    <interface type='bridge'>" not in first
    assert not any(line.startswith(("---", "+++", "@@")) for line in first | second)
    # an added NIC: exactly its three new lines
    domain = Domain.from_path(EXAMPLE_DOMAIN)
    domain.add_nic()
    data = domain.to_bytes()
    diff = xml_diff(domain.raw, data)
    fourth = [diff.splitlines()[i] for i in sorted(diff_lines_within(diff, *nic_line_ranges(data)[4]))]
    assert len(fourth) == 3 and all(line.startswith("+") for line in fourth)


def highlighted_lines(app: Any) -> list[str]:
    content = app.screen.query_one("#text-diff").content
    assert isinstance(content, Text)
    out = []
    for line in content.split("\n"):
        if any("reverse" in str(span.style) and "bold" in str(span.style) for span in line.spans):
            out.append(line.plain)
    return out


async def test_diff_tab_highlights_the_selected_nic(make_test_app: Any, example_file: Path) -> None:
    app = make_test_app(example_file)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        screen = editor(app)
        await pick(pilot, "field-model", "e1000")  # NIC 1
        screen.select_nic(2)
        await pilot.pause()
        await pick(pilot, "field-type", "network")  # NIC 2
        screen.action_show_tab("diff")
        await pilot.pause()
        marked = highlighted_lines(app)
        assert "-    <interface type='bridge'>" in marked and "+    <interface type='network'>" in marked
        assert "+      <model type='e1000'/>" not in marked
        assert "NIC 2: lines 33–" in str(app.screen.query_one("#rule-diff").render())
        screen.select_nic(1)
        await pilot.pause()
        marked = highlighted_lines(app)
        assert "+      <model type='e1000'/>" in marked
        assert "+    <interface type='network'>" not in marked
        screen.select_nic(3)  # unchanged: nothing of the diff is NIC 3's
        await pilot.pause()
        assert highlighted_lines(app) == []


# -- 2. the Type explanation is readable at 80×24 ----------------------------------------
async def test_type_explanation_fits_at_80x24_for_every_type(make_test_app: Any, example_file: Path) -> None:
    from vifconf.model.domain import INTERFACE_TYPES
    from vifconf.tui.widgets.nic_form import MISSING_TYPE, TYPE_HELP

    assert set(TYPE_HELP) == {*INTERFACE_TYPES, MISSING_TYPE}
    assert len(TYPE_HELP[MISSING_TYPE]) <= 32
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = editor(app)
        await pilot.press("down", "down")  # NIC 3: the fullest form (bad MAC, its error line)
        await pilot.pause()
        assert screen.selected == 3
        help_line = screen.query_one("#type-help")
        form = screen.query_one("#nic-form")
        visible = form.scrollable_content_region
        for field in ("type", "source", "script", "model", "mac", "target", "link"):
            assert visible.contains_region(screen.query_one(f"#field-{field}").region), field
        for kind in INTERFACE_TYPES:
            screen.apply_edit(3, "type", kind)
            await pilot.pause()
            shown = str(help_line.render())
            assert shown == TYPE_HELP[kind] and "…" not in shown, kind
            assert len(shown) <= help_line.content_region.width, kind
            assert help_line.region.height == 1, kind


# -- 3. the fleet app gets the `vifconf -` keyboard fix ----------------------------------
async def test_fleet_app_with_stdin_takes_keys_from_the_terminal(monkeypatch: pytest.MonkeyPatch,
                                                                 example_file: Path) -> None:
    """`cat a.xml | vifconf - b.xml`: `FleetApp.run` reads the pipe into memory (the fleet
    loads `-` in a worker, while Textual already reads keys) and puts the terminal on fd 0."""
    import textual.app

    from vifconf.tui.fleet_screen import FleetApp, FleetScreen, make_fleet_app

    piped = EXAMPLE_DOMAIN.read_bytes().replace(b"<name>gihan-hvm</name>", b"<name>from-stdin</name>")
    assert piped != EXAMPLE_DOMAIN.read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(piped)))
    ran: list[dict[str, Any]] = []
    dup2: list[tuple[int, int]] = []
    real_open = os.open
    with pytest.MonkeyPatch.context() as terminal:  # a pipe on fd 0, a terminal at /dev/tty
        terminal.setattr(os, "isatty", lambda fd: False)
        terminal.setattr(os, "open", lambda path, *a: real_open(os.devnull if path == "/dev/tty" else path, *a))
        terminal.setattr(os, "dup2", lambda fd, fd2: dup2.append((fd, fd2)))
        terminal.setattr(textual.app.App, "run", lambda self, *a, **k: ran.append(k))
        app = make_fleet_app(["-", str(example_file)])
        assert isinstance(app, FleetApp)
        app.run()
        assert ran == [{}] and len(dup2) == 1 and dup2[0][1] == 0  # the terminal went to fd 0, then Textual ran
        app.run(headless=True)
        assert len(dup2) == 1  # headless (tests): fd 0 left alone
    # the piped document survived the swap: the fleet (run as a Pilot test) loads it from memory
    async with make_fleet_app(["-", str(example_file)]).run_test(size=(140, 30)) as pilot:
        for _ in range(100):
            await pilot.pause()
            screen = pilot.app.screen
            if isinstance(screen, FleetScreen) and screen.load_progress is None and screen.fleet.entries:
                break
        assert isinstance(screen, FleetScreen)
        names = sorted(e.domain.facts.name or "" for e in screen.fleet.entries if e.domain is not None)
        assert names == ["from-stdin", "gihan-hvm"]
        assert [e.error for e in screen.fleet.entries if e.error] == []


async def test_diff_tab_scrolls_to_the_selected_nic_at_80x24(make_test_app: Any, example_file: Path) -> None:
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = editor(app)
        screen.apply_edit(1, "type", "none")
        screen.apply_edit(2, "model", "e1000")
        screen.select_nic(2)
        screen.action_show_tab("diff")
        await pilot.pause()
        await pilot.pause()
        body = screen.query_one("#body-diff")
        assert body.scroll_y > 0  # NIC 2's part is below the first screenful
        marked = highlighted_lines(app)
        assert marked[0] == "     <interface type='bridge'>" and "+      <model type='e1000'/>" in marked
        # the first marked line is on screen: find its row among the diff's lines
        text = screen.query_one("#text-diff")
        lines = str(text.render()).splitlines()
        row = text.virtual_region.y + lines.index(marked[0])
        assert body.scroll_y <= row < body.scroll_y + body.scrollable_content_region.height
