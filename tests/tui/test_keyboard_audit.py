"""Pilot tests (keyboard only) for a reviewer's session at 80×24 in tmux: letters typed on a
closed picker, the focus after the last NIC goes, a script the type no longer takes, a NIC
without a type, schema warnings in the editor, long values in the NIC list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Select

from tests.tui.pilot_helpers import editor, import_answer, until
from vifconf.tui.widgets.nic_form import MISSING_TYPE
from vifconf.tui.widgets.nic_list import NicList

ONE_NIC = """<domain type='kvm'>
  <name>one</name>
  <memory unit='MiB'>256</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <interface type='bridge'>
      <source bridge='br0'/>
      <mac address='52:54:00:00:00:01'/>
    </interface>
  </devices>
</domain>
"""


def one_nic_file(directory: Path) -> Path:
    path = directory / "one.xml"
    path.write_text(ONE_NIC)
    return path


async def test_letters_on_a_closed_picker_never_delete_or_jump(make_test_app: Any, example_file: Path) -> None:
    """Typing `down` on the Link picker (closed) used to delete the NIC (`d`) and jump to the
    next problem (`n`): the screen's letter keys are off while a field has the keyboard."""
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = editor(app)
        screen.query_one("#field-link", Select).focus()
        await pilot.pause()
        await pilot.press("d", "o", "w", "n", "a", "c", "p", "i", "y")
        await pilot.pause()
        assert len(screen.domain.nics) == 3 and screen.selected == 1
        assert screen.focused is screen.query_one("#field-link", Select)
        assert app.screen is screen  # no import dialog either
        screen.query_one(NicList).focus()
        await pilot.pause()
        await pilot.press("d")  # from the list, `d` still deletes
        await pilot.pause()
        assert len(screen.domain.nics) == 2


async def test_deleting_the_last_nic_from_the_form_gives_the_keyboard_to_the_list(make_test_app: Any,
                                                                                  tmp_path: Path) -> None:  # fmt: skip
    app = make_test_app(one_nic_file(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = editor(app)
        await pilot.press("enter")  # into the form
        await pilot.pause()
        assert screen.focused is not None and screen.focused is not screen.query_one(NicList)
        screen.action_delete_nic()
        await pilot.pause()
        assert screen.domain.nics == [] and screen.focused is screen.query_one(NicList)
        await pilot.press("a")
        await pilot.pause()
        assert len(screen.domain.nics) == 1


async def test_a_script_the_new_type_does_not_take_stays_editable(make_test_app: Any, example_file: Path) -> None:
    """bridge → network keeps <script>, which libvirt then refuses: the Script row stays so
    the user can clear it (it was hidden, with the error unfixable from the form)."""
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = editor(app)
        assert screen.domain.nic(1).script == "vif-bridge"
        screen.apply_edit(1, "type", "network")
        await pilot.pause()
        assert screen.query_one("#row-script").display
        screen.apply_edit(1, "script", None)
        screen.select_nic(2)
        screen.select_nic(1)
        await pilot.pause()
        assert not screen.query_one("#row-script").display  # nothing to fix any more: hidden


async def test_a_nic_without_a_type_is_not_shown_as_none(make_test_app: Any, tmp_path: Path) -> None:
    path = tmp_path / "untyped.xml"
    path.write_text(ONE_NIC.replace("<interface type='bridge'>", "<interface>"))
    app = make_test_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = editor(app)
        await pilot.press("enter")
        await pilot.pause()
        assert screen.query_one("#field-type", Select).value == MISSING_TYPE
        assert "libvirt reads user" in str(screen.query_one("#type-help").render())
        assert screen.session.snapshot().dirty is False  # showing it wrote nothing


async def test_the_editor_shows_the_schema_warnings_check_reports(make_test_app: Any, tmp_path: Path) -> None:
    app = make_test_app(one_nic_file(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = editor(app)
        screen.apply_edit(1, "source", "brü0")
        await pilot.pause()
        assert [p.code for p in screen.session.snapshot().problems if p.nic == 1] == ["schema"]


async def test_long_values_keep_every_nic_row_two_lines_high(make_test_app: Any, example_file: Path) -> None:
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = editor(app)
        screen.apply_edit(1, "source", "b" * 100)
        screen.apply_edit(2, "model", "virtio-non-transitional")
        await pilot.pause()
        nic_list = screen.query_one(NicList)
        assert [nic_list.get_option_at_index(i).prompt.plain.count("\n") for i in range(3)] == [1, 1, 1]
        rendered = [nic_list.render_line(y).text for y in range(6)]
        assert [line.lstrip()[:2] for line in rendered[0::2]] == ["1 ", "2 ", "3 "]
        assert rendered[0].rstrip().endswith("…  ✗1")  # the source is cut, its problem badge is not
        assert "virtio-non-… 00:16:3e:00:a5:58" in rendered[3]


async def test_a_multi_line_paste_of_xm_list_output_imports_whole(make_test_app: Any, clean_file: Path) -> None:
    """`xm list -l` prints one (vif …) over several lines; Textual's Input kept the first."""
    app = make_test_app(clean_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = editor(app)
        before = len(screen.domain.nics)
        await import_answer(pilot, pasted="(device\n  (vif\n    (mac 00:16:3e:11:22:33)\n    (bridge xenbr7)\n  )\n)\n")
        assert app.screen is screen
        assert [(n.source, n.mac) for n in screen.domain.nics[before:]] == [("xenbr7", "00:16:3e:11:22:33")]


@pytest.mark.parametrize("pasted", [
    "# from /etc/xen/old\nname = 'old'\nvif = [ 'mac=00:16:3e:11:22:34, bridge=xenbr7',  # the first\n"
    "        'bridge=xenbr8' ]\n",
    "[ 'bridge=xenbr7,mac=00:16:3e:11:22:34',\n  # a comment between entries\n  'bridge=xenbr8' ]",
])  # fmt: skip
async def test_a_pasted_xm_config_keeps_its_line_breaks(make_test_app: Any, clean_file: Path, pasted: str) -> None:
    """From a review: the lines of a pasted config were joined, so a `#` comment swallowed the
    rest ("no closing ]"), and a comment line before `vif = [` made it a path."""
    app = make_test_app(clean_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = editor(app)
        before = len(screen.domain.nics)
        await import_answer(pilot, pasted=pasted)
        assert app.screen is screen
        assert [n.source for n in screen.domain.nics[before:]] == ["xenbr7", "xenbr8"]


async def test_with_no_nics_the_layout_stays_and_says_what_to_do(make_test_app: Any, tmp_path: Path) -> None:
    app = make_test_app(one_nic_file(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = editor(app)
        preview_before = screen.query_one("#preview").region
        await pilot.press("d")
        await pilot.pause()
        assert screen.domain.nics == []
        assert screen.query_one("#preview").region == preview_before  # it used to jump into the form's cell
        assert "Press a to add one" in str(screen.query_one("#no-nics").render())
        await pilot.press("a")
        await pilot.pause()
        assert not screen.query_one("#no-nics").display and screen.query_one("#nic-form").display


async def test_the_first_enter_in_the_problems_panel_jumps(make_test_app: Any, example_file: Path) -> None:
    from vifconf.tui.widgets.problems_panel import ProblemsPanel

    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = editor(app)
        screen.query_one(ProblemsPanel).focus()
        await pilot.pause()
        first = screen.query_one(ProblemsPanel).problems[0]
        await pilot.press("enter")
        await pilot.pause()
        assert screen.selected == first.nic and screen.focused is not screen.query_one(ProblemsPanel)


async def test_help_keeps_brackets_and_whole_key_names(make_test_app: Any, example_file: Path) -> None:
    """Rich read "[y]" in a description as markup and dropped it; keys were cut at 14 columns."""
    import html
    import re

    from vifconf.tui.screens.help import EXTRA_KEYS

    assert all(len(key) <= 14 for key, _ in EXTRA_KEYS)
    app = make_test_app(example_file)
    async with app.run_test(size=(160, 80)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        text = html.unescape(re.sub(r"<[^>]+>", "", app.export_screenshot()))
        assert "Save [y], Cancel [n]" in text.replace("\xa0", " ")


async def test_the_save_conflict_dialog_shows_all_four_choices_at_80x24(make_test_app: Any, clean_file: Path) -> None:
    from textual.widgets import Button

    from tests.tui.pilot_helpers import conflict

    app = make_test_app(clean_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await conflict(pilot, clean_file, lambda p: p.write_text(p.read_text().replace("gihan-hvm", "renamed")))
        box = app.screen.query_one(".dialog-box").content_region
        buttons = list(app.screen.query(Button))
        assert len(buttons) == 4 and all(box.contains_region(button.region) for button in buttons)


async def test_ctrl_s_with_output_elsewhere_saves_even_without_edits(make_test_app: Any, clean_file: Path,
                                                                     tmp_path: Path) -> None:  # fmt: skip
    """`vifconf guest.xml --output copy.xml`: nothing edited, but copy.xml does not exist yet."""
    from tests.tui.pilot_helpers import until
    from vifconf.tui.dialogs.save_dialog import SaveDialog

    copy = tmp_path / "copy.xml"
    app = make_test_app(clean_file, output=str(copy))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SaveDialog))
        await pilot.press("y")
        await until(pilot, lambda: copy.exists())
    assert copy.read_bytes() == clean_file.read_bytes()


async def test_a_long_path_gives_way_to_the_status_in_the_header(make_test_app: Any, example_file: Path,
                                                                 tmp_path: Path) -> None:  # fmt: skip
    """At 80 columns a deep path pushed "● modified" and the error count off the header; the path
    is cut in the middle, keeping its start and its file name."""
    from vifconf.tui.widgets.domain_header import DomainHeader

    deep = tmp_path / ("very-long-directory-name-for-testing/another-level/" * 2)
    deep.mkdir(parents=True)
    path = deep / "guest-with-long-name.xml"
    path.write_bytes(example_file.read_bytes())
    app = make_test_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("a")
        for _ in range(10):
            await pilot.pause(0.05)
        line = app.screen.query_one(DomainHeader).render_line(0).text
        assert "● modified" in line and "✗ 1 error" in line
        assert "…" in line and "guest-with-long-name.xml" in line


async def test_with_no_color_an_error_marker_is_reverse_video(make_test_app: Any, example_file: Path,
                                                              monkeypatch: Any) -> None:  # fmt: skip
    """NO_COLOR greys colours by brightness: the red ✗ became dark grey on the dark panel."""
    from vifconf.tui.widgets.domain_header import DomainHeader

    monkeypatch.setenv("NO_COLOR", "1")
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = editor(app)
        marked = [segment for widget in (screen.query_one(DomainHeader), screen.query_one(NicList))
                  for y in range(6 if widget is not screen.query_one(DomainHeader) else 1)
                  for segment in widget.render_line(y) if "✗" in segment.text]  # fmt: skip
        assert len(marked) == 2 and all(s.style is not None and s.style.reverse for s in marked)


async def test_every_preview_tab_scrolls_to_the_selected_nic(make_test_app: Any, tmp_path: Path) -> None:
    """Only the XML diff tab followed the selection: NIC 60's vif was far below the fold."""
    from vifconf.tui.widgets.preview import PreviewBody

    nics = "".join(f"<interface type='bridge'><source bridge='xenbr0'/><mac address='00:16:3e:00:01:{n:02x}'/>"
                   f"<model type='e1000'/></interface>" for n in range(60))  # fmt: skip
    path = tmp_path / "big.xml"
    path.write_text(f"<domain type='xen'><name>big</name><os><type>hvm</type></os><devices>{nics}</devices></domain>")
    app = make_test_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = editor(app)
        await pilot.press("end")
        for _ in range(5):
            await pilot.pause(0.05)
        assert screen.selected == 60
        body = screen.query_one("#body-xend-sxpr", PreviewBody)
        assert body.max_scroll_y > 0 and body.scroll_y > body.max_scroll_y / 2


async def test_a_read_only_file_is_marked_when_opened(make_test_app: Any, clean_file: Path, tmp_path: Path) -> None:
    """The user learnt it only when the save was refused, after the edits."""
    from vifconf.tui.dialogs.save_dialog import SaveDialog
    from vifconf.tui.widgets.domain_header import DomainHeader

    clean_file.chmod(0o444)
    app = make_test_app(clean_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.screen.query_one(DomainHeader).render_line(0).text.rstrip().endswith("read-only")
        assert [n.title for n in app._notifications] == ["Read-only"]
        assert "the file is read-only (mode 0444)" in next(iter(app._notifications)).message
        clean_file.chmod(0o644)  # asked again after a save, not per keystroke (a stat on NFS can stall typing)
        await pilot.press("a")
        await pilot.pause()
        assert app.screen.query_one(DomainHeader).render_line(0).text.rstrip().endswith("modified")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SaveDialog))
        await pilot.press("y")
        await until(pilot, lambda: "modified" not in app.screen.query_one(DomainHeader).render_line(0).text)
        assert "read-only" not in app.screen.query_one(DomainHeader).render_line(0).text
    writable = tmp_path / "w.xml"
    writable.write_bytes(clean_file.read_bytes())
    app = make_test_app(writable)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "read-only" not in app.screen.query_one(DomainHeader).render_line(0).text
        assert not list(app._notifications)


async def test_a_read_only_file_offers_save_as(make_test_app: Any, clean_file: Path, tmp_path: Path) -> None:
    """The refusal offered only OK: the edits were stuck unless the user found "Save as" in the palette."""
    from textual.widgets import Input

    from vifconf.tui.dialogs.choice import ChoiceDialog
    from vifconf.tui.dialogs.path_dialog import PathDialog
    from vifconf.tui.dialogs.save_dialog import SaveDialog

    clean_file.chmod(0o444)
    other = tmp_path / "copy.xml"
    app = make_test_app(clean_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("a", "ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SaveDialog))
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, ChoiceDialog))
        assert app.screen.id == "save-failed-dialog"
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, PathDialog))
        app.screen.query_one("#path-input", Input).value = str(other)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SaveDialog))
        await pilot.press("y")
        await until(pilot, lambda: other.exists())
    assert other.read_text().count("<interface") == clean_file.read_text().count("<interface") + 1
