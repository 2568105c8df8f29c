"""How libvirt 9.0's parser reads a NIC's <ip>, <bandwidth> and <vlan> (vifconf.model.libvirt9).

Each refusal here was also seen on real libvirt: the r4-* files in tests/data/qemu-corners
start, or fail, the same way in `test_qemu_live`.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from lxml import etree

from vifconf.model import Domain
from vifconf.model.libvirt9 import (
    GuestIp,
    Vlan,
    acpi_refusal,
    bandwidth_refusal,
    driver_refusal,
    managed_refusal,
    port_refusal,
    read_guest_ip,
    read_vlan,
    rom_refusal,
    sndbuf_refusal,
    source_refusal,
    teaming_refusal,
    virtualport_refusal,
)
from vifconf.validate import check


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


@pytest.mark.parametrize(("inner", "kind", "model", "refused"), [
    ("<driver ioeventfd='on' txmode='iothread' name='vhost' queues='+2'><host csum='off'/></driver>", "bridge",
     "virtio", False),
    ("<driver ioeventfd='yes'/>", "bridge", "virtio", True), ("<driver txmode='bogus'/>", "bridge", "virtio", True),
    ("<driver name='bogus'/>", "bridge", "virtio", True), ("<driver queues='-5'/>", "bridge", "virtio", True),
    ("<driver><guest tso4='yes'/></driver>", "bridge", "virtio", True),
    ("<driver ioeventfd='yes' queues='x'/>", "bridge", "e1000", False),  # not read for other models
    ("<driver iommu='off'/>", "user", "e1000", True),  # present at all: virtio only
    ("<driver iommu='maybe'/>", "user", "virtio", True),
])  # fmt: skip
def test_driver(inner: str, kind: str, model: str, refused: bool) -> None:
    assert (driver_refusal(interface(inner, kind), model) is not None) == refused


@pytest.mark.parametrize(("inner", "kind", "refusal"), [
    ("<tune><sndbuf>abc</sndbuf></tune>", "ethernet", sndbuf_refusal),
    ("<rom bar='yes'/>", "user", rom_refusal), ("<rom enabled='no' bar='off'/>", "user", rom_refusal),
    ("<acpi index='0'/>", "user", acpi_refusal),
    ("<source address='230.0.0.1' port='abc'/>", "mcast", source_refusal),
    ("<source address='127.0.0.1' port='5'><local address='127.0.0.1'/></source>", "udp", source_refusal),
    ("<source type='tcp' path='/s' mode='client'/>", "vhostuser", source_refusal),
    ("<source type='unix' path='/s'/>", "vhostuser", source_refusal),
    ("<source type='unix' path='/s' mode='server'><reconnect enabled='yes' timeout='5'/></source>", "vhostuser",
     source_refusal),
    ("<source type='unix' path='/s' mode='client'><reconnect enabled='yes'/></source>", "vhostuser", source_refusal),
    ("<source><ip address='10.0.6.1' prefix='24'/></source>", "user", source_refusal),
    ("<teaming type='persistent' persistent='ua-x'/>", "bridge", teaming_refusal),
    ("<teaming type='transient'/>", "hostdev", teaming_refusal), ("<teaming type='odd'/>", "bridge", teaming_refusal),
])  # fmt: skip
def test_refused_by_libvirts_parser(inner: str, kind: str, refusal: Callable[[etree._Element], str | None]) -> None:
    assert refusal(interface(inner, kind)) is not None


@pytest.mark.parametrize(("inner", "kind", "refusal"), [
    ("<tune><sndbuf>1600</sndbuf></tune><rom bar='off' file='/x'/><acpi index='3'/>", "ethernet", sndbuf_refusal),
    ("<rom enabled='no'/>", "user", rom_refusal), ("<acpi index='16384'/>", "user", acpi_refusal),
    ("<source address='230.0.0.1' port='5558'/>", "mcast", source_refusal),
    ("<source type='unix' path='/s' mode='client'><reconnect enabled='no'/></source>", "vhostuser", source_refusal),
    ("<source dev='tap0'><ip address='10.0.6.1' prefix='24'/></source>", "ethernet", source_refusal),
    ("<teaming type='transient' persistent='ua-x'/>", "hostdev", teaming_refusal),
])  # fmt: skip
def test_accepted_by_libvirts_parser(inner: str, kind: str, refusal: Callable[[etree._Element], str | None]) -> None:
    assert refusal(interface(inner, kind)) is None


def test_a_failover_pair_shares_its_mac_and_other_duplicates_are_errors() -> None:
    mac = "<mac address='52:54:00:00:00:01'/>"
    pair = (f"<interface type='bridge'>{mac}<source bridge='br0'/><model type='virtio'/>"
            "<teaming type='persistent'/><alias name='ua-backup0'/></interface>"
            f"<interface type='hostdev' managed='yes'>{mac}<source><address type='pci' domain='0' bus='3' slot='0' "
            "function='0'/></source><teaming type='transient' persistent='ua-backup0'/></interface>")
    twins = f"<interface type='user'>{mac}</interface><interface type='user'>{mac}</interface>"
    for devices, duplicate in ((pair, False), (twins, True)):
        d = Domain.from_string(f"<domain type='kvm'><name>t</name><devices>{devices}</devices></domain>")
        assert ("mac-duplicate" in [p.code for p in check(d, schema=False)]) == duplicate


@pytest.mark.parametrize(("kind", "refused"), [("kvm", False), ("xen", False), ("q35", True), (None, True)])
def test_domain_type_libvirt_knows(kind: str | None, refused: bool) -> None:
    attribute = f" type='{kind}'" if kind else ""
    d = Domain.from_string(f"<domain{attribute}><name>t</name><devices/></domain>")
    assert ("domain-type-invalid" in [p.code for p in check(d, schema=False)]) == refused


@pytest.mark.parametrize(("inner", "refusal", "refused"), [
    ("<tune><sndbuf/></tune>", sndbuf_refusal, False),  # empty: absent (virXPathULongLong)
    ("<tune><sndbuf>5 </sndbuf></tune>", sndbuf_refusal, True),  # strtoull over the whole text
    ("<tune><sndbuf> +5</sndbuf></tune>", sndbuf_refusal, False),
])  # fmt: skip
def test_empty_and_padded_values(inner: str, refusal: Callable[[etree._Element], str | None], refused: bool) -> None:
    assert (refusal(interface(inner, "ethernet")) is not None) == refused


def test_an_empty_trunk_is_no_trunk_attribute() -> None:
    assert read_vlan(interface("<vlan trunk=''><tag id='7'/></vlan>")) == Vlan((7,), False)


def test_vif_names_are_generated_only_for_xen_guests() -> None:
    for kind, generated in (("kvm", False), ("xen", True)):
        d = Domain.from_string(f"<domain type='{kind}'><devices><interface type='bridge'><source bridge='b'/>"
                               "<target dev='vif3'/></interface></devices></domain>")
        assert d.nic(1).target_is_generated == generated
        assert d.nic(1).target_generated_by("vif")


def test_an_unreadable_peer_is_the_parsers_refusal() -> None:
    d = Domain.from_string("<domain type='kvm'><os><type>hvm</type></os><devices><interface type='user'>"
                           "<ip address='1.2.3.4' peer='zz'/>"
                           "</interface></devices></domain>")
    assert [p.code for p in check(d, schema=False) if p.severity == "error"] == ["ip-invalid"]
