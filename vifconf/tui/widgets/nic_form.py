"""The NIC form: type and model pickers, type-dependent fields, MAC with live validation.

The form never touches the model: it shows a NIC (`load`) and posts `NicForm.Edit` for every
change; the screen applies it to the domain, so every edit is undoable and re-rendered.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static

from vifconf.model.domain import INTERFACE_TYPES, SOCKET_TYPES, SOURCE_ATTRIBUTE
from vifconf.models_catalog import (
    PASSTHROUGH_MODEL_HELP,
    PASSTHROUGH_TYPES,
    TYPE_NONE_MODEL_HELP,
    ModelChoice,
    is_offered,
    models_for,
)
from vifconf.tui.session import mac_error
from vifconf.tui.widgets.deferred import too_late
from vifconf.tui.widgets.ordered_input import OrderedInput
from vifconf.tui.widgets.picker import Picker

if TYPE_CHECKING:
    from vifconf.model import Nic
    from vifconf.problems import Problem

OTHER = "__other__"
DEFAULT_MODEL = "__default__"

SOURCE_LABELS = {
    "bridge": "Bridge",
    "network": "Network",
    "direct": "Device",
    "vdpa": "Device",
    "vhostuser": "Socket",
    "internal": "Name",
}
SCRIPT_TYPES = frozenset({"bridge", "ethernet"})
DIRECT_MODES = ("vepa", "bridge", "private", "passthrough")
FIELDS = ("type", "source", "mode", "script", "model", "mac", "target", "link")
MISSING_TYPE = "(missing)"
"""The Type picker's entry for an <interface> without ``type=`` (not a name libvirt has)."""
TYPE_HELP: dict[str, str] = {
    "bridge": "a host bridge (xenbr0, br0)",
    "network": "attach to a libvirt network",
    "ethernet": "a tap device, set up by a script",
    "user": "user-mode net (SLIRP), KVM only",
    "direct": "macvtap on a host NIC, 4 modes",
    "vhostuser": "vhost-user socket, KVM only",
    "mcast": "multicast tunnel, KVM only",
    "server": "TCP socket, listening, KVM only",
    "client": "TCP socket, connecting, KVM only",
    "udp": "UDP socket tunnel, KVM only",
    "hostdev": "PCI passthrough (SR-IOV VF)",
    "vdpa": "vDPA device, KVM only",
    "internal": "VirtualBox internal network",
    "null": "not connected (VMware); no KVM",
    "vds": "VMware distributed switch",
    "none": "no guest NIC; libvirt rejects it",
    MISSING_TYPE: "no type=, so libvirt reads user",
}
"""The line under Type: at most 32 characters, what the form leaves for it at 80×24 (the
type picker's list keeps the engine's longer `INTERFACE_TYPES` explanations)."""


def script_placeholder(nic: Nic) -> str:
    """What runs without a <script>: xend's or libxl's vif script; libvirt's QEMU driver
    runs none."""
    return "(default vif script)" if nic.domain.facts.is_xen else "(none)"


def type_help(kind: str) -> str:
    return TYPE_HELP.get(kind) or INTERFACE_TYPES.get(kind) or "unknown interface type"


PROBLEM_FIELDS = {"source": "source", "bridge": "source", "network": "source", "mode": "mode", "script": "script",
                  "model": "model", "mac": "mac", "target": "target", "link": "link", "type": "type"}
"""A problem's ``field`` → the form field it is about."""


class NicForm(VerticalScroll):
    """Shows one NIC; every field change becomes an `Edit` message."""

    class Ready(Message):
        """Posted once mounted (the screen mounts the form lazily, then fills it)."""

    class Edit(Message):
        def __init__(self, nic: int, field: str, value: str | None, typing: bool) -> None:
            self.nic = nic
            self.field = field
            self.value = value
            self.typing = typing
            """True for keystrokes in a text field (the screen merges them into one undo step)."""
            super().__init__()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.nic_index = 0
        self._choices: tuple[ModelChoice, ...] = ()
        self._shown: dict[str, str] = {}
        """What the form last loaded per field: a Changed event echoing it is not an edit."""
        self._shown_problems: str | None = None
        self._built = False
        self._pending_focus: str | None = None
        self._shown_kinds: list[tuple[str, str, str]] = []
        self._shown_models: list[tuple[str, str, str]] = []
        self._model_helped = ""

    def compose(self) -> ComposeResult:
        # The first frame shows the NIC as text (`_sketch`); the ~40 field widgets are mounted
        # right after it, then `Ready` makes the screen load the NIC into them.
        yield Static("", id="form-sketch")

    def _fields(self) -> Iterator[Widget]:
        yield Horizontal(
            Label("Type", classes="label"),
            Picker([(t, t) for t in INTERFACE_TYPES], allow_blank=False, compact=True, id="field-type"),
            classes="row", id="row-type",
        )
        yield Static("", id="type-help", classes="help")
        yield Horizontal(
            Label("Source", classes="label", id="source-label"),
            OrderedInput(compact=True, classes="-valid", id="field-source", placeholder="e.g. xenbr0"),
            classes="row", id="row-source",
        )
        yield Horizontal(classes="row", id="row-mode")  # filled when a `direct` NIC is shown
        yield Horizontal(
            Label("Script", classes="label"),
            OrderedInput(compact=True, classes="-valid", id="field-script", placeholder="(default vif script)"),
            classes="row", id="row-script",
        )
        yield Horizontal(
            Label("Model", classes="label"),
            Picker([("default", DEFAULT_MODEL)], allow_blank=False, compact=True, id="field-model"),
            classes="row", id="row-model",
        )
        yield Horizontal(
            Label("  other", classes="label"),
            OrderedInput(compact=True, classes="-valid", id="field-model-other", placeholder="model name, free text"),
            classes="row", id="row-model-other",
        )
        yield Static("", id="model-help", classes="help")
        yield Horizontal(
            Label("MAC", classes="label"),
            OrderedInput(compact=True, classes="-valid", id="field-mac", placeholder="(generated by libvirt)"),
            classes="row", id="row-mac",
        )
        yield Static("", id="mac-error", classes="error")
        yield Horizontal(
            Label("Target", classes="label"),
            OrderedInput(compact=True, classes="-valid", id="field-target", placeholder="(auto: vifN.M / vnetN)"),
            classes="row", id="row-target",
        )
        yield Horizontal(
            Label("Link", classes="label"),
            Select[str]([("up", "up"), ("down", "down")], prompt="(default: up)", compact=True, id="field-link"),
            classes="row", id="row-link",
        )
        yield Static("", id="nic-problems", classes="help")

    def on_mount(self) -> None:
        self.call_after_refresh(self._build)

    @property
    def built(self) -> bool:
        return self._built

    async def _build(self) -> None:
        if self._built or too_late(self):
            return  # quitting at the first frame: nothing to build
        self._built = True
        widgets = list(self._fields())
        with self.app.batch_update():
            await self.query("#form-sketch").remove()
            await self.mount_all(widgets)
        self.post_message(self.Ready())
        if self._pending_focus is not None:
            self.call_after_refresh(self.focus_field, self._pending_focus)
            self._pending_focus = None

    def _sketch(self, nic: Nic) -> None:
        """Before the fields exist: the same rows as plain text (read-only, one widget)."""
        from rich.text import Text

        kind = MISSING_TYPE if nic.type is None else nic.type
        model = nic.model or ""
        rows: list[tuple[str, str, str]] = [("Type", kind, ""), ("", type_help(kind), "help")]
        if kind in SOURCE_ATTRIBUTE or kind in SOCKET_TYPES:
            label = SOURCE_LABELS.get(kind, "Address" if kind in SOCKET_TYPES else "Source")
            rows.append((label, nic.source or "", ""))
        if kind == "direct":
            rows.append(("Mode", nic.source_mode or "(vepa)", ""))
        if kind in SCRIPT_TYPES:
            rows.append(("Script", nic.script or script_placeholder(nic), "" if nic.script else "help"))
        choice = next((c for c in self._choices if c.name == model), None)
        rows.append(("Model", choice.label if choice else "other…", ""))
        if choice is None:
            rows.append(("  other", model, ""))
        help_text = choice.description if choice else ("not in the list for this hypervisor" if model else "")
        rows.append(("", help_text, "help"))
        rows.append(("MAC", nic.mac or "(generated by libvirt)", "" if nic.mac else "help"))
        rows.append(("Target", nic.target or "(auto: vifN.M / vnetN)", "" if nic.target else "help"))
        rows.append(("Link", nic.link or "(default: up)", "" if nic.link else "help"))
        text = Text(no_wrap=True, overflow="ellipsis")
        for index, (label, value, style) in enumerate(rows):
            if index:
                text.append("\n")
            text.append(f"{label:<8}")
            text.append(value, style="dim" if style else "")
        for sketch in self.query("#form-sketch").results(Static):
            sketch.update(text)

    # -- showing a NIC -----------------------------------------------------------------
    def load(self, nic: Nic) -> None:
        self.border_title = f"NIC {nic.index}"
        if not self._built:
            # nic_index stays 0 until the fields are loaded: the Changed events of freshly
            # mounted fields (their initial values) must not count as edits.
            facts = nic.domain.facts
            self._choices = models_for(facts.hypervisor, facts.os_type)
            self._sketch(nic)
            return
        self.nic_index = nic.index
        facts = nic.domain.facts
        self._choices = models_for(facts.hypervisor, facts.os_type)
        kind = MISSING_TYPE if nic.type is None else nic.type
        self._shown = {}

        type_select = self.query_one("#field-type", Picker)
        kinds = [(t, explanation, t) for t, explanation in INTERFACE_TYPES.items()]
        if kind not in INTERFACE_TYPES:
            kinds.append((kind, type_help(kind), kind))
        if self._shown_kinds != kinds:  # rebuilding the dropdown costs; the list rarely changes
            self._shown_kinds = kinds
            type_select.set_choices(kinds)
        self._set_select(type_select, "type", kind)

        self._set_input("source", nic.source or "")
        self._set_mode(nic.source_mode or "")
        self._set_input("script", nic.script or "")
        self.query_one("#field-script", Input).placeholder = script_placeholder(nic)
        model_select = self.query_one("#field-model", Picker)
        options = [(c.label, c.description, c.name or DEFAULT_MODEL) for c in self._choices]
        options.append(("other…", "a model not in this list: type its name", OTHER))
        if self._shown_models != options:
            self._shown_models = options
            model_select.set_choices(options)
        model = nic.model or ""
        self._shown["model-value"] = model
        if is_offered(self._choices, model):
            self._set_select(model_select, "model", model or DEFAULT_MODEL)
            self._set_input("model-other", "")
        else:
            self._set_select(model_select, "model", OTHER)
            self._set_input("model-other", model)
        self._set_input("mac", nic.mac or "")
        self._set_input("target", nic.target or "")
        self._set_select(self.query_one("#field-link", Select), "link", nic.link or "")
        self._update_visibility(kind, model_other=not is_offered(self._choices, model))
        self._update_model_help(model)
        self._show_mac_error(nic.mac or "")

    def _set_input(self, field: str, value: str) -> None:
        widget = self.query_one(f"#field-{field}", Input)
        self._shown[field] = value
        if widget.value != value:
            widget.value = value

    def _set_select(self, widget: Select[str], field: str, value: str) -> None:
        self._shown[field] = value
        target: Any = value if value else Select.NULL
        if widget.value != target:
            widget.value = target

    def _mode_select(self) -> Select[str] | None:
        found = self.query("#field-mode")
        return found.first(Select) if found else None

    def _set_mode(self, value: str) -> None:
        select = self._mode_select()
        if select is None:
            self._shown["mode"] = value  # built with this value when a `direct` NIC needs it
        else:
            self._set_select(select, "mode", value)

    def _ensure_mode_row(self) -> None:
        """The mode picker exists only once a `direct` NIC is shown (a Select is ~5 widgets
        the first frame would otherwise pay for)."""
        row = self.query_one("#row-mode")
        if row.children:
            return
        value: Any = self._shown.get("mode") or Select.NULL
        row.mount_all([
            Label("Mode", classes="label"),
            Select[str]([(m, m) for m in DIRECT_MODES], prompt="(vepa)", compact=True, value=value, id="field-mode"),
        ])

    def _update_visibility(self, kind: str, model_other: bool) -> None:
        """The rows type ``kind`` uses; also Script while one is set, even where the type
        takes none (after a change of type), so the problem it raises can be fixed here."""
        has_source = kind in SOURCE_ATTRIBUTE or kind in SOCKET_TYPES
        self.query_one("#row-source").display = has_source
        label = SOURCE_LABELS.get(kind, "Address" if kind in SOCKET_TYPES else "Source")
        self.query_one("#source-label", Label).update(label)
        self.query_one("#field-source", Input).placeholder = "host:port" if kind in SOCKET_TYPES else ""
        if kind == "direct":
            self._ensure_mode_row()
        self.query_one("#row-mode").display = kind == "direct"
        script = self.query_one("#field-script", Input).value
        self.query_one("#row-script").display = kind in SCRIPT_TYPES or bool(script)
        self.query_one("#row-model-other").display = model_other
        self.query_one("#type-help", Static).update(type_help(kind))

    def _update_model_help(self, model: str | None = None, kind: str | None = None) -> None:
        """The chosen model's description (``None``: the model shown last, after a change of
        type to ``kind``); a passthrough NIC's model emulates nothing, whatever it says."""
        model = self._model_helped if model is None else model
        self._model_helped = model
        help_text = "not in the list for this hypervisor" if model else ""
        shown_kind = kind or self._shown.get("type")
        if shown_kind in PASSTHROUGH_TYPES:
            help_text = PASSTHROUGH_MODEL_HELP
        elif shown_kind == "none":
            help_text = TYPE_NONE_MODEL_HELP
        else:
            help_text = next((c.description for c in self._choices if c.name == model), help_text)
        self.query_one("#model-help", Static).update(help_text)

    def _show_mac_error(self, value: str) -> None:
        error = mac_error(value)
        widget = self.query_one("#field-mac", Input)
        widget.set_class(error is not None, "-invalid")
        self.query_one("#mac-error", Static).update(f"✗ {error}" if error else "")
        self.query_one("#mac-error").display = error is not None

    def show_problems(self, problems: list[Problem]) -> None:
        """The selected NIC's problems, under the form; a field with an error gets the red
        ``-invalid`` look in place (the MAC's own live check adds to it as you type)."""
        text = "\n".join(f"{'✗' if p.severity == 'error' else '!'} {p.message}" for p in problems)
        if self._shown_problems == text or not self._built:
            return
        self._shown_problems = text
        bad = {PROBLEM_FIELDS.get(p.field or "", "") for p in problems if p.severity == "error"}
        for name in ("type", "source", "mode", "script", "model", "model-other", "target", "link"):
            for widget in self.query(f"#field-{name}"):
                widget.set_class(name in bad or (name == "model-other" and "model" in bad), "-invalid")
        mac = self.query_one("#field-mac", Input)
        mac.set_class("mac" in bad or mac_error(mac.value) is not None, "-invalid")
        widget = self.query_one("#nic-problems", Static)
        widget.update(text)
        widget.display = bool(problems)

    # -- edits ---------------------------------------------------------------------------
    def _edit(self, field: str, value: str, typing: bool) -> None:
        if self.nic_index and self._shown.get(field) != value:
            self._shown[field] = value
            self.post_message(self.Edit(self.nic_index, field, value or None, typing))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.value != event.input.value:
            return  # a stale echo of an earlier value (set while loading another NIC)
        field = (event.input.id or "").removeprefix("field-")
        if field == "mac":
            self._show_mac_error(event.value)
        if field == "model-other":
            if self.query_one("#field-model", Select).value == OTHER:
                self._update_model_help(event.value)
                self._edit_model(event.value, typing=True)
            return
        if field in FIELDS:
            self._edit(field, event.value, typing=True)

    def _edit_model(self, value: str, typing: bool) -> None:
        if self.nic_index and self._shown.get("model-value") != value:
            self._shown["model-value"] = value
            self.post_message(self.Edit(self.nic_index, "model", value or None, typing))

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.value != event.select.value:
            return  # a transient value from set_options() while loading, not the user's choice
        field = (event.select.id or "").removeprefix("field-")
        value = "" if event.value is Select.NULL else str(event.value)
        if field == "model":
            if self._shown.get("model") == value:
                return
            self._shown["model"] = value
            other = value == OTHER
            self.query_one("#row-model-other").display = other
            if other:
                typed = self.query_one("#field-model-other", Input).value
                if not typed:  # start from the model the NIC has, so the box shows what is set
                    typed = self._shown.get("model-value", "")
                    self._set_input("model-other", typed)
                self._update_model_help(typed)
                self.query_one("#field-model-other", Input).focus()
                if typed:
                    self._edit_model(typed, typing=False)
                return
            model = "" if value == DEFAULT_MODEL else value
            self._update_model_help(model)
            self._edit_model(model, typing=False)
            return
        if field == "type" and value == MISSING_TYPE:
            return  # the NIC has no type: there is nothing to write
        if field == "type" and value and self._shown.get("type") != value:
            self._update_visibility(value, self.query_one("#field-model", Select).value == OTHER)
            self._update_model_help(kind=value)
        if field in FIELDS:
            self._edit(field, value, typing=False)

    def focus_field(self, field: str | None) -> None:
        """Focus the widget for a problem's field (falls back to the type picker)."""
        if not self._built:
            self._pending_focus = field or "type"  # the fields are being built: focus once they exist
            return
        name = PROBLEM_FIELDS.get(field or "", "type")
        found = self.query(f"#field-{name}")
        widget = found.first() if found else self.query_one("#field-type")
        if not widget.display or not widget.parent or not getattr(widget.parent, "display", True):
            widget = self.query_one("#field-type")
        widget.focus()
