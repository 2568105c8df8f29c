"""A NIC's ``<ip>`` as libvirt 9.0 reads it (virDomainNetIPParseXML), for the targets that go
through today's libvirt (the xl converter, the QEMU driver).

libvirt parses the address with ``getaddrinfo(AI_NUMERICHOST)`` and prints it back with
``getnameinfo(NI_NUMERICHOST)``; Python's socket module calls the same C library functions,
so ``10.1`` reads as ``10.0.0.1``, ``010.0.0.1`` as ``8.0.0.1`` and ``::ffff:1.2.3.4`` stays
in its dotted form, exactly as libvirt writes them.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from lxml import etree

from vifconf.model.domain import c_decimal

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
