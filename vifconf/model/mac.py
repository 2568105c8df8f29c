"""MAC addresses: parsing, the hypervisors' vendor prefixes, collision-free generation."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import random

XEN_PREFIX = "00:16:3e"
"""Xensource's OUI: xend and libxl generate 00:16:3e:xx:xx:xx (first random byte < 0x80)."""
GENERATED_XEN_MAC = f"{XEN_PREFIX}:xx:xx:xx"
"""Shown where Xen's stack generates a MAC (libvirt's Xen driver, xend, libxl): 00:16:3e and
three random bytes."""
QEMU_PREFIX = "52:54:00"
"""The prefix libvirt's QEMU driver and virt-install generate."""

_MAC = re.compile(r"([0-9A-Fa-f]{1,2}):([0-9A-Fa-f]{1,2}):([0-9A-Fa-f]{1,2}):"
                  r"([0-9A-Fa-f]{1,2}):([0-9A-Fa-f]{1,2}):([0-9A-Fa-f]{1,2})")


@lru_cache(maxsize=8192)  # every renderer and check asks about the same few MACs
def parse_mac(value: str) -> tuple[int, ...] | None:
    """The six bytes, or None when libvirt's parser would refuse the string.

    virMacAddrParse (libvirt 9.0): six bytes of one or two hex digits joined by ``:``, nothing
    before the first; after the sixth, a space, a control character or the end (and a
    non-ASCII character, a negative C ``char``) ends the address, and the rest is ignored.
    (A third hex digit in a byte makes it refuse: ``strtoul`` reads them all.)
    """
    match = _MAC.match(value)
    if match is None:
        return None
    following = value[match.end() : match.end() + 1]
    if following and " " < following < "\x80":
        return None
    return tuple(int(part, 16) for part in match.groups())


@lru_cache(maxsize=8192)
def normalize_mac(value: str) -> str | None:
    """Lowercase, two digits per byte: the form every renderer prints."""
    octets = parse_mac(value)
    if octets is None:
        return None
    return ":".join(f"{b:02x}" for b in octets)


def is_multicast(value: str) -> bool:
    octets = parse_mac(value)
    return octets is not None and bool(octets[0] & 1)


DRIVER_PREFIXES = {
    "xen": XEN_PREFIX,  # libxl_domain.c (xend's driver used the same)
    "vbox": "08:00:27",  # vbox_common.c
    "vmware": "00:0c:29",  # vmx.c, for the esx and vmware drivers
    "vz": "42:1c:00",  # vz_driver.c
    "parallels": "42:1c:00",
}
"""The prefix each libvirt driver generates MACs with (its xmlopt macPrefix, libvirt 9.0);
every other driver uses QEMU's (virDomainXMLOptionNew's default)."""


def prefix_for(hypervisor: str | None) -> str:
    return DRIVER_PREFIXES.get((hypervisor or "").lower(), QEMU_PREFIX)


def generate_mac(hypervisor: str | None, taken: Iterable[str], rng: random.Random | None = None) -> str:
    """A fresh unicast MAC with the hypervisor's prefix that no NIC in ``taken`` uses."""
    import random  # here: only an edit generates a MAC

    rng = rng or random.Random()
    used = {normalize_mac(m) for m in taken}
    prefix = prefix_for(hypervisor)
    for _ in range(10_000):
        first = rng.randrange(0x80) if prefix == XEN_PREFIX else rng.randrange(0x100)
        candidate = f"{prefix}:{first:02x}:{rng.randrange(0x100):02x}:{rng.randrange(0x100):02x}"
        if candidate not in used:
            return candidate
    raise RuntimeError("no free MAC address left under this prefix")
