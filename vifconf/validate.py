"""Validation: every problem of one domain, from the model, the native renderers and libvirt's schema.

The renderers know what their target refuses (xend's unsupported types, QEMU's unknown
models); this module adds what holds whatever the target (MAC syntax, missing sources, the
seed's ``type='none'``) and collects the native targets' findings, so a problem is reported
once, by the code that understands it best (see `check`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from vifconf.model import INTERFACE_TYPES, Domain, Nic
from vifconf.model.domain import SOCKET_TYPES, SOURCE_ATTRIBUTE, TAP_TYPES, line_of
from vifconf.model.libvirt9 import (
    acpi_refusal,
    bandwidth_refusal,
    driver_refusal,
    ip_refusal,
    managed_refusal,
    port_refusal,
    read_vlan,
    rom_refusal,
    sndbuf_refusal,
    source_refusal,
    teaming_refusal,
    virtualport_refusal,
)
from vifconf.model.mac import is_multicast, normalize_mac, parse_mac, prefix_for
from vifconf.problems import SEVERITY_ORDER, Problem, Severity
from vifconf.render import RenderOptions, native_targets, render_target

IFNAMSIZ = 16
"""Linux network device names hold at most IFNAMSIZ - 1 = 15 bytes."""

_BAD_IFNAME = re.compile(r"[\s/]")

_MODEL_NAME = re.compile(r"[A-Za-z0-9_-]+")
"""virDomainNetDefParseXML: a model name libvirt's parser accepts."""

LINK_STATES = ("up", "down")

VDS_SOURCE = frozenset({"switchid", "portid", "portgroupid", "connectionid"})
"""What libvirt 9.0's parser requires of a vds interface's <source> (each one, or it refuses)."""

TYPE_NONE_HINT = (
    "libvirt has no such type; to give the guest no NIC remove the <interface>, or, on Xen HVM, "
    "use <model type='netfront'/> for a PV-only NIC (no emulated card for qemu-dm)"
)


def check(domain: Domain, options: RenderOptions | None = None, *, schema: bool = True,
          also: tuple[str, ...] = ()) -> list[Problem]:  # fmt: skip
    """All problems of the domain. ``schema=False`` skips libvirt's RelaxNG (``render`` does).
    Refusals count from the domain's native targets, plus those in ``also`` (``render
    --target xl`` of a xend-era Xen guest still shows what the xl converter refuses).

    Sources are asked from the most to the least specific: the model checks, then the counted
    targets' refusals (`counted_targets`), then the schema. A later source's finding about a NIC field that
    already has a problem at least as severe is the same fault said again, and is dropped.
    """
    options = options or RenderOptions()
    problems: list[Problem] = _domain_problems(domain)
    seen_macs: dict[str, int] = {}
    for nic in domain.nics:
        problems.extend(_nic_problems(domain, nic, seen_macs))
    problems.extend(_target_clashes(domain))
    for target in counted_targets(domain, options, also):
        problems = _merge(problems, render_target(domain, options, target).problems)
    if schema:
        from vifconf.schema import schema_problems

        problems = _merge(problems, schema_problems(domain))
    return problems


def _target_clashes(domain: Domain) -> list[Problem]:
    """Two NICs of one guest naming the same host device: the second cannot be created, and
    libvirt refuses to start the guest ("The tapdup0 interface already exists", measured);
    names libvirt generates itself are dropped, and a ``%d`` template is numbered per NIC."""
    first: dict[str, int] = {}
    found: list[Problem] = []
    for nic in domain.nics:
        target = nic.target
        if not target or nic.libvirt_type not in TAP_TYPES or nic.target_is_generated or "%" in target:
            continue  # a template (vnet%d) is filled in with a number of its own per NIC
        owner = first.setdefault(target, nic.index)
        if owner != nic.index:
            found.append(Problem("target-duplicate", "error", f"NIC {owner} names the host device {target!r} "
                                 "too: the second cannot be created and the guest does not start", nic.index,
                                 "target", "give each NIC its own <target dev>, or none (the hypervisor names it)",
                                 nic.line_for("target")))  # fmt: skip
    return found


def counted_targets(domain: Domain, options: RenderOptions, also: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The targets whose refusals `check` counts as the domain's problems: those in ``also``
    first (the user asked for them, so where two targets refuse the same thing theirs is the
    wording kept), then the native ones. Any other target's refusals are only its own to show."""
    native = native_targets(domain, options)
    return also + tuple(target for target in native if target not in also)


PARSER_REFUSALS: tuple[tuple[str, str, Callable[[Nic], str | None], str | None], ...] = (
    ("bandwidth-invalid", "bandwidth", lambda nic: bandwidth_refusal(nic.element),
     "give each direction a whole-number average in KB/s, e.g. <outbound average='10240'/>"),
    ("ip-invalid", "ip", lambda nic: ip_refusal(nic.element),
     "write a numeric IPv4 or IPv6 address, with a prefix up to 32 or 128"),
    ("driver-invalid", "driver", lambda nic: driver_refusal(nic.element, nic.libvirt_model), None),
    ("sndbuf-invalid", "tune", lambda nic: sndbuf_refusal(nic.element), None),
    ("rom-invalid", "rom", lambda nic: rom_refusal(nic.element), None),
    ("acpi-invalid", "acpi", lambda nic: acpi_refusal(nic.element), None),
    ("source-invalid", "source", lambda nic: source_refusal(nic.element), None),
    ("teaming-invalid", "teaming", lambda nic: teaming_refusal(nic.element), None),
    ("virtualport-invalid", "virtualport", lambda nic: virtualport_refusal(nic.element), None),
    ("target-invalid", "target", lambda nic: managed_refusal(nic.element), None),
    ("port-invalid", "port", lambda nic: port_refusal(nic.element), None),
    ("vlan-invalid", "vlan", lambda nic: _vlan_refusal(nic),
     "e.g. <vlan><tag id='42'/></vlan>, or trunk='yes' with several tags"),
)
"""libvirt 9.0 parser refusals (`vifconf.model.libvirt9`): code, the child element (and field)
each is about, the reader, and a hint."""


def _vlan_refusal(nic: Nic) -> str | None:
    vlan = read_vlan(nic.element)
    return vlan if isinstance(vlan, str) else None


DOMAIN_TYPES = ("none", "qemu", "kqemu", "kvm", "xen", "lxc", "uml", "openvz", "test", "vmware", "hyperv", "vbox",
                "phyp", "parallels", "bhyve", "vz", "hvf")  # fmt: skip
"""libvirt 9.0's ``<domain type>`` names (virDomainVirt); it refuses a domain of any other."""


OS_TYPES = ("hvm", "xen", "linux", "exe", "uml", "xenpvh")
"""virDomainOSType (libvirt 9.0), matched as written: ``HVM`` and `` hvm `` are refused."""


def _domain_problems(domain: Domain) -> list[Problem]:
    """What libvirt's parser refuses about the domain around its NICs: its type, its OS type."""
    found: list[Problem] = []
    kind = domain.root.get("type")
    if kind not in DOMAIN_TYPES:
        what = "no type" if kind is None else f"type {kind!r}"
        found.append(Problem("domain-type-invalid", "error", f"libvirt refuses a <domain> with {what}", None, None,
                             "one of: " + ", ".join(DOMAIN_TYPES), line_of(domain.root)))  # fmt: skip
    element = domain.root.find("os/type")
    os_type = element.text if element is not None else None
    where = line_of(element if element is not None else domain.root)
    if not os_type and not domain.facts.bootloader:
        found.append(Problem("os-type-missing", "error", "libvirt refuses a domain without an <os><type> (\"an os "
                             "<type> must be specified\"); vifconf cannot tell HVM from PV", None, None,
                             "add <type>hvm</type> to <os> (or <type>linux</type> for a Xen PV guest)", where))
    elif os_type and os_type not in OS_TYPES:
        reading = "HVM" if domain.facts.hvm else "Xen PV" if domain.facts.is_xen else "not HVM"
        found.append(Problem("os-type-invalid", "error", f"libvirt refuses OS type {os_type!r} (\"unknown OS type\"; "
                             f"the names are lowercase, without blanks); vifconf reads it as {reading}", None, None,
                             "one of: " + ", ".join(OS_TYPES), where))  # fmt: skip
    return found


def _merge(known: list[Problem], new: list[Problem]) -> list[Problem]:
    out = list(known)
    by_nic: dict[int | None, list[Problem]] = {}  # only a problem of the same NIC can cover another
    for problem in out:
        by_nic.setdefault(problem.nic, []).append(problem)
    for problem in new:
        same_nic = by_nic.setdefault(problem.nic, [])
        if not any(_same_fault(old, problem) for old in same_nic):
            out.append(problem)
            same_nic.append(problem)
    return out


def _same_fault(old: Problem, new: Problem) -> bool:
    if old.code == new.code and old.nic == new.nic and old.field == new.field:
        return True
    if new.nic is None or old.nic != new.nic or SEVERITY_ORDER[old.severity] > SEVERITY_ORDER[new.severity]:
        return False
    # a finding that names no field (e.g. a schema refusal of the whole interface) is covered
    # by any error already reported on that NIC
    return old.field == new.field or (new.field is None and old.severity == "error")


class _Findings:
    """Problems of one NIC, each placed on the line of the element it is about."""

    def __init__(self, nic: Nic):
        self.nic = nic
        self.problems: list[Problem] = []

    def add(self, code: str, severity: Severity, field: str | None, tag: str | None, message: str,
            hint: str | None = None) -> None:
        line = self.nic.field_line(tag) if tag else self.nic.line
        self.problems.append(Problem(code, severity, message, self.nic.index, field, hint, line))


def _nic_problems(domain: Domain, nic: Nic, seen_macs: dict[str, int]) -> list[Problem]:
    found = _Findings(nic)
    kind = nic.type
    if kind is None:
        meant = nic.type_its_source_names
        found.add("type-missing", "warning", "type", None,
                  "the interface has no type attribute: libvirt reads it as type user (the schema wants one)"
                  + (f"; its <source> is for type {meant} and is ignored" if meant else ""),
                  f"set type='{meant}'" if meant
                  else "set one of: " + ", ".join(t for t in INTERFACE_TYPES if t != "none"))
    elif kind == "none":
        found.add("type-none", "warning", "type", None,
                  "type 'none' (the 2008 proposal) is not in libvirt's schema: real libvirt rejects it; "
                  "vifconf renders it as 'no NIC for the guest'", TYPE_NONE_HINT)
    elif kind not in INTERFACE_TYPES:
        found.add("type-unknown", "error", "type", None, f"unknown interface type {kind!r}",
                  "one of: " + ", ".join(t for t in INTERFACE_TYPES if t != "none"))

    _mac_problems(domain, nic, seen_macs, found)

    if kind in SOURCE_ATTRIBUTE and not nic.source:
        attribute = SOURCE_ATTRIBUTE[kind]
        found.add("source-missing", "error", "source", "source",
                  f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} interface needs <source {attribute}='…'/>",
                  {"bridge": "e.g. xenbr0 (Xen) or br0 (KVM)", "network": "e.g. default"}.get(kind))
    elif kind in SOCKET_TYPES:
        attrs = nic.source_attrs
        if not attrs.get("port") or (kind != "server" and not attrs.get("address")):
            found.add("source-missing", "error", "source", "source",
                      f"a {kind} interface needs <source address='…' port='…'/>")
    elif kind == "vds":
        _vds_source_problems(nic, found)
    if kind in ("bridge", "direct") and nic.source:
        _check_ifname(nic.source, "source", "host device", found)
    if nic.target:
        _check_ifname(nic.target, "target", "target device", found)

    for code, field, read, hint in PARSER_REFUSALS:
        if nic.child(field) is not None:  # each reads one child element: skip the absent ones
            reason = read(nic)
            if reason is not None:
                found.add(code, "error", field, field, f"{reason}; libvirt refuses the domain", hint)
    if nic.link is not None and nic.link not in LINK_STATES:
        found.add("link-invalid", "error", "link", "link",
                  f"link state {nic.link!r} is neither 'up' nor 'down'; libvirt refuses the domain")
    facts = domain.facts
    model = nic.model
    if model and not _MODEL_NAME.fullmatch(model):  # an empty one is no model to libvirt
        found.add("model-invalid", "error", "model", "model",
                  f"model {model!r}: libvirt refuses it (\"Model name contains invalid characters\")",
                  "letters, digits, '-' and '_' only, e.g. e1000 or virtio")
    if facts.is_xen and not facts.hvm and model and model != "netfront":
        # an HVM guest's model is the device model's business: qemu-dm says so for the NICs it gets
        found.add("model-ignored-pv", "info", "model", "model",
                  f"model {model!r} is passed to xend but a PV guest only ever sees netfront")
    return found.problems


def _vds_source_problems(nic: Nic, found: _Findings) -> None:
    """virDomainNetDefParseXML: all four attributes, switchid a UUID, portid and connectionid
    whole numbers (virXMLPropUUID, virXMLPropLongLong)."""
    attrs = nic.source_attrs
    if not set(attrs) >= VDS_SOURCE:
        found.add("source-missing", "error", "source", "source",
                  "a vds interface needs <source switchid='UUID' portid='N' portgroupid='…' connectionid='N'/>")
        return
    wrong = [] if _UUID.fullmatch(attrs["switchid"].strip()) else [f"switchid {attrs['switchid']!r} is not a UUID"]
    wrong += [f"{name} {attrs[name]!r} is not a whole number" for name in ("portid", "connectionid")
              if not _C_LONG.fullmatch(attrs[name])]  # fmt: skip
    if wrong:
        found.add("source-invalid", "error", "source", "source", "; ".join(wrong) + "; libvirt refuses the domain")


_C_LONG = re.compile(r"\s*[-+]?(?:0[xX][0-9a-fA-F]+|[0-9]+)")
"""virStrToLong_ll in base 0, as virXMLPropLongLong reads: blanks before, none after, hex allowed."""
_UUID = re.compile(r"(?:-*[0-9a-fA-F]{2}){16}")
"""virUUIDParse: 16 bytes of two hex digits, any dashes before each (blanks around trimmed)."""


def _mac_problems(domain: Domain, nic: Nic, seen: dict[str, int], found: _Findings) -> None:
    mac = nic.mac
    if mac is None:
        found.add("mac-missing", "info", "mac", None,
                  "no MAC address: one is generated when the guest is defined (xend/libxl: 00:16:3e:…, "
                  "libvirt-QEMU: 52:54:00:…)", "press the generate key, or `vifconf set … mac=RANDOM`")
        return
    if parse_mac(mac) is None:
        found.add("mac-invalid", "error", "mac", "mac", f"{mac!r} is not a MAC address",
                  "six hex bytes separated by colons, e.g. 00:16:3e:5d:c7:9e")
        return
    if is_multicast(mac):
        found.add("mac-multicast", "error", "mac", "mac",
                  f"{mac} is a multicast address (lowest bit of the first byte set); libvirt expects unicast",
                  "use a unicast prefix such as " + prefix_for(domain.facts.hypervisor))
    normal = normalize_mac(mac) or mac
    if normal in seen and not _failover_pair(nic, domain.nic(seen[normal])):
        found.add("mac-duplicate", "error", "mac", "mac",
                  f"MAC {normal} is already used by NIC {seen[normal]}: the two would fight over one address "
                  "on the network (libvirt and QEMU start it anyway)", "generate a fresh one")
    elif normal not in seen:
        seen[normal] = nic.index


def _failover_pair(one: Nic, other: Nic) -> bool:
    """A virtio-net failover pair shares its MAC by design: a ``<teaming type='transient'>``
    NIC naming the other's alias as its ``persistent`` partner."""
    for transient, persistent in ((one, other), (other, one)):
        teaming, alias = transient.child("teaming"), persistent.alias
        if teaming is not None and teaming.get("type") == "transient" and alias and teaming.get("persistent") == alias:
            return True
    return False


def _check_ifname(name: str, field: str, what: str, found: _Findings) -> None:
    if len(name.encode()) >= IFNAMSIZ:
        found.add(f"{field}-invalid", "error", field, field,
                  f"{what} name {name!r} is longer than Linux allows (15 bytes)")
    elif _BAD_IFNAME.search(name) or name in (".", ".."):
        found.add(f"{field}-invalid", "error", field, field,
                  f"{what} name {name!r} contains a character Linux device names cannot carry (space or '/')")
