"""Pilot tests for issue 4's finer points: stdin + --output, the pickers' explanations, errors
shown in place, save blocked by error problems, the save dialog's keys, crash recovery."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Input, Select

from tests.tui.pilot_helpers import editor, import_answer, type_into, until
from vifconf import journal
from vifconf.examples import EXAMPLE_DOMAIN
from vifconf.model import Domain
from vifconf.render import RenderOptions
from vifconf.tui.app import make_app
from vifconf.tui.dialogs.choice import ChoiceDialog
from vifconf.tui.dialogs.path_dialog import PathDialog
from vifconf.tui.dialogs.save_dialog import SaveDialog
from vifconf.tui.screens.editor import EditorScreen

GOOD_MAC = b"00:16:3e:00:a5:59"


def stdin_app(output: str | None) -> Any:
    """As `cat guest.xml | vifconf - [--output PATH]` builds it (the CLI passes path None)."""
    data = EXAMPLE_DOMAIN.read_bytes().replace(b"00:16:3e:0G:a5:59", GOOD_MAC)
    return make_app(Domain.from_bytes(data, "-"), None, output, RenderOptions(), remember=False)


async def test_stdin_saves_to_output(tmp_path: Path) -> None:
    out = tmp_path / "out.xml"
    app = stdin_app(str(out))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        header = str(editor(app).query_one("#domain-header").render())
        assert "stdin → " in header and header.endswith("/out.xml")  # the middle is cut at 80 columns
        await pilot.press("a", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SaveDialog) and app.screen.target == str(out)
        await pilot.press("y")
        await pilot.pause()
        assert not editor(app).dirty
    assert out.read_bytes().count(b"</interface>") == 4


async def test_stdin_without_output_says_why_it_asks_for_a_path(tmp_path: Path) -> None:
    app = stdin_app(None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "stdin (no --output" in str(editor(app).query_one("#domain-header").render())
        await pilot.press("a", "ctrl+s")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, PathDialog)
        assert "--output" in str(dialog.query_one("#path-why").render())
        await pilot.press(*str(tmp_path / "chosen.xml"), "enter")
        await pilot.pause()
        assert isinstance(app.screen, SaveDialog)
        await pilot.press("enter")  # the Save button has the focus
        await pilot.pause()
        assert isinstance(app.screen, EditorScreen)
    assert (tmp_path / "chosen.xml").read_bytes().count(b"</interface>") == 4


async def test_save_dialog_keys_are_visible_and_enter_saves(make_test_app: Any, clean_file: Path) -> None:
    app = make_test_app(clean_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("a", "ctrl+s")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, SaveDialog)
        assert str(dialog.query_one("#save-yes").render()).strip() == "Save [y]"  # not eaten as markup
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, EditorScreen) and not editor(app).dirty
    assert clean_file.read_text().count("</interface>") == 4


async def test_pickers_search_the_explanations(make_test_app: Any, example_file: Path) -> None:
    """Type-to-search reads the explanation too: 'macvtap' finds direct, 'netback' netfront."""
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for select_id, query in (("field-type", "macvtap"), ("field-model", "seed's 'netback'")):
            app.screen.query_one(f"#{select_id}", Select).focus()
            await pilot.press("enter")
            await pilot.pause()
            await pilot.press(*query, "enter")
            await pilot.pause()
        nic = editor(app).domain.nic(1)
        assert (nic.type, nic.model) == ("direct", "netfront")
        assert app.screen.query_one("#row-mode").display  # direct: dev + mode
        shown = str(app.screen.query_one("#field-model").query_one("#label").render())
        assert shown.strip() == "netfront"  # the closed picker shows just the name


async def test_a_hostdev_nics_model_says_it_emulates_nothing(make_test_app: Any, tmp_path: Path) -> None:
    """The model help described the default emulated card (rtl8139) for a passed-through VF."""
    from textual.widgets import Static

    from vifconf.models_catalog import PASSTHROUGH_MODEL_HELP

    path = tmp_path / "hostdev.xml"
    path.write_text("<domain type='kvm'><name>h</name><os><type arch='x86_64' machine='pc'>hvm</type></os><devices>"
                    "<interface type='hostdev'><mac address='52:54:00:00:00:07'/></interface>"
                    "<interface type='bridge'><mac address='52:54:00:00:00:08'/><source bridge='br0'/></interface>"
                    "</devices></domain>")  # fmt: skip
    app = make_test_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()

        def model_help() -> str:
            return str(app.screen.query_one("#model-help", Static).render())

        await until(pilot, lambda: model_help() == PASSTHROUGH_MODEL_HELP)
        app.screen.query_one("#field-type", Select).value = "bridge"  # a change of type: the model's own help
        await until(pilot, lambda: "rtl8139" in model_help())
        app.screen.query_one("#field-type", Select).value = "hostdev"
        await until(pilot, lambda: model_help() == PASSTHROUGH_MODEL_HELP)
        await pilot.press("escape", "down")  # NIC 2, a bridge
        await until(pilot, lambda: "rtl8139" in model_help())


async def test_a_type_none_nics_model_help_says_no_model_is_used(make_test_app: Any, example_file: Path) -> None:
    """From a UI audit: after type none, the model help still promised qemu-dm's rtl8139."""
    from textual.widgets import Static

    from vifconf.models_catalog import TYPE_NONE_MODEL_HELP

    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()

        def model_help() -> str:
            return str(app.screen.query_one("#model-help", Static).render())

        await until(pilot, lambda: "rtl8139" in model_help())
        app.screen.query_one("#field-type", Select).value = "none"
        await until(pilot, lambda: model_help() == TYPE_NONE_MODEL_HELP)
        app.screen.query_one("#field-type", Select).value = "bridge"
        await until(pilot, lambda: "rtl8139" in model_help())


async def test_invalid_target_is_marked_in_place_and_kept(make_test_app: Any, example_file: Path) -> None:
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await type_into(pilot, "field-target", "vif 1/x")
        target = app.screen.query_one("#field-target", Input)
        assert target.has_class("-invalid")
        assert "device name" in str(app.screen.query_one("#nic-problems").render())
        await pilot.press("escape", "down", "up")
        await pilot.pause()
        assert app.screen.query_one("#field-target", Input).value == "vif 1/x"  # never silently lost
        await type_into(pilot, "field-target", "vif1.0")
        assert not target.has_class("-invalid")


async def test_error_problems_block_save_until_confirmed(make_test_app: Any, clean_file: Path) -> None:
    app = make_test_app(clean_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await type_into(pilot, "field-source", "")  # a bridge without a bridge: an error
        await pilot.press("escape", "ctrl+s")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ChoiceDialog) and dialog.id == "errors-dialog"
        await pilot.press("g")  # go to the first
        await pilot.pause()
        assert app.screen.focused is app.screen.query_one("#field-source")
        assert b"xenbr0" in clean_file.read_bytes()  # not saved
        await pilot.press("escape", "ctrl+s")
        await pilot.pause()
        await pilot.press("a")  # save anyway
        await pilot.pause()
        assert isinstance(app.screen, SaveDialog)
        await pilot.press("y")
        await pilot.pause()
    assert b"<source bridge='xenbr0'/>\n      <mac address='00:16:3e:00:a5:57'/>" not in clean_file.read_bytes()


async def test_edits_are_journaled_and_offered_back(make_test_app: Any, clean_file: Path) -> None:
    """Crash recovery: unsaved edits go to the journal; reopening offers them back."""
    app = make_test_app(clean_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await type_into(pilot, "field-target", "vifsaved")
        editor(app).flush_journal()  # what the 1 s interval does
        journaled = journal.pending(str(clean_file))
        assert journaled is not None and b"vifsaved" in journaled
        # the process dies here: no save, no quit dialog
    assert journal.pending(str(clean_file)) is not None

    app = make_test_app(clean_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ChoiceDialog) and dialog.id == "restore-dialog"
        await pilot.press("r")
        await pilot.pause()
        screen = editor(app)
        assert screen.domain.nic(1).target == "vifsaved" and screen.dirty
        assert app.screen.query_one("#field-target", Input).value == "vifsaved"
        await pilot.press("escape", "ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert journal.pending(str(clean_file)) is None  # saved: nothing left to recover
    assert b"vifsaved" in clean_file.read_bytes()


async def test_a_restore_is_one_undo_step(make_test_app: Any, clean_file: Path) -> None:
    """Undo after restoring goes back to the file as it is on disk; redo brings the restored
    edits back; an edit after that undo ends the redo chain."""
    journal.write(str(clean_file), clean_file.read_bytes().replace(b"gihan-hvm", b"restored"))
    app = make_test_app(clean_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.pause()
        await pilot.press("r")  # restore
        await pilot.pause()
        screen = editor(app)
        assert screen.domain.facts.name == "restored" and screen.dirty
        screen.action_undo()
        assert screen.domain.facts.name == "gihan-hvm" and not screen.dirty
        screen.action_redo()
        assert screen.domain.facts.name == "restored" and screen.dirty
        screen.action_undo()
        screen.domain.nic(1).set("target", "vifnew")  # a new edit on the disk version
        screen.action_redo()  # redoes nothing: that branch is gone
        assert screen.domain.facts.name == "gihan-hvm" and screen.domain.nic(1).target == "vifnew"
        screen.action_undo()
        assert screen.domain.nic(1).target != "vifnew" and not screen.dirty
        screen.action_undo()  # nothing left: the restore is not undone twice
        assert screen.domain.facts.name == "gihan-hvm"


async def test_undo_that_brings_nics_back_selects_one(make_test_app: Any, tmp_path: Path) -> None:
    path = tmp_path / "empty.xml"
    path.write_text("<domain type='kvm'>\n  <name>empty</name>\n  <devices>\n  </devices>\n</domain>\n")
    app = make_test_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = editor(app)
        screen.action_add_nic()
        screen.action_delete_nic()
        assert screen.selected == 0 and not screen.domain.nics
        screen.action_undo()  # the NIC is back: it is selected and shown, no crash
        await pilot.pause()
        assert screen.selected == 1 and len(screen.domain.nics) == 1
        assert app.screen is screen


async def test_typing_back_to_the_start_leaves_nothing_to_redo(make_test_app: Any, clean_file: Path) -> None:
    app = make_test_app(clean_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = editor(app)
        before = screen.domain.nic(1).target
        await type_into(pilot, "field-target", (before or "") + "x")
        await pilot.press("backspace")
        await pilot.pause()
        assert screen.domain.nic(1).target == before and not screen.dirty
        screen.action_redo()  # the merged keystroke is not a step to redo
        assert screen.domain.nic(1).target == before and not screen.dirty


async def test_the_ui_shows_each_problems_hint(make_test_app: Any, example_file: Path) -> None:
    """The command line printed a hint per problem; the UI showed only the messages."""
    from vifconf.tui.widgets.problems_panel import ProblemsPanel

    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = editor(app)
        await pilot.press("n")
        await pilot.pause()
        panel = screen.query_one(ProblemsPanel)
        problem = panel.problems[panel.highlighted or 0]
        assert problem.hint and panel.border_subtitle == f"hint: {problem.hint}"
        app._notifications.clear()
        await pilot.press("enter")
        await pilot.pause()
        [note] = list(app._notifications)
        assert note.message == f"{problem.message}\nhint: {problem.hint}"
        # fixed: the next problem moves up under the highlight, and its hint (or none) shows
        screen.apply_edit(problem.nic, problem.field, "00:16:3e:00:a5:59")
        await pilot.pause()
        shown = panel.problems[panel.highlighted or 0] if panel.problems else None
        assert shown is not problem
        assert panel.border_subtitle == (f"hint: {shown.hint}" if shown is not None and shown.hint else "")


async def test_a_tall_terminal_gives_the_list_problems_and_form_their_share(make_test_app: Any,
                                                                             example_file: Path) -> None:  # fmt: skip
    """Stacked, the top kept 12 rows at any height: at 100x40 the problems stayed 3 lines."""
    from vifconf.tui.widgets.problems_panel import ProblemsPanel

    for size, tall in (((80, 24), False), ((100, 40), True)):
        app = make_test_app(example_file)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            screen = editor(app)
            assert screen.has_class("-narrow") and screen.has_class("-tall") == tall
            top = screen.query_one("#body").size.height
            left = screen.query_one("#left").size.height
            assert (left > 12) == tall and left <= top // 2 + 1
            assert (screen.query_one(ProblemsPanel).size.height > 4) == tall


async def test_undo_after_a_save_stops_at_what_was_saved(make_test_app: Any, clean_file: Path) -> None:
    """Keys typed after a save merged into the saved keystrokes' undo step: one ctrl+z took
    the field back past the save (br9 saved, br9x typed, ctrl+z gave xenbr0)."""
    app = make_test_app(clean_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = editor(app)
        await type_into(pilot, "field-target", "t9")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SaveDialog))
        await pilot.press("y")
        await until(pilot, lambda: not screen.dirty)
        await pilot.press("x")
        await until(pilot, lambda: screen.domain.nic(1).target == "t9x")
        screen.action_undo()
        await pilot.pause()
        assert screen.domain.nic(1).target == "t9" and not screen.dirty


async def test_declining_restore_and_quitting_without_saving_drop_the_journal(
    make_test_app: Any, clean_file: Path
) -> None:
    journal.write(str(clean_file), clean_file.read_bytes().replace(b"gihan-hvm", b"edited"))
    app = make_test_app(clean_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.pause()
        await pilot.press("d")  # discard them
        await pilot.pause()
        assert journal.pending(str(clean_file)) is None
        assert editor(app).domain.facts.name == "gihan-hvm"
        await pilot.press("a")
        editor(app).flush_journal()
        assert journal.pending(str(clean_file)) is not None
        await pilot.press("ctrl+q", "q")  # quit without saving: thrown away on purpose
        await pilot.pause()
    assert journal.pending(str(clean_file)) is None


async def test_undoing_back_to_the_file_drops_the_journal(make_test_app: Any, clean_file: Path) -> None:
    app = make_test_app(clean_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("a")
        editor(app).flush_journal()
        assert journal.pending(str(clean_file)) is not None
        await pilot.press("ctrl+z")
        editor(app).flush_journal()
        assert journal.pending(str(clean_file)) is None


async def test_import_xend_vifs_from_a_file_or_pasted(make_test_app: Any, clean_file: Path, tmp_path: Path,
                                                      monkeypatch: Any) -> None:  # fmt: skip
    """`i` asks for a config.sxp (or a pasted expression), adds its vifs as NICs in one undo step."""
    monkeypatch.setenv("HOME", str(tmp_path))
    sxp = tmp_path / "config.sxp"
    sxp.write_text("(domain (name old) (device (vif (bridge xenbr1) (mac 00:16:3e:11:22:33) (model e1000)))\n"
                   " (device (vif (mac 00:16:3e:11:22:34) (script vif-route))))\n")  # fmt: skip
    app = make_test_app(clean_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = editor(app)
        before = len(screen.domain.nics)
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, PathDialog)
        await type_into(pilot, "path-input", "~/config.sxp")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        added = screen.domain.nics[before:]
        assert [(n.type, n.source, n.mac, n.model, n.script) for n in added] == [
            ("bridge", "xenbr1", "00:16:3e:11:22:33", "e1000", None),
            ("ethernet", None, "00:16:3e:11:22:34", None, "vif-route"),
        ]
        assert screen.selected == before + 1
        screen.action_undo()  # both at once
        assert len(screen.domain.nics) == before

        await pilot.press("i")
        await pilot.pause()
        await type_into(pilot, "path-input", "(vif (mac '00:16:3e:11:22:35')(bridge 'xenbr0')(type netfront))")
        await pilot.press("enter")
        await pilot.pause()
        assert [(n.source, n.model) for n in screen.domain.nics[before:]] == [("xenbr0", "netfront")]

        for wrong in (str(tmp_path / "missing.sxp"), "-"):  # "-" would read the terminal itself
            await pilot.press("i")
            await pilot.pause()
            await type_into(pilot, "path-input", wrong)
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, PathDialog))  # back, with why, to fix or cancel
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is screen)
            assert len(screen.domain.nics) == before + 1  # nothing added


async def test_import_an_xm_config_or_a_pasted_xl_entry(make_test_app: Any, clean_file: Path, tmp_path: Path) -> None:
    """From a UI audit: an xm config and a pasted `bridge=…` entry were "no (vif …) device"."""
    cfg = tmp_path / "old.cfg"
    cfg.write_text("name = 'old'\nvif = [ 'mac=00:16:3e:11:22:36, bridge=xenbr0, model=e1000',\n"
                   "        'type=ioemu, bridge=xenbr1' ]\n")  # fmt: skip
    app = make_test_app(clean_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = editor(app)
        before = len(screen.domain.nics)
        for answer in (str(cfg), "bridge=xenbr2, mac=00:16:3e:11:22:37"):
            await import_answer(pilot, answer)
        assert [(n.source, n.model) for n in screen.domain.nics[before:]] == [
            ("xenbr0", "e1000"), ("xenbr1", None), ("xenbr2", None)]  # fmt: skip


async def test_the_save_dialog_never_wraps_a_diff_line(make_test_app: Any, example_file: Path) -> None:
    """From a UI audit: a wrapped line lost its +/- and read as a line of its own; now every
    diff line is one screen line, and ← → scroll the long ones sideways."""
    from textual.containers import VerticalScroll

    from vifconf.tui.dialogs.save_dialog import SaveDialog

    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        editor(app).apply_edit(1, "type", "none")  # next to the example's long comment line
        await pilot.pause()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen.id == "errors-dialog")
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, SaveDialog))
        diff = app.screen.query_one("#save-diff", VerticalScroll)
        lines = app.screen.diff.splitlines()
        assert diff.virtual_size.height == len(lines) + 1  # one row per line (and the last newline), none wrapped
        assert diff.max_scroll_x > 0
        await pilot.press("right")
        await pilot.pause()
        assert diff.scroll_x > 0
        await pilot.press("left")
        await pilot.pause()
        assert diff.scroll_x == 0


async def test_an_import_that_fails_comes_back_to_be_fixed(make_test_app: Any, clean_file: Path) -> None:
    """From a tmux audit: an unreadable answer closed the dialog and the typed text was gone."""
    from textual.widgets import Input, Static

    from vifconf.tui.dialogs.path_dialog import PathDialog

    app = make_test_app(clean_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = editor(app)
        before = len(screen.domain.nics)
        await import_answer(pilot, "vif = [ 'bridge=xenbr5' ")
        await until(pilot, lambda: isinstance(app.screen, PathDialog))
        box = app.screen.query_one("#path-input", Input)
        assert box.value == "vif = [ 'bridge=xenbr5'"  # as typed (the dialog trims the answer)
        assert "no closing ]" in str(app.screen.query_one("#path-why", Static).render())
        box.value += " ]"
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is screen)
        assert [n.source for n in screen.domain.nics[before:]] == ["xenbr5"]
