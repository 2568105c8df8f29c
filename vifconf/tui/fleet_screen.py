"""The fleet view: every NIC of every guest in one table, for review.

Sources: files and directories (``vifconf DIR``) or libvirt connections (``--connect URI``,
repeatable: one per host). Loading runs in a thread and fills the table as it goes, with a
progress line; an unreachable host becomes one error row while the others load.

Keys: ``/`` filter (any column or problem text), ``enter`` open the NIC in the editor
(``b`` or escape twice returns here, cursor kept), ``space`` mark reviewed and go on to the
next unreviewed NIC with a problem (again: unmark), ``n`` next unreviewed NIC with a
problem, ``s``/``S`` sort column / direction (or click a header), ``x`` export the visible
table and its problems (``.json`` or ``.csv`` by the file name), ``←``/``→`` scroll the
columns after the NIC number. Columns are sized to the terminal (`fit_widths`).

All analysis is `vifconf.fleet` (pure); live saving and ``updateDeviceFlags`` are
`vifconf.live`. This module only shows them.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual._path import CSSPathType
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, Static
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from vifconf import live
from vifconf.fileio import expand_inputs
from vifconf.fleet import COLUMNS, Entry, Fleet, Row, load_path
from vifconf.model.domain import Domain
from vifconf.model.source import InputError
from vifconf.problems import Problem
from vifconf.tui.app import FOCUS_KEYS, PaletteApp
from vifconf.tui.screens.editor import TYPED_AHEAD, EditorScreen
from vifconf.tui.session import Session
from vifconf.tui.severity import severity_style
from vifconf.tui.widgets.nic_list import NicList
from vifconf.tui.widgets.ordered_input import OrderedInput

if TYPE_CHECKING:
    from vifconf.fileio import Fingerprint
    from vifconf.render import RenderOptions

CHUNK = 100
DEBOUNCE_ROWS = 500
"""Above this many rows the filter refills the table after a short typing pause, not per key."""
"""Files loaded per batch before the table is refreshed (progress granularity)."""
SORTABLE: tuple[str, ...] = ("domain", "nic", "type", "source", "model", "mac", "problems")
TITLES: dict[str, str] = {
    "host": "Host", "domain": "Domain", "nic": "NIC", "type": "Type", "source": "Source",
    "model": "Model", "mac": "MAC", "problems": "Problems",
}
CUT_TO: dict[str, int] = {"host": 16, "domain": 12, "problems": 16, "source": 8, "model": 7}
"""The columns cut (with "…") when the table is wider than the screen, and how far at most;
the detail pane shows the highlighted row's cut values whole (and its problems)."""
CELL_PADDING = 1
"""The table's blank cells on each side of every column (DataTable's ``cell_padding``)."""
LIVE_LEGEND = "live: link and source apply to a running guest; MAC, model, driver, target need a power-off"


def problems_cell(problems: Sequence[Problem], width: int | None = None) -> Text:
    """Severity as a word (never hue alone) + the first code + how many more; in ``width``
    cells, the code is what gets cut."""
    if not problems:
        return Text("")
    first = problems[0]
    more = f" +{len(problems) - 1}" if len(problems) > 1 else ""
    text = Text(f"{first.severity} ", style=severity_style(first.severity))
    text.append_text(clipped(Text(first.code), max(width - len(text) - len(more), 1)) if width else Text(first.code))
    if more:
        text.append(more, style="dim")
    return text


def fit_widths(natural: dict[str, int], room: int) -> dict[str, int]:
    """Column widths (in ``natural``'s order) for a table ``room`` cells wide.

    The natural widths when they fit. Otherwise the widest column of `CUT_TO` is narrowed
    first, never below its limit, until the columns fit; the problems, what a review reads,
    are cut last: first every column is fitted with the problems whole, then only the columns
    up to the problems (the NIC's own fields scroll), and only when even those do not fit are
    the problems cut too (an 80-column terminal with a host column still shows which NIC and
    what is wrong; at 100 columns the codes were cut to fit the MACs in)."""
    columns = list(natural)
    through_problems = columns[: columns.index("problems") + 1] if "problems" in columns else columns
    attempts: list[tuple[list[str], set[str]]] = [(columns, {"problems"}), (through_problems, {"problems"}),
                                                  (through_problems, set())]
    widths = dict(natural)
    for shown, whole in attempts:
        widths = dict(natural)
        excess = sum(widths[c] + 2 * CELL_PADDING for c in shown) - room
        while excess > 0:
            cuttable = [c for c in shown if c in CUT_TO and c not in whole and widths[c] > CUT_TO[c]]
            if not cuttable:
                break
            widest = max(cuttable, key=lambda c: widths[c])
            next_widest = max([CUT_TO[widest], *(widths[c] for c in cuttable if c != widest)])
            cut = max(min(excess, widths[widest] - next_widest), 1)
            widths[widest] -= cut
            excess -= cut
        if excess <= 0:
            break
    return widths


def clipped(text: Text, width: int) -> Text:
    """``text`` cut to ``width`` cells with a "…", so a cut value never passes for a whole one."""
    if text.cell_len <= width:
        return text
    cut = text.copy()
    cut.truncate(width, overflow="ellipsis")
    return cut


class FleetTable(DataTable[object]):
    """The table, scrolled sideways a column at a time (one cell per key took some forty
    presses to reach the sources), with j/k moving as in the editor's NIC list."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def _column_starts(self) -> list[int]:
        """Where each scrolling column starts, as ``scroll_x`` counts (after the fixed ones)."""
        widths = [column.get_render_width(self) for column in self.ordered_columns]
        starts, x = [], 0
        for width in widths[self.fixed_columns:]:
            starts.append(x)
            x += width
        return starts

    def action_cursor_right(self) -> None:
        self._set_hover_cursor(False)  # as DataTable's own moves do
        later = [x for x in self._column_starts() if x > self.scroll_x]
        self.scroll_to(x=min(later[0] if later else self.max_scroll_x, self.max_scroll_x), animate=False)

    def action_cursor_left(self) -> None:
        self._set_hover_cursor(False)
        earlier = [x for x in self._column_starts() if x < self.scroll_x]
        self.scroll_to(x=earlier[-1] if earlier else 0, animate=False)

    def reveal_column(self, key: str) -> None:
        """Scroll sideways until column ``key`` shows (sorting by the MAC, off screen at 80
        columns, changed nothing visible but a notice)."""
        widths = [column.get_render_width(self) for column in self.ordered_columns]
        keys = [column.key.value for column in self.ordered_columns]
        if key not in keys or keys.index(key) < self.fixed_columns:
            return
        index = keys.index(key) - self.fixed_columns
        start = self._column_starts()[index]
        room = self.scrollable_content_region.width - sum(widths[: self.fixed_columns])
        if start < self.scroll_x or start + widths[keys.index(key)] > self.scroll_x + room:
            self.scroll_to(x=min(start, self.max_scroll_x), animate=False)

    def action_scroll_home(self) -> None:
        """DataTable sets ``scroll_x`` behind the scroll target's back: the next ← jumped back."""
        self._set_hover_cursor(False)
        self.scroll_to(x=0, animate=False)

    def action_scroll_end(self) -> None:
        self._set_hover_cursor(False)
        self.scroll_to(x=self.max_scroll_x, animate=False)


def export_text(fleet: Fleet, rows: Sequence[Row], path: str) -> str:
    return fleet.to_csv(rows) if path.lower().endswith(".csv") else fleet.to_json(rows)


class FleetEditorScreen(EditorScreen):
    """The editor, opened from the fleet: ``b`` goes back; a live domain saves via defineXML."""

    NOTIFY_READ_ONLY = False  # a read-only directory (/etc/libvirt/qemu as a user): said once per guest was noise

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("b", "back", "Fleet", id="fleet-editor.back"),
    ]

    def __init__(self, session: Session, nic: int = 1, initial_tab: str = "xend-sxpr",
                 on_saved: Callable[[Domain], None] | None = None, *, standalone: bool = False) -> None:
        """``standalone``: the app's only editor (``vifconf --connect URI DOMAIN``): no "back"."""
        super().__init__(session, nic, initial_tab)
        self.on_saved = on_saved
        self.standalone = standalone

    LETTER_ACTIONS = EditorScreen.LETTER_ACTIONS | {"back"}

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back" and self.standalone:
            return False
        return super().check_action(action, parameters)

    def action_back(self) -> None:
        if not self.standalone:
            self.dismiss()

    def action_focus_list(self) -> None:
        if isinstance(self.focused, NicList) and not self.standalone:
            self.action_back()
        else:
            super().action_focus_list()

    def save_flow(self, ask_path: bool = False) -> Worker[bool]:
        """ctrl+s and the quit dialog's "Save first": a live domain goes through defineXML
        (``save as`` a file still works: ``ask_path``)."""
        if self.session.connect and not ask_path:
            return self.live_save_flow()
        return super().save_flow(ask_path)

    async def reload(self) -> bool:
        """A live domain: drop the edits for the config the host has now (a file: as the
        editor does)."""
        uri = self.session.connect
        if uri is None:
            return await super().reload()
        from vifconf.tui.dialogs.message import MessageDialog

        source = self.session.domain.source
        name = live.split_source(source)[1] if "#" in source else (self.session.domain.facts.name or "")
        try:
            data = await asyncio.to_thread(live.current_xml, uri, name)
            domain = Domain.from_bytes(data, source)
            domain.network_bridges = self.session.domain.network_bridges  # the same host
        except InputError as exc:
            await self.app.push_screen_wait(MessageDialog("Cannot reload", f"{exc}\n\nYour edits are kept."))
            return False
        self.session.replace_domain(domain)
        self.session.mark_saved(None, data)
        if self.on_saved is not None:
            self.on_saved(domain)  # the fleet's entry: the host's version, and what a save must find
        self._coalesce = None
        self.selected = min(max(self.selected, 1), len(domain.nics)) if domain.nics else 0
        self.refresh_views(reload_form=True)
        self.notify(f"reloaded {source}")
        return True

    @work(exclusive=True, group="save", exit_on_error=False)  # a failure is shown, not fatal (as a file save)
    async def live_save_flow(self) -> bool:
        """Diff confirm → defineXML (refused when the host's config moved on) → offer to apply
        the live-capable part to the running guest with updateDeviceFlags."""
        from vifconf.diff import xml_diff
        from vifconf.tui.dialogs.choice import ChoiceDialog
        from vifconf.tui.dialogs.message import MessageDialog
        from vifconf.tui.dialogs.save_dialog import SaveDialog

        session = self.session
        uri = session.connect
        assert uri is not None
        if not await self.ready_to_save():
            return False
        domain = session.domain
        data = domain.to_bytes()
        target = domain.source
        diff = xml_diff(session.on_disk, data, target)
        if not diff:
            self.notify("nothing to save: the host's config already says this")
            return False
        changes = live.nic_changes(Domain.from_bytes(session.on_disk, target), domain)
        marks = describe_changes(changes)
        if not await self.app.push_screen_wait(SaveDialog(f"{target} (defineXML)", diff)):
            self.notify("not saved")
            return False
        try:
            new = await asyncio.to_thread(live.define, uri, domain, session.on_disk)
        except live.HostChanged as exc:
            choice = await self.app.push_screen_wait(ChoiceDialog(
                "The domain changed on the host",
                f"{exc}\n\nSomeone defined {target} since vifconf loaded it. Reload shows the host's "
                "version and drops your edits; Cancel keeps them (not saved).",
                [("reload", "Reload", "r"), ("cancel", "Cancel", "c")],
                id="host-changed-dialog",
            ))
            if choice == "reload":
                await self.reload()
            return False
        except InputError as exc:
            await self.app.push_screen_wait(MessageDialog("libvirt did not save", str(exc)))
            return False
        name = live.split_source(target)[1] if "#" in target else (domain.facts.name or "")
        fresh = Domain.from_bytes(new, target)
        fresh.network_bridges = domain.network_bridges  # the same host
        adjusted = live.stored_differently(domain, fresh)
        session.domain = fresh
        session.mark_saved(None, new)
        self._coalesce = None  # a key typed after the save is an undo step of its own
        self.refresh_views(reload_form=True)
        if self.on_saved is not None:
            self.on_saved(fresh)
        if adjusted:  # shown now in the form: the host's version is what the editor holds
            self.notify(f"defined {target}; libvirt stored the NICs differently:\n" + "\n".join(adjusted),
                        severity="warning", timeout=15)
        else:
            self.notify(f"defined {target}")
        try:
            running = await asyncio.to_thread(live.is_running, uri, name)
        except InputError:
            running = False
        if not running:
            return True
        live_part = [c for c in changes if c.live]
        later = [c for c in changes if c.power_off]
        if later:
            self.notify("needs power-off (applies at the next start): "
                        + "; ".join(f"NIC {c.nic}: {', '.join(c.power_off)}" for c in later))
        if not live_part:
            return True
        choice = await self.app.push_screen_wait(
            ChoiceDialog(
                "The guest is running",
                "Saved to the persistent config. Apply these to the running guest too?\n\n" + marks,
                [("apply", "Apply live now", "a"), ("later", "At the next start only", "l")],
                id="apply-live-dialog",
            )
        )
        if choice != "apply":
            return True
        try:
            done = await asyncio.to_thread(live.apply_live, uri, fresh, live_part)
        except InputError as exc:
            await self.app.push_screen_wait(MessageDialog("libvirt did not apply it live", str(exc)))
            return True
        self.notify("\n".join(done) or "nothing to apply")
        return True


def describe_changes(changes: Sequence[live.NicChange]) -> str:
    lines = []
    for change in changes:
        marks = [f"{f}: {'applies live' if f in change.live else 'needs power-off'}" for f in change.fields]
        lines.append(f"NIC {change.nic}: " + ", ".join(marks))
    return "\n".join(lines)


DETAIL_LINES = 5
"""The detail pane's text lines (fleet.tcss: max-height 6, one of them its border)."""


async def until_active(screen: Screen[Any]) -> None:
    """Wait for ``screen`` to be the one on top (a push or a dismiss takes a few frames)."""
    while not screen.is_current:
        await asyncio.sleep(0.01)


class FleetScreen(Screen[None]):
    """The table of all NICs; see the module docstring for the keys."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", key_display="/", id="fleet.filter", priority=TYPED_AHEAD),
        Binding("space", "review", "Review", id="fleet.review",
                tooltip="mark the row reviewed (again: unmark) and go on to the next one to review"),
        Binding("n", "next_problem", "Next", id="fleet.next", tooltip="the next unreviewed NIC with a problem"),
        Binding("s", "sort", "Sort", id="fleet.sort", show=False),  # in help and the palette: 80 columns are full
        Binding("S", "reverse", "Reverse", show=False, id="fleet.reverse"),
        Binding("x", "export", "Export", id="fleet.export", priority=TYPED_AHEAD, show=False),
        Binding("ctrl+s", "save_all", "Save all", id="fleet.save-all",
                tooltip="save every edited guest, each with its own checks and diff"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="fleet.clear-filter"),
        Binding("question_mark,f1", "help", "Help", key_display="?", id="fleet.help", tooltip="this help"),
    ]

    def __init__(self, fleet: Fleet, paths: Sequence[str] = (), uris: Sequence[str] = (),
                 names: Sequence[str] | None = None, options: RenderOptions | None = None) -> None:
        super().__init__(id="fleet")
        self.fleet = fleet
        self.paths = list(paths)
        self.uris = list(dict.fromkeys(uris))  # as live.load_many loads them: each once
        self.names = names
        self.options = options
        self.filter_text = ""
        self.sort_column: str | None = None
        self.sort_reverse = False
        self.shown_rows: list[Row] = []
        self.natural: dict[str, int] = {}
        """Each column's width if nothing were cut: its widest cell or title."""
        self.widths: dict[str, int] = {}
        """Each column's width as shown (`fit_widths`)."""
        self.load_progress: tuple[int, int] | None = None
        self.live_hosts: set[str] = set()
        self._filter_timer: Timer | None = None
        self.mtimes: dict[str, int] = {}
        self.on_disk: dict[int, tuple[bytes, Fingerprint | None]] = {}
        """Per file entry: what the file holds (as loaded or last saved) and its fingerprint."""
        self.open_guest: FleetEditorScreen | None = None
        """The guest's editor pushed from here and not yet back (pushing takes a few frames)."""
        self._unsaved_shown: set[int] = set()
        """The guests marked ● (edited, not saved) when the table was last filled."""

    def compose(self) -> ComposeResult:
        yield Static(id="fleet-header")
        yield OrderedInput(placeholder="filter: any text in any column or problem (Enter: table, Escape: clear)",
                    id="fleet-filter")
        yield FleetTable(id="fleet-table", cursor_type="row", zebra_stripes=True, cell_padding=CELL_PADDING)
        yield Static(id="fleet-detail")
        yield Footer()

    @property
    def table(self) -> DataTable[object]:
        return self.query_one("#fleet-table", DataTable)

    @property
    def fleet_table(self) -> FleetTable:
        return self.query_one("#fleet-table", FleetTable)

    def on_mount(self) -> None:
        self.query_one("#fleet-filter").display = False
        self.table.focus()
        if self.paths or self.uris:
            self.load()
        else:
            self.rebuild()

    # -- loading -------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="fleet-load")
    def load(self) -> None:
        app = self.app
        if self.uris:
            total = len(self.uris)
            app.call_from_thread(self._progress, 0, total)
            # hosts finish in any order; the table lists them in the order given (as `check
            # --connect` does), each as soon as every host before it is in
            finished: dict[str, list[Domain | InputError]] = {}
            shown = [0]
            lock = threading.Lock()

            def host_done(uri: str, results: list[Domain | InputError]) -> None:
                with lock:
                    finished[uri] = results
                    while shown[0] < total and self.uris[shown[0]] in finished:
                        ready = self.uris[shown[0]]
                        shown[0] += 1
                        app.call_from_thread(self._add, finished.pop(ready), ready, len(finished) + shown[0], total)

            live.load_many(self.uris, self.names, on_done=host_done)
        else:
            files = expand_inputs(self.paths)
            total = len(files)
            app.call_from_thread(self._progress, 0, total)
            for start in range(0, total, CHUNK):
                names = files[start:start + CHUNK]
                batch: list[Domain | InputError] = [load_path(p) for p in names]
                self.mtimes.update({p: mtime(p) for p in names})
                checked = [self.fleet.check(d) if isinstance(d, Domain) else [] for d in batch]
                app.call_from_thread(self._add, batch, None, min(start + CHUNK, total), total, checked)
        app.call_from_thread(self._finished)

    def _progress(self, done: int, total: int) -> None:
        self.load_progress = (done, total)
        self.update_header()

    def _add(self, results: list[Domain | InputError], uri: str | None, done: int, total: int,
             checked: list[list[Problem]] | None = None) -> None:
        first = len(self.fleet.entries)
        for i, result in enumerate(results):
            if uri is not None:
                self.live_hosts.add(uri)
            expected = result.raw if (uri is not None and isinstance(result, Domain)) else None
            self.fleet.add(result, host=uri, expected_xml=expected, own=checked[i] if checked else None)
            if isinstance(result, InputError) and uri is not None and result.source == uri:
                self.notify(str(result), severity="error", timeout=10)
        self.load_progress = (done, total)
        new_columns = bool(self.table.columns) and len(self.columns()) != len(self.table.columns)
        if self.filter_text or self.sort_column or new_columns:
            self.rebuild()
        else:  # the common case while loading: append the new guests' rows, no full refill
            self.append_rows(self.fleet.rows_since(first))

    def _finished(self) -> None:
        self.load_progress = None
        before = {r.key: r.problems for r in self.shown_rows}
        self.fleet.analyse()
        rows = self.fleet.rows
        if self.filter_text or self.sort_column or any(before.get(r.key) != r.problems for r in rows):
            self.rebuild()  # one refill: per-cell updates would re-measure the column each time
        else:
            self.update_header()

    # -- the table -----------------------------------------------------------------------
    def columns(self) -> list[str]:
        return ["reviewed", *(c for c in COLUMNS if c != "host" or self.fleet.multi_host)]

    def rebuild(self) -> None:
        """Refill the table from the fleet (filter + sort), keeping the cursor on its row."""
        table = self.table
        current = self.current_row()
        self._unsaved_shown = set(self.unsaved_positions())
        table.clear(columns=True)
        self.shown_rows = []
        self.natural = {}
        self.append_rows(self.fleet.view(self.filter_text, self.sort_column, self.sort_reverse))
        if current is not None:
            self.move_to(current.key)
        self.update_detail()

    def column_title(self, column: str) -> str:
        title = "Rev" if column == "reviewed" else TITLES[column]
        if column == self.sort_column:
            title += " (desc)" if self.sort_reverse else " (asc)"
        return title

    def fitted(self, natural: dict[str, int]) -> dict[str, int]:
        """`fit_widths` for the table's width less its scrollbar; before layout (no width
        yet), the natural widths."""
        room = max((self.table.size.width or self.size.width) - 1, 0)
        return fit_widths(natural, room) if room else natural

    def append_rows(self, rows: list[Row]) -> None:
        """Add rows; columns are sized to the content and the screen (`fit_widths`), and the
        table is refilled when new rows or a resize change those sizes."""
        table = self.table
        columns = self.columns()
        cells = [[self.cell(row, c) for c in columns] for row in rows]
        natural = dict(self.natural) or {c: len(self.column_title(c)) for c in columns}
        for line in cells:
            for column, text in zip(columns, line, strict=True):
                natural[column] = max(natural[column], text.cell_len)
        widths = self.fitted(natural)
        if table.columns and widths != self.widths:
            self.rebuild()
            return
        if not table.columns:
            for column in columns:
                table.add_column(self.column_title(column), width=widths[column], key=column)
            table.fixed_columns = columns.index("nic") + 1  # scrolled right, a row still says which NIC
        self.natural, self.widths = natural, widths
        cut = [c for c in columns if widths[c] < natural[c]]
        for row, line in zip(rows, cells, strict=True):
            shown = dict(zip(columns, line, strict=True))
            for column in cut:
                width = widths[column]
                shown[column] = problems_cell(row.problems, width) if column == "problems" else clipped(
                    shown[column], width)
            table.add_row(*shown.values(), key=row_key(row))
        self.shown_rows.extend(rows)
        self.update_header()

    def on_resize(self) -> None:
        self.call_after_refresh(self._refit)

    def _refit(self) -> None:
        if self.table.columns and self.natural and self.fitted(self.natural) != self.widths:
            self.rebuild()

    def cell(self, row: Row, column: str) -> Text:
        """Always `Text`: a str would be parsed as markup (a guest named ``[b]x`` is text)."""
        if column == "reviewed":
            return Text("yes" if self.fleet.is_reviewed(row) else "")
        if column == "problems":
            return problems_cell(row.problems)
        if column == "domain" and row.key[0] in self._unsaved_shown:
            return Text.assemble(("● ", "bold"), row.cell(column))
        return Text(row.cell(column))

    def current_row(self) -> Row | None:
        index = self.table.cursor_row
        if 0 <= index < len(self.shown_rows) and self.table.row_count:
            return self.shown_rows[index]
        return None

    def move_to(self, key: tuple[int, int]) -> None:
        for index, row in enumerate(self.shown_rows):
            if row.key == key:
                self.table.move_cursor(row=index)
                return

    def update_header(self) -> None:
        done, total, todo = self.fleet.progress()
        guests = sum(1 for e in self.fleet.entries if e.domain is not None)
        failed = sum(1 for e in self.fleet.entries if e.domain is None)
        # what needs the user comes first: an 80-column terminal cuts the end of the line
        text = Text()
        text.append(" vifconf fleet ", style="bold reverse")
        text.append(f" {guests} guest{'s' if guests != 1 else ''}")
        if failed:
            text.append(f", {failed} unreadable", style=severity_style("error"))
        unsaved = self.unsaved()
        if unsaved:
            text.append(f" | {len(unsaved)} unsaved", style="bold")
        if self.load_progress is not None:
            what = "hosts" if self.uris else "files"
            text.append(f" | loading {self.load_progress[0]}/{self.load_progress[1]} {what}...", style="bold")
        if self.filter_text:
            text.append(f" | filter '{self.filter_text}': {len(self.shown_rows)} rows")
        text.append(f" | {todo} to review ({done}/{total} rows done)")
        self.query_one("#fleet-header", Static).update(text)

    def update_detail(self) -> None:
        row = self.current_row()
        text = Text()
        if row is not None:
            text.append(f"{row.file}", style="bold")
            if row.nic is not None:
                text.append(f"  NIC {row.nic}" + (f"  {row.mac}" if row.mac else ""))  # the cut-off column at 80
            if self.fleet.is_reviewed(row):
                text.append("  [reviewed]")
            cut = [c for c in ("host", "domain", "source", "model") if len(row.cell(c)) > self.widths.get(c, 1 << 30)]
            if cut:  # what the table shows cut with "…", whole
                text.append("\n" + "  ".join(f"{TITLES[c]}: {row.cell(c)}" for c in cut))
            legend = bool(row.host and row.host in self.live_hosts)
            # the pane is a few lines high: say what does not fit instead of cutting it off
            width = max(self.query_one("#fleet-detail", Static).content_region.width, 20)
            shown = sum(-(-len(line) // width) for line in text.plain.split("\n"))
            room = DETAIL_LINES - shown - (-(-len(LIVE_LEGEND) // width) if legend else 0)
            for shown, problem in enumerate(row.problems):
                line = f"{problem.severity}: {problem.message} [{problem.code}]"
                needed = -(-len(line) // width)
                left = len(row.problems) - shown
                if needed > room - (left > 1):
                    text.append(f"\n+{left} more problem{'s' if left > 1 else ''}: Enter opens the guest",
                                style="bold")  # fmt: skip
                    break
                room -= needed
                text.append(f"\n{problem.severity}: ", style=severity_style(problem.severity))
                text.append(f"{problem.message} [{problem.code}]")
            if legend:
                text.append(f"\n{LIVE_LEGEND}", style="dim")
        self.query_one("#fleet-detail", Static).update(text)

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.update_detail()

    @on(DataTable.HeaderSelected)
    def _header(self, event: DataTable.HeaderSelected) -> None:
        column = str(event.column_key.value)
        if column not in SORTABLE:
            return
        if self.sort_column == column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = column, False
        self.rebuild()

    # -- actions -------------------------------------------------------------------------
    def action_filter(self) -> None:
        box = self.query_one("#fleet-filter", Input)
        box.display = True
        self.set_focus(box)  # now, not after the keys behind `/` (`/xen` ran x's export)

    @on(Input.Changed, "#fleet-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        if self._filter_timer is not None:
            self._filter_timer.stop()
            self._filter_timer = None
        if len(self.fleet.rows) > DEBOUNCE_ROWS:  # big tables: refill once typing pauses
            self._filter_timer = self.set_timer(0.15, self.rebuild)
        else:
            self.rebuild()

    @on(Input.Submitted, "#fleet-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value:
            event.input.display = False
        self.table.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#fleet-filter", Input)
        box.value = ""
        box.display = False
        self.filter_text = ""
        self.table.focus()
        self.rebuild()

    def action_sort(self) -> None:
        order: list[str | None] = [None, *SORTABLE]
        self.sort_column = order[(order.index(self.sort_column) + 1) % len(order)]
        self.sort_reverse = False
        self.rebuild()
        self.notify(f"sorted by {self.sort_column}" if self.sort_column else "input order", timeout=2)
        if self.sort_column:
            column = self.sort_column
            self.call_after_refresh(lambda: self.fleet_table.reveal_column(column))

    def action_reverse(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self.rebuild()

    def action_review(self) -> None:
        row = self.current_row()
        if row is None:
            return
        self.fleet.toggle_reviewed(row)
        index = self.table.cursor_row
        self.table.update_cell(row_key(row), "reviewed", self.cell(row, "reviewed"))
        if self.fleet.is_reviewed(row):  # reviewed: on to the next one that needs it
            found = self.fleet.next_unreviewed(self.shown_rows, index)
            if found is not None:
                self.table.move_cursor(row=found)
        self.update_header()
        self.update_detail()

    def action_next_problem(self) -> None:
        found = self.fleet.next_unreviewed(self.shown_rows, self.table.cursor_row) if self.shown_rows else None
        if found is None:
            self.notify("every NIC with a problem is reviewed")
            return
        self.table.move_cursor(row=found)

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        row = self.current_row()
        if row is None or self.open_guest is not None:  # a second Enter in one burst: the editor is on its way
            return
        entry = self.fleet.entries[row.key[0]]
        if entry.domain is None:
            self.notify(entry.error or "unreadable", severity="error")
            return
        self.open_editor(row)

    def open_editor(self, row: Row) -> FleetEditorScreen:
        position = row.key[0]
        entry = self.fleet.entries[position]
        assert entry.domain is not None
        from vifconf.render import RenderOptions

        live_uri = entry.host if entry.host in self.live_hosts else None
        path = None if live_uri else entry.source
        if not live_uri:
            self._catch_up_with_disk(position)
        if live_uri:
            disk, stamp = entry.expected_xml or entry.domain.raw, None
        else:
            disk, stamp = self.file_state(position)
        session = Session(entry.domain, path, None, self.options or RenderOptions(), stamp, on_disk=disk)
        session.connect = live_uri
        session.check = self._checker_with_fleet(position)

        def saved(domain: Domain) -> None:
            entry.domain = domain
            entry.expected_xml = domain.raw

        def back(_: None = None) -> None:
            self.open_guest = None
            if session.domain is not entry.domain and session.domain.source == entry.source:
                entry.domain = session.domain
            if not live_uri and session.path == entry.source:  # after "save as" it is another file's state
                self.on_disk[position] = (session.on_disk, session.fingerprint)
            self.fleet.recheck(position)
            # once this screen is back on top: rebuilt while the editor is still leaving,
            # the table measured its cells as header-wide (seen in a real terminal)
            self.call_after_refresh(self._rebuild_at, row.key)

        from vifconf.tui.session import opening_tab

        settings = getattr(self.app, "settings", None)
        tab = opening_tab(session.domain, settings.last_tab if settings is not None else "xend-sxpr")
        editor = FleetEditorScreen(session, nic=row.nic or 1, initial_tab=tab, on_saved=saved)
        self.open_guest = editor
        self.app.push_screen(editor, back)
        return editor

    @work(exclusive=True, group="fleet-save-all", exit_on_error=False)
    async def action_save_all(self) -> None:
        """Every edited guest in turn, in its editor, through the editor's own save: its error
        check, its diff to confirm, its conflict handling. A guest the user does not save
        stays edited, and they choose whether to go on; "Go to the first" error stops here,
        in that guest's editor."""
        positions = self.unsaved_positions()
        if not positions:
            self.notify("nothing to save: no guest has unsaved edits")
            return
        from vifconf.tui.dialogs.choice import ChoiceDialog

        saved: list[str] = []
        for number, position in enumerate(positions, start=1):
            row = next((r for r in self.fleet.rows if r.key[0] == position), None)
            if row is None:
                continue
            name = self.fleet.entries[position].name
            editor = self.open_editor(row)
            editor.walking = True  # keys typed ahead of the next dialog must not edit this guest
            await until_active(editor)
            editor.notify(f"guest {number} of {len(positions)}: {name}", timeout=3)
            try:
                done = await editor.save_flow().wait()
            except (WorkerCancelled, WorkerFailed):
                done = False  # the editor showed why
            editor.walking = False
            if editor.went_to_review:  # the user is fixing this guest now: leave them there
                self.notify(f"stopped at {name}; ctrl+s saves it, and ctrl+s in the table goes on with the rest")
                return
            if done:
                saved.append(name)
            left_to_go = len(positions) - number
            if not done and left_to_go and editor.is_current:
                choice = await self.app.push_screen_wait(ChoiceDialog(
                    f"{name} not saved", f"Go on with the next guest ({left_to_go} left), or stop here?",
                    [("next", "Go on", "o"), ("stop", "Stop", "s")], id="save-all-dialog"))  # fmt: skip
                if choice != "next":
                    if editor.is_current:
                        await editor.dismiss()
                    break
            if editor.is_current:
                await editor.dismiss()  # wholly gone before the next guest's editor comes
            await until_active(self)
        left = self.unsaved()
        summary = f"saved {len(saved)} of {len(positions)} edited guests"
        self.notify(summary + (f"; still unsaved: {', '.join(left)}" if left else ""),
                    severity="warning" if left else "information", timeout=8)  # fmt: skip

    def _rebuild_at(self, key: tuple[int, int]) -> None:
        self.rebuild()
        self.move_to(key)

    def _catch_up_with_disk(self, position: int) -> None:
        """The file changed since the fleet read it: without edits here, open what it says now
        (the editor showed the old content, and only a save noticed); with edits, say so."""
        from vifconf.fileio import load

        entry = self.fleet.entries[position]
        held, _ = self.file_state(position)
        try:
            data, stamp = load(entry.source)
        except InputError:
            return  # gone or unreadable: the editor's save says so with the file at hand
        if data == held:
            return
        if position in self.unsaved_positions():
            self.notify(f"{entry.source} changed on disk since it was loaded; your edits are kept, and a save "
                        "will ask what to do", severity="warning", timeout=10)
            return
        try:
            fresh = Domain.from_bytes(data, entry.source)
        except InputError as exc:
            self.notify(f"{entry.source} changed on disk and no longer reads: {exc}", severity="error", timeout=10)
            return
        entry.domain = fresh
        self.on_disk[position] = (data, stamp)
        self.fleet.recheck(position)
        self.notify(f"{entry.source} changed on disk since the fleet loaded it: opened as it is now")

    def file_state(self, position: int) -> tuple[bytes, Fingerprint | None]:
        if position not in self.on_disk:
            from vifconf.fileio import fingerprint_bytes

            entry = self.fleet.entries[position]
            assert entry.domain is not None
            raw = entry.domain.raw
            self.on_disk[position] = (raw, fingerprint_bytes(raw, self.mtimes.get(entry.source, 0)))
        return self.on_disk[position]

    def unsaved(self) -> list[str]:
        """Guests edited in the editor and not saved (the editor is closed, the edit is kept)."""
        return [self.fleet.entries[position].name for position in self.unsaved_positions()]

    def unsaved_positions(self) -> list[int]:
        out = []
        for position, entry in enumerate(self.fleet.entries):
            # not "has edits": edits restored from the crash journal are a fresh document
            # with none, yet differ from the file
            if entry.domain is None:
                continue
            if entry.host in self.live_hosts:
                saved = entry.expected_xml or entry.domain.raw
            else:
                saved = self.on_disk.get(position, (entry.domain.raw, None))[0]
            if entry.domain.to_bytes() != saved:
                out.append(position)
        return out

    def _checker_with_fleet(self, position: int) -> Callable[[Domain, RenderOptions], list[Problem]]:
        """The editor's checks plus this guest's cross-guest problems against the fleet.

        Only the guests that can matter to this one go through `cross_guest_problems` (see
        `CrossGuestIndex`), so a keystroke costs the same with 10 guests or 1000."""
        from vifconf.tui.session import _check

        index: list[CrossGuestIndex] = []

        def check(domain: Domain, options: RenderOptions) -> list[Problem]:
            entries = self.fleet.entries
            if not index or index[0].stale(entries):
                index[:] = [CrossGuestIndex(entries, position)]
            return [*_check(domain, options), *index[0].problems(domain)]

        return check

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("export", "filter") and isinstance(self.focused, Input):  # typed into the filter
            return False
        return super().check_action(action, parameters)

    def action_help(self) -> None:
        from vifconf.tui.screens.help import FLEET_EXTRA_KEYS, HelpScreen

        self.app.push_screen(HelpScreen([("app", list(self.app.BINDINGS)), ("fleet", list(self.BINDINGS))],
                                        FLEET_EXTRA_KEYS))  # fmt: skip

    def action_export(self) -> None:
        from vifconf.tui.dialogs.path_dialog import PathDialog

        self.app.push_screen(PathDialog("Export the table and its problems (.json or .csv)", "vifconf-fleet.json",
                                        placeholder="fleet.json or fleet.csv", enter="export"),
                             self._export_to)  # fmt: skip

    def _export_to(self, path: str | None) -> None:
        if path:
            self._export(path)

    @work(exclusive=True, group="fleet-export")
    async def _export(self, path: str) -> None:
        from vifconf.fileio import SaveError, save_atomic
        from vifconf.tui.dialogs.message import MessageDialog

        rows = list(self.shown_rows)
        data = export_text(self.fleet, rows, path).encode("utf-8")
        try:
            save_atomic(path, data, backup=False)
        except (SaveError, OSError) as exc:
            await self.app.push_screen_wait(MessageDialog("Export failed", str(exc)))
            return
        edited = {row.key[0] for row in rows} & set(self.unsaved_positions())
        if edited:  # the table, and so the export, shows them as edited: not what their files say
            self.notify(f"exported {len(rows)} rows to {path}; {len(edited)} guest{'s' if len(edited) != 1 else ''} "
                        "with unsaved edits as edited, not as their files say", severity="warning", timeout=10)
        else:
            self.notify(f"exported {len(rows)} rows to {path}")


class CrossGuestIndex:
    """The other guests of the fleet, indexed once, for one guest's cross-guest problems.

    `problems` runs `cross_guest_problems` on the edited guest plus only the others that can
    change its result, which gives exactly the whole-fleet answer for this guest:
      - every guest sharing one of its MACs, or one of its target devs on its host;
      - for each of its bridge/network names: one other user when others use it (so it is not
        "used by this guest only"), else every user of every name one edit away (the counts);
      - every guest named like one of those (their labels in messages are disambiguated).
    Others change only by loading more entries (the editor is modal): `stale` notices that.
    """

    def __init__(self, entries: Sequence[Entry], position: int) -> None:
        from vifconf.fleet import TYPO_SOURCE_TYPES, host_of
        from vifconf.model.mac import normalize_mac

        self.position = position
        self.count = len(entries)
        self.loaded = sum(1 for e in entries if e.domain is not None)
        self.domains: dict[int, Domain] = {}
        self.by_mac: dict[object, list[int]] = {}
        self.by_target: dict[tuple[str | None, str], list[int]] = {}
        self.by_source: dict[str, dict[str, list[int]]] = {kind: {} for kind in TYPO_SOURCE_TYPES}
        self.by_name: dict[str, list[int]] = {}
        for i, entry in enumerate(entries):
            domain = entry.domain
            if domain is None or i == position:
                continue
            self.domains[i] = domain
            host = host_of(domain.source)
            self.by_name.setdefault(domain.facts.name or domain.source, []).append(i)
            for nic in domain.nics:
                mac = normalize_mac(nic.mac) if nic.mac else None
                if mac:
                    _add_once(self.by_mac.setdefault(mac, []), i)
                if nic.target and not nic.target_is_generated:
                    _add_once(self.by_target.setdefault((host, nic.target), []), i)
                if nic.type in self.by_source and nic.source:
                    _add_once(self.by_source[nic.type].setdefault(nic.source, []), i)

    def stale(self, entries: Sequence[Entry]) -> bool:
        return len(entries) != self.count or sum(1 for e in entries if e.domain is not None) != self.loaded

    def relevant(self, domain: Domain) -> set[int]:
        """Positions of the other guests that can affect ``domain``'s cross-guest problems."""
        from vifconf.fleet import _digitless, host_of, one_edit_apart
        from vifconf.model.mac import normalize_mac

        host = host_of(domain.source)
        picked: set[int] = set()
        for nic in domain.nics:
            mac = normalize_mac(nic.mac) if nic.mac else None
            if mac:
                picked.update(self.by_mac.get(mac, ()))
            if nic.target and not nic.target_is_generated:
                picked.update(self.by_target.get((host, nic.target), ()))
        for kind, users in self.by_source.items():
            names = {nic.source for nic in domain.nics if nic.type == kind and nic.source}
            for name in names:
                if name in users:
                    picked.add(users[name][0])  # shared: never a typo, whoever else uses it
                    continue
                for other, guests in users.items():
                    if one_edit_apart(name, other) and _digitless(name) != _digitless(other):
                        picked.update(guests)
        for i in list(picked):
            guest = self.domains[i]
            picked.update(self.by_name.get(guest.facts.name or guest.source, ()))
        return picked

    def problems(self, domain: Domain) -> list[Problem]:
        from vifconf.fleet import cross_guest_problems

        order = sorted({*self.relevant(domain), self.position})
        domains = [domain if i == self.position else self.domains[i] for i in order]
        return cross_guest_problems(domains)[order.index(self.position)]


def _add_once(users: list[int], guest: int) -> None:
    if not users or users[-1] != guest:
        users.append(guest)


def mtime(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0


def row_key(row: Row) -> str:
    return f"{row.key[0]}:{row.key[1]}"


class FleetApp(PaletteApp):
    CSS_PATH: ClassVar[CSSPathType | None] = ["app.tcss", "dialogs.tcss", "fleet.tcss"]
    TITLE = "vifconf fleet"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "request_quit", "Quit", priority=True, id="app.quit"),
        *FOCUS_KEYS,
    ]

    def __init__(self, screen: FleetScreen, theme: str | None = None) -> None:
        super().__init__()
        self.fleet_screen = screen
        from vifconf.tui.app import DEFAULT_THEME

        self.theme = theme or os.environ.get("VIFCONF_THEME") or DEFAULT_THEME

    def get_default_screen(self) -> Screen[None]:
        return self.fleet_screen

    def run(self, *args: Any, **kwargs: Any) -> None:
        if not kwargs.get("headless"):  # `vifconf a.xml -`: keys from the terminal, the pipe kept for `-`
            from vifconf.tui.app import keyboard_from_terminal

            keyboard_from_terminal(keep_stdin="-" in self.fleet_screen.paths)
        return super().run(*args, **kwargs)

    def remember_tab(self, tab: str) -> None:
        """The editor calls this; the fleet does not persist tabs."""

    def unsaved_editors(self) -> list[EditorScreen]:
        """Open editors with unsaved edits: the fleet's entry may not hold them yet (a
        journal restore or a reload gives the editor a new domain, handed back on "back")."""
        return [s for s in self.screen_stack if isinstance(s, EditorScreen) and s.dirty]

    def unsaved_names(self) -> list[str]:
        names = [e.session.domain.facts.name or e.session.location for e in self.unsaved_editors()]
        names += self.fleet_screen.unsaved()
        return list(dict.fromkeys(names))

    def action_request_quit(self) -> None:
        unsaved = self.unsaved_names()
        if not unsaved:
            self.exit()
            return
        from vifconf.tui.dialogs.choice import ChoiceDialog

        if isinstance(self.screen, ChoiceDialog):
            return

        def chosen(choice: str | None) -> None:
            if choice == "quit":
                self.discard_journals()
                self.exit()

        names = ", ".join(unsaved[:5]) + (f" and {len(unsaved) - 5} more" if len(unsaved) > 5 else "")
        self.push_screen(
            ChoiceDialog(
                "Quit with unsaved edits?",
                f"Edited and not saved: {names}.\nIn the table, ctrl+s saves them one by one (each with "
                "its diff); in a guest's editor, ctrl+s saves that one.",
                [("cancel", "Cancel", "c"), ("quit", "Quit without saving", "q")],
                id="quit-dialog",
            ),
            chosen,
        )

    def discard_journals(self) -> None:
        """Quitting without saving throws the edits away on purpose: nothing to recover next time
        (as `VifconfApp` does)."""
        from vifconf import journal

        for editor in self.unsaved_editors():
            editor.discard_journal()
        screen = self.fleet_screen
        for position in screen.unsaved_positions():
            entry = screen.fleet.entries[position]
            if entry.host not in screen.live_hosts:
                journal.discard(entry.source)

    def on_unmount(self) -> None:
        if self.fleet_screen.uris:
            live.close_all()


def make_fleet_app(inputs: Sequence[str], options: RenderOptions | None = None,
                   connect: Sequence[str] | None = None) -> FleetApp:
    """Files/directories, or (with ``connect``) the domains ``inputs`` names on each URI
    (all domains when ``inputs`` is empty)."""
    from vifconf.render import RenderOptions
    from vifconf.tui.session import _check

    opts = options or RenderOptions()
    fleet = Fleet(checker=lambda domain: _check(domain, opts))
    if connect:
        screen = FleetScreen(fleet, uris=list(connect), names=list(inputs) or None, options=opts)
    else:
        screen = FleetScreen(fleet, paths=list(inputs), options=opts)
    return FleetApp(screen)


__all__ = ["FleetApp", "FleetEditorScreen", "FleetScreen", "Worker", "make_fleet_app"]
