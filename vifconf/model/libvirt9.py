"""Parts of an ``<interface>`` as libvirt 9.0's parser reads them (virDomainNetDefParseXML
and its helpers): the rules the targets that go through today's libvirt (the xl converter,
the QEMU driver) and validation share. Each reader returns what libvirt keeps, or a string
saying why libvirt refuses the domain.

``<ip>``: libvirt parses the address with ``getaddrinfo(AI_NUMERICHOST)`` and prints it back with
``getnameinfo(NI_NUMERICHOST)``; Python's socket module calls the same C library functions,
so ``10.1`` reads as ``10.0.0.1``, ``010.0.0.1`` as ``8.0.0.1`` and ``::ffff:1.2.3.4`` stays
in its dotted form, exactly as libvirt writes them.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass

from lxml import etree

from vifconf.model.domain import ULONG_MAX, VIRTIO_NET_MODELS, c_decimal

FAMILIES: dict[str, int] = {"ipv4": socket.AF_INET, "ipv6": socket.AF_INET6}
"""The ``family`` attribute, matched case-sensitively; any other value lets the address decide."""
PREFIX_LIMITS: dict[int, int] = {socket.AF_INET: 32, socket.AF_INET6: 128}


@dataclass(frozen=True)
class GuestIp:
    address: str
    """In libvirt's canonical text."""
    ipv6: bool
    prefix: int | None


def numeric_address(text: str, family: int = socket.AF_UNSPEC) -> tuple[str, int] | None:
    """The canonical text and family of a numeric address, or None when libvirt refuses it."""
    try:
        found = socket.getaddrinfo(text, None, family, 0, 0, socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError, ValueError):
        return None
    family_found, _, _, _, sockaddr = found[0]
    return str(sockaddr[0]), int(family_found)


def read_guest_ip(element: etree._Element) -> GuestIp | str:
    """The ``<ip>`` libvirt keeps, or why it refuses the whole domain."""
    text = element.get("address")
    if text is None:
        return "an <ip> element needs an address"
    parsed = numeric_address(text, FAMILIES.get(element.get("family") or "", socket.AF_UNSPEC))
    if parsed is None:
        return f"invalid address {text!r} in <ip>"
    address, family = parsed
    prefix_text = element.get("prefix")
    prefix = c_decimal(prefix_text) if prefix_text is not None else None
    if prefix_text is not None and (prefix is None or prefix > PREFIX_LIMITS.get(family, 128)):
        return f"invalid prefix {prefix_text!r} in <ip>"
    peer = element.get("peer")
    if peer is not None and numeric_address(peer, family) is None:
        return f"invalid peer {peer!r} in <ip>"
    return GuestIp(address, family == socket.AF_INET6, prefix)


def guest_ips(interface: etree._Element) -> list[GuestIp | str]:
    """Every ``<ip>`` child of an ``<interface>``, read or refused."""
    return [read_guest_ip(element) for element in interface.iterfind("ip")]


def ip_refusal(interface: etree._Element) -> str | None:
    """Why libvirt 9.0 refuses the interface's ``<ip>`` elements, if it does."""
    return next((ip for ip in guest_ips(interface) if isinstance(ip, str)), None)


# -- <bandwidth> ------------------------------------------------------------------------------
RATE_ATTRIBUTES = ("average", "peak", "burst", "floor")


def bandwidth_refusal(interface: etree._Element) -> str | None:
    """virNetDevBandwidthParse: one ``<inbound>`` and one ``<outbound>`` at most, each with an
    average (or a floor), peak and burst only beside an average, every number a whole one
    (``+10`` and `` 10`` pass), a floor only inbound and only on type network."""
    bandwidth = interface.find("bandwidth")
    if bandwidth is None:
        return None
    for direction in ("inbound", "outbound"):
        rates = bandwidth.findall(direction)
        if len(rates) > 1:
            return f"only one <{direction}> is allowed in <bandwidth>"
        if not rates:
            continue
        values = {name: rates[0].get(name) for name in RATE_ATTRIBUTES}
        for name, value in values.items():
            if value is not None and c_decimal(value) is None:
                return f"{direction} {name} {value!r} is not a whole number"
        if values["average"] is None and values["floor"] is None:
            return f"<{direction}> needs an average (or a floor)"
        if values["average"] is None and (values["peak"] is not None or values["burst"] is not None):
            return f"<{direction}> peak and burst need an average"
        if c_decimal(values["floor"] or "0"):
            if direction == "outbound":
                return "a floor is allowed in <inbound> only"
            if interface.get("type") != "network":
                return "a floor needs an interface of type network"
    return None


# -- <vlan> ------------------------------------------------------------------------------------
MAX_VLAN_TAG = 4095
NATIVE_MODES = ("tagged", "untagged")


@dataclass(frozen=True)
class Vlan:
    tags: tuple[int, ...]
    trunk: bool


def read_vlan(interface: etree._Element) -> Vlan | str | None:
    """virNetDevVlanParse: at least one ``<tag id>`` (a whole number up to 4095, ``042`` is
    42), trunk when there are several or ``trunk`` says ``yes`` in any case; ``trunk='no'``
    only with one tag and no native mode. None without ``<vlan>``."""
    vlan = interface.find("vlan")
    if vlan is None:
        return None
    elements = vlan.findall("tag")
    if not elements:
        return "a <vlan> needs at least one <tag id='n'/>"
    tags = []
    for element in elements:
        tag = c_decimal(element.get("id"))
        if tag is None or tag > MAX_VLAN_TAG:
            return f"vlan tag id {element.get('id')!r} is not a whole number up to {MAX_VLAN_TAG}"
        tags.append(tag)
    modes = [element.get("nativeMode") for element in elements if element.get("nativeMode") is not None]
    if any(mode not in NATIVE_MODES for mode in modes):
        return f"nativeMode must be one of {', '.join(NATIVE_MODES)}"
    native = len(modes)
    if native > 1:
        return "only one vlan tag may set nativeMode"
    trunk_text = vlan.get("trunk")  # an empty one counts as absent (virXPathString)
    trunk = len(tags) > 1
    if trunk_text:
        trunk = trunk_text.lower() == "yes"
        if not trunk and (len(tags) > 1 or native or trunk_text.lower() != "no"):
            return f"trunk={trunk_text!r} in <vlan> needs one tag, no native mode, and 'yes' or 'no'"
    return Vlan(tuple(tags), trunk)


# -- <virtualport>, <target managed>, <port isolated> -----------------------------------------
VIRTUALPORT_TYPES = ("802.1Qbg", "802.1Qbh", "openvswitch", "midonet")
VIRTUALPORT_OWNERS = ("network", "bridge", "direct", "hostdev")
"""Interface types a ``<virtualport>`` may sit in; all but network must name its type."""


def virtualport_refusal(interface: etree._Element) -> str | None:
    """virDomainNetDefParseXML and virNetDevVPortProfileParse: where a virtualport may be and
    which types it has (matched exactly: ``OpenVSwitch`` is unknown)."""
    port = interface.find("virtualport")
    if port is None:
        return None
    kind = interface.get("type") or ""
    if kind not in VIRTUALPORT_OWNERS:
        return f"<virtualport> is not supported for <interface type='{kind}'>"
    port_type = port.get("type")
    if port_type is not None and port_type not in VIRTUALPORT_TYPES:
        return f"unknown virtualport type {port_type!r}"
    if port_type is None and kind != "network":
        return "a <virtualport> needs a type here"
    return None


def managed_refusal(interface: etree._Element) -> str | None:
    """virDomainNetDefParseXML/virDomainNetDefValidate: ``<target managed>`` is yes or no, and
    ``no`` (a tap device made outside libvirt) only on type ethernet."""
    target = interface.find("target")
    managed = target.get("managed") if target is not None else None
    if managed is None:
        return None
    if managed not in ("yes", "no"):
        return f"managed={managed!r} on <target> is neither 'yes' nor 'no'"
    if managed == "no" and interface.get("type") != "ethernet":
        return f"an unmanaged target dev (managed='no') needs type ethernet, not {interface.get('type')!r}"
    return None


def port_refusal(interface: etree._Element) -> str | None:
    """virDomainNetDefValidatePortOptions: ``<port isolated='yes'/>`` only on a Linux host
    bridge (type bridge or network) without a virtualport type."""
    port = interface.find("port")
    if port is None or port.get("isolated") != "yes":
        return None
    kind = interface.get("type")
    if kind not in ("bridge", "network"):
        return f"<port isolated='yes'/> needs type bridge or network, not {kind!r}"
    virtualport = interface.find("virtualport")
    if virtualport is not None and virtualport.get("type"):
        return f"<port isolated='yes'/> does not go with virtualport type {virtualport.get('type')!r}"
    return None


# -- <driver>, <tune>, <rom>, <acpi> ----------------------------------------------------------
ON_OFF = {"on": True, "off": False}
"""libvirt's switches (virXMLPropTristateSwitch): exactly these two words."""
YES_NO = {"yes": True, "no": False}
"""libvirt's booleans (virXMLPropTristateBool)."""
VIRTIO_COMMON_OPTIONS = ("iommu", "ats", "packed", "page_per_vq")
"""virDomainVirtioOptionsParseXML: read on every NIC's ``<driver>``, virtio or not."""
VIRTIO_SWITCHES = ("ioeventfd", "event_idx", "rss", "rss_hash_report")
VIRTIO_NUMBERS = ("queues", "rx_queue_size", "tx_queue_size")
OFFLOADS = {"host": ("csum", "gso", "tso4", "tso6", "ecn", "ufo", "mrg_rxbuf"),
            "guest": ("csum", "tso4", "tso6", "ecn", "ufo")}  # fmt: skip
DRIVER_CHOICES = {"name": ("qemu", "vhost"), "txmode": ("iothread", "timer")}


def _c_uint(text: str) -> int | None:
    """virStrToLong_uip: a whole number up to UINT_MAX, no sign but ``+``."""
    value = c_decimal(text)
    return value if value is not None and value <= 0xFFFFFFFF else None


def driver_refusal(interface: etree._Element, model: str | None) -> str | None:
    """virDomainNetDefParseXMLDriver: the virtio options are ``on``/``off`` on any NIC; a
    virtio model's own attributes are read only for a virtio model (and not on hostdev), each
    an exact choice, ``on``/``off`` or a whole number; other models' are ignored."""
    driver = interface.find("driver")
    if driver is None:
        return None
    for name in VIRTIO_COMMON_OPTIONS:
        if driver.get(name) not in (None, *ON_OFF):
            return f"<driver {name}={driver.get(name)!r}> must be 'on' or 'off'"
    if model not in VIRTIO_NET_MODELS:  # virDomainCheckVirtioOptionsAreAbsent: even 'off'
        present = [name for name in VIRTIO_COMMON_OPTIONS if driver.get(name) is not None]
        return f"the {present[0]} driver option is for virtio models only" if present else None
    if interface.get("type") == "hostdev":
        return None
    for name, choices in DRIVER_CHOICES.items():
        if driver.get(name) not in (None, *choices):
            return f"<driver {name}={driver.get(name)!r}> must be one of {', '.join(choices)}"
    for name in VIRTIO_SWITCHES:
        if driver.get(name) not in (None, *ON_OFF):
            return f"<driver {name}={driver.get(name)!r}> must be 'on' or 'off'"
    for name in VIRTIO_NUMBERS:
        value = driver.get(name)
        if value is not None and _c_uint(value) is None:
            return f"<driver {name}={value!r}> must be a whole number"
    for tag, names in OFFLOADS.items():
        element = driver.find(tag)
        if element is None:
            continue
        for name in names:
            if element.get(name) not in (None, *ON_OFF):
                return f"<{tag} {name}={element.get(name)!r}> must be 'on' or 'off'"
    return None


_C_ULL = re.compile(r"\s*([+-]?)([0-9]+)")


def read_sndbuf(interface: etree._Element) -> int | str | None:
    """``<tune><sndbuf>`` as virXPathULongLong reads it: None when absent or empty, else
    ``strtoull`` over the whole text (leading blanks, a sign: ``-1`` wraps around), or why
    libvirt refuses it."""
    sndbuf = interface.find("tune/sndbuf")
    text = "".join(str(part) for part in sndbuf.itertext()) if sndbuf is not None else ""
    if not text:
        return None
    match = _C_ULL.fullmatch(text)
    value = int(match.group(2)) if match else None
    if match is None or value is None or value > ULONG_MAX:
        return f"sndbuf {text!r} must be a whole number"
    return (-value) % (ULONG_MAX + 1) if match.group(1) == "-" else value


def sndbuf_refusal(interface: etree._Element) -> str | None:
    sndbuf = read_sndbuf(interface)
    return sndbuf if isinstance(sndbuf, str) else None


def rom_refusal(interface: etree._Element) -> str | None:
    """``<rom>``: enabled yes/no, bar on/off, and no tuning of a disabled ROM."""
    rom = interface.find("rom")
    if rom is None:
        return None
    if rom.get("enabled") not in (None, *YES_NO):
        return f"<rom enabled={rom.get('enabled')!r}> must be 'yes' or 'no'"
    if rom.get("bar") not in (None, *ON_OFF):
        return f"<rom bar={rom.get('bar')!r}> must be 'on' or 'off'"
    if rom.get("enabled") == "no" and (rom.get("bar") is not None or rom.get("file") is not None):
        return "a disabled ROM (enabled='no') takes no bar or file"
    return None


def acpi_refusal(interface: etree._Element) -> str | None:
    """``<acpi index>``: a whole number from 1."""
    acpi = interface.find("acpi")
    if acpi is not None and acpi.get("index") is not None and not _c_uint(acpi.get("index") or ""):
        return f"<acpi index={acpi.get('index')!r}> must be a whole number from 1"
    return None


# -- <source> of socket and vhost-user NICs, <teaming> ----------------------------------------
SOCKET_TYPES = ("server", "client", "mcast", "udp")


def _c_int(text: str | None) -> int | None:
    """virStrToLong_i: a whole number, signed, in int range."""
    if text is None:
        return None
    negative = text.lstrip().startswith("-")
    value = c_decimal(text.replace("-", "+", 1) if negative else text)
    if value is None or value > 0x7FFFFFFF + negative:
        return None
    return -value if negative else value


def source_refusal(interface: etree._Element) -> str | None:
    """The sources virDomainNetDefParseXML reads strictly: a socket's (and udp's ``<local>``)
    port a whole number, udp's ``<local>`` with an address; a vhost-user source of type unix
    with a mode, a reconnect with a timeout and never in server mode; host-side
    ``<source><ip>``/``<route>`` only on ethernet."""
    kind = interface.get("type")
    source = interface.find("source")
    if source is None:
        return None
    if (source.find("ip") is not None or source.find("route") is not None) and kind != "ethernet":
        return f"host-side <ip>/<route> in <source> is for type ethernet only, not {kind!r}"
    if kind in SOCKET_TYPES:
        ports = [("source", source)] + ([("local", source.find("local"))] if kind == "udp" else [])
        for tag, element in ports:
            port = element.get("port") if element is not None else None
            if element is not None and _c_int(port) is None:
                return f"<{tag}> needs a whole-number port" + (f", not {port!r}" if port is not None else "")
            if tag == "local" and element is not None and element.get("address") is None:
                return "Missing required attribute 'address' in element 'local'"
    if kind == "vhostuser":
        if source.get("type") != "unix":
            return f"a vhostuser source must be of type 'unix', not {source.get('type')!r}"
        if source.get("mode") not in ("server", "client"):
            return f"a vhostuser source needs mode='server' or 'client', not {source.get('mode')!r}"
        reconnect = source.find("reconnect")
        if reconnect is not None:
            if reconnect.get("enabled") not in (None, *YES_NO):
                return f"<reconnect enabled={reconnect.get('enabled')!r}> must be 'yes' or 'no'"
            if reconnect.get("enabled") == "yes" and _c_uint(reconnect.get("timeout") or "") is None:
                return "<reconnect enabled='yes'> needs a whole-number timeout"
            if reconnect.get("enabled") == "yes" and source.get("mode") == "server":
                return "a vhostuser source in server mode cannot reconnect"
    return None


def teaming_refusal(interface: etree._Element) -> str | None:
    """virDomainNetTeamingInfoParseXML and virDomainNetDefValidate: type persistent (no
    persistent attribute) or transient (naming its persistent partner)."""
    teaming = interface.find("teaming")
    if teaming is None or (teaming.get("type") is None and teaming.get("persistent") is None):
        return None
    kind = teaming.get("type")
    if kind not in ("persistent", "transient"):
        return f"unknown teaming type {kind!r}"
    if kind == "transient" and not teaming.get("persistent"):
        return "a transient teaming member must name its persistent partner (persistent='ua-…')"
    if kind == "persistent" and teaming.get("persistent") is not None:
        return "a persistent teaming member takes no persistent attribute"
    return None
