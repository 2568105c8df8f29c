"""The preview pane: one tab per render target plus the XML diff, and the era selectors.

It shows `Rendering.text` verbatim and highlights the selected NIC's `nic_items`; it never
formats arguments itself. Hidden tabs are filled when first shown (cheap cold start).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, Select, Static, TabbedContent, TabPane

from vifconf.diff import diff_lines
from vifconf.render import LIBVIRT_ERAS, XEN_ERAS, RenderOptions, refusal_note
from vifconf.tui.session import PREVIEW_TABS, TAB_TITLES, Snapshot
from vifconf.tui.widgets.deferred import too_late
from vifconf.tui.widgets.diff_text import HIGHLIGHT
from vifconf.tui.widgets.ordered_input import OrderedInput


class PreviewBody(VerticalScroll):
    """One tab's content: the rule set, the text, the notes."""

    def __init__(self, target: str) -> None:
        super().__init__(id=f"body-{target}", classes="preview-body")
        self.target = target
        self.shown: tuple[Snapshot, int] | None = None
        """(snapshot, selected NIC) last shown: the pane skips a body that is current."""
        self._rule = Static("", classes="rule", id=f"rule-{target}")
        self._text = Static("", classes="text", id=f"text-{target}")
        self._notes = Static("", classes="notes", id=f"notes-{target}")

    def compose(self) -> ComposeResult:
        yield self._rule
        yield self._text
        yield self._notes

    def show(self, snapshot: Snapshot, selected: int) -> None:
        from rich.text import Text

        self.shown = (snapshot, selected)
        rule, text_widget, notes = self._rule, self._text, self._notes
        if self.target == "diff":
            from vifconf.diff import diff_lines_within
            from vifconf.tui.widgets.diff_text import styled_diff

            rule.update("on-disk file → what ctrl+s would write")
            diff = snapshot.diff
            nic_range = snapshot.nic_lines.get(selected) if diff else None
            if nic_range is not None:
                first, last = nic_range
                rule.update(f"on-disk file → what ctrl+s would write · NIC {selected}: lines {first}–{last}")
            ours = diff_lines_within(diff, *nic_range) if nic_range is not None else set()
            body = styled_diff(diff, ours) if diff else Text("(no changes)", style="dim")
            text_widget.update(body)
            notes.update("")
            if ours:
                self.call_after_refresh(self._reveal, diff_lines(diff), min(ours), max(ours))
            return
        rendering = snapshot.renderings.get(self.target)
        if self.target in snapshot.errors:
            rule.update("")
            text_widget.update(Text(f"renderer failed: {snapshot.errors[self.target]}", style="bold red"))
            notes.update("")
            return
        if rendering is None:
            return
        rule.update(Text(f"rules: {rendering.rule}" if rendering.rule else "", style="italic"))
        body = Text(rendering.text or "(nothing: no NIC reaches this target)")
        positions = rendering.nic_items.get(selected, [])
        spans = rendering.nic_spans(selected) if rendering.text and positions else []
        for start, end in spans:
            body.stylize(HIGHLIGHT, start, end)
        text_widget.update(body)
        if spans:  # the selected NIC's part in view, as the diff tab does (NIC 60 was off screen)
            text = rendering.text
            first, last = text.count("\n", 0, spans[0][0]), text.count("\n", 0, max(spans[-1][1] - 1, 0))
            self.call_after_refresh(self._reveal, text.splitlines(), first, last)
        lines = [f"• {note}" for note in rendering.notes]
        for problem in rendering.problems:
            lines.append(f"{'✗' if problem.severity == 'error' else '!'} {refusal_note(problem, severity=False)}")
        notes.update("\n".join(lines))


    def _reveal(self, lines: list[str], first: int, last: int) -> None:
        """Scroll (as little as needed) so the marked lines, or their start, show."""
        from rich.cells import cell_len
        from textual.geometry import Region

        width = self._text.content_size.width
        if width <= 0:
            return

        def rows(line: str) -> int:
            return max(1, -(-cell_len(line) // width))

        top = self._text.virtual_region.y + sum(rows(line) for line in lines[:first])
        height = sum(rows(line) for line in lines[first:last + 1])
        self.scroll_to_region(Region(0, top, width, min(height, self.scrollable_content_region.height)),
                              animate=False, immediate=True)


class OptionsRow(Horizontal):
    """The era selectors. The first frame shows them as one line of text; the real Selects
    and Input (two dozen widgets, a third of the screen's) are mounted right after it."""

    def __init__(self, options: RenderOptions, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.options = options

    def compose(self) -> ComposeResult:
        options = self.options
        yield Static(
            f" libvirt {options.libvirt_era:<7}▼  xend {options.xend_config_version} ▼  "
            f"Xen {options.xen:<18}▼  domid {options.domid}",
            id="preview-options-placeholder",
        )

    def on_mount(self) -> None:
        self.call_after_refresh(self._mount_controls)

    def _mount_controls(self) -> None:
        if too_late(self):
            return  # quitting at the first frame: nothing to build
        options = self.options
        with self.app.batch_update():
            self.query("#preview-options-placeholder").remove()
            self.mount_all([
                Label("libvirt", classes="opt-label"),
                Select[str]([(e, e) for e in LIBVIRT_ERAS], value=options.libvirt_era, allow_blank=False,
                            compact=True, id="opt-libvirt"),
                Label("xend", classes="opt-label"),
                Select[str]([(str(v), str(v)) for v in range(1, 5)], value=str(options.xend_config_version),
                            allow_blank=False, compact=True, id="opt-xendcfg"),
                Label("Xen", classes="opt-label"),
                Select[str]([(e, e) for e in XEN_ERAS], value=options.xen, allow_blank=False, compact=True,
                            id="opt-xen"),
                Label("domid", classes="opt-label"),
                OrderedInput(str(options.domid), compact=True, restrict=r"[0-9]*", max_length=5, id="opt-domid"),
            ])


class PreviewPane(Vertical):
    """Tabs + the selectors that choose which era of the stack is imitated."""

    class OptionsChanged(Message):
        def __init__(self, changes: dict[str, object]) -> None:
            self.changes = changes
            super().__init__()

    class TabChanged(Message):
        def __init__(self, tab: str) -> None:
            self.tab = tab
            super().__init__()

    def __init__(self, options: RenderOptions, initial_tab: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.options = options
        self.initial_tab = initial_tab if initial_tab in PREVIEW_TABS else PREVIEW_TABS[0]
        self._snapshot: Snapshot | None = None
        self._selected = 1
        self._bodies: dict[str, PreviewBody] = {}
        self._active = self.initial_tab

    def compose(self) -> ComposeResult:
        yield OptionsRow(self.options, id="preview-options")
        with TabbedContent(initial=f"tab-{self.initial_tab}", id="preview-tabs"):
            for target in PREVIEW_TABS:
                yield TabPane(TAB_TITLES[target], id=f"tab-{target}")

    @property
    def active_tab(self) -> str:
        return self._active

    def set_active(self, tab: str) -> None:
        self._active = tab
        self.query_one(TabbedContent).active = f"tab-{tab}"

    def _ensure_body(self, tab: str) -> None:
        body = self._bodies.get(tab)
        if body is None:
            body = self._bodies[tab] = PreviewBody(tab)
            self.query_one(f"#tab-{tab}", TabPane).mount(body)
        self._fill(body)  # its Statics exist from __init__: fill before or after the mount completes

    def mount_every_tab(self) -> None:
        """Fill every tab now (benchmarks and tests that look at hidden tabs)."""
        for tab in PREVIEW_TABS:
            self._ensure_body(tab)

    def on_mount(self) -> None:
        self._ensure_body(self.initial_tab)

    def show(self, snapshot: Snapshot, selected: int) -> None:
        """Fill the visible tab now; hidden tabs are stale until shown (then filled at once)."""
        self._snapshot = snapshot
        self._selected = selected
        body = self._bodies.get(self.active_tab)
        if body is not None:
            self._fill(body)

    def _fill(self, body: PreviewBody) -> None:
        snapshot = self._snapshot
        if snapshot is None:
            return
        if body.shown is not None and body.shown[0] is snapshot and body.shown[1] == self._selected:
            return
        body.show(snapshot, self._selected)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        event.stop()
        tab = (event.pane.id or "").removeprefix("tab-")
        self._active = tab
        self._ensure_body(tab)
        self.post_message(self.TabChanged(tab))

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is Select.NULL:
            return
        value = str(event.value)
        key = {"opt-libvirt": "libvirt_era", "opt-xendcfg": "xend_config_version", "opt-xen": "xen"}.get(
            event.select.id or ""
        )
        if key is None:
            return
        converted: object = int(value) if key == "xend_config_version" else value
        if getattr(self.options, key) != converted:
            self.post_message(self.OptionsChanged({key: converted}))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.input.id == "opt-domid" and event.value.isdigit() and int(event.value) != self.options.domid:
            self.post_message(self.OptionsChanged({"domid": int(event.value)}))
