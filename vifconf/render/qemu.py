"""The ``qemu`` target: the NIC arguments libvirt 9.0's QEMU driver starts QEMU 7.2 with.

Every rule here was measured by starting real domains paused on ``qemu:///embed`` and reading
the command line libvirt logged (``shared/spec/libvirt-qemu.md``, ``shared/vectors/qemu/``,
and ``tests/test_qemu_live.py``, which re-measures it on every CI run). Per interface, in XML
order: ``-chardev`` (vhost-user only), ``-netdev`` JSON, ``-device`` JSON. File descriptors
are chosen at start time, so they show as ``<fd>``; a PCI slot libvirt only picks at define
time shows as ``<slot>``/``<bus>``. Pure functions, no I/O.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from collections import Counter
from collections.abc import Iterable
from typing import TypeVar

from lxml import etree

from vifconf.model import Domain, Nic
from vifconf.model import mac as macs
from vifconf.model.domain import TAP_TYPES, VIRTIO_NET_MODELS, c_decimal, isa_address, line_of, pci_address
from vifconf.model.libvirt9 import ON_OFF, guest_ips, ip_refusal, read_sndbuf
from vifconf.problems import Problem
from vifconf.render import Rendering, RenderOptions, argv_layout
from vifconf.render.pci import (
    BRIDGE_MODELS,
    PORT_MODELS,
    UNKNOWN_SLOT,
    IsaPlacement,
    Place,
    Placement,
    bus_controller,
    device_pci_address,
    explicit_pci,
    is_device,
    on_isa_bus,
    pc_layout,
    placements,
    q35_buses,
    q35_out_of_bridge_slots,
    q35_out_of_root_ports,
    reserved_functions,
    shared_pci_slots,
)

_V = TypeVar("_V")

TARGET = "qemu"
FD = "<fd>"
GENERATED_MAC = "<generated 52:54:00:xx:xx:xx>"
"""No MAC in the XML: libvirt picks a random 52:54:00 one at define time."""
LIBVIRT_VERSION = "libvirt 9.0"
QEMU_VERSION = "QEMU 7.2"

# -- models ---------------------------------------------------------------------------------
LIBVIRT_MODEL_DRIVERS: dict[str, str] = {
    "virtio": "virtio-net-pci",
    "virtio-transitional": "virtio-net-pci-transitional",
    "virtio-non-transitional": "virtio-net-pci-non-transitional",
}
"""libvirt's own model names and the QEMU driver it passes; any other model goes verbatim."""

DEFAULT_MODEL_DRIVER = "rtl8139"
"""No ``<model>``: libvirt 9.0 gives an x86 guest an rtl8139 (vectors user_default_model, nasty_no_model)."""

QEMU_72_NIC_DRIVERS: tuple[str, ...] = (
    "e1000", "e1000-82540em", "e1000-82544gc", "e1000-82545em", "e1000e",
    "i82550", "i82551", "i82557a", "i82557b", "i82557c", "i82558a", "i82558b",
    "i82559a", "i82559b", "i82559c", "i82559er", "i82562", "i82801",
    "ne2k_isa", "ne2k_pci", "pcnet", "rtl8139", "tulip",
    "virtio-net-pci", "virtio-net", "virtio-net-pci-transitional", "virtio-net-pci-non-transitional",
    "vmxnet3",
)  # fmt: skip
"""Accepted by ``qemu-system-x86_64 -nodefaults -M pc -device MODEL,netdev=n0`` (QEMU 7.2,
checked one by one). usb-net, virtio-net-device, rocker and pvrdma are refused there."""

VIRTIO_MODELS = frozenset(VIRTIO_NET_MODELS)
"""What libvirt counts as a virtio-net model (vhost-user, multiqueue, host_mtu, driver options)."""


def kvm_models() -> tuple[str, ...]:
    """The model names a KVM domain can use with this QEMU: libvirt's virtio names first, then
    the QEMU 7.2 drivers (the UI's picker and the ``model-unknown-to-qemu`` check)."""
    return (*LIBVIRT_MODEL_DRIVERS, *(d for d in QEMU_72_NIC_DRIVERS if d not in ("virtio-net-pci",)))


def qemu_driver(model: str | None) -> str:
    """The ``"driver"`` libvirt puts in ``-device`` for a ``<model type>``."""
    if model is None:
        return DEFAULT_MODEL_DRIVER
    return LIBVIRT_MODEL_DRIVERS.get(model, model)


def is_known_model(model: str | None) -> bool:
    return model is None or qemu_driver(model) in QEMU_72_NIC_DRIVERS


# -- backends -------------------------------------------------------------------------------
# TAP_TYPES (the model's): libvirt opens the tap/macvtap itself and passes an fd; the device name never appears.
SOCKET_KEYS = {"mcast": "mcast", "server": "listen", "client": "connect", "udp": "udp"}
RENDERED_TYPES = TAP_TYPES | frozenset(SOCKET_KEYS) | {"user", "vhostuser", "internal"}
ABSENT_TYPE = "none"
NO_BACKEND_TYPES = frozenset({"null", "vds"})
"""Types libvirt 9.0 parses but its QEMU driver builds no -netdev for: starting such a guest
crashed libvirt 9.0.0 (a segfault, seen on qemu:///embed), so vifconf refuses them."""

TXMODE = {"iothread": "bh", "timer": "timer"}
VIRTIO_HOST_FLAGS = (("csum", "csum"), ("gso", "gso"), ("tso4", "host_tso4"), ("tso6", "host_tso6"),
                     ("ecn", "host_ecn"), ("ufo", "host_ufo"), ("mrg_rxbuf", "mrg_rxbuf"))  # fmt: skip
VIRTIO_GUEST_FLAGS = (("csum", "guest_csum"), ("tso4", "guest_tso4"), ("tso6", "guest_tso6"),
                      ("ecn", "guest_ecn"), ("ufo", "guest_ufo"))  # fmt: skip
VIRTIO_COMMON_FLAGS = (("iommu", "iommu_platform"), ("ats", "ats"), ("packed", "packed"),
                       ("page_per_vq", "page-per-vq"))  # fmt: skip

X86_ARCHES = (None, "x86_64", "i686")
"""What this target models; no ``arch`` means the host's, which vifconf takes to be x86_64."""
MTU_TYPES = frozenset({"network", "bridge", "ethernet", "vhostuser"})
"""Types libvirt 9.0 sets an ``<mtu>`` on (qemuDomainNetSupportsMTU); others are refused ("setting
MTU on interface type … is not supported yet")."""
TAP_PATH_TYPES = frozenset({"network", "bridge", "ethernet"})
"""Types that take a ``<backend tap='…'/>`` device path."""
MTU_RANGE = range(68, 65522)
"""What a Linux tap takes: 65535 less the Ethernet header (libvirt: "Cannot set interface MTU …
Invalid argument" from 65522 on, measured)."""
MULTIQUEUE_TYPES = frozenset({"network", "bridge", "direct", "ethernet", "vhostuser", "vdpa"})
"""Types libvirt 9.0 allows ``<driver queues>`` above 1 on."""
PCI_ADDRESS_LIMITS = (0, 0xFF, 0x1F, 7)
"""The largest domain, bus, slot and function libvirt accepts ("Only PCI domain 0 is available")."""
MAX_TAP_QUEUES = 256
"""Linux's MAX_TAP_QUEUES: a tap with more queues cannot be opened."""
VIRTIO_QUEUE_SIZES = range(256, 1025)
"""What QEMU's virtio-net takes for rx_queue_size/tx_queue_size (a power of two in it)."""
ISA_MODELS = frozenset({"ne2k_isa"})
"""A model QEMU has, but not on PCI, where libvirt puts every NIC without an ISA address
(measured: "Device 'ne2k_isa' can't go on PCI bus")."""

_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
"""One encoder for every NIC (``json.dumps`` with options builds a new one per call)."""


def compact(value: dict[str, object]) -> str:
    """JSON exactly as libvirt writes it on the command line: no spaces, insertion order."""
    return _COMPACT.encode(value)


def fd_placeholder(count: int) -> str:
    return ":".join([FD] * count)


def _queues(nic: Nic) -> int:
    return c_decimal(nic.driver.get("queues")) or 1


# -- ids ------------------------------------------------------------------------------------
USER_ALIAS = re.compile(r"ua-[A-Za-z0-9_-]*")
"""libvirt keeps an alias only when it is a user alias made of these characters (measured:
``ua-a.b`` and ``ua-a b`` are dropped silently, as every non-``ua-`` alias is)."""


def user_alias(nic: Nic) -> str | None:
    """``<alias name='ua-…'/>`` survives into the ids; libvirt drops any other alias on start."""
    alias = nic.alias
    return alias if alias is not None and USER_ALIAS.fullmatch(alias) else None


def device_ids(nics: Iterable[Nic]) -> list[str]:
    """The ``-device`` id of each NIC: its user alias, else ``net<k>`` with k one past the
    highest ``net<k>`` given so far (measured: net0, ua-nic1, net1)."""
    ids: list[str] = []
    next_free = 0
    for nic in nics:
        alias = user_alias(nic)
        if alias is not None:
            ids.append(alias)
        else:
            ids.append(f"net{next_free}")
            next_free += 1
    return ids


# -- one NIC --------------------------------------------------------------------------------
def uses_vhost_net(domain: Domain, nic: Nic) -> bool:
    """libvirt opens /dev/vhost-net for a virtio tap NIC of a ``kvm`` domain unless
    ``<driver name='qemu'>`` (qemuInterfaceOpenVhostNet); TCG (``qemu``) domains never do."""
    return (
        (domain.facts.hypervisor or "") in ("kvm", "xen")
        and nic.libvirt_type in TAP_TYPES
        and (nic.libvirt_model or "") in VIRTIO_MODELS
        and nic.driver.get("name") != "qemu"
    )


def netdev_props(domain: Domain, nic: Nic, host_id: str, chardev_id: str) -> dict[str, object]:
    kind = nic.libvirt_type
    props: dict[str, object]
    queues = _queues(nic) if (nic.libvirt_model or "") in VIRTIO_MODELS else 1
    if kind == "user":
        props = {"type": "user", **_user_network(nic)}
    elif kind == "internal":  # qemuBuildHostNetProps: VirtualBox's internal network becomes slirp, no options
        props = {"type": "user"}
    elif kind in TAP_TYPES:
        props = {"type": "tap"}
        if queues > 1:
            props["fds"] = fd_placeholder(queues)
        else:
            props["fd"] = FD
        if uses_vhost_net(domain, nic):
            props["vhost"] = True
            props["vhostfds" if queues > 1 else "vhostfd"] = fd_placeholder(queues)
        sndbuf = read_sndbuf(nic.element) if nic.child("tune") is not None else None
        if isinstance(sndbuf, int):
            props["sndbuf"] = sndbuf  # after vhost (qemuBuildHostNetProps)
    elif kind in SOCKET_KEYS:
        source = nic.source_attrs
        props = {"type": "socket", SOCKET_KEYS[kind]: f"{source.get('address', '')}:{source.get('port', '')}"}
        if kind == "udp":
            local = nic.element.find("source/local")
            if local is not None:
                props["localaddr"] = f"{local.get('address', '')}:{local.get('port', '')}"
    else:  # vhostuser
        props = {"type": "vhost-user", "chardev": chardev_id}
        if queues > 1:
            props["queues"] = queues
    props["id"] = host_id
    return props


def _user_network(nic: Nic) -> dict[str, object]:
    """``<ip>`` on a user NIC sets slirp's network (qemuBuildHostNetProps): ``net`` for IPv4,
    ``ipv6-prefix`` and ``ipv6-prefixlen`` for IPv6, each address in libvirt's canonical text
    and a prefix only when not 0."""
    props: dict[str, object] = {}
    for ip in guest_ips(nic.element):
        if isinstance(ip, str):
            continue  # refused (`refusals`)
        if ip.ipv6:
            props["ipv6-prefix"] = ip.address
            if ip.prefix:
                props["ipv6-prefixlen"] = ip.prefix
        else:
            props["net"] = f"{ip.address}/{ip.prefix}" if ip.prefix else ip.address
    return props


def chardev_arg(nic: Nic, chardev_id: str) -> str:
    """vhost-user's ``-chardev`` (key=value form, measured): ``server=on`` in server mode,
    then ``reconnect=N`` for a client that reconnects, ``reconnect=0`` for one that says it
    does not (qemuBuildChrChardevReconnectStr)."""
    path = nic.source_attrs.get("path", "")
    arg = f"socket,id={chardev_id},path={path.replace(',', ',,')}"
    if nic.source_mode == "server":
        arg += ",server=on"
    reconnect = nic.element.find("source/reconnect")
    enabled = reconnect.get("enabled") if reconnect is not None else None
    if reconnect is not None and enabled == "yes":
        arg += f",reconnect={c_decimal(reconnect.get('timeout')) or 0}"
    elif enabled == "no":
        arg += ",reconnect=0"
    return arg


def virtio_options(nic: Nic) -> dict[str, object]:
    """virtio ``<driver>`` options, in the order libvirt 9.0 adds them (qemuBuildNicDevProps)."""
    driver, host, guest = nic.driver, nic.driver_host, nic.driver_guest
    props: dict[str, object] = {}
    for attribute, key in VIRTIO_COMMON_FLAGS:
        if attribute in driver and driver[attribute] in ON_OFF:
            props[key] = ON_OFF[driver[attribute]]
    if driver.get("txmode") in TXMODE:
        props["tx"] = TXMODE[driver["txmode"]]
    for attribute in ("ioeventfd", "event_idx"):
        if driver.get(attribute) in ON_OFF:
            props[attribute] = ON_OFF[driver[attribute]]
    for flags, values in ((VIRTIO_HOST_FLAGS, host), (VIRTIO_GUEST_FLAGS, guest)):
        for attribute, key in flags:
            if values.get(attribute) in ON_OFF:
                props[key] = ON_OFF[values[attribute]]
    queues = _queues(nic)
    if queues > 1:
        props["mq"] = True
        props["vectors"] = 2 * queues + 2
    for attribute in ("rx_queue_size", "tx_queue_size"):
        size = c_decimal(driver.get(attribute))
        if size:  # 0 is no size
            props[attribute] = size
    if driver.get("rss") in ON_OFF:
        props["rss"] = ON_OFF[driver["rss"]]
    if driver.get("rss_hash_report") in ON_OFF:
        props["hash"] = ON_OFF[driver["rss_hash_report"]]
    mtu = c_decimal(nic.mtu)
    if mtu:  # 0 is no MTU
        props["host_mtu"] = mtu
    teaming = nic.child("teaming")
    if teaming is not None and teaming.get("type") == "persistent":
        props["failover"] = True
    return props


BOOT_DEVICES_READ = 4
"""libvirt reads the first four ``<os><boot dev>`` (VIR_DOMAIN_BOOT_LAST)."""


def network_boot_index(nic: Nic) -> int | None:
    """qemuProcessPrepareDeviceBootorder: with ``<os><boot dev='network'/>`` the first NIC
    boots at that position in the ``<boot dev>`` list (the last ``network`` entry counts)."""
    def compute() -> tuple[int | None, int | None]:
        position = None
        for number, boot in enumerate(nic.domain.root.findall("os/boot")[:BOOT_DEVICES_READ], start=1):
            if boot.get("dev") == "network":
                position = number
        first = next((other for other in nic.domain.nics if other.type != ABSENT_TYPE), None)
        return (first.index if first is not None else None), position

    first_index, position = nic.domain.memo(("qemu", "network-boot"), compute)
    return position if nic.index == first_index else None


def device_props(nic: Nic, host_id: str, device_id: str, placement: Place) -> dict[str, object]:
    props: dict[str, object] = {"driver": qemu_driver(nic.libvirt_model)}
    if (nic.libvirt_model or "") in VIRTIO_MODELS:
        props.update(virtio_options(nic))
    props["netdev"] = host_id
    props["id"] = device_id
    props["mac"] = macs.normalize_mac(nic.mac or "") or GENERATED_MAC
    boot = c_decimal(nic.boot_order)
    if boot is None:
        boot = network_boot_index(nic)
    if boot:
        props["bootindex"] = boot
    if isinstance(placement, IsaPlacement):
        props["iobase"] = placement.iobase
        if placement.irq:
            props["irq"] = placement.irq
    else:
        props["bus"] = placement.bus
        if placement.multifunction is not None:
            props["multifunction"] = placement.multifunction
        props["addr"] = placement.addr
    acpi = nic.child("acpi")
    acpi_index = c_decimal(acpi.get("index")) if acpi is not None else None
    if acpi_index:
        props["acpi-index"] = acpi_index
    rom = nic.child("rom")
    if rom is not None:
        bar = ON_OFF.get(rom.get("bar", ""))
        if bar is not None:
            props["rombar"] = int(bar)
        romfile = "" if rom.get("enabled") == "no" else rom.get("file")
        if romfile is not None:
            props["romfile"] = romfile
    return props


# -- refusals -------------------------------------------------------------------------------
def _guest_ip_problems(nic: Nic) -> list[str]:
    """qemuValidateDomainDeviceDefNetwork: guest addresses and routes are slirp's business
    (type user) only, one IPv4 (prefix 4-27) and one IPv6 (prefix 64), no peer, no route."""
    routes = nic.child("route") is not None
    if (nic.child("ip") is None and not routes) or ip_refusal(nic.element) is not None:
        return []  # nothing to say, or libvirt's parser refuses it first (validation's ip-invalid)
    ips = [ip for ip in guest_ips(nic.element) if not isinstance(ip, str)]  # unreadable: ip-invalid
    if nic.libvirt_type != "user":
        return [f"QEMU takes no guest-side <ip> or <route> on type {nic.libvirt_type}"] if ips or routes else []
    problems = ["QEMU sets no guest-side <route>"] if routes else []
    if any(element.get("peer") for element in nic.element.iterfind("ip")):
        problems.append("QEMU sets no peer address for the guest")
    for ipv6, name in ((False, "IPv4"), (True, "IPv6")):
        if sum(ip.ipv6 == ipv6 for ip in ips) > 1:
            problems.append(f"slirp takes one {name} address per interface")
    for ip in ips:
        if ip.prefix and not ip.ipv6 and not 4 <= ip.prefix <= 27:
            problems.append(f"slirp's IPv4 prefix must be 4-27, not {ip.prefix}")
        if ip.prefix and ip.ipv6 and ip.prefix != 64:
            problems.append(f"slirp's IPv6 prefix must be 64, not {ip.prefix}")
    return problems[:1]


def _socket_addresses(nic: Nic) -> list[str]:
    """The addresses a socket backend's netdev carries (source, and udp's ``<local>``)."""
    if nic.libvirt_type not in SOCKET_KEYS:
        return []
    found = [nic.source_attrs.get("address")]
    local = nic.element.find("source/local")
    if local is not None:
        found.append(local.get("address"))
    return [address for address in found if address]


def _is_multicast_ipv4(address: str) -> bool:
    """QEMU's net_socket_mcast_create: IN_MULTICAST on the parsed address; a host name QEMU
    would resolve first counts as fine here."""
    try:
        return ipaddress.IPv4Address(address).is_multicast
    except ValueError:
        return not address.replace(".", "").isdigit()


def _takes_vlan(nic: Nic) -> bool:
    """virDomainActualNetDefValidate: hostdev, direct in passthrough mode, or a bridge with an
    openvswitch virtualport (a network's actual type is only known to a running libvirt)."""
    kind = nic.libvirt_type
    return (kind in ("hostdev", "network") or (kind == "direct" and nic.source_mode == "passthrough")
            or (kind == "bridge" and nic.virtualport_type == "openvswitch"))  # fmt: skip


ISA_IRQS = 16
"""QEMU aborts on an ISA IRQ from 16 on (isa_get_irq: "Assertion `isairq < ISA_NUM_IRQS' failed")."""
ISA_ADDRESS_EXAMPLE = ("<address type='isa' iobase='0x300' irq='9'/> (libvirt's schema lacks it on an interface: "
                       "virsh define takes it, virsh edit does not)")

Refusal = tuple[str, str, str, str, str]
"""A problem `refusals` raises: code, field, the element its line comes from, message, hint."""


def _isa_refusals(nic: Nic, address: etree._Element, model: str | None) -> list[Refusal]:
    """An ``<address type='isa'>`` (measured on libvirt 9.0 / QEMU 7.2): numbers read as hex,
    an ISA card, an IRQ the ISA bus has, and none of the PCI-only settings."""
    found: list[Refusal] = []
    parts = isa_address(address)
    if parts is None:
        found.append(("isa-address-invalid", "address", "address",
                      "libvirt refuses this ISA address: iobase and irq are hexadecimal numbers (0x300, 300)",
                      f"e.g. {ISA_ADDRESS_EXAMPLE}"))  # fmt: skip
    elif parts[1] >= ISA_IRQS:
        found.append(("isa-address-invalid", "address", "address",
                      f"irq={address.get('irq')!r} is IRQ {parts[1]} (libvirt reads it as hexadecimal), and the "
                      f"ISA bus has IRQs 0-15: QEMU aborts", "write an IRQ from 1 to f, e.g. irq='9'"))  # fmt: skip
    if model not in ISA_MODELS:
        found.append(("address-unsupported", "address", "address",
                      f"an ISA address needs an ISA card (ne2k_isa), not {model or 'rtl8139'}: QEMU refuses it",
                      "remove the <address>, and libvirt puts the NIC on PCI"))  # fmt: skip
    acpi = nic.child("acpi")
    if acpi is not None and acpi.get("index") is not None:
        found.append(("acpi-index-not-pci", "acpi", "acpi",
                      "libvirt refuses an ACPI index on an ISA device (\"only supported for PCI devices\")",
                      "remove <acpi index>, or put the NIC on PCI"))  # fmt: skip
    rom = nic.child("rom")
    if rom is not None and any(rom.get(name) is not None for name in ("bar", "enabled", "file")):
        found.append(("rom-not-pci", "rom", "rom",
                      "libvirt refuses ROM settings on an ISA device (\"ROM tuning is only supported for PCI "
                      "devices\")", "remove <rom>"))  # fmt: skip
    return found


def refusals(nic: Nic) -> list[Problem]:
    """What libvirt 9.0 / QEMU 7.2 refuse for this NIC (spec: "What libvirt refuses")."""
    kind, model = nic.libvirt_type, nic.libvirt_model
    found: list[Problem] = []

    def add(code: str, field: str, tag: str, message: str, hint: str) -> None:
        found.append(Problem(code, "error", message, nic=nic.index, field=field, hint=hint,
                             line=nic.field_line(tag), target=TARGET))  # fmt: skip

    if nic.network_on_host is False:
        add("network-not-on-host", "source", "source",
            f"libvirt network '{nic.source}' is not defined on the domain's host: the guest would not start",
            "define and start the network there (virsh net-define, net-start), or pick one the host has")
    if kind in NO_BACKEND_TYPES:
        add("type-unsupported", "type", "interface",
            f"libvirt 9.0's QEMU driver has no network backend for type {kind}: the guest does not start "
            "(libvirt 9.0.0 crashed trying)", "use bridge or network (or user for no host setup)")
    if nic.mac is not None and macs.is_multicast(nic.mac):
        add("mac-multicast", "mac", "mac", f"libvirt refuses the multicast MAC {nic.mac} (expected unicast)",
            "clear the lowest bit of the first byte, e.g. 52:54:00:…, or let vifconf generate one")
    mtu = c_decimal(nic.mtu)
    if nic.mtu is not None and mtu is None:
        add("mtu-invalid", "mtu", "mtu", f"libvirt refuses MTU {nic.mtu!r}: not a whole number", "e.g. 1500")
    elif not mtu:
        pass  # no <mtu>, or size 0: libvirt sets none
    elif kind not in MTU_TYPES:
        add("mtu-on-user" if kind == "user" else "mtu-unsupported", "mtu", "mtu",
            f"libvirt does not support setting an MTU on a type {kind} interface",
            "remove <mtu>, or use a tap-based type (ethernet, bridge, network)")
    elif mtu is not None and kind in TAP_TYPES and not MTU_RANGE.start <= mtu < MTU_RANGE.stop:
        add("mtu-out-of-range", "mtu", "mtu", f"MTU {mtu} is outside what a Linux tap takes "
            f"({MTU_RANGE.start}-{MTU_RANGE.stop - 1}); the guest would not start", "use e.g. 1500 or 9000")
    elif kind == "vhostuser" and (nic.target is None or nic.target_is_generated):
        add("mtu-unsupported", "mtu", "mtu", "libvirt 9.0 sets a vhostuser NIC's MTU on its host interface, and "
            "this one names none (\"Cannot set interface MTU on '(null)'\"): the guest would not start",
            "remove <mtu> (set the MTU on the switch's side), or name the port in <target dev='…'/>")
    virtio = model in VIRTIO_MODELS  # libvirt ignores queues and queue sizes on other models
    queues = _queues(nic) if virtio else 1
    if queues > 1 and kind not in MULTIQUEUE_TYPES:
        add("multiqueue-on-user" if kind == "user" else "multiqueue-unsupported", "driver", "driver",
            f"libvirt does not support multiqueue (<driver queues>) on a type {kind} interface",
            "remove the queues attribute, or use a tap-based type (ethernet, bridge, network)")
    elif queues > MAX_TAP_QUEUES and kind in TAP_TYPES:
        add("multiqueue-too-many", "driver", "driver",
            f"{queues} queues: a Linux tap has at most {MAX_TAP_QUEUES}; the guest would not start",
            f"use at most {MAX_TAP_QUEUES} (one per vCPU is the usual choice)")
    driver = nic.driver if virtio else {}
    for attribute in ("rx_queue_size", "tx_queue_size"):
        size = c_decimal(driver.get(attribute))
        if size and size & (size - 1):
            add("queue-size-invalid", "driver", "driver",
                f"libvirt refuses {attribute}={size}: it has to be a power of two", "e.g. 256, 512 or 1024")
        elif size and size not in VIRTIO_QUEUE_SIZES:
            add("queue-size-invalid", "driver", "driver",
                f"QEMU refuses {attribute}={size} for virtio-net: it takes 256 to 1024", "e.g. 256, 512 or 1024")
    if nic.child("coalesce") is not None and kind not in ("bridge", "network"):
        add("coalesce-unsupported", "driver", "coalesce",
            f"libvirt does not support coalesce settings on a type {kind} interface", "remove <coalesce>")
    teaming = nic.child("teaming")
    if teaming is not None and teaming.get("type") == "transient" and kind not in ("hostdev", "network"):
        add("teaming-transient-not-hostdev", "type", "teaming",
            "libvirt refuses a virtio-net teaming transient interface that is not type hostdev",
            "make the transient member type='hostdev', or drop <teaming>")  # a network may be a hostdev pool
    if teaming is not None and teaming.get("type") == "persistent" and model != "virtio":
        add("teaming-persistent-not-virtio", "model", "teaming",
            f"libvirt needs <model type='virtio'/> on a teaming persistent interface, not {model or 'rtl8139'}",
            "set <model type='virtio'/>")
    backend = nic.child("backend")
    if backend is not None and backend.get("type") not in (None, "default"):
        add("backend-unsupported", "driver", "backend",
            f"libvirt 9.0 has no network backend type {backend.get('type')!r}", "remove the type attribute")
    if backend is not None and backend.get("tap") and kind not in TAP_PATH_TYPES:
        add("backend-unsupported", "driver", "backend",
            f"libvirt takes a custom tap device path only on types network, bridge and ethernet, not {kind}",
            "remove the tap attribute")
    if nic.script and kind != "ethernet":  # virXPathString: no path, or an empty one, is no script
        add("script-unsupported", "script", "script",
            f"libvirt's QEMU driver runs a script only for type ethernet, not {kind}", "remove <script>")
    driver_options = nic.driver
    legacy_capable = model == "virtio-transitional" or (
        model == "virtio" and not nic.domain.facts.q35)
    if driver_options.get("iommu") == "on" and legacy_capable:
        add("iommu-on-legacy-virtio", "driver", "driver",
            "QEMU refuses iommu='on' for a virtio NIC that can run in legacy mode (transitional, or any virtio "
            "on conventional PCI such as machine pc)", "use model virtio-non-transitional, or machine q35")
    ipv6 = [a for a in _socket_addresses(nic) if ":" in a or a.startswith("[")]
    if ipv6:
        add("socket-ipv6", "source", "source",
            f"QEMU 7.2's socket backend reads host:port at the first ':', so it refuses the IPv6 address {ipv6[0]!r}",
            "use an IPv4 address or a host name")
    elif kind == "mcast" and not _is_multicast_ipv4(nic.source_attrs.get("address", "")):
        add("mcast-address-not-multicast", "source", "source",
            f"QEMU refuses mcast address {nic.source_attrs.get('address')!r}: not an IPv4 multicast address",
            "use an address in 224.0.0.0/4, e.g. 230.0.0.1")
    for problem in _guest_ip_problems(nic):
        add("ip-unsupported", "ip", "ip", problem, "slirp takes one IPv4 network (prefix 4-27) and one IPv6 /64")
    if kind == "udp" and nic.element.find("source/local") is None:
        add("source-missing", "source", "source", "a udp interface needs <local address='…' port='…'/> in its source",
            "add <local address='127.0.0.1' port='…'/> inside <source>")
    if nic.child("vlan") is not None and not _takes_vlan(nic):
        add("vlan-unsupported", "vlan", "vlan",
            f"libvirt tags VLANs only on openvswitch bridges, hostdev and direct passthrough NICs, not on type {kind}",
            "remove <vlan>, or use a bridge with <virtualport type='openvswitch'/>")
    if nic.child("bandwidth") is not None and kind == "hostdev":
        add("bandwidth-unsupported", "bandwidth", "bandwidth", "libvirt has no bandwidth settings for hostdev NICs",
            "remove <bandwidth>")
    address = nic.child("address")
    if address is not None and address.get("type") == "pci":
        parts = pci_address(address)
        if parts is None or not all(value <= top for value, top in zip(parts, PCI_ADDRESS_LIMITS, strict=True)):
            add("pci-address-invalid", "address", "address",
                "libvirt refuses this PCI address: domain 0, bus 0-0xff, slot 0-0x1f, function 0-7, "
                "written as 0x1f, 31 or 037", "fix the numbers, or remove the <address> and libvirt picks one")
        elif address.get("multifunction") not in (None, *ON_OFF):
            add("pci-address-invalid", "address", "address",
                f"libvirt refuses multifunction={address.get('multifunction')!r}: it is 'on' or 'off'",
                "write multifunction='on', or leave it out")
    if kind == "vhostuser" and model not in VIRTIO_MODELS:
        add("vhostuser-needs-virtio", "model", "model",
            f"a vhostuser interface needs a virtio model, not {model or 'the default (rtl8139)'}",
            "set <model type='virtio'/>")
    address_type = address.get("type") if address is not None else None
    if address_type not in (None, "pci", "isa"):
        add("address-unsupported", "address", "address",
            f"libvirt 9.0 / QEMU 7.2 start no NIC on a {address_type!r} address on an x86 machine (measured for "
            "usb, drive, ccw, virtio-mmio, spapr-vio); the guest would not start", "remove the <address>")
    elif address is not None and address_type == "isa":
        for refusal in _isa_refusals(nic, address, model):
            add(*refusal)
    elif (nic.domain.facts.machine or "").lower() == "isapc":
        add("no-pci-bus", "model", "model", "machine isapc has no PCI bus, where libvirt puts this NIC "
            "(\"No PCI buses available\"); the guest would not start",
            f"use machine pc or q35, or an ne2k_isa card with {ISA_ADDRESS_EXAMPLE}")
    if model in ISA_MODELS and address_type != "isa":
        add("model-not-on-pci", "model", "model",
            f"libvirt puts a NIC without an ISA address on PCI, and QEMU refuses {model} there (an ISA card); "
            "the guest would not start",
            f"give it {ISA_ADDRESS_EXAMPLE}, or use ne2k_pci, rtl8139 or e1000")
    elif not is_known_model(model):
        add("model-unknown-to-qemu", "model", "model",
            f"QEMU 7.2 has no NIC model {model!r}; the guest would not start",
            "valid models: " + ", ".join(kvm_models()))
    return found


def domain_refusals(domain: Domain, nics: list[Nic]) -> list[Problem]:
    """What libvirt refuses about a NIC together with the rest of the domain: boot orders
    (per-device with ``<os><boot dev>``, zero, or shared), a user alias or a PCI address
    another device has too, the chipset's functions, a slot its bus cannot have, and
    ``multifunction='off'`` on a shared slot."""
    claiming = [nic for nic in nics if nic.boot_order is not None or nic.alias is not None or nic.address is not None]
    devices = domain.devices
    if not claiming or devices is None:
        return []
    shared: Counter[tuple[str, object]] = Counter()
    for device in devices:
        if is_device(device):
            shared.update(_claims(device))
    os_boot = domain.root.find("os/boot") is not None
    q35 = domain.facts.q35
    reserved = reserved_functions(devices, q35)
    shared_slots = shared_pci_slots(devices)
    layout = q35_buses(domain, nics) if q35 else None
    renumbered = iter(layout.explicit if layout else [])
    found: list[Problem] = []

    def add(nic: Nic, code: str, field: str, message: str, hint: str) -> None:
        found.append(Problem(code, "error", message, nic=nic.index, field=field, hint=hint,
                             line=nic.line_for(field), target=TARGET))  # fmt: skip

    for nic in claiming:
        claims = dict(_claims(nic.element))
        order = nic.boot_order
        if order is not None:
            number = c_decimal(order)
            if os_boot:
                add(nic, "boot-order-with-os-boot", "boot",
                    "libvirt refuses per-device boot elements together with <os><boot dev=…>",
                    "remove <boot dev> from <os>, or the <boot order> from the devices")
            elif number is None or number < 1:
                add(nic, "boot-order-invalid", "boot",
                    f"libvirt refuses boot order {order!r}: it must be a whole number from 1", "e.g. <boot order='1'/>")
            elif shared["boot", number] > 1:
                add(nic, "boot-order-duplicate", "boot",
                    f"boot order {order} is used by another device too; libvirt refuses the domain",
                    "give each device its own order")
        if "alias" in claims and shared["alias", claims["alias"]] > 1:
            add(nic, "alias-duplicate", "alias",
                f"alias {claims['alias']!r} is used by another device too; libvirt refuses the domain",
                "give each device its own ua- alias")
        if "pci" in claims:
            key = claims["pci"]
            assert isinstance(key, tuple)
            where = f"{key[1]:02x}:{key[2]:02x}.{key[3]:x}"
            controller = bus_controller(devices, key[1], q35) if key[1] and not layout else ""
            refusal = next(renumbered)[1] if key[1] and layout else None
            multifunction = nic.address.get("multifunction") if nic.address is not None else None
            if shared["pci", key] > 1:
                add(nic, "pci-address-duplicate", "address",
                    f"PCI address {where} is used by another device too; libvirt refuses the domain",
                    "remove the address, and libvirt picks a free one")
            elif key[1] == 0 and key[3] in reserved.get(key[2], ()):
                add(nic, "pci-address-reserved", "address",
                    f"PCI address {where} belongs to the {'ICH9' if q35 else 'PIIX3'} chipset; libvirt refuses "
                    "the domain", "remove the address, and libvirt picks a free one")
            elif refusal:
                add(nic, "pci-address-invalid", "address", f"{refusal}; libvirt refuses the domain",
                    "remove the address, and libvirt picks a free one")
            elif (controller in PORT_MODELS and key[2] != 0) or (controller in BRIDGE_MODELS and key[2] == 0):
                slot_rule = "only slot 0" if controller in PORT_MODELS else "no slot 0"
                add(nic, "pci-address-invalid", "address",
                    f"bus {key[1]} is a {controller}, which has {slot_rule}; libvirt refuses the domain",
                    "remove the address, and libvirt picks a free one")
            elif key[3] == 0 and multifunction == "off" and (key[1], key[2]) in shared_slots:
                add(nic, "pci-address-invalid", "address",
                    f"another device uses a function of slot {key[1]:02x}:{key[2]:02x}, but this one says "
                    "multifunction='off'; QEMU refuses it", "drop multifunction='off'")
    return found


FW_CFG_ROMS = {
    "rtl8139": "efi-rtl8139.rom", "e1000": "efi-e1000.rom", "e1000-82544gc": "efi-e1000.rom",
    "e1000-82545em": "efi-e1000.rom", "e1000e": "efi-e1000e.rom", "pcnet": "efi-pcnet.rom",
    "ne2k_pci": "efi-ne2k_pci.rom", "vmxnet3": "efi-vmxnet3.rom",
    **dict.fromkeys(("virtio-net-pci", "virtio-net-pci-transitional", "virtio-net-pci-non-transitional"),
                    "efi-virtio.rom"),
    **dict.fromkeys(("i82550", "i82551", "i82557a", "i82557b", "i82557c", "i82558a", "i82558b", "i82559a",
                     "i82559b", "i82559c", "i82559er", "i82562", "i82801"), "pxe-eepro100.rom"),
}  # fmt: skip
"""QEMU 7.2's boot ROM per NIC driver. With ``rombar=0`` QEMU loads it through fw_cfg under
its file name, and two such NICs with one ROM stop the guest ("duplicate fw_cfg file name:
genroms/efi-e1000.rom", measured); tulip has none."""
ACPI_INDEX_MAX = 16383
"""QEMU: "acpi-index should be less or equal to 16383"."""


def clash_refusals(domain: Domain, nics: list[Nic]) -> list[Problem]:
    """What two NICs of one guest cannot share when QEMU starts (measured with libvirt 9.0 /
    QEMU 7.2), said on each NIC after the first: a boot ROM loaded through fw_cfg
    (``<rom bar='off'/>``), an ``<acpi index>`` (or one above the limit; on q35, or pc with
    ``<features><acpi/>``, where QEMU builds the ACPI tables), a server socket's address."""
    found: list[Problem] = []

    def add(nic: Nic, code: str, field: str, message: str, hint: str) -> None:
        found.append(Problem(code, "error", message, nic=nic.index, field=field, hint=hint,
                             line=nic.line_for(field), target=TARGET))  # fmt: skip

    acpi_tables = domain.facts.q35 or domain.root.find("features/acpi") is not None
    taken: dict[tuple[str, object], int] = {}
    for nic in nics:
        rom = nic.child("rom")
        if rom is not None and rom.get("bar") == "off" and rom.get("enabled") != "no" and rom.get("file") != "":
            name = os.path.basename(rom.get("file") or "") or FW_CFG_ROMS.get(qemu_driver(nic.libvirt_model))
            first = taken.setdefault(("rom", name), nic.index) if name else nic.index
            if first != nic.index:
                add(nic, "rom-duplicate", "rom", f"NIC {first} loads the boot ROM {name} with rombar off too: "
                    "QEMU loads both through fw_cfg under that one name and refuses the guest",
                    "drop <rom bar='off'/> from one of them (or give it enabled='no')")
        acpi = nic.child("acpi")
        index = c_decimal(acpi.get("index")) if acpi is not None and acpi_tables else None
        if index is not None and index > ACPI_INDEX_MAX:
            add(nic, "acpi-index-too-big", "acpi", f"QEMU takes an acpi index up to {ACPI_INDEX_MAX}, not {index}",
                "use a smaller index")
        elif index:
            first = taken.setdefault(("acpi", index), nic.index)
            if first != nic.index:
                add(nic, "acpi-index-duplicate", "acpi", f"NIC {first} has acpi index {index} too: QEMU refuses the "
                    "guest", "give each NIC its own index")
        if nic.libvirt_type == "server":
            where = f"{nic.source_attrs.get('address') or ''}:{nic.source_attrs.get('port') or ''}"
            first = taken.setdefault(("listen", where), nic.index)
            if first != nic.index:
                add(nic, "listen-duplicate", "source", f"NIC {first} listens on {where} too: QEMU cannot bind it "
                    "twice and refuses the guest", "give each server NIC its own port")
    return found


def _pci_controller_refusals(domain: Domain, nics: list[Nic]) -> list[Problem]:
    """A declared q35 bridge with nothing below it to plug into, or a pc machine whose
    bridges leave too few slots: libvirt refuses the domain (its NICs' placement hangs on
    it, so the target says so rather than leave it to chance)."""
    if not domain.facts.q35:
        return _pc_slot_refusals(domain, nics)
    x86 = domain.facts.arch in X86_ARCHES
    if x86 and q35_out_of_bridge_slots(domain, nics):
        return [_slots_exhausted(domain, "the conventional NICs fill the pcie-to-pci-bridge and the pci-bridges "
                                 "libvirt nests behind it, which it counts without their own slots", "pci-bridge",
                                 "another NIC count (libvirt's count is not monotonic: one fewer is not always "
                                 "enough), or PCIe models (virtio, e1000e) for some")]  # fmt: skip
    ports = q35_out_of_root_ports(domain, nics) if x86 else None
    if ports is not None:
        return [_slots_exhausted(domain, f"libvirt needs at least {ports[0]} pcie-root-ports (one per PCIe device "
                                 f"it places, the bridge's, a spare) and pcie.0 has room for {ports[1]}",
                                 "pcie-root-port", "fewer NICs, or NICs on a pcie-to-pci-bridge (a conventional "
                                 "model such as e1000)")]  # fmt: skip
    layout = q35_buses(domain, nics)
    if layout is None or layout.refusal is None or domain.devices is None:
        return []
    index, reason = layout.refusal
    controller = next((c for c in domain.devices.iterfind("controller")
                       if c.get("type") == "pci" and c_decimal(c.get("index")) == index), None)  # fmt: skip
    return [Problem("pci-controller-invalid", "error", f"{reason}; the guest does not start", None, None,
                    "declare a pcie-root-port (for a pci-bridge: a pcie-to-pci-bridge) at a lower index, or leave "
                    "the PCI controllers to libvirt", line_of(controller) if controller is not None else None,
                    TARGET)]  # fmt: skip


def _pc_slot_refusals(domain: Domain, nics: list[Nic]) -> list[Problem]:
    """Only for what was measured: an x86 pc (i440fx) machine."""
    on_pci = [nic for nic in nics if not on_isa_bus(nic)]
    machine = (domain.facts.machine or "pc").lower()
    if not on_pci or domain.facts.arch not in X86_ARCHES or not (machine == "pc" or machine.startswith("pc-i440fx")):
        return []
    placed = sum(explicit_pci(nic.address) is None for nic in on_pci)
    layout = pc_layout(domain, placed)
    if layout.no_bridge_slot:
        return [_slots_exhausted(domain, "bus 0 has no free slot, so the pci-bridge libvirt must add for the devices "
                                 "without an address has nowhere to go", "pci-bridge",
                                 "free a slot on bus 0 (remove an explicit address there), or give the new NIC an "
                                 "address behind a declared pci-bridge")]  # fmt: skip
    if not layout.out_of_slots:
        return []
    return [_slots_exhausted(domain, f"libvirt adds pci-bridges for the {placed} NICs and the other devices it "
                             "places, but counts the bridges' own slots only after, and then has no slot left",
                             "pci-bridge", "another NIC count (libvirt's count is not monotonic: one fewer is not "
                             "always enough), or machine q35")]  # fmt: skip


def _slots_exhausted(domain: Domain, why: str, controller: str, hint: str) -> Problem:
    """libvirt refuses the domain: no PCI slot left for a ``controller`` it must add."""
    devices = domain.devices
    return Problem("pci-slots-exhausted", "error", f"{why} (\"a PCI slot is needed to connect a PCI controller "
                   f"model='{controller}', but none is available\"); it refuses the domain", None, None, hint,
                   line_of(devices) if devices is not None else None, TARGET)  # fmt: skip


def _claims(device: etree._Element) -> list[tuple[str, object]]:
    """What a device holds that no other device may: its boot order, user alias, PCI address."""
    claims: list[tuple[str, object]] = []
    boot = device.find("boot")
    order = c_decimal(boot.get("order")) if boot is not None else None
    if order is not None:
        claims.append(("boot", order))
    alias = device.find("alias")
    name = alias.get("name") if alias is not None else None
    if name is not None and USER_ALIAS.fullmatch(name):
        claims.append(("alias", name))
    parts = device_pci_address(device)
    if parts is not None:
        claims.append(("pci", parts))
    return claims


# -- the target -----------------------------------------------------------------------------
def render(domain: Domain, options: RenderOptions | None = None) -> Rendering:
    """The ``qemu`` target for a domain: argv items, shell-quoted text, notes and refusals."""
    facts = domain.facts
    machine = facts.machine or "pc"
    rendering = Rendering(target=TARGET, kind="argv", rule=f"{LIBVIRT_VERSION} · {QEMU_VERSION} · machine {machine}")
    if not facts.runs_on_qemu_driver:  # xen, and libvirt's other drivers
        rendering.notes.append("rendered as if run under KVM")
    if facts.arch not in X86_ARCHES:
        rendering.notes.append(f"rendered for an x86_64 guest: for arch {facts.arch} libvirt picks other "
                               "devices and buses (virtio-net-device on aarch64 virt, for one)")
    all_nics = domain.nics
    nics = [n for n in all_nics if n.libvirt_type in RENDERED_TYPES]
    ids = device_ids(nics)
    places = placements(domain, nics)
    for nic, device_id, place in zip(nics, ids, places, strict=True):
        args, notes = _nic_fragment(domain, nic, device_id, place)
        start = len(rendering.items)
        rendering.items += args
        rendering.nic_items[nic.index] = list(range(start, len(rendering.items)))
        rendering.notes += notes
    refused: list[Problem] = []
    for nic in all_nics:
        kind = nic.libvirt_type
        if kind == ABSENT_TYPE:
            rendering.notes.append(f"NIC {nic.index}: type none — no NIC, no arguments (and no index used)")
        elif kind not in RENDERED_TYPES:
            rendering.notes.append(f"NIC {nic.index}: type {kind or '(missing)'} is not rendered by this target")
        if kind != ABSENT_TYPE:
            refused += _cached_refusals(nic)
    present = [nic for nic in all_nics if nic.type != ABSENT_TYPE]
    refused += domain_refusals(domain, present)
    refused += clash_refusals(domain, present)
    refused += _pci_controller_refusals(domain, nics)
    rendering.problems += refused
    layout = argv_layout(rendering.items)
    rendering.text, rendering.spans = layout.text, layout.spans
    return rendering


_FRAGMENTS: dict[tuple[object, ...], tuple[list[str], list[str]]] = {}
_REFUSALS: dict[tuple[object, ...], list[Problem]] = {}
_CACHE_LIMIT = 4096
_nic_cache_enabled = True


def set_nic_cache(enabled: bool) -> None:
    """Turn the per-NIC cache on or off. It pays for the UI's per-keystroke re-render; a
    one-shot command renders each NIC once, so there keying on the serialised markup is pure
    overhead (``Domain.memo`` still shares work within one edit generation)."""
    global _nic_cache_enabled
    _nic_cache_enabled = enabled
    if not enabled:
        _FRAGMENTS.clear()
        _REFUSALS.clear()


def _element_key(nic: Nic) -> bytes:
    return etree.tostring(nic.element, with_tail=False)


def _child_lines(nic: Nic) -> tuple[int | None, ...]:
    """Where the NIC and each child start: a problem's line (serialising the markup loses
    line breaks inside tags, so it cannot stand in for them)."""
    return (nic.line, *(line_of(child) for child in nic.element))


def _remember(cache: dict[tuple[object, ...], _V], key: tuple[object, ...], value: _V) -> _V:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value
    return value


def _nic_fragment(domain: Domain, nic: Nic, device_id: str, place: Place) -> tuple[list[str], list[str]]:
    """One NIC's argv and notes, memoised on the interface's markup and its context, so
    re-rendering after an edit only recomputes the NIC that changed."""
    key: tuple[object, ...] | None = None
    if _nic_cache_enabled:
        key = (_element_key(nic), nic.index, device_id, place, domain.facts.hypervisor, network_boot_index(nic),
               nic.network_bridge)
        cached = _FRAGMENTS.get(key)
        if cached is not None:
            return list(cached[0]), list(cached[1])
    host_id, chardev_id = f"host{device_id}", f"char{device_id}"
    args: list[str] = []
    if nic.libvirt_type == "vhostuser":
        args += ["-chardev", chardev_arg(nic, chardev_id)]
    args += ["-netdev", compact(netdev_props(domain, nic, host_id, chardev_id))]
    args += ["-device", compact(device_props(nic, host_id, device_id, place))]
    notes = _nic_notes(domain, nic, place)
    if key is None:
        return args, notes
    _remember(_FRAGMENTS, key, (args, notes))
    return list(args), list(notes)


def _cached_refusals(nic: Nic) -> list[Problem]:
    if not _nic_cache_enabled:
        return refusals(nic)
    key = (_element_key(nic), nic.index, nic.domain.facts.machine, _child_lines(nic), nic.network_on_host)
    cached = _REFUSALS.get(key)
    if cached is None:
        cached = _remember(_REFUSALS, key, refusals(nic))
    return list(cached)


def _nic_notes(domain: Domain, nic: Nic, place: Place) -> list[str]:
    prefix = f"NIC {nic.index}: "
    notes: list[str] = []
    if nic.mac is None:
        notes.append(prefix + "no MAC: libvirt generates a random 52:54:00 one at define time")
    if isinstance(place, Placement) and UNKNOWN_SLOT in (place.addr, place.bus):
        notes.append(prefix + "PCI slot assigned by libvirt at define time (other devices without addresses compete)")
    if nic.link is not None:
        notes.append(prefix + f"link state {nic.link} is applied after start (QMP set_link), not an argument")
    if nic.child("bandwidth") is not None:
        notes.append(prefix + "bandwidth is applied after start (tc on the host tap), not an argument")
    if nic.libvirt_type in TAP_TYPES:
        name = nic.source or nic.target
        if nic.network_bridge:
            name = f"network {nic.source}, bridge {nic.network_bridge}"
        if name:
            notes.append(prefix + f"libvirt opens the tap itself ({name}); QEMU only sees a file descriptor")
    if uses_vhost_net(domain, nic):
        notes.append(prefix + "vhost/vhostfd: only when /dev/vhost-net opens; otherwise libvirt quietly omits them")
    if nic.alias is not None and user_alias(nic) is None:
        notes.append(prefix + f"alias {nic.alias!r} is dropped by libvirt (user aliases start with 'ua-')")
    return notes
