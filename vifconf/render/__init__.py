"""Renderers: pure functions from a `Domain` to what one hypervisor stack would see.

Each target lives in its own module and exposes ``render(domain, options) -> Rendering``.
Nothing here imports Textual; the UI asks for renderings and shows ``text``.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from vifconf.problems import Problem, Severity

if TYPE_CHECKING:
    from vifconf.model import Domain, Nic

LIBVIRT_ERAS = ("0.5", "0.6", "0.7.5", "0.8.6", "0.9.12", "1.3.1")
XEN_ERAS = (
    "xend-3.2",
    "xend-3.3",
    "xend-4.0",
    "xend-4.2",
    "xl-4.2-traditional",
    "xl-4.2-upstream",
    "xl-4.15-upstream",
)
XEN_ERA_ALIASES = {"xend-3.4": "xend-3.3", "xend-4.1": "xend-4.0", "xend-4.3": "xend-4.2", "xend-4.4": "xend-4.2"}
HOST_OSES = ("linux", "freebsd", "netbsd")
XL_FORMATS = ("xl", "xm")
TARGETS = ("xend-sxpr", "qemu-dm", "qemu", "xl")
DOMAIN_HEADING = "== "
TARGET_HEADING = "-- "
"""How ``vifconf render``'s plain output opens a domain and a target's section
(`cli.human_render`); `importer` reads the xend-sxpr sections of it back."""
AS_XEN_NOTE = "rendered as if the domain were type xen (libvirt's Xen driver converts no other)"
"""The Xen targets' first note for a guest of another hypervisor (a KVM guest being moved)."""
_BRIDGE_NAME = re.compile(r"[^\s/,:]+")


def is_bridge_name(name: str) -> bool:
    """A bridge name the default may carry: a Linux device name (1-15 bytes, IFNAMSIZ) that
    xl.conf and the comma-separated qemu-dm options can hold as is (no space, '/', ',', ':';
    not ``.`` or ``..``)."""
    return bool(_BRIDGE_NAME.fullmatch(name)) and len(name.encode()) <= 15 and name not in (".", "..")


def unresolved_network(nic: Nic) -> tuple[Severity, str, str]:
    """Why a type network NIC's bridge is shown as a placeholder (`Nic.network_bridge` is
    None), and what to do about it: severity, message and hint. An error when the host is
    known (libvirt's Xen driver and xl converter refuse the NIC), a warning when only a live
    libvirt could tell."""
    name = nic.source or "?"
    if nic.network_on_host:
        return ("error", f"libvirt network '{name}' has no bridge (it forwards by macvtap or to host devices), "
                "and a vif attaches to a bridge: libvirt refuses the NIC; shown as a placeholder",
                "use a network with a bridge, or a bridge interface")
    if nic.network_on_host is False:
        return ("error", f"libvirt network '{name}' is not defined on the domain's host: libvirt refuses the NIC; "
                "shown as a placeholder", "define (and start) the network on the host, or use a bridge interface")
    return ("warning", f"the bridge of libvirt network '{name}' is only known to a live libvirt (the network must "
            "exist and be active); shown as a placeholder",
            "render with a live connection (vifconf render --connect URI), or use a bridge interface")


@dataclass(frozen=True)
class RenderOptions:
    """The knobs of the hypervisor stack being imitated; defaults are the seed's 2008 setup."""

    libvirt_era: str = "0.5"
    xend_config_version: int = 4
    xen: str = "xend-3.3"
    domid: int = 1
    host_os: str = "linux"
    xl_format: str = "xl"
    default_bridge: str = "xenbr0"
    """xl.conf's ``defaultbridge=``: the bridge libxl gives a vif that names none (xl eras)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "xen", XEN_ERA_ALIASES.get(self.xen, self.xen))
        if self.libvirt_era not in LIBVIRT_ERAS:
            raise ValueError(f"unknown libvirt era {self.libvirt_era!r} (one of {', '.join(LIBVIRT_ERAS)})")
        if self.xen not in XEN_ERAS:
            raise ValueError(f"unknown Xen era {self.xen!r} (one of {', '.join(XEN_ERAS)})")
        if not 1 <= self.xend_config_version <= 4:
            raise ValueError("xend config version must be 1-4")
        if self.domid < 0:
            raise ValueError("domid must be >= 0")
        if self.host_os not in HOST_OSES:
            raise ValueError(f"unknown host OS {self.host_os!r} (one of {', '.join(HOST_OSES)})")
        if self.xl_format not in XL_FORMATS:
            raise ValueError(f"unknown xl format {self.xl_format!r} (one of {', '.join(XL_FORMATS)})")
        if not is_bridge_name(self.default_bridge):
            raise ValueError(f"default bridge {self.default_bridge!r}: a Linux device name, at most 15 "
                             "bytes, without spaces, '/', ',' or ':'")


@dataclass
class Rendering:
    """One target's output for one domain.

    ``items`` is the structured form: the ``(device (vif …))`` strings for xend-sxpr, the argv
    for qemu-dm and qemu, the quoted entries for xl. ``nic_items`` maps a NIC index (from 1)
    to the positions in ``items`` that it produced, so the UI can highlight the selected NIC.
    """

    target: str
    kind: Literal["vifs", "argv", "line"]
    items: list[str] = field(default_factory=list)
    text: str = ""
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    nic_items: dict[int, list[int]] = field(default_factory=dict)
    rule: str = ""
    """The rule set shown, e.g. "libvirt 0.5, xend config 4, HVM" (the UI names it on the tab)."""
    spans: list[tuple[int, int]] = field(default_factory=list)
    """Where each item sits in ``text`` (same order as ``items``): the UI highlights a NIC's
    part with these, so it never needs to know how a target quotes or joins."""

    def nic_spans(self, nic: int) -> list[tuple[int, int]]:
        return [self.spans[position] for position in self.nic_items.get(nic, []) if position < len(self.spans)]

    def notes_and_refusals(self, refusals: bool) -> list[str]:
        """The notes, and with ``refusals`` this target's problems as notes too: for a target
        whose problems are not counted as the domain's (a KVM guest's xl line, a Xen guest's
        QEMU arguments), so its output still says why a NIC is missing from it."""
        return [*self.notes, *(refusal_note(p) for p in self.problems)] if refusals else list(self.notes)

    def as_json(self, refusals_as_notes: bool = False) -> dict[str, object]:
        notes = self.notes_and_refusals(refusals_as_notes)
        if self.kind == "vifs":
            return {"vifs": list(self.items), "text": self.text, "notes": notes}
        if self.kind == "argv":
            return {"argv": list(self.items), "text": self.text, "notes": notes}
        return {"text": self.text, "entries": list(self.items), "notes": notes}


def refusal_note(problem: Problem, severity: bool = True) -> str:
    """A target's problem said as one of its notes: "NIC 2: error: …" (the UI marks the
    severity with a symbol instead)."""
    owner = f"NIC {problem.nic}: " if problem.nic is not None else ""
    return f"{owner}{problem.severity}: {problem.message}" if severity else owner + problem.message


def positions_by_nic(
    domain: Domain, owned: Iterable[tuple[int | None, Iterable[int]]]
) -> dict[int, list[int]]:
    """``Rendering.nic_items``: every NIC of the domain (an empty list when it produced
    nothing), then the item positions each owner (a NIC index, or None) produced."""
    by_nic: dict[int, list[int]] = {nic.index: [] for nic in domain.nics}
    for owner, positions in owned:
        if owner is not None:
            by_nic[owner].extend(positions)
    return by_nic


class TextLayout:
    """Builds a rendering's display text and records where each item landed in it."""

    def __init__(self, parts: list[str] | None = None, spans: list[tuple[int, int]] | None = None) -> None:
        self._parts: list[str] = parts or []
        self._length = sum(map(len, self._parts))
        self.spans: list[tuple[int, int]] = spans or []

    def add(self, text: str, item: bool = False) -> None:
        if item:
            self.spans.append((self._length, self._length + len(text)))
        self._parts.append(text)
        self._length += len(text)

    @property
    def text(self) -> str:
        return "".join(self._parts)


def lines_layout(items: list[str]) -> TextLayout:
    """One item per line (the sxpr vifs)."""
    layout = TextLayout()
    for position, item in enumerate(items):
        if position:
            layout.add("\n")
        layout.add(item, item=True)
    return layout


def argv_layout(argv: list[str]) -> TextLayout:
    """An argv for copy/paste: shell-quoted (``shlex.quote``), one option with its value
    per line, so pasting it into a shell gives the program exactly ``argv``."""
    quoted = [shlex.quote(arg) for arg in argv]
    parts: list[str] = []  # built inline, not with add(): this runs per keystroke and per guest
    spans: list[tuple[int, int]] = []
    end = 0
    position = 0
    while position < len(argv):
        width = 2 if argv[position].startswith("-") and position + 1 < len(argv) else 1
        for offset in range(width):
            separator = " " if offset else "\n" if position else ""
            text = quoted[position + offset]
            start = end + len(separator)
            end = start + len(text)
            parts += (separator, text)
            spans.append((start, end))
        position += width
    return TextLayout(parts, spans)


Renderer = Callable[["Domain", RenderOptions], Rendering]


def renderer(target: str) -> Renderer:
    """The render function of a target (imported on first use)."""
    if target == "xend-sxpr":
        from vifconf.render import xend_sxpr

        return xend_sxpr.render
    if target == "qemu-dm":
        from vifconf.render import qemu_dm

        return qemu_dm.render
    if target == "qemu":
        from vifconf.render import qemu

        return qemu.render
    if target == "xl":
        from vifconf.render import xl

        return xl.render
    raise ValueError(f"unknown target {target!r} (one of {', '.join(TARGETS)}, all)")


def render_target(domain: Domain, options: RenderOptions, target: str) -> Rendering:
    """One target's rendering, computed once per edit (validation and the UI both ask)."""
    return domain.memo(("render", target, options), lambda: renderer(target)(domain, options))


def render_all(domain: Domain, options: RenderOptions, targets: tuple[str, ...] = TARGETS) -> dict[str, Rendering]:
    return {target: render_target(domain, options, target) for target in targets}


def native_targets(domain: Domain, options: RenderOptions) -> tuple[str, ...]:
    """The targets whose refusals are the domain's own problems: the chosen Xen toolstack
    for a Xen domain (xend's sxpr, or the xl line, each feeding qemu-dm), libvirt-QEMU for
    a domain its QEMU driver runs, none for libvirt's other drivers (vifconf renders none of
    theirs). Other targets' findings stay in their notes."""
    if domain.facts.is_xen:
        return ("xl", "qemu-dm") if options.xen.startswith("xl-") else ("xend-sxpr", "qemu-dm")
    return ("qemu",) if domain.facts.runs_on_qemu_driver else ()
