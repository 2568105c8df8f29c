"""libvirt's Xen driver: ``<interface>`` → the ``(device (vif …))`` S-expression sent to xend.

The rules restate ``shared/spec/xend-sxpr.md`` — libvirt's ``xenDaemonFormatSxprNet``
(``src/xend_internal.c``, 2008–2011), then ``xenFormatSxprNet`` (``src/xenxs/xen_sxpr.c``,
``src/xenconfig/xen_sxpr.c``, 2011–2019) — one row of ``ERAS`` per libvirt release that changed
them. Commit ids are libvirt's:

* 0.5   8c6f5a546b  the seed's code: ``(type ioemu)`` for HVM while xend config version < 4
* 0.6   e676a699e8  the limit becomes "≤ 3"; fb4ec82358 custom bridge script, e80f10064e bridge ip
* 0.7.5 dddad4bcb4  HVM netfront → ``(type netfront)``; another model always adds ``(type ioemu)``
* 0.8.6 3afe5d402b  quoted values are escaped (backslash before ``\\`` and ``'``)
* 0.9.12 10c31135f3 a model adds ``(type ioemu)`` only up to config version 3
* 1.3.1 5ff2e370af  never ``(type ioemu)``; 1dd34bbb4b ``(rate 'NKB/s')`` from ``<bandwidth>``

The seed's proposal (December 2008, never merged): ``<interface type='none'>`` sends nothing
for the source and ends the vif with ``(type none)``, so xend keeps the vif (netback side) but
gives qemu-dm no emulated NIC for it. vifconf shows it in every era, marked as an extension.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from vifconf.model import Domain, Nic
from vifconf.model.libvirt9 import GuestIp, read_guest_ip
from vifconf.model.mac import GENERATED_XEN_MAC, normalize_mac
from vifconf.problems import Problem, Severity
from vifconf.render import (
    AS_XEN_NOTE,
    Rendering,
    RenderOptions,
    lines_layout,
    positions_by_nic,
    sxpr,
    unresolved_network,
)

TARGET = "xend-sxpr"

DEFAULT_BRIDGE_SCRIPT = "vif-bridge"
"""libvirt's script for bridge and network NICs (``vif-vnic`` on Solaris, which vifconf does not model)."""

SUPPORTED_TYPES = frozenset({"bridge", "network", "ethernet", "none"})


@dataclass(frozen=True)
class EraRules:
    """What one libvirt era did differently. ``(type ioemu)`` appears (HVM only) when the xend
    config version is at most the era's limit; 0 means never, 4 means always."""

    commits: str
    ioemu_without_model_upto: int
    ioemu_after_model_upto: int
    netfront_as_type: bool
    """HVM ``<model type='netfront'/>`` → ``(type netfront)`` instead of ``(model 'netfront')``."""
    bridge_script_custom: bool
    """The interface's ``<script>`` is used for a bridge (else always ``vif-bridge``)."""
    bridge_ip: bool
    rate: bool
    escapes: bool
    ip_parsed: bool = False
    """The ``<ip>`` is parsed as an address and printed in canonical form (1.3.1; from 1.2.12
    libvirt keeps addresses, not the text as written)."""


ERAS: dict[str, EraRules] = {
    # 0.5 wrote "version < 4" and 0.6 "version <= 3": the same for versions 1-4 (0.6 also let
    # RHEL-5 builds set the limit to 0, which vifconf does not model).
    "0.5": EraRules("8c6f5a546b", 3, 3, False, False, False, False, False),
    "0.6": EraRules("e676a699e8, fb4ec82358, e80f10064e", 3, 3, False, True, True, False, False),
    "0.7.5": EraRules("dddad4bcb4", 3, 4, True, True, True, False, False),
    "0.8.6": EraRules("3afe5d402b", 3, 4, True, True, True, False, True),
    "0.9.12": EraRules("10c31135f3", 3, 3, True, True, True, False, True),
    "1.3.1": EraRules("5ff2e370af, 1dd34bbb4b", 0, 0, True, True, True, True, True, ip_parsed=True),
}

Style = Literal["bare", "plain", "escaped"]
"""How an item's value is printed: ``(type ioemu)``, ``(mac '…')`` never escaped, or a value
escaped when the era escapes (raw before 0.8.6)."""


@dataclass(frozen=True)
class VifItem:
    key: str
    value: str
    style: Style = "escaped"

    def text(self, escapes: bool) -> str:
        if self.style == "bare":
            return sxpr.item(self.key, self.value, quoted=False)
        return sxpr.item(self.key, self.value, escaped=escapes and self.style == "escaped")


@dataclass
class Vif:
    """One NIC's vif as libvirt built it, before printing."""

    nic: int
    items: list[VifItem] = field(default_factory=list)

    def text(self, escapes: bool, *, attach: bool = False) -> str:
        """``(device (vif …))``; the attach (hotplug) form drops the outer ``(device …)``."""
        body = "(vif " + "".join(item.text(escapes) for item in self.items) + ")"
        return body if attach else f"(device {body})"

    def fields(self) -> dict[str, str]:
        """The key → value map xend stored for this vif."""
        return {item.key: item.value for item in self.items}


@dataclass
class VifSet:
    vifs: list[Vif]
    notes: list[str]
    problems: list[Problem]


def network_placeholder(network: str | None) -> str:
    """What vifconf prints for a network's bridge it cannot look up offline."""
    return f"<network {network or '?'}>"


def build_vifs(domain: Domain, options: RenderOptions) -> VifSet:
    """Every NIC's vif (in interface order) plus the problems libvirt or xend would have.
    Computed once per edit and shared with qemu-dm; read-only for callers."""
    key = (TARGET, options.libvirt_era, options.xend_config_version)
    return domain.memo(key, lambda: _build_vifs(domain, options))


def _build_vifs(domain: Domain, options: RenderOptions) -> VifSet:
    rules = ERAS[options.libvirt_era]
    hvm = domain.facts.hvm
    out = VifSet([], [], [])
    for nic in domain.nics:
        vif = _build_vif(nic, rules, hvm, options, out)
        if vif is not None:
            out.vifs.append(vif)
    return out


def _problem(
    out: VifSet, nic: Nic, code: str, severity: Severity, message: str, *, field: str, hint: str | None = None
) -> None:
    """Record a problem; ``field`` is the NIC field, which also names the XML element for the line."""
    line = nic.line_for(field)
    out.problems.append(Problem(code, severity, message, nic.index, field, hint, line, TARGET))


ITEM_FIELDS = {"bridge": "source", "script": "script", "ip": "ip", "vifname": "target", "model": "model"}
"""The NIC field each escaped vif item comes from."""


def _build_vif(nic: Nic, rules: EraRules, hvm: bool, options: RenderOptions, out: VifSet) -> Vif | None:
    kind = nic.libvirt_type
    era = options.libvirt_era
    if kind not in SUPPORTED_TYPES:
        message = (
            f"libvirt's Xen driver does not support interfaces of type '{kind or '(missing)'}' "
            "(unsupported network type); no vif is sent"
        )
        _problem(out, nic, "xend-unsupported-type", "error", message, field="type",
                 hint="use type bridge, network or ethernet for a Xen guest")  # fmt: skip
        return None

    vif = Vif(nic.index)
    _add_mac(vif, nic, out)
    _add_rate(vif, nic, rules, era, out)
    _add_source(vif, nic, kind, rules, era, out)
    if nic.target is not None and not nic.target.startswith("vif"):  # dev='' too: libvirt kept ""
        vif.items.append(VifItem("vifname", nic.target))
    model_items = _model_items(nic.model, hvm, rules, options.xend_config_version)
    if kind == "none":
        # The seed's patch: (type none) replaces the era's (type …) items, at the very end.
        vif.items.extend(item for item in model_items if item.key != "type")
        vif.items.append(VifItem("type", "none", "bare"))
        out.notes.append(
            f"NIC {nic.index}: type none is the 2008 seed's extension (never in libvirt): "
            "no source, and (type none) so xend keeps the vif but gives qemu-dm no emulated NIC for it"
        )
    else:
        vif.items.extend(model_items)
    if not rules.escapes:
        _flag_raw_values(vif, nic, era, out)
    return vif


def _add_mac(vif: Vif, nic: Nic, out: VifSet) -> None:
    if nic.mac is None:  # libvirt's parser generated one before the driver formatted the vif
        out.notes.append(f"NIC {nic.index}: no MAC; libvirt generates a random one ({GENERATED_XEN_MAC}) when "
                         "it reads the domain, and sends that")
        vif.items.append(VifItem("mac", GENERATED_XEN_MAC, "plain"))
        return
    normalized = normalize_mac(nic.mac)
    if normalized is None:
        out.notes.append(f"NIC {nic.index}: MAC '{nic.mac}' is not valid (libvirt would refuse it); shown as written")
    vif.items.append(VifItem("mac", normalized or nic.mac, "plain"))


def _add_rate(vif: Vif, nic: Nic, rules: EraRules, era: str, out: VifSet) -> None:
    """``(rate 'NKB/s')`` from ``<bandwidth><outbound average='N'/>`` (1.3.1 only; 0 means none)."""
    if "average" not in nic.bandwidth_outbound:
        return
    average = nic.outbound_average_kbs  # None: not a number libvirt reads (validation says so)
    if not rules.rate:
        message = f"libvirt {era} ignores <bandwidth> for Xen; (rate …) arrives in 1.3.1"
        _problem(out, nic, "xend-rate-ignored", "warning", message, field="bandwidth")
    elif average:
        vif.items.append(VifItem("rate", f"{average}KB/s", "plain"))


def _add_source(vif: Vif, nic: Nic, kind: str, rules: EraRules, era: str, out: VifSet) -> None:
    """The type part: what the vif attaches to, its hotplug script and its ip."""
    if kind == "bridge":
        _add_bridge(vif, nic, rules, era, out)
    elif kind == "network":
        bridge = nic.network_bridge
        vif.items.append(VifItem("bridge", bridge or network_placeholder(nic.source)))
        vif.items.append(VifItem("script", DEFAULT_BRIDGE_SCRIPT))
        if bridge is None:
            severity, message, hint = unresolved_network(nic)
            _problem(out, nic, "xend-network-unresolved", severity, message, field="source", hint=hint)
        if nic.script is not None:
            message = "scripts are not supported on interfaces of type network"
            _problem(out, nic, "xend-network-script", "error", message, field="script", hint="remove the <script>")
    elif kind == "ethernet":
        if nic.script is not None:
            vif.items.append(VifItem("script", nic.script))
        _add_ip(vif, nic, rules, out)


def _add_bridge(vif: Vif, nic: Nic, rules: EraRules, era: str, out: VifSet) -> None:
    if nic.source is None:
        message = "an interface of type bridge needs <source bridge='…'/>; libvirt refuses it"
        _problem(out, nic, "xend-bridge-missing", "error", message, field="source")
    else:
        vif.items.append(VifItem("bridge", nic.source))
    script = DEFAULT_BRIDGE_SCRIPT
    if nic.script is not None and rules.bridge_script_custom:
        script = nic.script
    elif nic.script not in (None, DEFAULT_BRIDGE_SCRIPT):
        message = (
            f"libvirt {era} always sends script 'vif-bridge' for a bridge; '{nic.script}' is ignored "
            "(custom scripts arrive in 0.6)"
        )
        _problem(out, nic, "xend-script-ignored", "warning", message, field="script")
    vif.items.append(VifItem("script", script))
    if rules.bridge_ip:
        _add_ip(vif, nic, rules, out)
    elif nic.ip_addresses:
        message = f"libvirt {era} sends no ip for a bridge; the <ip> is ignored (bridge ips arrive in 0.6)"
        _problem(out, nic, "xend-ip-ignored", "warning", message, field="ip")


def _add_ip(vif: Vif, nic: Nic, rules: EraRules, out: VifSet) -> None:
    addresses = nic.ip_addresses
    if len(addresses) == 1:
        element = nic.element.find("ip")
        canonical = read_guest_ip(element) if rules.ip_parsed and element is not None else None
        shown = canonical.address if isinstance(canonical, GuestIp) else addresses[0]  # unreadable: validation says so
        vif.items.append(VifItem("ip", shown))
    elif len(addresses) > 1:
        message = f"Driver does not support setting multiple IP addresses ({len(addresses)} given)"
        _problem(out, nic, "xend-multiple-ips", "error", message, field="ip", hint="keep one <ip address>")


def _model_items(model: str | None, hvm: bool, rules: EraRules, version: int) -> list[VifItem]:
    """The model part and its ``(type …)`` companion, by era (the table in xend-sxpr.md)."""
    if not hvm:
        return [VifItem("model", model)] if model else []
    if model == "netfront" and rules.netfront_as_type:
        return [VifItem("type", "netfront", "bare")]
    ioemu = VifItem("type", "ioemu", "bare")
    if model is None:
        return [ioemu] if version <= rules.ioemu_without_model_upto else []
    items = [VifItem("model", model)]
    if version <= rules.ioemu_after_model_upto:
        items.append(ioemu)
    return items


def _flag_raw_values(vif: Vif, nic: Nic, era: str, out: VifSet) -> None:
    """Before 0.8.6 values went in raw: a quote ends the value early, a backslash escapes."""
    for item in vif.items:
        if item.key == "bridge" and nic.bridge_is_placeholder:
            continue
        if item.style == "escaped" and sxpr.unsafe_raw(item.value):
            message = (
                f"{item.key} '{item.value}' contains a quote or backslash; libvirt {era} pastes it raw "
                "and xend would mis-parse the vif"
            )
            _problem(out, nic, "xend-unescaped-value", "error", message, field=ITEM_FIELDS.get(item.key, item.key),
                     hint="remove the character, or choose libvirt era 0.8.6 or later (which escapes it)")  # fmt: skip


def vif_dicts(domain: Domain, options: RenderOptions) -> list[dict[str, str]]:
    """The key → value of each emitted vif, in order, as xend stored them (qemu-dm reads these)."""
    return [vif.fields() for vif in build_vifs(domain, options).vifs]


def tree_view(domain: Domain, options: RenderOptions) -> str:
    """The "sxpr tree": each vif one item per line, built from what libvirt meant to send (so it
    stays readable even where a raw pre-0.8.6 value would break xend's reader)."""
    escapes = ERAS[options.libvirt_era].escapes
    lines = []
    for vif in build_vifs(domain, options).vifs:
        body: list[sxpr.Node] = ["vif"]
        body.extend([item.key, item.value] for item in vif.items)
        lines.append(sxpr.tree(["device", body], escaped=escapes))
    return "\n".join(lines)


def rule_name(domain: Domain, options: RenderOptions) -> str:
    guest = "HVM" if domain.facts.hvm else "PV"
    return f"libvirt {options.libvirt_era} · xend config {options.xend_config_version} · {guest}"


def render(domain: Domain, options: RenderOptions) -> Rendering:
    built = build_vifs(domain, options)
    escapes = ERAS[options.libvirt_era].escapes
    items = [vif.text(escapes) for vif in built.vifs]
    layout = lines_layout(items)
    return Rendering(
        target=TARGET,
        kind="vifs",
        items=items,
        text=layout.text,
        spans=layout.spans,
        notes=([] if domain.facts.is_xen else [AS_XEN_NOTE]) + built.notes,
        problems=list(built.problems),
        nic_items=positions_by_nic(domain, ((vif.nic, [i]) for i, vif in enumerate(built.vifs))),
        rule=rule_name(domain, options),
    )
