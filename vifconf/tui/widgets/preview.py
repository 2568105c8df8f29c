"""The preview pane: one tab per render target plus the XML diff, and the era selectors.

It shows `Rendering.text` verbatim and highlights the selected NIC's `nic_items`; it never
formats arguments itself. Hidden tabs are filled when first shown (cheap cold start).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, Select, Static, TabbedContent, TabPane

from vifconf.render import LIBVIRT_ERAS, XEN_ERAS, RenderOptions
from vifconf.tui.session import PREVIEW_TABS, TAB_TITLES, Snapshot, item_spans

HIGHLIGHT = "bold reverse"


class PreviewBody(VerticalScroll):
    """One tab's content: the rule set, the text, the notes."""

    def __init__(self, target: str) -> None:
        super().__init__(id=f"body-{target}", classes="preview-body")
        self.target = target

    def compose(self) -> ComposeResult:
        yield Static("", classes="rule", id=f"rule-{self.target}")
        yield Static("", classes="text", id=f"text-{self.target}")
        yield Static("", classes="notes", id=f"notes-{self.target}")

    def show(self, snapshot: Snapshot, selected: int) -> None:
        from rich.text import Text

        rule = self.query_one(".rule", Static)
        text_widget = self.query_one(".text", Static)
        notes = self.query_one(".notes", Static)
        if self.target == "diff":
            rule.update("on-disk file → what ctrl+s would write")
            body = Text()
            if not snapshot.diff:
                body.append("(no changes)", style="dim")
            for line in snapshot.diff.splitlines():
                if line.startswith(("+++", "---")):
                    body.append(line + "\n", style="bold")
                elif line.startswith("+"):
                    body.append(line + "\n", style="green")
                elif line.startswith("-"):
                    body.append(line + "\n", style="red")
                elif line.startswith("@@"):
                    body.append(line + "\n", style="cyan")
                else:
                    body.append(line + "\n")
            text_widget.update(body)
            notes.update("")
            return
        if self.target in snapshot.errors:
            rule.update("")
            text_widget.update(Text(f"renderer failed: {snapshot.errors[self.target]}", style="bold red"))
            notes.update("")
            return
        rendering = snapshot.renderings.get(self.target)
        if rendering is None:
            return
        rule.update(Text(f"rules: {rendering.rule}" if rendering.rule else "", style="italic"))
        body = Text(rendering.text or "(nothing: no NIC reaches this target)")
        positions = rendering.nic_items.get(selected, [])
        if rendering.text and positions:
            for start, end in item_spans(rendering.text, rendering.items, positions):
                body.stylize(HIGHLIGHT, start, end)
        text_widget.update(body)
        lines = [f"• {note}" for note in rendering.notes]
        lines += [f"{'✗' if p.severity == 'error' else '!'} {p.message}" for p in rendering.problems]
        notes.update("\n".join(lines))


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

    def compose(self) -> ComposeResult:
        options = self.options
        row = Horizontal(
            Label("libvirt", classes="opt-label"),
            Select[str]([(e, e) for e in LIBVIRT_ERAS], value=options.libvirt_era, allow_blank=False, compact=True,
                        id="opt-libvirt"),
            Label("xend", classes="opt-label"),
            Select[str]([(str(v), str(v)) for v in range(1, 5)], value=str(options.xend_config_version),
                        allow_blank=False, compact=True, id="opt-xendcfg"),
            Label("Xen", classes="opt-label"),
            Select[str]([(e, e) for e in XEN_ERAS], value=options.xen, allow_blank=False, compact=True, id="opt-xen"),
            Label("domid", classes="opt-label"),
            Input(str(options.domid), compact=True, restrict=r"[0-9]*", max_length=5, id="opt-domid"),
            id="preview-options",
        )
        yield row
        with TabbedContent(initial=f"tab-{self.initial_tab}", id="preview-tabs"):
            for target in PREVIEW_TABS:
                yield TabPane(TAB_TITLES[target], id=f"tab-{target}")

    @property
    def active_tab(self) -> str:
        active = self.query_one(TabbedContent).active or f"tab-{self.initial_tab}"
        return active.removeprefix("tab-")

    def set_active(self, tab: str) -> None:
        self.query_one(TabbedContent).active = f"tab-{tab}"

    def bodies(self) -> list[PreviewBody]:
        return list(self.query(PreviewBody))

    def _ensure_body(self, tab: str) -> None:
        pane = self.query_one(f"#tab-{tab}", TabPane)
        if not pane.query(PreviewBody):
            body = PreviewBody(tab)
            pane.mount(body)
            if self._snapshot is not None:
                self.call_after_refresh(body.show, self._snapshot, self._selected)

    def mount_every_tab(self) -> None:
        """Fill every tab now (benchmarks and tests that look at hidden tabs)."""
        for tab in PREVIEW_TABS:
            self._ensure_body(tab)

    def on_mount(self) -> None:
        self._ensure_body(self.initial_tab)

    def show(self, snapshot: Snapshot, selected: int) -> None:
        self._snapshot = snapshot
        self._selected = selected
        for body in self.bodies():
            if body.is_mounted and body.children:
                body.show(snapshot, selected)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        event.stop()
        tab = (event.pane.id or "").removeprefix("tab-")
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
