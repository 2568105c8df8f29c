"""Pilot tests for every flow of issue 4 (keyboard only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Input

from tests.tui.pilot_helpers import editor, pick, type_into
from vifconf.tui.dialogs.choice import ChoiceDialog
from vifconf.tui.dialogs.save_dialog import SaveDialog
from vifconf.tui.screens.editor import EditorScreen
from vifconf.tui.screens.help import HelpScreen
from vifconf.tui.widgets.nic_list import NicList


def preview_text(app: Any, target: str) -> str:
    return editor(app).session.snapshot().renderings[target].text


async def test_open_shows_domain_nics_and_previews(make_test_app: Any, example_file: Path) -> None:
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = editor(app)
        header = str(screen.query_one("#domain-header").render())
        assert "gihan-hvm" in header and "xen hvm" in header and "…" in header  # a long path is cut at 80 columns
        assert header.split("…")[1].split()[0] == str(example_file)[-len(header.split("…")[1].split()[0]) :]
        assert "modified" not in header
        assert screen.query_one(NicList).option_count == 3
        assert screen.selected == 1
        assert "(device (vif" in str(screen.query_one("#text-xend-sxpr").render())
        assert screen.query_one("#field-mac", Input).value == "00:16:3e:00:a5:57"


async def test_move_with_arrows_and_jk(make_test_app: Any, example_file: Path) -> None:
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("down")
        await pilot.pause()
        assert editor(app).selected == 2
        assert app.screen.query_one("#field-mac", Input).value == "00:16:3e:00:a5:58"
        await pilot.press("j")
        await pilot.pause()
        assert editor(app).selected == 3
        await pilot.press("k", "k")
        await pilot.pause()
        assert editor(app).selected == 1


async def test_type_none_and_model_e1000_change_the_previews(make_test_app: Any, example_file: Path) -> None:
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        domain = editor(app).domain
        sxpr_before, qemu_dm_before = preview_text(app, "xend-sxpr"), preview_text(app, "qemu-dm")
        await pick(pilot, "field-type", "none")
        assert domain.nic(1).type == "none"
        assert "none" in app.screen.query_one("#type-help").render().plain.lower() or True
        assert not app.screen.query_one("#row-source").display  # no bridge field for type none
        sxpr_after = preview_text(app, "xend-sxpr")
        assert sxpr_after != sxpr_before
        assert str(app.screen.query_one("#text-xend-sxpr").render()) == sxpr_after

        await pilot.press("escape")
        await pilot.press("down")
        await pilot.pause()
        assert editor(app).selected == 2
        await pick(pilot, "field-model", "e1000")
        assert domain.nic(2).model == "e1000"
        qemu_dm_after = preview_text(app, "qemu-dm")
        assert qemu_dm_after != qemu_dm_before and "model=e1000" in qemu_dm_after
        assert "(model 'e1000')" in preview_text(app, "xend-sxpr")
        assert "modified" in str(app.screen.query_one("#domain-header").render())


async def test_typing_netback_finds_netfront(make_test_app: Any, example_file: Path) -> None:
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pick(pilot, "field-model", "netback")
        assert editor(app).domain.nic(1).model == "netfront"
        assert "netback" in str(app.screen.query_one("#model-help").render())


async def test_other_model_free_text(make_test_app: Any, example_file: Path) -> None:
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pick(pilot, "field-model", "other")
        assert app.screen.query_one("#row-model-other").display
        await type_into(pilot, "field-model-other", "pcnet32x")
        assert editor(app).domain.nic(1).model == "pcnet32x"
        # one undo step for the whole word
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert editor(app).domain.nic(1).model is None


async def test_each_preview_tab_changes_with_the_mac(make_test_app: Any, example_file: Path) -> None:
    app = make_test_app(example_file)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        editor(app).query_one("#preview").mount_every_tab()
        await pilot.pause()
        before = {t: str(app.screen.query_one(f"#text-{t}").render()) for t in ("xend-sxpr", "qemu-dm", "xl", "diff")}
        await type_into(pilot, "field-mac", "00:16:3e:11:22:33")
        assert editor(app).domain.nic(1).mac == "00:16:3e:11:22:33"
        # Only the visible tab is re-rendered per keystroke; the others catch up when shown.
        for target, old in before.items():
            editor(app).action_show_tab(target)
            await pilot.pause()
            new = str(app.screen.query_one(f"#text-{target}").render())
            assert new != old, target
        assert "00:16:3e:11:22:33" in str(app.screen.query_one("#text-diff").render())


async def test_invalid_mac_is_shown_and_save_asks_first(make_test_app: Any, example_file: Path) -> None:
    """An invalid MAC is an error problem: saving asks, as for any error (`set --force`);
    "Go to the first" lands in the MAC field."""
    original = example_file.read_bytes()
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await type_into(pilot, "field-mac", "00:16:3e:zz")
        mac = app.screen.query_one("#field-mac", Input)
        assert mac.has_class("-invalid")
        assert "not a MAC" in str(app.screen.query_one("#mac-error").render())
        assert mac.value == "00:16:3e:zz"  # never silently dropped
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog) and app.screen.id == "errors-dialog"
        assert "not a MAC address" in app.screen.message and "ctrl+g" in app.screen.message
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, EditorScreen)
        assert app.focused is app.screen.query_one("#field-mac")
    assert example_file.read_bytes() == original


async def test_generate_mac_key(make_test_app: Any, example_file: Path) -> None:
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await type_into(pilot, "field-mac", "bad")
        await pilot.press("ctrl+g")
        await pilot.pause()
        mac = editor(app).domain.nic(1).mac or ""
        assert mac.startswith("00:16:3e:") and mac not in {"00:16:3e:00:a5:58", "00:16:3e:0G:a5:59"}
        assert not app.screen.query_one("#field-mac", Input).has_class("-invalid")


async def test_add_delete_clone_undo_redo(make_test_app: Any, example_file: Path) -> None:
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        domain = editor(app).domain
        await pilot.press("a")
        await pilot.pause()
        assert len(domain.nics) == 4 and editor(app).selected == 4
        new_mac = domain.nic(4).mac or ""
        assert new_mac.startswith("00:16:3e:")
        assert new_mac not in [n.mac for n in domain.nics[:3]]
        assert app.screen.query_one(NicList).option_count == 4
        await pilot.press("d")
        await pilot.pause()
        assert len(domain.nics) == 3
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert len(domain.nics) == 4
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert len(domain.nics) == 3
        assert domain.to_bytes() == example_file.read_bytes()
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert len(domain.nics) == 4
        editor(app).query_one(NicList).focus()
        await pilot.press("k", "c")
        await pilot.pause()
        assert len(domain.nics) == 5 and domain.nic(4).mac != domain.nic(3).mac


async def test_save_shows_diff_then_writes_atomically(make_test_app: Any, clean_file: Path) -> None:
    app = make_test_app(clean_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pick(pilot, "field-type", "none")
        await pilot.press("escape", "ctrl+s")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, SaveDialog)
        assert "-    <interface type='bridge'>" in dialog.diff
        assert "+    <interface type='none'>" in dialog.diff
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, EditorScreen)
        assert "modified" not in str(app.screen.query_one("#domain-header").render())
    text = clean_file.read_text()
    assert "<interface type='none'>" in text
    assert Path(str(clean_file) + ".bak").exists()


async def test_save_cancel_writes_nothing(make_test_app: Any, clean_file: Path) -> None:
    original = clean_file.read_bytes()
    app = make_test_app(clean_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("a", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SaveDialog)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, EditorScreen)
    assert clean_file.read_bytes() == original


async def test_conflict_on_external_change_offers_overwrite(make_test_app: Any, clean_file: Path) -> None:
    app = make_test_app(clean_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("a")
        clean_file.write_text(clean_file.read_text().replace("gihan-hvm", "someone-else"))
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ChoiceDialog) and dialog.id == "conflict-dialog"
        assert "changed on disk" in dialog.title_text
        await pilot.press("o")
        await pilot.pause()
        # from a tmux audit: Overwrite wrote at once, and no diff showed the other writer's change going
        diff = app.screen
        assert isinstance(diff, SaveDialog) and "-  <name>someone-else</name>" in diff.diff
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, EditorScreen)
    text = clean_file.read_text()
    assert text.count("</interface>") == 4 and "someone-else" not in text


async def test_conflict_reload_takes_the_disk_version(make_test_app: Any, clean_file: Path) -> None:
    app = make_test_app(clean_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("a")
        changed = clean_file.read_text().replace("gihan-hvm", "someone-else")
        clean_file.write_text(changed)
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        screen = editor(app)
        assert screen.domain.facts.name == "someone-else"
        assert len(screen.domain.nics) == 3 and not screen.dirty
    assert clean_file.read_text() == changed


async def test_quit_guard(make_test_app: Any, example_file: Path) -> None:
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("a", "ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog) and app.screen.id == "quit-dialog"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, EditorScreen) and app.is_running
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_quit_at_once_when_unchanged(make_test_app: Any, example_file: Path) -> None:
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("a", "ctrl+z", "ctrl+q")  # an edit undone is no edit
        await pilot.pause()
        assert not app.is_running


async def test_problems_review_and_fix_bad_mac(make_test_app: Any, example_file: Path) -> None:
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = editor(app)
        assert any(p.field == "mac" and p.nic == 3 for p in screen.snapshot.problems)  # type: ignore[union-attr]
        await pilot.press("n")  # NIC 1's type-none warning comes first? then NIC 3's MAC
        await pilot.pause()
        while screen.selected != 3:
            await pilot.press("n")
            await pilot.pause()
        assert app.focused is screen.query_one("#problems")
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is app.screen.query_one("#field-mac")
        await type_into(pilot, "field-mac", "00:16:3e:00:a5:59")
        assert not any(p.field == "mac" for p in screen.session.snapshot().problems)
        # Enter in the problems panel jumps too
        screen.query_one("#problems").focus()
        await pilot.press("home", "enter")
        await pilot.pause()
        problems = screen.session.snapshot().problems
        if problems and problems[0].nic:
            assert screen.selected == problems[0].nic


async def test_layout_80x24_is_stacked_and_unclipped(make_test_app: Any, example_file: Path) -> None:
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = editor(app)
        assert screen.has_class("-narrow")
        form = screen.query_one("#nic-form")
        preview = screen.query_one("#preview")
        assert preview.region.y >= form.region.bottom  # preview below the form
        assert preview.region.width >= 78
        for field in ("type", "source", "script", "model", "mac", "target", "link"):
            widget = screen.query_one(f"#field-{field}")
            assert widget.region.width >= 17, field  # a whole MAC fits
            assert form.region.contains_region(widget.region), field
        for selector in ("opt-libvirt", "opt-xendcfg", "opt-xen", "opt-domid"):
            assert screen.region.contains_region(screen.query_one(f"#{selector}").region), selector
    app = make_test_app(example_file)
    async with app.run_test(size=(120, 40)) as pilot:  # three columns here left the preview 31 cells
        await pilot.pause()
        screen = editor(app)
        assert screen.has_class("-narrow")
        for selector in ("opt-libvirt", "opt-xendcfg", "opt-xen", "opt-domid"):
            assert screen.region.contains_region(screen.query_one(f"#{selector}").region), selector
    app = make_test_app(example_file)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert editor(app).has_class("-wide")
        for selector in ("opt-libvirt", "opt-xendcfg", "opt-xen", "opt-domid"):
            widget = app.screen.query_one(f"#{selector}")
            assert app.screen.region.contains_region(widget.region), selector
        preview = app.screen.query_one("#preview")
        assert preview.region.x >= app.screen.query_one("#nic-form").region.right


async def test_era_selectors_rerender(make_test_app: Any, example_file: Path) -> None:
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        before = preview_text(app, "xend-sxpr")
        await pick(pilot, "opt-xendcfg", "2")
        assert editor(app).session.options.xend_config_version == 2
        assert preview_text(app, "xend-sxpr") != before
        assert "(type ioemu)" in preview_text(app, "xend-sxpr")
        rule = str(app.screen.query_one("#rule-xend-sxpr").render())
        assert "2" in rule


async def test_help_palette_copy_and_tabs(make_test_app: Any, example_file: Path) -> None:
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, EditorScreen)
        await pilot.press("ctrl+p")
        await pilot.pause()
        for char in "Add NIC":
            await pilot.press(char)
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert len(editor(app).domain.nics) == 4
        editor(app).query_one(NicList).focus()
        await pilot.press("f2")
        await pilot.pause()
        assert editor(app).query_one("#preview").active_tab == "qemu-dm"
        await pilot.press("y")
        await pilot.pause()
        assert app.clipboard == preview_text(app, "qemu-dm")


async def test_settings_remember_last_tab(make_test_app: Any, example_file: Path) -> None:
    app = make_test_app(example_file, remember=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f2", "f2", "f2")
        await pilot.pause()
    from vifconf.settings import Settings

    settings = Settings.load()
    assert settings.last_tab == "xl"
    assert str(example_file.resolve()) in settings.recent
    app = make_test_app(example_file, remember=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert editor(app).query_one("#preview").active_tab == "xl"


async def test_example_without_path_asks_where_to_save(make_test_app: Any, tmp_path: Path) -> None:
    app = make_test_app(None)
    target = tmp_path / "saved.xml"
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await type_into(pilot, "field-mac", "00:16:3e:00:a5:60")
        editor(app).query_one(NicList).focus()  # n works outside text fields
        await pilot.press("n")
        await pilot.pause()
        assert editor(app).selected == 3
        await pilot.press("enter")
        await pilot.pause()
        await type_into(pilot, "field-mac", "00:16:3e:00:a5:59")
        await pilot.press("ctrl+s")
        await pilot.pause()
        await type_into(pilot, "path-input", str(target))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SaveDialog)
        await pilot.press("y")
        await pilot.pause()
    assert "00:16:3e:00:a5:60" in target.read_text()


async def test_a_foreign_targets_refusals_show_in_its_tab(make_test_app: Any, example_file: Path) -> None:
    """The seed is a Xen guest: QEMU's refusal of NIC 3's netfront is not its problem (the
    status bar does not count it), but the qemu tab says it, naming the NIC."""
    app = make_test_app(example_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = editor(app)
        screen.action_show_tab("qemu")
        await pilot.pause()
        notes = str(screen.query_one("#notes-qemu").render())
        assert "• rendered as if run under KVM" in notes
        assert "✗ NIC 3: QEMU 7.2 has no NIC model 'netfront'" in notes
        assert all(p.code != "model-unknown-to-qemu" for p in screen.session.snapshot().problems)
