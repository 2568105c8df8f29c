"""The performance work must not change behaviour: rows patched in place, the form built after
the first frame, only the visible preview tab re-rendered, quitting at the first frame, NO_COLOR."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.tui.pilot_helpers import editor
from vifconf.tui.widgets.nic_form import NicForm
from vifconf.tui.widgets.nic_list import NicList
from vifconf.tui.widgets.preview import PreviewBody, PreviewPane
from vifconf.tui.widgets.problems_panel import ProblemsPanel

REPO = Path(__file__).resolve().parents[2]


def rows(widget: NicList | ProblemsPanel) -> list[str]:
    return [str(widget.get_option_at_index(i).prompt) for i in range(widget.option_count)]


def assert_line_cache_consistent(widget: NicList | ProblemsPanel) -> None:
    cache = widget._line_cache
    assert sorted(cache.heights) == list(range(widget.option_count))
    assert len(cache.lines) == sum(cache.heights.values())
    for index, first in cache.index_to_line.items():
        assert cache.lines[first] == (index, 0)


async def test_form_is_built_after_the_first_frame_without_spurious_edits(make_test_app: Any,
                                                                          example_file: Path) -> None:
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        form = editor(app).query_one(NicForm)
        assert form.built and form.nic_index == 1
        assert editor(app).query_one("#field-mac").value == "00:16:3e:00:a5:57"  # type: ignore[attr-defined]
        assert not editor(app).dirty, "mounting the fields must not count as an edit"
        assert not editor(app).query("#form-sketch")


async def test_enter_on_the_list_right_away_still_focuses_the_form(make_test_app: Any, example_file: Path) -> None:
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")  # possibly before the fields exist
        await pilot.pause()
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "field-type"


async def test_rows_patched_in_place_match_a_rebuild(make_test_app: Any, example_file: Path) -> None:
    app = make_test_app(example_file)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        screen = editor(app)
        nic_list = screen.query_one(NicList)
        panel = screen.query_one(ProblemsPanel)
        before = rows(nic_list)
        screen.apply_edit(2, "model", "e1000", typing=True)
        await pilot.pause()
        after = rows(nic_list)
        assert after[0] == before[0] and after[2] == before[2]
        assert "e1000" in after[1] and "rtl8139" not in after[1]
        assert_line_cache_consistent(nic_list)

        # the problems panel changes length (NIC 3's bad MAC fixed): reused rows + new rows
        count = panel.option_count
        screen.apply_edit(3, "mac", "00:16:3e:00:a5:59")
        await pilot.pause()
        assert panel.option_count == count - 1
        assert all(p.message in row for p, row in zip(panel.problems, rows(panel), strict=True))
        assert_line_cache_consistent(panel)
        assert_line_cache_consistent(nic_list)

        # add and delete NICs: the list grows and shrinks, the selection follows
        await pilot.press("a")
        await pilot.pause()
        assert nic_list.option_count == 4 and nic_list.highlighted == 3
        await pilot.press("d")
        await pilot.pause()
        assert nic_list.option_count == 3 and nic_list.highlighted == 2
        assert_line_cache_consistent(nic_list)
        assert rows(nic_list)[0] == before[0]


async def test_only_the_visible_tab_is_rerendered_and_hidden_tabs_catch_up(make_test_app: Any,
                                                                           example_file: Path) -> None:
    app = make_test_app(example_file)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        screen = editor(app)
        pane = screen.query_one(PreviewPane)
        pane.mount_every_tab()
        await pilot.pause()
        xl = screen.query_one("#body-xl", PreviewBody)
        shown = xl.shown
        screen.apply_edit(1, "mac", "00:16:3e:11:22:33")
        await pilot.pause()
        assert xl.shown is shown, "a hidden tab is not re-rendered per edit"
        assert "00:16:3e:11:22:33" in str(screen.query_one("#text-xend-sxpr").render())
        screen.action_show_tab("xl")
        await pilot.pause()
        assert "00:16:3e:11:22:33" in str(screen.query_one("#text-xl").render())
        screen.action_show_tab("diff")
        await pilot.pause()
        assert "00:16:3e:11:22:33" in str(screen.query_one("#text-diff").render())


async def test_runs_with_no_color(make_test_app: Any, example_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.no_color
        screen = editor(app)
        screen.query_one("#field-mac").focus()
        await pilot.press("end", "backspace", "x")
        await pilot.pause()
        assert screen.query_one("#mac-error").display  # still shown in place, by text not hue
        assert "not a MAC" in str(screen.query_one("#mac-error").render())


@pytest.mark.parametrize("nics", [3, 64])
def test_quit_at_the_first_frame_is_clean(tmp_path: Path, nics: int) -> None:
    """What the cold-start benchmark does: exit right after the first paint, while the form
    fields and era selectors are still to be built. No traceback, exit status 0."""
    code = f"""
import os
os.environ["VIFCONF_EXIT_AFTER_PAINT"] = "1"
from vifconf.examples import EXAMPLE_DOMAIN
from vifconf.model import Domain
from vifconf.render import RenderOptions
from vifconf.tui.app import make_app
domain = Domain.from_path(EXAMPLE_DOMAIN)
while len(domain.nics) < {nics}:
    domain.clone_nic(len(domain.nics))
make_app(domain, None, None, RenderOptions(), remember=False).run(headless=True, size=(80, 24))
print("clean exit")
"""
    env = dict(os.environ, PYTHONPATH=str(REPO), TEXTUAL_ANIMATIONS="none", VIFCONF_CONFIG_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("clean exit")
    assert "Traceback" not in result.stderr and "Error" not in result.stdout + result.stderr


async def test_next_tab_key_fills_a_tab_never_shown_before(make_test_app: Any, example_file: Path) -> None:
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f2")
        await pilot.pause()
        assert editor(app).query_one(PreviewPane).active_tab == "qemu-dm"
        assert "rules:" in str(editor(app).query_one("#rule-qemu-dm").render())
        assert str(editor(app).query_one("#text-qemu-dm").render()).strip()
