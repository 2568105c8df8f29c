"""The Textual app: `make_app(domain, path, output, options)` is what the CLI and tests call.

Kept cheap to import: widgets, dialogs and renderers are imported when first needed.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from textual.app import SystemCommand
    from textual.command import Provider
    from textual.screen import Screen

    from vifconf.model import Domain
    from vifconf.render import RenderOptions
    from vifconf.settings import Settings
    from vifconf.tui.session import Session

DEFAULT_THEME = "textual-dark"


FOCUS_KEYS: list[BindingType] = [
    Binding("tab", "focus_next", "", show=False, priority=True, id="app.focus-next"),
    Binding("shift+tab", "focus_previous", "", show=False, priority=True, id="app.focus-previous"),
]  # no description: the help lists tab/shift+tab once, with where they move (help.EXTRA_KEYS)
"""Tab and shift+tab as priority bindings, in both apps. Textual hands each key to the focused
widget as it arrives and runs a plain binding only when its key has bubbled back up, so in a
burst (a fast typist over SSH) the letters after a Tab were typed into the field being left
(``br0`` Tab ``vif1.0`` gave the bridge ``br0vif1.0``). A priority binding moves the focus
as its key arrives, before the next keys are handed out."""


def vifconf_commands() -> type[Provider]:
    from vifconf.tui.commands import VifconfCommands

    return VifconfCommands


class PaletteApp(App[None]):
    """The command palette both apps share: vifconf's commands for the screen on top, and
    Textual's own, where Quit asks about unsaved edits as ctrl+q does (it exited at once) and
    Screenshot saves into the working directory and says where (Textual's default,
    ~/Downloads, is often missing on a server: "Failed to save screenshot")."""

    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = App.COMMANDS | {vifconf_commands}

    def action_request_quit(self) -> None:
        raise NotImplementedError

    async def action_quit(self) -> None:
        self.action_request_quit()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        from textual.app import SystemCommand

        for command in super().get_system_commands(screen):
            if command.title == "Screenshot":
                yield SystemCommand("Screenshot", "Save an SVG screenshot of the screen in the working directory",
                                    lambda: self.set_timer(0.1, lambda: save_screenshot(self)))  # fmt: skip
            elif command.title == "Quit":  # Textual's says "as soon as possible"; this one asks first
                yield SystemCommand("Quit", "Quit vifconf (asks first when edits are unsaved)", command.callback)
            else:
                yield command


def save_screenshot(app: App[Any]) -> None:
    try:
        path = app.save_screenshot(path=os.getcwd())
    except OSError as exc:
        app.notify(f"screenshot not saved: {exc.strerror or exc}", severity="error")
        return
    app.notify(f"screenshot saved: {path}")


def keyboard_from_terminal(keep_stdin: bool = False) -> None:
    """`vifconf -` has read the domain from a pipe, so fd 0 is at EOF and Textual (which reads
    keys from stdin) would get none: put the controlling terminal on fd 0 instead.

    ``keep_stdin``: the piped document is read later (the fleet app loads ``-`` in a worker,
    while Textual already reads keys from fd 0): read it now and leave it in ``sys.stdin``
    from memory, so the two never share the pipe. Both apps' ``run`` call this."""
    try:
        if os.isatty(0):
            return
    except OSError:
        return
    if keep_stdin:
        import io
        import sys

        from vifconf.model.source import MAX_INPUT_BYTES

        try:
            data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)  # one byte over: still refused as too big
        except (OSError, ValueError, AttributeError):
            data = b""
        sys.stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="replace")
    try:
        fd = os.open("/dev/tty", os.O_RDWR | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return  # no controlling terminal (CI, a daemon): nothing to read keys from anyway
    try:
        os.dup2(fd, 0)
    finally:
        os.close(fd)


class VifconfApp(PaletteApp):
    CSS_PATH = ["app.tcss", "dialogs.tcss"]  # noqa: RUF012
    TITLE = "vifconf"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "request_quit", "Quit", priority=True, id="app.quit",
                tooltip="quit (asks first when there are unsaved edits)"),
        Binding("ctrl+p", "command_palette", "Commands", show=False, priority=True, id="app.command-palette",
                tooltip="command palette: every action by name"),
        *FOCUS_KEYS,
    ]

    def __init__(self, session: Session, settings: Settings | None = None) -> None:
        super().__init__()
        self.session = session
        self.settings = settings
        self.theme = os.environ.get("VIFCONF_THEME") or DEFAULT_THEME

    def on_mount(self) -> None:
        if os.environ.get("VIFCONF_EXIT_AFTER_PAINT"):  # cold-start benchmark: quit after the first frame
            self.call_after_refresh(self.exit)
        self.call_after_refresh(self._settle)

    @staticmethod
    def _settle() -> None:
        """After the first frame: move everything built so far (Textual, widgets, the parsed
        domain) out of the cyclic GC's sight. Otherwise a full collection walks it all again
        and again, ~40 ms each on a 64-NIC domain, landing on random keystrokes."""
        import gc

        gc.freeze()  # cheap (no collection); leftovers of the start stay, a few hundred KB

    def run(self, *args: Any, **kwargs: Any) -> None:
        if not kwargs.get("headless"):
            keyboard_from_terminal()
        return super().run(*args, **kwargs)

    def get_default_screen(self) -> Screen[None]:
        from vifconf.tui.session import opening_tab

        tab = opening_tab(self.session.domain, self.settings.last_tab if self.settings is not None else "xend-sxpr")
        if self.session.connect:  # a live domain: save through defineXML, offer the live apply
            from vifconf.tui.fleet_screen import FleetEditorScreen

            return FleetEditorScreen(self.session, initial_tab=tab, standalone=True)
        from vifconf.tui.screens.editor import EditorScreen

        return EditorScreen(self.session, initial_tab=tab)

    # -- remembered state ----------------------------------------------------------------
    def remember_tab(self, tab: str) -> None:
        if self.settings is not None and self.settings.last_tab != tab:
            self.settings.last_tab = tab
            self.settings.save()

    def remember_file(self, path: str) -> None:
        if self.settings is not None:
            self.settings.add_recent(path)
            self.settings.save()

    # -- quitting ------------------------------------------------------------------------
    def unsaved_editors(self) -> list[object]:
        from vifconf.tui.screens.editor import EditorScreen

        return [s for s in self.screen_stack if isinstance(s, EditorScreen) and s.dirty]

    def action_request_quit(self) -> None:
        if not self.unsaved_editors():
            self.exit()
            return
        self._quit_guard()

    def _quit_guard(self) -> None:
        from textual.worker import WorkerCancelled, WorkerFailed

        from vifconf.tui.dialogs.choice import ChoiceDialog
        from vifconf.tui.screens.editor import EditorScreen

        if isinstance(self.screen, ChoiceDialog) and self.screen.id == "quit-dialog":
            return
        if any(w.group == "save" and not w.is_finished for w in self.workers):
            # its dialogs (diff confirm, path, conflict) are up: a quit dialog on top would
            # start a second save, or quit under the first one
            self.notify("a save is in progress: finish or cancel it first", severity="warning")
            return

        def chosen(choice: str | None) -> None:
            if choice == "discard":
                for editor in self.unsaved_editors():
                    assert isinstance(editor, EditorScreen)
                    editor.discard_journal()  # thrown away on purpose: nothing to recover next time
                self.exit()
            elif choice == "save":
                editor = self.unsaved_editors()[0]
                assert isinstance(editor, EditorScreen)
                worker = editor.save_flow()

                async def wait_then_exit() -> None:
                    try:
                        saved = await worker.wait()
                    except WorkerCancelled:
                        self.notify("not saved: the save was cancelled", severity="warning")
                        return
                    except WorkerFailed:
                        return  # the editor shows the error (EditorScreen.on_worker_state_changed); no quit
                    if saved:
                        self.exit()

                self.run_worker(wait_then_exit(), exclusive=False)

        self.push_screen(
            ChoiceDialog(
                "Quit with unsaved edits?",
                "Your edits are not saved.",
                [("save", "Save first", "s"), ("discard", "Quit without saving", "q"), ("cancel", "Cancel", "c")],
                id="quit-dialog",
            ),
            chosen,
        )


def make_app(
    domain: Domain,
    path: str | None,
    output: str | None,
    options: RenderOptions,
    *,
    connect: str | None = None,
    remember: bool = True,
) -> VifconfApp:
    """The app for one domain (path None: stdin or the bundled example; saving asks where).

    ``connect`` (a live libvirt URI, ``domain`` loaded from it): the editor saves through
    ``defineXML`` (`FleetEditorScreen`, standalone) instead of to a file.
    """
    from vifconf.examples import EXAMPLE_DOMAIN
    from vifconf.tui.session import Session

    if path is not None and os.path.realpath(path) == os.path.realpath(EXAMPLE_DOMAIN):
        path = None  # never write into the installed package: saving the example asks where

    fingerprint = None
    if path is not None and path != "-":
        from vifconf.fileio import fingerprint_bytes

        try:
            mtime = os.stat(path).st_mtime_ns
        except OSError:
            mtime = 0
        fingerprint = fingerprint_bytes(domain.raw, mtime)
    session = Session(domain, None if path == "-" else path, output, options, fingerprint)
    session.from_stdin = domain.source == "-" and path in (None, "-")
    session.connect = connect
    settings = None
    if remember:
        from vifconf.settings import Settings

        settings = Settings.load()
        if path and path != "-":
            settings.add_recent(path)
            settings.save()
    import gc

    gc.freeze()  # the modules, the parsed domain: permanent; spare the start-up's collections from walking them
    return VifconfApp(session, settings)


def make_fleet_app(inputs: list[str], options: RenderOptions, connect: list[str] | None = None) -> App[None]:
    """The many-domain app; lives in `vifconf.tui.fleet_screen` (imported only when used)."""
    from vifconf.tui import fleet_screen

    factory = fleet_screen.make_fleet_app
    return factory(inputs, options, connect=connect)
