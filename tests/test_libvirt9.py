"""How libvirt 9.0's parser reads a NIC's <ip>, <bandwidth> and <vlan> (vifconf.model.libvirt9).

Each refusal here was also seen on real libvirt: the r4-* files in tests/data/qemu-corners
start, or fail, the same way in `test_qemu_live`.
"""

from __future__ import annotations

import pytest
from lxml import etree

from vifconf.model.libvirt9 import (
    GuestIp,
    Vlan,
    bandwidth_refusal,
    managed_refusal,
    port_refusal,
    read_guest_ip,
    read_vlan,
    virtualport_refusal,
)


def interface(inner: str, kind: str = "user") -> etree._Element:
    return etree.fromstring(f"<interface type='{kind}'>{inner}</interface>")


@pytest.mark.parametrize(("ip", "read"), [
    ("<ip address='10.1'/>", GuestIp("10.0.0.1", False, None)),
    ("<ip address='010.0.2.0' prefix='24'/>", GuestIp("8.0.2.0", False, 24)),
    ("<ip address='::ffff:1.2.3.4'/>", GuestIp("::ffff:1.2.3.4", True, None)),
    ("<ip address='fd00:0:0:0::' prefix='+64'/>", GuestIp("fd00::", True, 64)),
    ("<ip address='10.0.0.1' family='IPV6'/>", GuestIp("10.0.0.1", False, None)),  # unknown family: ignored
])  # fmt: skip
def test_guest_ip_in_libvirts_canonical_text(ip: str, read: GuestIp) -> None:
    element = interface(ip).find("ip")
    assert element is not None
    assert read_guest_ip(element) == read


@pytest.mark.parametrize("ip", [
    "<ip/>", "<ip address=''/>", "<ip address='10.0.0.300'/>", "<ip address='fd00::1' family='ipv4'/>",
    "<ip address='10.0.0.1' prefix='33'/>", "<ip address='fd00::' prefix='129'/>",
    "<ip address='10.0.0.1' prefix='x'/>",
])  # fmt: skip
def test_guest_ip_libvirt_refuses(ip: str) -> None:
    element = interface(ip).find("ip")
    assert element is not None
    assert isinstance(read_guest_ip(element), str)


@pytest.mark.parametrize(("bandwidth", "kind", "refused"), [
    ("<outbound average=' +10'/>", "user", False),
    ("<inbound average='10' peak='20' burst='5'/><outbound average='1'/>", "user", False),
    ("<inbound average='10' floor='5'/>", "network", False),
    ("<inbound floor='5'/>", "network", False),
    ("<inbound average='10' floor='0'/>", "user", False),  # a floor of 0 is no floor
    ("<inbound peak='10'/>", "user", True),
    ("<inbound average='10' floor='5'/>", "user", True),
    ("<outbound average='10' floor='5'/>", "network", True),
    ("<outbound average='10'/><outbound average='20'/>", "user", True),
    ("<outbound average='-1'/>", "user", True),
    ("<outbound average='18446744073709551616'/>", "user", True),  # 2**64: ERANGE
    ("<outbound average='10' burst='1k'/>", "user", True),
])  # fmt: skip
def test_bandwidth(bandwidth: str, kind: str, refused: bool) -> None:
    refusal = bandwidth_refusal(interface(f"<bandwidth>{bandwidth}</bandwidth>", kind))
    assert (refusal is not None) == refused, refusal


@pytest.mark.parametrize(("vlan", "read"), [
    ("<vlan><tag id='042'/></vlan>", Vlan((42,), False)),
    ("<vlan><tag id='1'/><tag id='2'/></vlan>", Vlan((1, 2), True)),
    ("<vlan trunk='YES'><tag id='7'/></vlan>", Vlan((7,), True)),
    ("<vlan trunk='No'><tag id='7'/></vlan>", Vlan((7,), False)),
    ("<vlan><tag id='7' nativeMode='untagged'/><tag id='8'/></vlan>", Vlan((7, 8), True)),
    ("<vlan/>", None), ("<vlan><tag id='4096'/></vlan>", None), ("<vlan><tag/></vlan>", None),
    ("<vlan trunk='no'><tag id='1'/><tag id='2'/></vlan>", None), ("<vlan trunk='maybe'><tag id='1'/></vlan>", None),
    ("<vlan><tag id='1' nativeMode='tagged'/><tag id='2' nativeMode='untagged'/></vlan>", None),
    ("<vlan><tag id='1' nativeMode='default'/></vlan>", None),
])  # fmt: skip
def test_vlan(vlan: str, read: Vlan | None) -> None:
    got = read_vlan(interface(vlan))
    assert got == read if read is not None else isinstance(got, str)


@pytest.mark.parametrize(("inner", "kind", "refused"), [
    ("<virtualport type='openvswitch'/>", "bridge", False), ("<virtualport/>", "network", False),
    ("<virtualport type='802.1Qbh'/>", "direct", False),
    ("<virtualport type='openvswitch'/>", "ethernet", True), ("<virtualport/>", "bridge", True),
    ("<virtualport type='OpenVSwitch'/>", "bridge", True), ("<virtualport type='none'/>", "network", True),
])  # fmt: skip
def test_virtualport(inner: str, kind: str, refused: bool) -> None:
    assert (virtualport_refusal(interface(inner, kind)) is not None) == refused


@pytest.mark.parametrize(("inner", "kind", "refused"), [
    ("<target dev='tap0' managed='no'/>", "ethernet", False), ("<target dev='t' managed='yes'/>", "user", False),
    ("<target dev='tap0' managed='no'/>", "user", True), ("<target dev='t' managed='maybe'/>", "ethernet", True),
    ("<port isolated='yes'/>", "bridge", False), ("<port isolated='no'/>", "user", False),
    ("<port isolated='yes'/>", "user", True),
    ("<port isolated='yes'/><virtualport type='openvswitch'/>", "bridge", True),
])  # fmt: skip
def test_unmanaged_targets_and_isolated_ports(inner: str, kind: str, refused: bool) -> None:
    element = interface(inner, kind)
    refusal = managed_refusal(element) if "target" in inner else port_refusal(element)
    assert (refusal is not None) == refused
