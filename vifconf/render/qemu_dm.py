"""The network slice of the device model's argv: what qemu-dm (or QEMU) got for a guest's vifs.

Rules restate ``shared/spec/qemu-dm.md``; commit ids are the Xen tree's.

* xend, ``tools/python/xen/xend/image.py`` ``HVMImageHandler.parseDeviceModelArgs``: a vif gets
  an emulated NIC only when its ``type`` is missing or exactly ``ioemu``; NICs count from 1.
  Eras: 3.2 (472b6cb977: ``tap,vlan=n,bridge=B``, nothing for zero NICs), 3.3/3.4 (6dc8df55ea,
  45f66e11cc: ``ifname=tap<domid>.<n-1>``, ``-net none``), 4.0/4.1 (5a0730a435: ``tap-<vifname>``),
  4.2–4.4 (4535a36a93, 00a279eb5f: ``ifname=vif<domid>.<n-1>-emu`` and, on Linux,
  ``script=no,downscript=no``).
* libxl, ``tools/libxl/libxl_dm.c`` (later ``tools/libs/light/``): device id = position in the
  vif list; qemu-xen-traditional ``-net nic``/``-net tap``, upstream QEMU ``-device``/``-netdev``
  (``br=`` from 4.15, c2517364eb); ``-net none`` when no NIC is emulated.

This is the seed's whole point: ``(type none)`` is "not ioemu", so xend skips the vif and, with
no emulated NIC left, qemu-dm gets ``-net none`` (from xend 3.3 on).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from vifconf.model import Domain
from vifconf.model.mac import GENERATED_XEN_MAC, normalize_mac
from vifconf.problems import Problem
from vifconf.render import AS_XEN_NOTE, XEN_ERA_ALIASES, Rendering, RenderOptions, argv_layout, positions_by_nic

TARGET = "qemu-dm"

DEFAULT_MODEL = "rtl8139"
DEFAULT_BRIDGE = "xenbr0"
XEN_SCRIPT_DIR = "/etc/xen/scripts"
"""``XEN_SCRIPT_DIR`` with the default build prefix (libxl's non-Linux tap script lives here)."""


@dataclass(frozen=True)
class XendEra:
    """How one xend release named the tap and what it said with no emulated NIC."""

    label: str
    commits: str
    tap: str
    """The tap item; fields: n (1-based), index (n-1), domid, bridge, ifname, script."""
    none_when_empty: bool
    vifname_ifname: bool
    """4.0/4.1: ``ifname=tap-<vifname>`` when the vif has a non-empty vifname."""
    linux_script_items: bool
    """4.2+: ``,script=no,downscript=no`` on Linux (osdep.tapif_script)."""


@dataclass(frozen=True)
class XlEra:
    """libxl's device-model arguments for one family of Xen releases."""

    label: str
    commits: str
    upstream: bool
    """qemu-xen (``-device``/``-netdev``) rather than qemu-xen-traditional (``-net``)."""
    bridge_on_netdev: bool
    """4.15+: ``br=<bridge>`` after the ifname on the ``-netdev``."""
    unknown_type_emulated: bool
    """From 4.6 ``xl create`` warns about an unknown ``type=`` and emulates the NIC anyway."""


XEND_ERAS: dict[str, XendEra] = {
    "xend-3.2": XendEra("xend 3.2 (Xen 3.0.4–3.2)", "472b6cb977", "tap,vlan={n},bridge={bridge}", False, False, False),
    "xend-3.3": XendEra("xend 3.3 (Xen 3.3–3.4)", "6dc8df55ea, 45f66e11cc",
                        "tap,vlan={n},ifname=tap{domid}.{index},bridge={bridge}", True, False, False),
    "xend-4.0": XendEra("xend 4.0 (Xen 4.0–4.1)", "5a0730a435",
                        "tap,vlan={n},ifname={ifname},bridge={bridge}", True, True, False),
    "xend-4.2": XendEra("xend 4.2 (Xen 4.2–4.4)", "4535a36a93, 00a279eb5f",
                        "tap,vlan={n},ifname=vif{domid}.{index}-emu,bridge={bridge}{script}", True, False, True),
}  # fmt: skip

XL_ERAS: dict[str, XlEra] = {
    "xl-4.2-traditional": XlEra("xl, qemu-xen-traditional (Xen 4.2–4.20)", "4535a36a93", False, False, False),
    "xl-4.2-upstream": XlEra("xl, qemu-xen (Xen 4.2–4.14)", "2d680dadf1, eeb84c462b, 4535a36a93", True, False, False),
    "xl-4.15-upstream": XlEra("xl, qemu-xen (Xen 4.15+)", "c2517364eb", True, True, True),
}

XL_SCRIPT_NO_OSES = frozenset({"linux", "freebsd"})
"""libxl passes ``script=no`` on Linux (4.2+) and FreeBSD (4.5+), else ``<XEN_SCRIPT_DIR>/qemu-ifup``."""

TRADITIONAL_NIC_MODELS = ("rtl8139", "e1000", "ne2k_pci", "ne2k_isa", "pcnet", "i82551", "i82557b", "i82559er")
"""The NICs qemu-xen-traditional (xend's qemu-dm, xl's traditional device model) emulates. Its
``pci_nic_init`` compares names with ``strcmp``, so ``E1000`` is no NIC at all."""


def device_model_nics(era: str) -> tuple[str, ...]:
    """The NIC models the era's device model accepts: qemu-xen-traditional's few, or, for xl's
    ``-upstream`` eras, QEMU's ``-device`` names (libxl passes ``model`` there verbatim)."""
    if era.endswith("-upstream"):
        from vifconf.render.qemu import QEMU_72_NIC_DRIVERS

        return QEMU_72_NIC_DRIVERS
    return TRADITIONAL_NIC_MODELS


COMMA_FIELDS = {"mac": "mac", "bridge": "source", "model": "model", "vifname": "target"}
"""The vif values that reach a comma-separated qemu-dm option, and the NIC field each comes from."""


@dataclass
class DeviceModelArgs:
    """The network slice of the argv, and per input vif the argv positions it produced."""

    argv: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    vif_items: list[list[int]] = field(default_factory=list)
    vif_nics: list[int | None] = field(default_factory=list)
    """The NIC behind each input vif, when the caller knows it (for problems and notes)."""

    def label(self, vif_position: int) -> str:
        number = self.vif_nics[vif_position] if vif_position < len(self.vif_nics) else None
        return f"NIC {number}" if number is not None else f"vif {vif_position + 1}"

    def add(self, vif_position: int, *arguments: str) -> None:
        start = len(self.argv)
        self.argv.extend(arguments)
        self.vif_items[vif_position].extend(range(start, len(self.argv)))


def render_vifs(
    vifs: Sequence[dict[str, str]],
    era: str,
    domid: int,
    host_os: str,
    nic_numbers: Sequence[int | None] | None = None,
    default_bridge: str = DEFAULT_BRIDGE,
    placeholders: Collection[int] = (),
) -> DeviceModelArgs:
    """The argv an HVM guest with these vifs got under ``era``.

    ``nic_numbers`` (optional, same length as ``vifs``) names the NIC behind each vif, so
    problems can point at it. ``default_bridge`` is xl.conf's ``defaultbridge=`` (xend had
    no such setting: its default is always xenbr0). ``placeholders``: the positions of vifs
    whose bridge is vifconf's stand-in for a network's (`Nic.bridge_is_placeholder`).
    """
    era = XEN_ERA_ALIASES.get(era, era)  # xend-3.4 is xend-3.3, as on the command line
    numbers: list[int | None] = list(nic_numbers) if nic_numbers is not None else [None] * len(vifs)
    out = DeviceModelArgs(vif_items=[[] for _ in vifs], vif_nics=numbers)
    if era in XEND_ERAS:
        _xend_args(vifs, XEND_ERAS[era], domid, host_os, out)
    elif era in XL_ERAS:
        _xl_args(vifs, XL_ERAS[era], domid, host_os, default_bridge, out)
    else:
        raise ValueError(f"unknown qemu-dm era {era!r}")
    for position, vif in enumerate(vifs):
        if out.vif_items[position]:
            out.problems.extend(_comma_problems(vif, era, numbers[position], position in placeholders))
            out.problems.extend(_model_problems(vif.get("model", DEFAULT_MODEL), era, numbers[position]))
    if not (era in XL_ERAS and XL_ERAS[era].upstream):  # -device NICs take no table slot
        out.problems.extend(_too_many_nics([numbers[p] for p in range(len(vifs)) if out.vif_items[p]]))
    return out


MAX_NET_NICS = 8
"""QEMU's ``MAX_NICS``: the size of the table every ``-net nic`` takes a place in. The ninth
ends the device model with "too many NICs" (qemu-xen-traditional kept QEMU 0.10's table;
measured on QEMU 7.2, whose ``-net nic`` still has it)."""


def _too_many_nics(emulated: list[int | None]) -> list[Problem]:
    """``emulated``: the NIC behind each ``-net nic``, in order."""
    if len(emulated) <= MAX_NET_NICS:
        return []
    message = (f"{len(emulated)} emulated NICs: the device model takes at most {MAX_NET_NICS} -net nic and exits "
               'with "too many NICs" at the ninth, so the guest does not start')  # fmt: skip
    hint = (f"remove the NICs beyond the {MAX_NET_NICS}th, or make them PV-only with model netfront: libvirt "
            "0.7.5 and later write it as (type netfront) (--libvirt-era), xl as type=vif; older libvirt still "
            "emulates it")  # fmt: skip
    return [Problem("qemu-dm-too-many-nics", "error", message, emulated[MAX_NET_NICS], None, hint, None, TARGET)]


def _model_problems(model: str, era: str, nic: int | None) -> list[Problem]:
    """The model of an emulated NIC, as it reaches the device model (a NIC that gets no
    emulated card, such as the seed's type none, is never asked)."""
    if model == "netfront":
        return [_netfront_problem(nic)]
    known = device_model_nics(era)
    if model in known:
        return []
    from vifconf.render.qemu import LIBVIRT_MODEL_DRIVERS

    if model.lower() in known:
        hint = f"model names are case-sensitive here: use {model.lower()}"
    elif model in LIBVIRT_MODEL_DRIVERS and LIBVIRT_MODEL_DRIVERS[model] in known:
        hint = f"libxl passes the model to QEMU as is: use {LIBVIRT_MODEL_DRIVERS[model]}, QEMU's name for it"
    else:
        hint = "models: " + ", ".join(known)
    message = f"the device model of {era} does not emulate a {model!r} NIC; the guest would fail to start"
    return [Problem("model-unknown-to-qemu-dm", "error", message, nic, "model", hint, None, TARGET)]


def _netfront_problem(nic: int | None) -> Problem:
    """libvirt before 0.7.5 sent an HVM netfront model as ``(model 'netfront')``, which xend
    hands to qemu-dm as an emulated NIC model (dddad4bcb4 fixed it with ``(type netfront)``)."""
    return Problem(
        "qemu-dm-netfront-model",
        "warning",
        "model=netfront reaches the device model as an emulated NIC model, and QEMU has no NIC "
        "called netfront: the guest gets no working NIC (or the device model refuses to start)",
        nic,
        "model",
        "choose libvirt era 0.7.5 or later: it sends (type netfront), a PV-only vif",
        None,
        TARGET,
    )


def _mac(vif: dict[str, str], out: DeviceModelArgs, lowercase: bool) -> str:
    mac = vif.get("mac")
    if not mac:
        out.notes.append(f"a vif without a MAC gets a generated one ({GENERATED_XEN_MAC}) when the guest starts")
        return GENERATED_XEN_MAC
    return (normalize_mac(mac) or mac) if lowercase else mac


def _xend_args(vifs: Sequence[dict[str, str]], rules: XendEra, domid: int, host_os: str, out: DeviceModelArgs) -> None:
    """xend: the emulated NICs count from 1; skipped vifs take no number."""
    n = 0
    script = ",script=no,downscript=no" if rules.linux_script_items and host_os == "linux" else ""
    for position, vif in enumerate(vifs):
        kind = vif.get("type", "ioemu")
        if kind != "ioemu":
            out.notes.append(f"{out.label(position)} has (type {kind}): not 'ioemu', so xend gives it no emulated NIC")
            continue
        n += 1
        bridge = vif.get("bridge", DEFAULT_BRIDGE)
        vifname = vif.get("vifname", "")
        ifname = f"tap-{vifname}" if rules.vifname_ifname and vifname else f"tap{domid}.{n - 1}"
        nic = f"nic,vlan={n},macaddr={_mac(vif, out, lowercase=False)},model={vif.get('model', DEFAULT_MODEL)}"
        tap = rules.tap.format(n=n, index=n - 1, domid=domid, bridge=bridge, ifname=ifname, script=script)
        out.add(position, "-net", nic, "-net", tap)
    if n == 0 and rules.none_when_empty:
        out.argv.extend(["-net", "none"])


def _xl_emulated(vif: dict[str, str], rules: XlEra, position: int, out: DeviceModelArgs) -> bool:
    """``type`` missing or ``ioemu``: emulated (and PV); ``vif``: PV only; anything else by era."""
    kind = vif.get("type")
    label = out.label(position)
    if kind in (None, "ioemu"):
        return True
    if kind == "vif":
        out.notes.append(f"{label} has type=vif: PV only, no emulated NIC")
        return False
    if rules.unknown_type_emulated:
        out.problems.append(
            Problem(
                "qemu-dm-xl-unknown-type",
                "warning",
                f'type={kind} is unknown to xl: `xl create` says "Invalid parameter `type\'." and gives '
                "the guest an emulated NIC anyway",
                out.vif_nics[position] if position < len(out.vif_nics) else None,
                "model",
                "for a PV-only NIC use type=vif (model netfront, xl format)",
                None,
                TARGET,
            )
        )
        return True
    out.notes.append(f"{label} has type={kind}: PV only through Xen 4.5 (from 4.6 xl emulates it anyway)")
    return False


def _xl_args(vifs: Sequence[dict[str, str]], rules: XlEra, domid: int, host_os: str, default_bridge: str,
             out: DeviceModelArgs) -> None:  # fmt: skip
    """libxl: the device id is the vif's position (or its ``devid=``), so numbering can have gaps."""
    script = "no" if host_os in XL_SCRIPT_NO_OSES else f"{XEN_SCRIPT_DIR}/qemu-ifup"
    emulated = 0
    for position, vif in enumerate(vifs):
        if not _xl_emulated(vif, rules, position, out):
            continue
        emulated += 1
        devid = int(vif["devid"]) if _ASCII_DIGITS.fullmatch(vif.get("devid", "")) else position
        mac = _mac(vif, out, lowercase=True)
        model = vif.get("model", DEFAULT_MODEL)
        bridge = vif.get("bridge", default_bridge)
        ifname = f"vif{domid}.{devid}-emu"
        if rules.upstream:
            bridge_item = f",br={bridge}" if rules.bridge_on_netdev else ""
            out.add(
                position,
                "-device", f"{model},id=nic{devid},netdev=net{devid},mac={mac}",
                "-netdev", f"type=tap,id=net{devid},ifname={ifname}{bridge_item},script={script},downscript={script}",
            )  # fmt: skip
        else:
            out.add(
                position,
                "-net", f"nic,vlan={devid},macaddr={mac},model={model}",
                "-net", f"tap,vlan={devid},ifname={ifname},bridge={bridge},script={script},downscript={script}",
            )  # fmt: skip
    if emulated == 0:
        out.argv.extend(["-net", "none"])
    if host_os == "freebsd":
        out.notes.append("FreeBSD: script=no as from Xen 4.5 (FreeBSD dom0 support started there)")


_ASCII_DIGITS = re.compile("[0-9]+")
"""A ``devid=`` xl reads as a number (``str.isdigit`` also takes ``²``, which ``int`` refuses)."""


def _comma_problems(vif: dict[str, str], era: str, nic: int | None, placeholder: bool) -> list[Problem]:
    """Values are pasted into comma-separated options unescaped: a comma splits them (not
    in a ``placeholder`` bridge: the real bridge is another name, and whatever the network's
    name holds never reaches qemu-dm)."""
    problems = []
    for key, field_name in COMMA_FIELDS.items():
        value = vif.get(key, "")
        if key == "bridge" and placeholder:
            continue
        if "," in value and (key != "vifname" or era == "xend-4.0"):
            problems.append(
                Problem(
                    "qemu-dm-comma",
                    "error",
                    f"{key} '{value}' contains a comma; the toolstack pastes it into a comma-separated "
                    "qemu-dm option unescaped, so qemu-dm would mis-parse it",
                    nic,
                    field_name,
                    f"choose a {key} without commas",
                    None,
                    TARGET,
                )
            )
    return problems


# -- from a domain ---------------------------------------------------------------------------
@dataclass
class _VifSource:
    vifs: list[dict[str, str]]
    nic_numbers: list[int | None]
    notes: list[str]
    rule: str
    placeholders: frozenset[int]
    """Positions of the vifs whose bridge is vifconf's stand-in (`Nic.bridge_is_placeholder`)."""


def _placeholders(domain: Domain, nic_numbers: list[int | None]) -> frozenset[int]:
    return frozenset(position for position, number in enumerate(nic_numbers)
                     if number is not None and domain.nic(number).bridge_is_placeholder)  # fmt: skip


def _xend_source(domain: Domain, options: RenderOptions) -> _VifSource:
    from vifconf.render import xend_sxpr

    built = xend_sxpr.build_vifs(domain, options)
    with_vif = {vif.nic for vif in built.vifs}
    notes = [
        f"NIC {nic.index} (type {nic.libvirt_type}) has no vif (see xend-sxpr), so xend never sees it"
        for nic in domain.nics
        if nic.index not in with_vif
    ]
    rule = f"vifs from libvirt {options.libvirt_era} · xend config {options.xend_config_version}"
    numbers: list[int | None] = [vif.nic for vif in built.vifs]
    return _VifSource([vif.fields() for vif in built.vifs], numbers, notes, rule, _placeholders(domain, numbers))


def _as_xl_reads(entry: dict[str, str], placeholder: bool) -> dict[str, str]:
    """The entry as xl hands it to libxl (a comma cuts a value); a network's ``placeholder``
    bridge is vifconf's, not a value xl would see, so it stays whole."""
    from vifconf.render import xl

    bridge = entry.get("bridge", "")
    if not placeholder:
        return xl.parse_entry(xl.format_entry(entry))
    return {**xl.parse_entry(xl.format_entry({k: v for k, v in entry.items() if k != "bridge"})), "bridge": bridge}


def _xl_source(domain: Domain, options: RenderOptions) -> _VifSource:
    from vifconf.render import xl

    indexed = xl.indexed_entries(domain, options)
    entries = [_as_xl_reads(entry, domain.nic(index).bridge_is_placeholder) for index, entry in indexed]
    numbers: list[int | None] = [index for index, _ in indexed]
    notes = [
        f"NIC {nic.index} (type none) is left out of the xl vif line, so qemu gets no NIC for it "
        "(a type=none written into xl.cfg by hand is the trap: from Xen 4.6 xl ignores the "
        "unknown type and emulates the NIC anyway)"
        for nic in domain.nics
        if nic.type == "none"
    ]
    return _VifSource(entries, numbers, notes, f"vifs from the xl line ({options.xl_format} format)",
                      _placeholders(domain, numbers))


def render(domain: Domain, options: RenderOptions) -> Rendering:
    era = options.xen
    label = XEND_ERAS[era].label if era in XEND_ERAS else XL_ERAS[era].label
    family: Literal["xend", "xl"] = "xend" if era in XEND_ERAS else "xl"
    as_xen = [] if domain.facts.is_xen else [AS_XEN_NOTE]
    if not domain.facts.hvm:
        return Rendering(
            target=TARGET,
            kind="argv",
            notes=[*as_xen, "PV guest: no device model network arguments (only HVM guests get emulated NICs)"],
            nic_items={nic.index: [] for nic in domain.nics},
            rule=f"{label} · domid {options.domid} · PV",
        )
    source = _xend_source(domain, options) if family == "xend" else _xl_source(domain, options)
    args = render_vifs(source.vifs, era, options.domid, options.host_os, source.nic_numbers, options.default_bridge,
                       source.placeholders)
    by_index = {nic.index: nic for nic in domain.nics}
    problems = [
        replace(p, line=by_index[p.nic].line_for(p.field)) if p.nic in by_index else p for p in args.problems
    ]
    notes = as_xen + source.notes + args.notes
    notes += [
        f"{args.label(position)}: bridge {vif['bridge']} is a placeholder until a live libvirt resolves the network"
        for position, vif in enumerate(source.vifs)
        if position in source.placeholders and args.vif_items[position]
    ]
    if era == "xend-3.2" and not args.argv:
        seed = any(nic.type == "none" for nic in domain.nics)
        problems.append(
            Problem(
                "qemu-dm-default-nic",
                "warning",
                "xend 3.2 passes no -net option when no NIC is emulated, and its qemu-dm then adds "
                "a default NIC" + (", so type none cannot hide the NIC here as the seed intended" if seed else ""),
                None,
                None,
                "xend 3.3 and later pass -net none",
                None,
                TARGET,
            )
        )
    layout = argv_layout(args.argv)
    return Rendering(
        target=TARGET,
        kind="argv",
        items=args.argv,
        text=layout.text,
        spans=layout.spans,
        notes=notes,
        problems=problems,
        nic_items=positions_by_nic(domain, zip(source.nic_numbers, args.vif_items, strict=True)),
        rule=f"{label} · domid {options.domid} · {source.rule}" + (
            f" · defaultbridge {options.default_bridge}"
            if family == "xl" and options.default_bridge != DEFAULT_BRIDGE else ""
        ),
    )
