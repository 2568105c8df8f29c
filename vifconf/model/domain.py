"""The domain document and typed NIC views over it.

Like virtinst's xmlbuilder, a `Nic` is a thin view: each property reads or writes one place in
the lxml tree, so anything vifconf does not understand stays exactly where it was. All edits
go through `Domain` so they are recorded (for byte-exact saving and for undo/redo).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from lxml import etree

from vifconf.model import mac as macs
from vifconf.model.source import (
    Edits,
    Encoding,
    InputError,
    Span,
    Splicer,
    Style,
    decode,
    detect_style,
    map_spans,
    parse,
    root_position,
)

# Interface types libvirt knows, plus the seed's proposal. Order = the UI's picker order.
INTERFACE_TYPES: dict[str, str] = {
    "bridge": "attach to a host bridge (Xen: xenbr0; KVM: br0)",
    "network": "attach to a libvirt virtual network (e.g. 'default')",
    "ethernet": "a plain tap device, set up by a script or by hand",
    "user": "QEMU user-mode networking (SLIRP), no host setup, KVM only",
    "direct": "macvtap on a host NIC (modes vepa, bridge, private, passthrough)",
    "vhostuser": "vhost-user socket to a userspace switch (virtio only), KVM only",
    "mcast": "QEMU multicast socket tunnel, KVM only",
    "server": "QEMU TCP socket, listening side, KVM only",
    "client": "QEMU TCP socket, connecting side, KVM only",
    "udp": "QEMU UDP socket tunnel, KVM only",
    "hostdev": "PCI passthrough of a host NIC (SR-IOV VF)",
    "vdpa": "vDPA device, KVM only",
    "internal": "VirtualBox internal network (<source name=…>); KVM starts it as user networking",
    "null": "not connected (VMware ESX); libvirt's QEMU driver cannot start it",
    "vds": "VMware distributed switch (ESX); libvirt's QEMU driver cannot start it",
    "none": "present no NIC to the guest (the 2008 proposal; not accepted by libvirt)",
}

SOCKET_TYPES = frozenset({"mcast", "server", "client", "udp"})
TAP_TYPES = frozenset({"ethernet", "bridge", "network", "direct"})
"""Types whose NIC is a device created on the host (a tap, a macvtap), named by ``<target dev>``."""

LIBVIRT_NET_MODELS = (
    "netfront", "rtl8139", "virtio", "e1000", "e1000e", "virtio-transitional",
    "virtio-non-transitional", "usb-net", "spapr-vlan", "lan9118", "scm91c111", "vlance",
    "vmxnet", "vmxnet2", "vmxnet3", "Am79C970A", "Am79C973", "82540EM", "82545EM", "82543GC",
)  # fmt: skip
"""libvirt's ``virDomainNetModel`` names: matched case-insensitively when the XML is read
(``virDomainNetSetModelString``, libvirt 5.x on) and written back in this spelling; any other
model is kept verbatim, except ``unknown``, the enum's first name, which means no model at all.
(xend-era libvirt kept every model verbatim.)"""
_CANONICAL_MODEL = {name.lower(): name for name in LIBVIRT_NET_MODELS}
VIRTIO_NET_MODELS = ("virtio", "virtio-transitional", "virtio-non-transitional")
"""The models libvirt counts as virtio-net (virDomainNetIsVirtioModel)."""

# The <source> attribute that names where each type attaches.
SOURCE_ATTRIBUTE: dict[str, str] = {
    "bridge": "bridge",
    "network": "network",
    "direct": "dev",
    "vdpa": "dev",
    "vhostuser": "path",
    "internal": "name",
}

GENERATED_TARGET_PREFIXES = ("vnet", "macvtap", "macvlan")
"""Target dev names libvirt generates itself; unless the target says ``managed='no'``, libvirt
drops them when it reads a domain XML, so ``virsh dumpxml`` of a running guest can be reused
and two guests never clash over them. Drivers add a prefix of their own (`XEN_NET_PREFIX`)."""
XEN_NET_PREFIX = "vif"
"""The libxl driver's ``netPrefix`` (libxl_domain.c); QEMU's driver has none."""
QEMU_DRIVER_TYPES = frozenset({"kvm", "qemu"})
"""The ``<domain type>`` values libvirt's QEMU driver runs."""

SETTABLE_FIELDS = ("type", "source", "model", "mac", "target", "script", "link")

FIELD_ELEMENTS: dict[str, str] = {
    "source": "source", "model": "model", "mac": "mac", "target": "target", "script": "script",
    "link": "link", "ip": "ip", "mtu": "mtu", "driver": "driver", "bandwidth": "bandwidth", "rate": "bandwidth",
    "alias": "alias", "address": "address", "boot": "boot", "rom": "rom",
}  # fmt: skip
"""The child element behind each NIC field (``type`` is the interface's own attribute)."""

T = TypeVar("T")

_Content = tuple[str | None, list[tuple[etree._Element, str | None]]]
"""An element's text and its children with their tails: what a structural edit changes."""


@dataclass(frozen=True)
class DomainFacts:
    """What renderers need to know about the guest around its NICs."""

    name: str | None
    id: str | None
    hypervisor: str | None
    """The ``<domain type>``: xen, kvm, qemu, …"""
    os_type: str | None
    """``hvm``, ``xen`` or ``linux`` (the last two mean a Xen PV guest)."""
    arch: str | None
    machine: str | None
    emulator: str | None
    bootloader: bool = False
    """A ``<bootloader>`` (pygrub): without an os type, libvirt reads the guest as Xen PV."""

    @property
    def hvm(self) -> bool:
        return self.os_type == "hvm"

    @property
    def hvm_known(self) -> bool | None:
        """`hvm`, or None when nothing says: no ``<os><type>`` and no bootloader, a domain
        libvirt refuses ("an os <type> must be specified")."""
        return self.hvm if self.os_type or self.bootloader else None

    @property
    def is_xen(self) -> bool:
        return self.hypervisor == "xen"

    @property
    def runs_on_qemu_driver(self) -> bool:
        """A guest libvirt's QEMU driver starts (``kvm``, ``qemu``; a missing type is taken as
        ``kvm``, and refused on its own). For any other the QEMU arguments are only what the
        domain would get under KVM."""
        return (self.hypervisor or "kvm") in QEMU_DRIVER_TYPES

    @property
    def q35(self) -> bool:
        """A q35 machine (``q35``, ``pc-q35-7.2``, …): PCIe, with ICH9; anything else is i440fx."""
        return "q35" in (self.machine or "").lower()


def line_of(node: etree._Element) -> int | None:
    """The source line of a node (lxml's stubs type ``sourceline`` loosely)."""
    line = node.sourceline
    return line if isinstance(line, int) else None


def attributes(node: etree._Element | None) -> dict[str, str]:
    return {str(k): str(v) for k, v in node.attrib.items()} if node is not None else {}


_MISSING = object()


PCI_ADDRESS_PARTS = ("domain", "bus", "slot", "function")


def pci_address(address: etree._Element | dict[str, str] | None) -> tuple[int, int, int, int] | None:
    """``<address type='pci' domain bus slot function>`` as numbers, read as libvirt does
    (`c_unsigned`; a missing part is 0); None when absent, not PCI, or unreadable."""
    if address is None or address.get("type", "pci") != "pci":  # a hostdev's <source><address> may omit it
        return None
    parts = [c_unsigned(address.get(part) or "0") for part in PCI_ADDRESS_PARTS]
    if None in parts:
        return None
    domain, bus, slot, function = cast("list[int]", parts)
    return domain, bus, slot, function


ISA_ADDRESS_PARTS = ("iobase", "irq")
UINT_MAX = (1 << 32) - 1


def isa_address(address: etree._Element | dict[str, str] | None) -> tuple[int, int] | None:
    """``<address type='isa' iobase irq>`` as numbers, read as libvirt 9.0 does
    (virDomainDeviceISAAddressParseXML: `c_hex`, a missing part is 0); None when absent,
    not ISA, or unreadable (libvirt refuses it: "Expected non-negative integer value")."""
    if address is None or address.get("type") != "isa":
        return None
    parts = [c_hex(address.get(part, "0")) for part in ISA_ADDRESS_PARTS]
    if None in parts:
        return None
    iobase, irq = cast("list[int]", parts)
    return iobase, irq


_C_HEX = re.compile(r"[ \t\n\v\f\r]*\+?(?:0[xX])?([0-9a-fA-F]+)")


def c_hex(text: str) -> int | None:
    """``strtoul(text, …, 16)`` over the whole string into an unsigned int, as libvirt reads
    ISA addresses: ``0x300`` and ``300`` are both 768, and ``16`` is 22 (measured: an irq of
    '16' reached QEMU as 22); None for anything else (``-1``, ``zz``, ``0x300 ``, ``''``)."""
    found = _C_HEX.fullmatch(text)
    value = int(found.group(1), 16) if found else None
    return value if value is not None and value <= UINT_MAX else None


_C_UNSIGNED = re.compile(r"[ \t\n\v\f\r]*\+?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")


def c_unsigned(text: str) -> int | None:
    """``strtoul(text, …, 0)`` over the whole string, as libvirt reads PCI addresses: ``0x1f``,
    ``010`` (octal, 8) or ``31``, after C's blanks and a ``+`` (libvirt starts a guest on
    slot ``' +5'``); None for anything else (``0b1``, ``1_0``, ``08``, ``-1``, …)."""
    found = _C_UNSIGNED.fullmatch(text)
    if found is None:
        return None
    digits = found.group(1)
    if digits[:2] in ("0x", "0X"):
        return int(digits, 16)
    return int(digits, 8) if digits.startswith("0") else int(digits)


_C_DECIMAL = re.compile(r"\s*\+?([0-9]+)")


def c_decimal(text: str | None) -> int | None:
    """``strtoul(text, …, 10)`` over the whole string, as libvirt reads boot orders, MTUs,
    queues, controller indexes and bandwidths (leading blanks and a ``+`` pass); None for
    anything else (``1 ``, ``1_0``, ``-1``, non-ASCII digits, more than 64 bits)."""
    match = _C_DECIMAL.fullmatch(text) if text is not None else None
    value = int(match.group(1)) if match else None
    return value if value is not None and value <= ULONG_MAX else None  # beyond: ERANGE


ULONG_MAX = (1 << 64) - 1


def pci_name(address: etree._Element | None) -> str | None:
    """A PCI address as the host names the device (``0000:03:00.1``, as lspci and virsh
    nodedev do); None when absent or not a PCI address."""
    parts = pci_address(address)
    if parts is None:
        return None
    domain, bus, slot, function = parts
    return f"{domain:04x}:{bus:02x}:{slot:02x}.{function:x}"


class Nic:
    """A view of one ``<interface>``; index counts from 1 in document order."""

    def __init__(self, domain: Domain, element: etree._Element, index: int):
        self.domain = domain
        self.element = element
        self.index = index
        self._children: dict[str, etree._Element] = {}
        self._type: str | None = None
        self._libvirt_model: object = _MISSING  # str | None once known
        self._indexed_generation = -1

    # -- reading -------------------------------------------------------------------------
    def _index(self) -> None:
        """Renderers read a dozen fields per NIC on every keystroke (and the type several
        times each), so the children and the type are looked up once per edit generation."""
        children: dict[str, etree._Element] = {}
        for child in self.element:
            if isinstance(child.tag, str):
                children.setdefault(child.tag, child)
        self._children = children
        self._type = self.element.get("type")
        self._libvirt_model = _MISSING
        self._indexed_generation = self.domain.generation

    def child(self, tag: str) -> etree._Element | None:
        """The first child element named ``tag`` (looked up once per edit generation)."""
        if self._indexed_generation != self.domain.generation:
            self._index()
        return self._children.get(tag)

    def _attr(self, child: str, name: str) -> str | None:
        if self._indexed_generation != self.domain.generation:
            self._index()
        node = self._children.get(child)
        return None if node is None else node.get(name)

    @property
    def line(self) -> int | None:
        return line_of(self.element)

    def line_for(self, field: str | None) -> int | None:
        """The line a problem about ``field`` (a NIC field name) should point at."""
        tag = FIELD_ELEMENTS.get(field or "")
        return self.field_line(tag) if tag else self.line

    def field_line(self, tag: str) -> int | None:
        node = self.child(tag)
        return line_of(node) if node is not None else self.line

    @property
    def type(self) -> str | None:
        if self._indexed_generation != self.domain.generation:
            self._index()
        return self._type

    @property
    def libvirt_type(self) -> str:
        """The type libvirt reads: an interface without one is type user (virDomainNetDefParseXML,
        in every era)."""
        kind = self.type
        return "user" if kind is None else kind

    @property
    def type_its_source_names(self) -> str | None:
        """For a NIC without a type attribute, the type its ``<source>`` is written for
        (``bridge=`` → bridge), the likely intent; libvirt reads it as type user and ignores
        that source."""
        if self.type is not None:
            return None
        attributes = self.source_attrs
        if attributes.get("dev", "").startswith("/dev/vhost-vdpa"):
            return "vdpa"
        return next((kind for kind in ("bridge", "network", "direct") if SOURCE_ATTRIBUTE[kind] in attributes), None)

    @property
    def source(self) -> str | None:
        """The one string naming where the NIC attaches (cli-json.md's ``source``)."""
        kind = self.type or ""
        if kind in SOCKET_TYPES:
            address, port = self._attr("source", "address"), self._attr("source", "port")
            if address is None and port is None:
                return None
            return f"{address or ''}:{port or ''}"
        if kind == "hostdev":
            return pci_name(self.element.find("source/address"))
        attribute = SOURCE_ATTRIBUTE.get(kind)
        return self._attr("source", attribute) if attribute else None

    @property
    def network_bridge(self) -> str | None:
        """The bridge of a type network NIC's network as libvirt looks it up on the host
        (virNetworkGetBridgeName); None when the domain came from a file, or the host has
        no such network, or one without a bridge."""
        bridges = self.domain.network_bridges
        return bridges.get(self.source or "") if bridges is not None and self.type == "network" else None

    @property
    def bridge_is_placeholder(self) -> bool:
        """A type network NIC whose bridge only a live libvirt knows: the Xen targets show
        vifconf's stand-in for it (``<network NAME>``), a name never sent anywhere, so no
        rule about bridge names applies to it (a real bridge may look the same)."""
        return self.libvirt_type == "network" and self.network_bridge is None

    @property
    def network_on_host(self) -> bool | None:
        """Whether a type network NIC's network is defined on the domain's host; None when
        that is not known (a file, or another type)."""
        bridges = self.domain.network_bridges
        return (self.source or "") in bridges if bridges is not None and self.type == "network" else None

    @property
    def source_mode(self) -> str | None:
        return self._attr("source", "mode")

    @property
    def source_attrs(self) -> dict[str, str]:
        node = self.child("source")
        return attributes(node)

    @property
    def mac(self) -> str | None:
        return self._attr("mac", "address")

    @property
    def model(self) -> str | None:
        return self._attr("model", "type")

    @property
    def libvirt_model(self) -> str | None:
        """The model as today's libvirt reads it: ``E1000`` is e1000, ``VIRTIO`` virtio, and an
        empty ``type=''`` is no model (virXPathString gives NULL for an empty string)."""
        if self._indexed_generation != self.domain.generation:
            self._index()
        if self._libvirt_model is _MISSING:
            model = self.model
            canonical = _CANONICAL_MODEL.get(model.lower(), model) if model else None
            self._libvirt_model = None if canonical is not None and canonical.lower() == "unknown" else canonical
        return cast("str | None", self._libvirt_model)

    @property
    def target(self) -> str | None:
        return self._attr("target", "dev")

    @property
    def target_is_generated(self) -> bool:
        """A target dev the domain's own libvirt driver takes for one it generated and drops
        when it reads the XML, so it names nothing yet (``vif…`` only for Xen's)."""
        return self.target_generated_by(XEN_NET_PREFIX if self.domain.facts.is_xen else None)

    def target_generated_by(self, driver_prefix: str | None) -> bool:
        """virDomainNetDefParseXML: a target dev starting with ``vnet``, ``macvtap``,
        ``macvlan`` or the driver's own prefix is dropped, unless ``managed='no'``."""
        target = self.target
        if target is None:
            return False
        element = self.child("target")
        if element is not None and element.get("managed") == "no":
            return False
        return target.startswith(GENERATED_TARGET_PREFIXES) or bool(driver_prefix and target.startswith(driver_prefix))

    @property
    def script(self) -> str | None:
        return self._attr("script", "path")

    @property
    def link(self) -> str | None:
        return self._attr("link", "state")

    @property
    def mtu(self) -> str | None:
        return self._attr("mtu", "size")

    @property
    def alias(self) -> str | None:
        return self._attr("alias", "name")

    @property
    def boot_order(self) -> str | None:
        return self._attr("boot", "order")

    @property
    def rom_bar(self) -> str | None:
        return self._attr("rom", "bar")

    @property
    def driver(self) -> dict[str, str]:
        node = self.child("driver")
        return attributes(node)

    @property
    def driver_host(self) -> dict[str, str]:
        node = self.element.find("driver/host")
        return attributes(node)

    @property
    def driver_guest(self) -> dict[str, str]:
        node = self.element.find("driver/guest")
        return attributes(node)

    @property
    def address(self) -> dict[str, str] | None:
        node = self.child("address")
        return attributes(node) if node is not None else None

    @property
    def ip_addresses(self) -> list[str]:
        return [node.get("address", "") for node in self.element.findall("ip") if node.get("address")]

    @property
    def bandwidth_outbound(self) -> dict[str, str]:
        bandwidth = self.child("bandwidth")
        return attributes(bandwidth.find("outbound") if bandwidth is not None else None)

    @property
    def outbound_average_kbs(self) -> int | None:
        """``<bandwidth><outbound average='N'/>`` in KB/s, or None when absent or when libvirt's
        parser would refuse the number (validation reports that once, as ``bandwidth-invalid``)."""
        return c_decimal(self.bandwidth_outbound.get("average"))

    @property
    def virtualport_type(self) -> str | None:
        return self._attr("virtualport", "type")

    def summary(self) -> dict[str, object]:
        """The ``nics[]`` object of the JSON contract."""
        return {
            "index": self.index,
            "type": self.type,
            "source": self.source,
            "model": self.model,
            "mac": self.mac,
            "target": self.target,
            "script": self.script,
            "link": self.link,
        }

    # -- writing -------------------------------------------------------------------------
    def set(self, key: str, value: str | None) -> None:
        """Set one of SETTABLE_FIELDS; ``None`` or ``""`` removes it."""
        value = value if value not in ("", None) else None
        if key == "type":
            if value is None:
                raise ValueError("the type cannot be empty (use 'none' for the 2008 proposal)")
            self._set_type(value)
        elif key == "source":
            self._set_source(value)
        elif key == "model":
            self.domain.set_child_attr(self.element, "model", "type", value)
        elif key == "mac":
            self.domain.set_child_attr(self.element, "mac", "address", value)
        elif key == "target":
            self.domain.set_child_attr(self.element, "target", "dev", value)
        elif key == "script":
            self.domain.set_child_attr(self.element, "script", "path", value)
        elif key == "link":
            self.domain.set_child_attr(self.element, "link", "state", value)
        else:
            raise KeyError(f"unknown NIC field {key!r}; settable: {', '.join(SETTABLE_FIELDS)}")

    def _set_type(self, kind: str) -> None:
        """Change the type and keep ``<source>`` meaningful for it: the address carries over
        between types that name it by one attribute (bridge ↔ network ↔ direct), attributes
        the new type cannot use are dropped. ``none`` keeps everything, so switching back
        loses nothing."""
        with self.domain.transaction():
            old_kind = self.type or ""
            old_attribute = SOURCE_ATTRIBUTE.get(old_kind)
            self.domain.set_attr(self.element, "type", kind)
            source = self.element.find("source")
            if source is None or kind == "none":
                return
            new_attribute = SOURCE_ATTRIBUTE.get(kind)
            renamed = new_attribute if new_attribute and source.get(new_attribute) is None else None
            keep = _source_attributes(kind)
            own = {"mode"} if {old_kind, kind} == MODE_READERS else set()
            items: list[tuple[str, str]] = []
            for name, value in attributes(source).items():
                if renamed and name == old_attribute:
                    items.append((renamed, value))  # in its place: switching back gives the same markup
                elif (name not in ADDRESSING_ATTRIBUTES or name in keep) and name not in own:
                    items.append((name, value))
            self.domain.replace_attributes(source, items)
            if not source.attrib and len(source) == 0:
                self.domain.remove_element(source)

    def _set_source(self, value: str | None) -> None:
        kind = self.type or ""
        source = self.element.find("source")
        if value is None:
            if source is None:
                return
            with self.domain.transaction():
                for name in _source_attributes(kind) or ADDRESSING_ATTRIBUTES:
                    self.domain.set_attr(source, name, None)
                if not source.attrib and len(source) == 0:
                    self.domain.remove_element(source)
            return
        if kind in SOCKET_TYPES:
            address, colon, port = value.rpartition(":")
            if not colon:
                address, port = value, ""
            self.domain.set_child_attr(self.element, "source", "address", address or None)
            self.domain.set_child_attr(self.element, "source", "port", port or None)
            return
        attribute = SOURCE_ATTRIBUTE.get(kind)
        if attribute is None:
            raise ValueError(f"an interface of type {kind!r} has no source to set")
        if kind != "vhostuser":
            self.domain.set_child_attr(self.element, "source", attribute, value)
            return
        with self.domain.transaction():  # libvirt refuses a vhost-user path without the socket's type and mode
            if source is None:
                source = self.domain.insert_element(self.element, "source")
            for name, setting in (("type", source.get("type") or "unix"), (attribute, value),
                                  ("mode", source.get("mode") or VHOSTUSER_DEFAULT_MODE)):  # fmt: skip
                self.domain.set_attr(source, name, setting)


MODE_READERS = frozenset({"direct", "vhostuser"})
"""The types whose ``<source mode>`` libvirt reads, each from values of its own (a socket's
``client`` is no macvtap mode): dropped between the two. Other types ignore a leftover
``mode`` (the schema warns), so it stays for a switch back."""

VHOSTUSER_DEFAULT_MODE = "client"
"""QEMU connects to the switch's socket (Open vSwitch-DPDK, VPP serve it): the usual setup."""

ADDRESSING_ATTRIBUTES = frozenset({"bridge", "network", "dev", "path", "address", "port", "name"})
"""The ``<source>`` attributes that say where a NIC attaches (others, like ``mode``, stay)."""


def _source_attributes(kind: str) -> frozenset[str]:
    if kind in SOCKET_TYPES:
        return frozenset({"address", "port"})
    attribute = SOURCE_ATTRIBUTE.get(kind)
    return frozenset({attribute}) if attribute else frozenset()


class Domain:
    """One libvirt domain document: the parsed tree, its original text, and the edit log."""

    def __init__(self, text: str, root: etree._Element, source: str, encoding: Encoding, raw: bytes):
        self.text = text
        self.root = root
        self.source = source
        """Where it came from, as the user named it (path, ``-``, ``URI#DOMAIN``)."""
        self.encoding = encoding
        self.raw = raw
        self.edits = Edits()
        self._spans: dict[etree._Element, Span] | None = None
        self._undo: list[list[Callable[[], None]]] = []
        self._redo: list[list[Callable[[], None]]] = []
        self._pending: list[Callable[[], None]] | None = None
        self.generation = 0
        """Bumped on every edit, so caches (renders, problems) know when to recompute."""
        self._memo: dict[Hashable, Any] = {}
        self._memo_generation = -1
        self.network_bridges: dict[str, str | None] | None = None
        """The bridge of each libvirt network on the domain's host (name → bridge, None for one
        without: macvtap or hostdev forwarding), when it was loaded from a live connection:
        what libvirt looks up for a type network NIC. None for a file: nothing is known."""

    @functools.cached_property
    def style(self) -> Style:
        """The file's quoting, indentation and newlines; only an edit needs them."""
        return detect_style(self.text)

    # -- loading -------------------------------------------------------------------------
    @classmethod
    def from_bytes(cls, data: bytes, source: str = "<string>") -> Domain:
        text, encoding = decode(data, source)
        root = parse(text, source)
        if not isinstance(root.tag, str) or root.tag != "domain":
            tag = etree.QName(root).text if isinstance(root.tag, str) else "?"
            message = f"not a libvirt domain XML: the root element is <{tag}>, expected <domain>"
            line, column = root_position(text) or (line_of(root), None)
            raise InputError(source, message, line, column)
        return cls(text, root, source, encoding, data)

    @classmethod
    def from_string(cls, text: str, source: str = "<string>") -> Domain:
        return cls.from_bytes(text.encode("utf-8"), source)

    @classmethod
    def from_path(cls, path: str | Path) -> Domain:
        from vifconf.fileio import read_input

        return cls.from_bytes(read_input(str(path)), str(path))

    # -- derived data, computed once per edit generation ---------------------------------
    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``'s result, reused until the next edit. Renderers that feed each other
        (sxpr → qemu-dm, xl → qemu-dm) and the UI's per-keystroke refresh share one computation.
        Callers must treat the result as read-only."""
        memo = self._memo
        if self._memo_generation != self.generation:
            memo.clear()
            self._memo_generation = self.generation
        value = memo.get(key, _MISSING)
        if value is _MISSING:
            value = memo[key] = compute()
        return cast(T, value)

    # -- facts ---------------------------------------------------------------------------
    @property
    def facts(self) -> DomainFacts:
        return self.memo("facts", self._facts)

    def _facts(self) -> DomainFacts:
        os_type = self.root.find("os/type")
        return DomainFacts(
            name=self.root.findtext("name"),
            id=self.root.get("id"),
            hypervisor=self.root.get("type"),
            os_type=(os_type.text or "").strip() if os_type is not None else None,
            arch=os_type.get("arch") if os_type is not None else None,
            machine=os_type.get("machine") if os_type is not None else None,
            emulator=(self.root.findtext("devices/emulator") or "").strip() or None,
            bootloader=bool(self.root.findtext("bootloader")),  # an empty one is none (virXPathString)
        )

    @property
    def devices(self) -> etree._Element | None:
        return self.memo("devices", lambda: self.root.find("devices"))

    @property
    def nics(self) -> list[Nic]:
        """The interfaces in document order (a fresh list; the views are shared per generation)."""
        return list(self.memo("nics", self._nics))

    def _nics(self) -> list[Nic]:
        devices = self.devices
        if devices is None:
            return []
        return [Nic(self, el, i) for i, el in enumerate(devices.findall("interface"), start=1)]

    def nic(self, index: int) -> Nic:
        nics = self.nics
        if not 1 <= index <= len(nics):
            raise IndexError(f"NIC {index} does not exist (the domain has {len(nics)})")
        return nics[index - 1]

    # -- saving --------------------------------------------------------------------------
    @property
    def spans(self) -> dict[etree._Element, Span]:
        if self._spans is None:
            self._spans = map_spans(self.text, self.root)
        return self._spans

    def to_text(self) -> str:
        if not self.edits:
            return self.text
        return Splicer(self.text, self.root, self.spans, self.style).serialize(self.edits)

    def to_bytes(self) -> bytes:
        """The document as it would be saved: the input bytes themselves when nothing changed."""
        if not self.edits:
            return self.raw
        # a character the file's encoding lacks becomes a character reference, which any XML
        # reader decodes back to the same value
        return self.encoding.bom + self.to_text().encode(self.encoding.codec, errors="xmlcharrefreplace")

    @property
    def modified(self) -> bool:
        return bool(self.edits) and self.to_text() != self.text

    # -- the edit log --------------------------------------------------------------------
    def _record(self, inverse: Callable[[], None]) -> None:
        self.generation += 1
        if self._pending is not None:
            self._pending.append(inverse)
        else:
            self._undo.append([inverse])
            self._redo.clear()

    def transaction(self) -> _Transaction:
        """Group several primitive edits into one undo step: ``with domain.transaction():``."""
        return _Transaction(self)

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def undo(self) -> bool:
        return self._replay(self._undo, self._redo)

    def forget_redo(self) -> None:
        """Drop the redo steps: an undo the caller made for its own bookkeeping (merging
        keystrokes) is not one the user can redo."""
        self._redo.clear()

    def redo(self) -> bool:
        return self._replay(self._redo, self._undo)

    def _replay(self, source: list[list[Callable[[], None]]], target: list[list[Callable[[], None]]]) -> bool:
        if not source:
            return False
        step = source.pop()
        self._pending = []
        try:
            for inverse in reversed(step):
                inverse()
        finally:
            inverses, self._pending = self._pending, None
        target.append(inverses)
        return True

    # -- primitive edits -----------------------------------------------------------------
    def set_attr(self, element: etree._Element, name: str, value: str | None) -> None:
        old = element.get(name)
        if old == value:
            return
        self._touch_head(element)
        if value is None:
            del element.attrib[name]
        else:
            element.set(name, value)
        self._record(lambda: self.set_attr(element, name, old))

    def replace_attributes(self, element: etree._Element, items: list[tuple[str, str]]) -> None:
        """All of ``element``'s attributes at once, in this order (a renamed one keeps its place)."""
        old = list(attributes(element).items())
        if old == items:
            return
        self._touch_head(element)
        element.attrib.clear()
        for name, value in items:
            element.set(name, value)
        self._record(lambda: self.replace_attributes(element, old))

    def _touch_head(self, element: etree._Element) -> None:
        self._map_spans()
        self.edits.touch_head(element)

    def _touch_content(self, element: etree._Element) -> None:
        self._map_spans()
        self.edits.touch_content(element)

    def _map_spans(self) -> None:
        """Map node positions before the first edit, while tree and text still agree."""
        if self._spans is None:
            self._spans = map_spans(self.text, self.root)

    def set_child_attr(self, parent: etree._Element, tag: str, name: str, value: str | None) -> None:
        """Set ``<tag name=value/>`` under parent, creating the child, or dropping it when it
        would be left empty."""
        child = parent.find(tag)
        if value is None:
            if child is None:
                return
            if child.get(name) is not None:
                if len(child.attrib) == 1 and len(child) == 0 and not (child.text or "").strip():
                    self.remove_element(child)
                else:
                    self.set_attr(child, name, None)
            return
        with self.transaction():
            if child is None:
                child = self.insert_element(parent, tag)
            self.set_attr(child, name, value)

    def _indent_of(self, element: etree._Element) -> str:
        previous, parent = element.getprevious(), element.getparent()
        before = previous.tail if previous is not None else parent.text if parent is not None else None
        whitespace = before or ""
        return whitespace.rsplit("\n", 1)[-1] if "\n" in whitespace else ""

    def insert_element(self, parent: etree._Element, tag: str, position: int | None = None) -> etree._Element:
        """A new empty child, indented like its siblings (or one step deeper than parent)."""
        before = self._content_snapshot(parent)
        children = [c for c in parent if isinstance(c.tag, str)]
        parent_indent = self._indent_of(parent)
        child_indent = self._indent_of(children[0]) if children else parent_indent + self.style.indent
        newline = self.style.newline
        element = etree.Element(tag)
        inline = len(parent) > 0 and not any("\n" in (t or "") for t in (parent.text, *(c.tail for c in parent)))
        if inline:  # <interface><source …/></interface> stays on its one line
            if position is None or position >= len(parent):
                element.tail = parent[-1].tail
                parent[-1].tail = None
                parent.append(element)
            else:
                parent.insert(position, element)
        elif position is None or position >= len(parent):
            if len(parent):
                last = parent[-1]
                element.tail = last.tail if last.tail and "\n" in last.tail else newline + parent_indent
                last.tail = newline + child_indent
            else:
                parent.text = newline + child_indent
                element.tail = newline + parent_indent
            parent.append(element)
        else:
            element.tail = newline + child_indent
            parent.insert(position, element)
        self._record(lambda: self._restore_content(parent, before))
        return element

    def remove_element(self, element: etree._Element) -> None:
        """Take an element out with its line: the whitespace before it goes, what follows it
        stays (a blank line after it, or the parent's closing indentation)."""
        parent = element.getparent()
        if parent is None:
            raise ValueError("cannot remove the root element")
        before = self._content_snapshot(parent)
        previous = element.getprevious()
        ahead = previous.tail if previous is not None else parent.text
        if element.getnext() is None or (not (ahead or "").strip() and "\n" in (element.tail or "")):
            if previous is not None:
                previous.tail = element.tail
            else:
                parent.text = element.tail
        tail = element.tail
        parent.remove(element)
        element.tail = tail
        self._record(lambda: self._restore_content(parent, before))

    def _content_snapshot(self, parent: etree._Element) -> _Content:
        self._touch_content(parent)
        return parent.text, [(child, child.tail) for child in parent]

    def _restore_content(self, parent: etree._Element, state: _Content) -> None:
        """Put back children and whitespace exactly as they were: the inverse of every
        structural edit, so undo returns the very bytes that were loaded."""
        current = self._content_snapshot(parent)
        text, children = state
        for child in list(parent):
            parent.remove(child)
        for child, tail in children:
            parent.append(child)
            child.tail = tail
        parent.text = text
        self._record(lambda: self._restore_content(parent, current))

    # -- NIC-level edits -----------------------------------------------------------------
    def add_nic(
        self, kind: str = "bridge", source: str | None = None, model: str | None = None, mac: str | None = None
    ) -> Nic:
        """Append an interface after the last one (or at the end of <devices>), indented like
        the file, with a fresh MAC under the hypervisor's prefix unless one is given."""
        with self.transaction():
            devices = self.devices
            if devices is None:
                devices = self.insert_element(self.root, "devices")
            existing = devices.findall("interface")
            position = devices.index(existing[-1]) + 1 if existing else None
            element = self.insert_element(devices, "interface", position)
            self.set_attr(element, "type", kind)
            nic = Nic(self, element, len(existing) + 1)
            if mac is None:
                mac = macs.generate_mac(self.facts.hypervisor, [n.mac or "" for n in self.nics])
            if kind in SOURCE_ATTRIBUTE and source is not None:
                nic.set("source", source)
            nic.set("mac", mac)
            if model:
                nic.set("model", model)
        return self.nic(len(existing) + 1)

    def clone_nic(self, index: int) -> Nic:
        """A copy of NIC ``index`` placed right after it, with a fresh MAC and no target dev
        (both must be unique per host)."""
        original = self.nic(index)
        with self.transaction():
            parent = original.element.getparent()
            assert parent is not None
            copy = _deep_copy(original.element)
            position = parent.index(original.element) + 1
            before = self._content_snapshot(parent)
            copy.tail = original.element.tail
            if original.element.getnext() is None:
                original.element.tail = self.style.newline + self._indent_of(original.element)
            parent.insert(position, copy)
            self._record(lambda: self._restore_content(parent, before))
            clone = Nic(self, copy, index + 1)
            clone.set("mac", macs.generate_mac(self.facts.hypervisor, [n.mac or "" for n in self.nics]))
            clone.set("target", None)
            for node in copy.findall("alias") + copy.findall("address"):
                self.remove_element(node)
        return self.nic(index + 1)

    def remove_nic(self, index: int) -> None:
        """The interface, and the comments that describe it: one on the line right above it
        (it was left behind to describe the next NIC), one after it on its last line; one undo
        step puts them all back."""
        element = self.nic(index).element
        with self.transaction():
            for comment in (_leading_comment(element), _trailing_comment(element)):
                if comment is not None:
                    self.remove_element(comment)
            self.remove_element(element)



def _leading_comment(element: etree._Element) -> etree._Element | None:
    """A one-line comment alone on the line right above ``element`` (no blank line between
    them), holding no markup: a commented-out old config is kept."""
    comment = element.getprevious()
    between = comment.tail or "" if comment is not None else ""
    if not isinstance(comment, etree._Comment) or between.strip() or between.count("\n") != 1:
        return None
    if "\n" in (comment.text or "") or "<" in (comment.text or ""):
        return None
    before, parent = comment.getprevious(), comment.getparent()
    above = (before.tail if before is not None else parent.text if parent is not None else None) or ""
    return comment if "\n" in above and not above.strip() else None


def _trailing_comment(element: etree._Element) -> etree._Element | None:
    """A comment after ``element`` on the same line (``<interface …/> <!-- the DMZ -->``)."""
    comment = element.getnext()
    between = element.tail or ""
    if not isinstance(comment, etree._Comment) or between.strip() or "\n" in between:
        return None
    return None if "\n" in (comment.text or "") or "<" in (comment.text or "") else comment


class _Transaction:
    def __init__(self, domain: Domain):
        self.domain = domain
        self.outer = False

    def __enter__(self) -> _Transaction:
        if self.domain._pending is None:
            self.domain._pending = []
            self.outer = True
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if not self.outer:
            return
        step, self.domain._pending = self.domain._pending, None
        if exc_type is not None:  # a failed edit leaves no half-done state behind
            self.domain._pending = []
            try:
                for inverse in reversed(step or []):
                    inverse()
            finally:
                self.domain._pending = None
            return
        if step:
            self.domain._undo.append(step)
            self.domain._redo.clear()


def _deep_copy(element: etree._Element) -> etree._Element:
    return etree.fromstring(etree.tostring(element, with_tail=False))
