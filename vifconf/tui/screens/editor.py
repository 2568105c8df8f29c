"""The editor screen: NIC list + problems, NIC form, preview pane, for one `Domain`.

A Screen, not the App, so another screen (the fleet table) can push one per domain:
``app.push_screen(EditorScreen(session, nic=2))``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Select, Static
from textual.worker import Worker, WorkerState

from vifconf.model.mac import generate_mac
from vifconf.tui.session import PREVIEW_TABS, Session, Snapshot
from vifconf.tui.widgets.domain_header import DomainHeader
from vifconf.tui.widgets.nic_form import NicForm
from vifconf.tui.widgets.nic_list import NicList
from vifconf.tui.widgets.preview import PreviewPane
from vifconf.tui.widgets.problems_panel import ProblemsPanel

if TYPE_CHECKING:
    from vifconf.fileio import Fingerprint
    from vifconf.model import Domain
    from vifconf.problems import Problem


TYPED_AHEAD = True
"""``priority`` of a binding that opens a dialog: Textual runs a priority binding as its key
arrives, before it hands the next keys to the focused widget, so keys typed right behind it
(a fast typist, a paste, an SSH burst) go to the dialog. A plain binding runs only once its
key has bubbled back up, and the keys behind it were dropped, or acted on the screen under
the dialog (`s` sorted the fleet table). ``check_action`` must still refuse it where the
key is text being typed."""


class EditorScreen(Screen[None]):
    WIDE_AT = 160
    """Three columns from this width on; below it, list + form on top and the preview under them.
    The third column needs about 50 cells for the preview's pickers and tab titles: at 120 it
    got 31, its Xen era and domid pickers off screen and the tab bar scrolled."""
    NOTIFY_READ_ONLY = True
    """Say at open that the file cannot be saved there (the header marks it in any case)."""
    TALL_AT = 34
    """Stacked (narrow) and this tall or taller: the list, problems and form share the height
    with the preview; below it they keep 12 rows (80x24 gives them no more), and on a tall
    terminal every extra row went to the preview while the problems stayed three lines."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add_nic", "Add", id="editor.add-nic",
                tooltip="append a NIC: bridge, fresh MAC with the domain's prefix (00:16:3e Xen, 52:54:00 QEMU)"),
        Binding("d", "delete_nic", "Del", id="editor.delete-nic",
                tooltip='delete the selected NIC (ctrl+z brings it back)'),
        Binding("c", "clone_nic", "Clone", id="editor.clone-nic",
                tooltip='copy the selected NIC right after it, with a fresh MAC'),
        Binding("ctrl+g", "generate_mac", "MAC", id="editor.generate-mac",
                tooltip='give the selected NIC a fresh, non-colliding MAC (works inside the form)'),
        Binding("i", "import_vifs", "Import", show=False, id="editor.import-vifs", priority=TYPED_AHEAD,
                tooltip="add NICs from an old xend config: a config.sxp path, or a pasted (vif …) expression"),
        Binding("n", "next_problem", "Problem", id="editor.next-problem",
                tooltip="review flow: show the next problem's NIC (Enter in the panel goes to its field)"),
        Binding("p", "previous_problem", "Prev problem", show=False, id="editor.previous-problem",
                tooltip='jump to the previous problem'),
        Binding("ctrl+z", "undo", "Undo", id="editor.undo",
                tooltip='undo the last edit (typing in one field is one step)'),
        Binding("ctrl+y", "redo", "Redo", show=False, id="editor.redo",
                tooltip='redo'),
        Binding("ctrl+s", "save", "Save", id="editor.save",
                tooltip='show the XML diff, then save atomically (keeps a .bak once)'),
        Binding("y", "copy_preview", "Copy preview", show=False, id="editor.copy-preview",
                tooltip='copy the current preview tab to the clipboard (OSC 52, works over SSH)'),
        Binding("f2", "next_tab", "Next tab", show=False, id="editor.next-tab",
                tooltip='next preview tab'),
        Binding("question_mark,f1", "help", "Help", key_display="?", id="editor.help",
                tooltip='this help'),
        Binding("escape", "focus_list", "NIC list", show=False, id="editor.focus-list",
                tooltip='back to the NIC list'),
    ]

    LETTER_ACTIONS = frozenset({"add_nic", "delete_nic", "clone_nic", "import_vifs", "next_problem",
                                "previous_problem", "copy_preview"})  # fmt: skip
    """Bound to plain letters: off while a form field or a picker has focus, where a letter is
    the user typing (a closed picker ignores letters, so `d` would reach the screen and delete
    the NIC being edited)."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.walking:
            return None  # the fleet's save-all runs this editor's save: keys typed ahead do nothing here
        if action in self.LETTER_ACTIONS and self._focus_is_a_field():
            return None  # shown dimmed, not run
        return True

    def _focus_is_a_field(self) -> bool:
        focused = self.focused
        if focused is None:
            return False
        return any(isinstance(node, (NicForm, Select, Input)) for node in focused.ancestors_with_self)

    def __init__(self, session: Session, nic: int = 1, initial_tab: str = "xend-sxpr") -> None:
        super().__init__(id="editor")
        self.went_to_review = False
        """The last save stopped at \"Go to the first\" error (the fleet's save-all stops there too)."""
        self.walking = False
        """The fleet's save-all is saving this guest: the editor takes no keys of its own."""
        self.session = session
        self.selected = nic
        self.initial_tab = initial_tab
        self._coalesce: tuple[tuple[int, str], int] | None = None
        self._problem_cursor = -1
        self.snapshot: Snapshot | None = None
        self._view_cache: tuple[DomainHeader, NicList, ProblemsPanel, NicForm, PreviewPane] | None = None
        self._header_key: tuple[object, ...] | None = None
        self._journal_due = False
        """Unsaved edits not yet in the crash-recovery journal (written after a pause in typing)."""
        self._journaled = False
        self._journal_broken = False
        self._journaled_data: bytes | None = None

    def _views(self) -> tuple[DomainHeader, NicList, ProblemsPanel, NicForm, PreviewPane]:
        """The widgets refreshed on every edit, looked up once (a DOM query per keystroke adds up)."""
        if self._view_cache is None:
            self._view_cache = (
                self.query_one(DomainHeader), self.query_one(NicList), self.query_one(ProblemsPanel),
                self.query_one(NicForm), self.query_one(PreviewPane),
            )
        return self._view_cache

    @property
    def domain(self) -> Domain:
        return self.session.domain

    def _layout_class(self, width: int, height: int) -> None:
        # Set before the first styling pass (not via HORIZONTAL_BREAKPOINTS, which restyles every
        # widget after the first resize and costs a third of the cold start).
        self.set_class(width < self.WIDE_AT, "-narrow")
        self.set_class(width >= self.WIDE_AT, "-wide")
        self.set_class(height >= self.TALL_AT, "-tall")

    def on_resize(self, event: events.Resize) -> None:
        self._layout_class(event.size.width, event.size.height)

    def compose(self) -> ComposeResult:
        self._layout_class(self.app.size.width, self.app.size.height)
        yield DomainHeader(id="domain-header")
        with Vertical(id="body"):
            with Vertical(id="left"):
                yield NicList(id="nic-list")
                yield ProblemsPanel(id="problems")
            yield NicForm(id="nic-form")
            yield Static("No NICs: the guest gets none.\n\nPress a to add one, i to import old Xen vifs.",
                         id="no-nics")  # holds the form's place, so the layout does not move
            yield PreviewPane(self.session.options, self.initial_tab, id="preview")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#nic-list").border_title = "NICs"
        self.query_one("#preview").border_title = "Preview"
        nics = self.domain.nics
        self.selected = max(1, min(self.selected, len(nics))) if nics else 0
        self.refresh_views(reload_form=True)
        self.query_one(NicList).focus()
        self.set_interval(self.JOURNAL_EVERY, self.flush_journal)  # a save-as can give the example a path
        if self.journal_key is not None and not self.dirty:
            self.call_after_refresh(self._offer_restore)
        refusal = self.session.save_refusal()
        if refusal is not None and self.NOTIFY_READ_ONLY:
            self.notify(f"cannot save here: {refusal} (ctrl+s offers Save as)", title="Read-only", severity="warning",
                        timeout=8)

    # -- refreshing ----------------------------------------------------------------------
    def refresh_views(self, reload_form: bool = False) -> Snapshot:
        """Re-render everything from the session (renders are cached per generation)."""
        snapshot = self.session.snapshot()
        self.snapshot = snapshot
        nics = self.domain.nics
        # an undo or redo can take the last NIC away, or bring NICs back while none was selected
        self.selected = min(max(self.selected, 1), len(nics)) if nics else 0
        errors = sum(1 for p in snapshot.problems if p.severity == "error")
        header, nic_list, panel, form, preview = self._views()
        where = self.domain.source if self.session.connect else self.session.location  # live: URI#DOMAIN
        header_key = (self.domain.facts, where, snapshot.dirty, errors, self.session.save_refusal() is not None)
        if header_key != self._header_key:
            self._header_key = header_key
            header.show(*header_key)
        nic_list.show(self.domain, snapshot.problems, self.selected)
        panel.show(snapshot.problems)
        if form.display != bool(nics):
            form.display = bool(nics)
            self.query_one("#no-nics").display = not nics
        if not nics and self.focused is not None and form in self.focused.ancestors_with_self:
            nic_list.focus()  # the hidden form cannot keep the keyboard (the last NIC went)
        if nics:
            if reload_form:
                form.load(self.domain.nic(self.selected))
            form.show_problems(snapshot.problems_for(self.selected))
        preview.show(snapshot, self.selected)
        if snapshot.dirty or self._journaled:
            self._journal_due = True
        return snapshot

    # -- crash-recovery journal ----------------------------------------------------------
    JOURNAL_EVERY = 1.0
    """Seconds between journal writes while there are unsaved edits (never on a keystroke)."""

    @property
    def journal_key(self) -> str | None:
        """The file whose unsaved edits are journaled (none for stdin, the example, live domains)."""
        return None if self.session.connect else self.session.path

    def flush_journal(self) -> None:
        """Journal the unsaved document now (or drop the journal once nothing is unsaved)."""
        path = self.journal_key
        if not self._journal_due or path is None or self._journal_broken:
            return
        self._journal_due = False
        from vifconf import journal

        snapshot = self.session.snapshot()
        try:
            if snapshot.dirty:
                if self._journaled_data is not snapshot.data:  # moving around is no edit
                    journal.write(path, snapshot.data, base=self.session.fingerprint)
                    self._journaled_data = snapshot.data
                self._journaled = True
            else:
                journal.discard(path)
                self._journaled = False
                self._journaled_data = None
        except journal.JournalError as exc:
            self._journal_broken = True
            self.notify(f"crash recovery is off: {exc}", severity="warning", timeout=8)

    def discard_journal(self) -> None:
        """The edits are saved or thrown away on purpose: nothing to recover."""
        path = self.journal_key
        self._journal_due = False
        self._journaled = False
        self._journaled_data = None
        if path is not None:
            from vifconf import journal

            journal.discard(path)

    @work(exclusive=True, group="restore")
    async def _offer_restore(self) -> None:
        """Opening a file that has unsaved edits journaled from a session that ended badly."""
        from vifconf import journal
        from vifconf.model import Domain
        from vifconf.tui.dialogs.choice import ChoiceDialog

        path = self.journal_key
        if path is None:
            return
        data = journal.pending(path)
        if data is None:
            return
        found = journal.entry(path)
        when = ""
        moved = ""
        if found is not None:
            import time

            when = time.strftime(" (%Y-%m-%d %H:%M)", time.localtime(found.written_ns / 1e9))
            base, now = found.base, self.session.fingerprint
            if base is not None and now is not None and base.sha256 != now.sha256:
                moved = "\n\nThe file has changed on disk since then: restoring shows their version's " \
                        "differences as your edits; check the XML diff before saving."
        try:
            restored = Domain.from_bytes(data, path)
        except Exception as exc:  # a journal that no longer parses is useless
            journal.discard(path)
            self.notify(f"an unreadable recovery journal was dropped: {exc}", severity="warning")
            return
        choice = await self.app.push_screen_wait(
            ChoiceDialog(
                "Restore unsaved edits?",
                f"vifconf did not exit cleanly while {path} had unsaved edits{when}. They were "
                f"journaled and can be restored now (they stay unsaved until you save).{moved}",
                [("restore", "Restore", "r"), ("discard", "Discard them", "d")],
                id="restore-dialog",
            )
        )
        if choice == "restore":
            self.session.restore_version(restored)
            self._coalesce = None
            nics = restored.nics
            self.selected = min(max(self.selected, 1), len(nics)) if nics else 0
            self.refresh_views(reload_form=True)
            self.notify("unsaved edits restored (ctrl+s saves them, with the diff first)")
        elif choice == "discard":
            self.discard_journal()

    @property
    def dirty(self) -> bool:
        return self.session.snapshot().dirty

    # -- messages from the widgets -------------------------------------------------------
    def on_nic_list_selected(self, event: NicList.Selected) -> None:
        if event.index != self.selected:
            self.select_nic(event.index)

    def on_nic_form_ready(self, event: NicForm.Ready) -> None:
        self.refresh_views(reload_form=True)  # the fields exist now: fill them

    def on_nic_list_opened(self, event: NicList.Opened) -> None:
        self.query_one(NicForm).focus_field("type")

    def select_nic(self, index: int) -> None:
        self.selected = index
        self._coalesce = None
        self.refresh_views(reload_form=True)

    def on_nic_form_edit(self, event: NicForm.Edit) -> None:
        self.apply_edit(event.nic, event.field, event.value, event.typing)

    def apply_edit(self, index: int, field: str, value: str | None, typing: bool = False) -> None:
        """One form change → one model edit; keystrokes in one field merge into one undo step."""
        domain = self.domain
        try:
            nic = domain.nic(index)
        except IndexError:
            return
        current = nic.source_mode if field == "mode" else getattr(nic, field)
        if (current or None) == (value or None):
            return
        key = (index, field)
        merged = typing and self._coalesce == (key, domain.generation)
        if merged:  # the keystroke replaces the field's previous keystroke: one undo step
            domain.undo()
            nic = domain.nic(index)
        before = domain.generation
        try:
            if field == "mode":
                domain.set_child_attr(nic.element, "source", "mode", value)
            else:
                nic.set(field, value)
        except (ValueError, KeyError) as exc:
            if merged:
                domain.redo()  # keep the previous keystroke
            self.notify(str(exc), severity="error")
            return
        if merged:
            domain.forget_redo()  # typed back to where it started: the merged step is no redo
        self._coalesce = (key, domain.generation) if typing and domain.generation != before else None
        self.refresh_views(reload_form=field == "type")

    def on_problems_panel_jump(self, event: ProblemsPanel.Jump) -> None:
        self.jump_to(event.problem)

    def jump_to(self, problem: Problem) -> None:
        if problem.nic is not None and problem.nic != self.selected and problem.nic <= len(self.domain.nics):
            self.select_nic(problem.nic)
        self.query_one(NicForm).focus_field(problem.field)
        hint = f"\nhint: {problem.hint}" if problem.hint else ""
        self.notify(problem.message + hint, title=f"NIC {problem.nic}" if problem.nic else "domain",
                    timeout=8 if hint else 4)

    def on_preview_pane_options_changed(self, event: PreviewPane.OptionsChanged) -> None:
        try:
            self.session.set_option(**event.changes)
        except ValueError as exc:
            self.notify(str(exc), severity="error")
            return
        self.query_one(PreviewPane).options = self.session.options
        self.refresh_views()

    def on_preview_pane_tab_changed(self, event: PreviewPane.TabChanged) -> None:
        remember = getattr(self.app, "remember_tab", None)
        if remember is not None:
            remember(event.tab)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    # -- actions -------------------------------------------------------------------------
    def action_focus_list(self) -> None:
        self.query_one(NicList).focus()

    def action_add_nic(self) -> None:
        facts = self.domain.facts
        source = "xenbr0" if facts.is_xen else "br0"
        nic = self.domain.add_nic("bridge", source)
        self._coalesce = None
        self.selected = nic.index
        self.refresh_views(reload_form=True)
        self.notify(f"NIC {nic.index} added with MAC {nic.mac}")

    def action_clone_nic(self) -> None:
        if not self.selected:
            return
        nic = self.domain.clone_nic(self.selected)
        self._coalesce = None
        self.selected = nic.index
        self.refresh_views(reload_form=True)
        self.notify(f"NIC {nic.index} is a clone with MAC {nic.mac}")

    def action_delete_nic(self) -> None:
        if not self.selected:
            return
        index = self.selected
        self.domain.remove_nic(index)
        self._coalesce = None
        self.selected = max(1, index - 1) if self.domain.nics else 0
        self.refresh_views(reload_form=True)
        self.notify(f"NIC {index} deleted (ctrl+z brings it back)")

    def action_import_vifs(self, again: str = "", why: str = "") -> None:
        """Old xend or xm/xl vifs as new NICs (vifconf.importer), one undo step. ``again``: the
        answer that could not be imported, back in the field to fix (``why`` says what failed)."""
        from vifconf.tui.dialogs.path_dialog import PathDialog

        message = "A config.sxp, `xm list -l` or xm/xl .cfg file, or paste a (vif …) or a vif = [ … ] entry."
        # pushed here, not from a worker: a path typed right after `i` goes to the dialog
        self.app.push_screen(
            PathDialog("Import old Xen vifs", again, f"✗ {why}" if why else message,
                       placeholder="/etc/xen/guest.cfg  or  (vif …)  or  bridge=xenbr0,…", enter="import"),
            self._import_answer,
        )

    def _import_answer(self, answer: str | None) -> None:
        if not answer:
            return
        from vifconf.importer import add_to, looks_like_vifs, read_vifs, read_vifs_file
        from vifconf.model import InputError

        pasted = looks_like_vifs(answer)
        path = os.path.expanduser(answer.strip())
        try:
            if not pasted and path == "-":  # stdin is the terminal the app runs in
                raise InputError("-", "give a file (stdin is this terminal)")
            imported = read_vifs(answer, "the pasted text") if pasted else read_vifs_file(path)
        except InputError as exc:  # the dialog again (once this one is gone), with the answer to fix and why
            self.call_after_refresh(self.action_import_vifs, again=answer, why=str(exc))
            return
        added = add_to(self.domain, imported)
        self._coalesce = None
        self.selected = added[0]
        self.refresh_views(reload_form=True)
        notes = [f"NIC {index}: {note}" for index, nic in zip(added, imported, strict=True) for note in nic.notes]
        summary = f"{len(added)} NIC{'s' if len(added) != 1 else ''} imported (ctrl+z takes them out)"
        self.notify("\n".join([summary, *notes[:4]]), severity="warning" if notes else "information")

    def action_generate_mac(self) -> None:
        if not self.selected:
            return
        taken = [n.mac or "" for n in self.domain.nics]
        mac = generate_mac(self.domain.facts.hypervisor, taken)
        self._coalesce = None
        self.domain.nic(self.selected).set("mac", mac)
        self.refresh_views(reload_form=True)

    def action_undo(self) -> None:
        self._coalesce = None
        if self.session.undo():
            self.refresh_views(reload_form=True)
        else:
            self.notify("nothing to undo")

    def action_redo(self) -> None:
        self._coalesce = None
        if self.session.redo():
            self.refresh_views(reload_form=True)
        else:
            self.notify("nothing to redo")

    def action_check(self) -> None:
        snapshot = self.refresh_views()
        errors = sum(1 for p in snapshot.problems if p.severity == "error")
        count = len(snapshot.problems)
        self.notify(f"{count} problem{'s' if count != 1 else ''}, {errors} error{'s' if errors != 1 else ''}")
        self.query_one(ProblemsPanel).focus()

    def _step_problem(self, step: int) -> None:
        """Review flow: show the next problem's NIC and keep focus in the problems panel,
        so n/p can be pressed again; Enter there jumps into the field."""
        problems = (self.snapshot or self.refresh_views()).problems
        if not problems:
            self.notify("no problems")
            return
        self._problem_cursor = (self._problem_cursor + step) % len(problems)
        problem = problems[self._problem_cursor]
        if problem.nic is not None and problem.nic != self.selected and problem.nic <= len(self.domain.nics):
            self.select_nic(problem.nic)
        panel = self.query_one(ProblemsPanel)
        panel.highlighted = self._problem_cursor
        panel.focus()

    def action_next_problem(self) -> None:
        self._step_problem(1)

    def action_previous_problem(self) -> None:
        self._step_problem(-1)

    def action_show_tab(self, tab: str) -> None:
        if tab in PREVIEW_TABS:
            self.query_one(PreviewPane).set_active(tab)

    def action_next_tab(self) -> None:
        pane = self.query_one(PreviewPane)
        current = PREVIEW_TABS.index(pane.active_tab)
        pane.set_active(PREVIEW_TABS[(current + 1) % len(PREVIEW_TABS)])

    def action_copy_preview(self) -> None:
        snapshot = self.snapshot or self.refresh_views()
        tab = self.query_one(PreviewPane).active_tab
        if tab == "diff":
            text = snapshot.diff
        else:
            rendering = snapshot.renderings.get(tab)
            text = rendering.text if rendering else ""
        self.app.copy_to_clipboard(text)
        self.notify(f"copied the {tab} preview ({len(text)} characters)")

    def action_help(self) -> None:
        from vifconf.tui.screens.help import HelpScreen

        groups: list[tuple[str, list[BindingType]]] = [
            ("app", list(self.app.BINDINGS)),
            ("editor", list(self.BINDINGS)),
            ("NIC list", list(NicList.BINDINGS)),
        ]
        self.app.push_screen(HelpScreen(groups))

    def action_save(self) -> None:
        self.save_flow()

    def action_save_as(self) -> None:
        self.save_flow(ask_path=True)

    # -- saving --------------------------------------------------------------------------
    async def ready_to_save(self) -> bool:
        """The check every save makes first (file or defineXML): error problems (a MAC that
        is not one included) only with the user's explicit "save anyway", as `set --force`."""
        self.went_to_review = False
        errors = [p for p in self.session.snapshot().problems if p.severity == "error"]
        if not errors:
            return True
        from vifconf.tui.dialogs.choice import ChoiceDialog

        listed = "\n".join(f"✗ {f'NIC {p.nic}: ' if p.nic else ''}{p.message}" for p in errors[:5])
        more = f"\n… and {len(errors) - 5} more" if len(errors) > 5 else ""
        mac_hint = ("\nIn the MAC field, ctrl+g generates a fresh one."
                    if any(p.code in ("mac-invalid", "mac-multicast") for p in errors) else "")  # fmt: skip
        choice = await self.app.push_screen_wait(
            ChoiceDialog(
                f"{len(errors)} error problem{'s' if len(errors) != 1 else ''}",
                f"{listed}{more}\n\nEach is an error because libvirt refuses the file, the guest does not start, "
                f"or its network breaks (the message says which).{mac_hint}",
                [("review", "Go to the first", "g"), ("save", "Save anyway", "a"), ("cancel", "Cancel", "c")],
                id="errors-dialog",
            )
        )
        self.went_to_review = choice == "review"
        if choice == "review":
            self.jump_to(errors[0])
        if choice != "save":
            self.notify("not saved")
            return False
        return True

    @work(exclusive=True, group="save", exit_on_error=False)  # a failure is shown, not fatal
    async def save_flow(self, ask_path: bool = False) -> bool:
        """Validate → diff confirm → atomic save; conflicts offer reload/overwrite/save as."""
        from vifconf.tui.dialogs.path_dialog import PathDialog

        session = self.session
        # nothing edited and the target is the file it came from (not an --output elsewhere,
        # which _confirm_and_write compares with what that file holds)
        if not ask_path and session.output is None and session.path is not None and not session.snapshot().dirty:
            self.notify("nothing to save: the file already says this")
            return False
        if not await self.ready_to_save():
            return False
        target = session.save_target
        if ask_path or target is None:
            message = ""
            if target is None and session.from_stdin:
                message = ("This domain was read from stdin and vifconf was started without --output, "
                           "so there is no file to save to. Type a path (next time: vifconf - --output PATH).")
            elif target is None:
                message = "This is the bundled example: type where to save your copy."
            target = await self.app.push_screen_wait(PathDialog("Save as", target or "", message))
            if not target:
                self.notify("not saved")
                return False
        return await self._confirm_and_write(target, self.domain.to_bytes())

    async def _confirm_and_write(self, target: str, data: bytes,
                                 baseline: tuple[bytes, Fingerprint | None] | None = None) -> bool:  # fmt: skip
        """Diff against what ``target`` holds → confirm → write, refusing if ``target`` changes
        in between (or, for the session's own file, since it was loaded). ``baseline``: what to
        diff against and expect there instead (`_baseline`'s)."""
        from vifconf.diff import xml_diff
        from vifconf.tui.dialogs.save_dialog import SaveDialog

        session = self.session
        on_disk, expected = baseline or self._baseline(target)
        diff = xml_diff(on_disk, data, target.rsplit("/", 1)[-1])
        if not diff and target == session.save_target and baseline is None:
            self.notify("nothing to save: the file already says this")
            return False
        if not await self.app.push_screen_wait(SaveDialog(target, diff)):
            self.notify("not saved")
            return False
        return await self._write(target, data, expected)

    def _baseline(self, target: str) -> tuple[bytes, Fingerprint | None]:
        """What ``target`` holds (for the diff) and the fingerprint a save must still find there.

        The session's own file: the bytes and fingerprint from when it was loaded or last saved
        (read again if ``on_disk`` is what was written to ``--output`` instead). Any other file:
        read now, fingerprinted from exactly those bytes (None: it does not exist yet)."""
        session = self.session
        if target == session.path and session.fingerprint is not None:
            from vifconf.fileio import fingerprint_bytes

            if fingerprint_bytes(session.on_disk).sha256 == session.fingerprint.sha256:
                return session.on_disk, session.fingerprint
            return self._read_or_empty(target)[0], session.fingerprint
        if target == session.path:
            return session.on_disk, None
        return self._read_or_empty(target)

    @staticmethod
    def _read_or_empty(path: str) -> tuple[bytes, Fingerprint | None]:
        import os

        from vifconf.fileio import fingerprint_bytes

        try:
            with open(path, "rb") as handle:
                data = handle.read()
                mtime = os.fstat(handle.fileno()).st_mtime_ns
        except OSError:
            return b"", None
        return data, fingerprint_bytes(data, mtime)

    async def _write(self, target: str, data: bytes, expected: Fingerprint | None) -> bool:
        import os

        from vifconf.fileio import SaveConflict, SaveError, save_atomic
        from vifconf.tui.dialogs.choice import ChoiceDialog
        from vifconf.tui.dialogs.message import MessageDialog
        from vifconf.tui.dialogs.path_dialog import PathDialog

        session = self.session
        warnings: list[str] = []
        try:
            fingerprint = save_atomic(target, data, expected=expected, warnings=warnings)
        except SaveConflict as exc:
            choice = await self.app.push_screen_wait(
                ChoiceDialog(
                    "The file changed on disk",
                    f"{exc}\n\nSomeone else wrote {target} since vifconf loaded it. Overwrite throws "
                    "their change away; Reload drops your edits.",
                    [("reload", "Reload", "r"), ("overwrite", "Overwrite", "o"),
                     ("save-as", "Save as…", "s"), ("cancel", "Cancel", "c")],
                    id="conflict-dialog",
                )
            )
            if choice == "reload":
                await self.reload()
                return False
            if choice == "overwrite":  # against what the file says now: the diff shows what the other writer loses
                return await self._confirm_and_write(target, data, self._read_or_empty(target))
            if choice == "save-as":
                other = await self.app.push_screen_wait(PathDialog("Save as", target + ".new"))
                if other and os.path.realpath(other) == os.path.realpath(target):
                    await self.app.push_screen_wait(MessageDialog(
                        "Not saved",
                        f"{other} is the file that changed on disk: saving there would throw the other "
                        "change away. Choose Overwrite for that, or save under another name.",
                    ))
                elif other:
                    return await self._confirm_and_write(other, data)
            self.notify("not saved")
            return False
        except SaveError as exc:  # read-only, a full disk, …: the edits stay; another file may do
            session.forget_save_refusal()  # the header's read-only marker asks again
            choice = await self.app.push_screen_wait(ChoiceDialog(
                "Save failed", f"{exc}\n\nYour edits are still here.",
                [("save-as", "Save as…", "s"), ("cancel", "OK", "c")], id="save-failed-dialog"))
            if choice == "save-as":
                other = await self.app.push_screen_wait(PathDialog("Save as", target + ".new"))
                if other:
                    return await self._confirm_and_write(other, data)
            self.notify("not saved")
            return False
        self.discard_journal()  # the edits are safe in `target` (the old name's journal goes too)
        if session.output is None or target != session.output:
            session.path = target
        if target == session.path:
            session.mark_saved(fingerprint, data)
        else:  # written to --output: the session's fingerprint still describes its own file
            session.mark_saved(session.fingerprint, data)
        self._coalesce = None  # a key typed after the save is an undo step of its own, not the saved one's
        remember = getattr(self.app, "remember_file", None)
        if remember is not None:
            remember(target)
        self.refresh_views()
        self.notify(f"saved {target}")
        for warning in warnings:
            self.notify(warning, severity="warning", timeout=15)
        return True

    async def reload(self) -> bool:
        """Drop the edits for what the file says now; if it is gone or does not parse, say so
        and keep everything (edits included) as it was."""
        from vifconf.fileio import load
        from vifconf.model import Domain, InputError
        from vifconf.tui.dialogs.message import MessageDialog

        path = self.session.path
        if path is None:
            return False
        try:
            data, stamp = load(path)
            domain = Domain.from_bytes(data, path)
        except InputError as exc:
            await self.app.push_screen_wait(
                MessageDialog("Cannot reload", f"{exc}\n\nYour edits are kept (not saved).")
            )
            return False
        self.session.replace_domain(domain)
        self.session.mark_saved(stamp, data)
        self.discard_journal()
        self._coalesce = None
        self.selected = min(max(self.selected, 1), len(domain.nics)) if domain.nics else 0
        self.refresh_views(reload_form=True)
        self.notify(f"reloaded {path}")
        return True

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A save that raised (a bug, or something the flow did not expect): say so and keep the
        session and the edits as they are, instead of taking the app down."""
        worker = event.worker
        if worker.group != "save" or event.state != WorkerState.ERROR:
            return
        from vifconf.tui.dialogs.message import MessageDialog

        error = worker.error
        self.app.push_screen(MessageDialog(
            "Save failed",
            f"{type(error).__name__}: {error}\n\nNothing was saved; your edits are still here.",
        ))

    @on(Select.Changed)
    def _unhandled_select(self, event: Select.Changed) -> None:
        event.stop()
