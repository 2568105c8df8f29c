"""Command palette provider: every main action findable by name (ctrl+p)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from vifconf.tui.session import PREVIEW_TABS, TAB_TITLES


class VifconfCommands(Provider):
    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        from vifconf.tui.fleet_screen import FleetScreen
        from vifconf.tui.screens.editor import EditorScreen

        screen = self.screen
        if isinstance(screen, FleetScreen):
            act = screen.run_action
            return [
                ("Filter", "show only rows containing some text (any column or problem)", partial(act, "filter")),
                ("Clear filter", "show every row again", partial(act, "clear_filter")),
                ("Mark reviewed", "mark the row reviewed and go on to the next one to review", partial(act, "review")),
                ("Next to review", "the next unreviewed NIC with a problem", partial(act, "next_problem")),
                ("Sort", "sort by the next column", partial(act, "sort")),
                ("Reverse sort", "reverse the sort order", partial(act, "reverse")),
                ("Export", "write the visible table and its problems to a .json or .csv file", partial(act, "export")),
                ("Help", "list every key", partial(act, "help")),
            ]
        if not isinstance(screen, EditorScreen):
            return []
        run = screen.run_action
        commands: list[tuple[str, str, Callable[[], object]]] = [
            ("Add NIC", "append an interface with a fresh MAC", partial(run, "add_nic")),
            ("Clone NIC", "copy the selected interface (new MAC)", partial(run, "clone_nic")),
            ("Delete NIC", "remove the selected interface (undo brings it back)", partial(run, "delete_nic")),
            ("Import old Xen vifs", "add NICs from a config.sxp, xm list -l or xm/xl .cfg file, or pasted vifs",
             partial(run, "import_vifs")),
            ("Generate MAC", "a fresh MAC with the hypervisor's prefix for the selected NIC",
             partial(run, "generate_mac")),
            ("Undo", "undo the last edit", partial(run, "undo")),
            ("Redo", "redo the last undone edit", partial(run, "redo")),
            ("Check", "validate the domain and show the problems", partial(run, "check")),
            ("Next problem", "jump to the next problem", partial(run, "next_problem")),
            ("Previous problem", "jump to the previous problem", partial(run, "previous_problem")),
            ("Save", "show the XML diff, then save atomically", partial(run, "save")),
            ("Save as", "save to another file", partial(run, "save_as")),
            ("Copy preview", "copy the current preview tab to the clipboard", partial(run, "copy_preview")),
            ("Help", "list every key", partial(run, "help")),
        ]
        for tab in PREVIEW_TABS:
            commands.append(
                (f"Preview: {TAB_TITLES[tab]}", f"switch the preview to the {TAB_TITLES[tab]} tab",
                 partial(run, f"show_tab('{tab}')"))
            )
        return commands

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
