"""The lossless document model: byte-identical when untouched, minimal diffs when edited."""

from __future__ import annotations

import difflib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support import VECTORS, load_vectors
from vifconf.model import Domain, InputError
from vifconf.model.mac import XEN_PREFIX, generate_mac, is_multicast, normalize_mac, parse_mac

ALL_XML_CASES = [
    pytest.param(case, id=f"{folder}/{case['_file']}")
    for folder in ("xend-sxpr", "xl", "qemu")
    for case in load_vectors(folder)
]

SEED = """<?xml version="1.0"?>
<!-- a comment before the root -->
<domain type="xen">
  <name>seed</name>
  <os>
    <type>hvm</type>
  </os>
  <devices>
    <!-- first NIC -->
    <interface type='bridge'>
      <source bridge='xenbr0'/>
      <mac address='00:16:3E:5D:C7:9E'/>
      <?vifconf keep-me?>
      <unknown-element foo="bar"  baz='q'>text &amp; more</unknown-element>
    </interface>
    <disk type='file' device='disk'/>
  </devices>
</domain>
"""


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


@pytest.mark.parametrize("case", ALL_XML_CASES)
def test_untouched_document_is_byte_identical(case: dict[str, Any]) -> None:
    data = case["xml"].encode()
    assert Domain.from_bytes(data, case["_file"]).to_bytes() == data


@pytest.mark.parametrize("case", ALL_XML_CASES)
def test_edits_then_undo_restore_the_exact_bytes(case: dict[str, Any]) -> None:
    domain = Domain.from_string(case["xml"])
    for nic in domain.nics:
        nic.set("model", "e1000")
        nic.set("mac", "00:16:3e:00:00:99")
    domain.add_nic("bridge", "br0")
    domain.clone_nic(1)
    domain.remove_nic(1)
    edited = domain.to_text()
    assert len(Domain.from_string(edited).nics) == len(domain.nics)
    while domain.undo():
        pass
    assert domain.to_text() == case["xml"]
    assert not domain.modified


def test_one_field_edit_is_a_one_line_diff() -> None:
    domain = Domain.from_string(SEED)
    domain.nic(1).set("source", "xenbr1")
    assert changed_lines(SEED, domain.to_text()) == [
        "-      <source bridge='xenbr0'/>",
        "+      <source bridge='xenbr1'/>",
    ]


def test_comments_pis_unknown_elements_and_quotes_survive_an_edit() -> None:
    domain = Domain.from_string(SEED)
    domain.nic(1).set("model", "e1000")
    text = domain.to_text()
    for kept in ("<!-- a comment before the root -->", "<!-- first NIC -->", "<?vifconf keep-me?>",
                 """<unknown-element foo="bar"  baz='q'>text &amp; more</unknown-element>""",
                 '<domain type="xen">', "<mac address='00:16:3E:5D:C7:9E'/>"):
        assert kept in text
    assert changed_lines(SEED, text) == ["+      <model type='e1000'/>"]


def test_added_nic_follows_the_file_indentation_and_quotes() -> None:
    text = SEED.replace("  ", "    ").replace("'", '"')
    domain = Domain.from_string(text)
    domain.add_nic("network", "default", mac="00:16:3e:00:00:02")
    added = changed_lines(text, domain.to_text())
    assert added == [
        '+        <interface type="network">',
        '+            <source network="default"/>',
        '+            <mac address="00:16:3e:00:00:02"/>',
        "+        </interface>",
    ]


def test_remove_and_undo_redo() -> None:
    domain = Domain.from_string(SEED)
    domain.remove_nic(1)
    assert domain.nics == []
    assert "<interface" not in domain.to_text()
    assert domain.undo()
    assert domain.to_text() == SEED
    assert domain.redo()
    assert domain.nics == []


def test_clone_gets_fresh_mac_and_no_target() -> None:
    domain = Domain.from_string(SEED.replace("<mac address='00:16:3E:5D:C7:9E'/>",
                                             "<mac address='00:16:3E:5D:C7:9E'/><target dev='guest0'/>"))
    clone = domain.clone_nic(1)
    assert clone.index == 2
    assert clone.source == "xenbr0"
    assert clone.target is None
    assert clone.mac is not None and clone.mac.startswith(XEN_PREFIX)
    assert normalize_mac(clone.mac) != normalize_mac(domain.nic(1).mac or "")


def test_changing_type_carries_the_source_between_bridge_and_network() -> None:
    domain = Domain.from_string(SEED)
    nic = domain.nic(1)
    nic.set("type", "network")
    assert nic.source == "xenbr0"
    assert "<source network='xenbr0'/>" in domain.to_text()
    nic.set("type", "none")
    assert nic.type == "none"
    assert "<source network='xenbr0'/>" in domain.to_text()  # kept: switching back loses nothing


def test_removing_a_field_drops_the_empty_element() -> None:
    domain = Domain.from_string(SEED)
    domain.nic(1).set("source", None)
    assert "<source" not in domain.to_text()
    assert changed_lines(SEED, domain.to_text()) == ["-      <source bridge='xenbr0'/>"]


def test_domain_facts() -> None:
    facts = Domain.from_string(SEED).facts
    assert (facts.name, facts.hypervisor, facts.os_type, facts.hvm, facts.is_xen) == ("seed", "xen", "hvm", True, True)


def test_socket_source_round_trip() -> None:
    domain = Domain.from_string("<domain type='kvm'><devices><interface type='mcast'/></devices></domain>")
    nic = domain.nic(1)
    nic.set("source", "230.0.0.1:5558")
    assert nic.source_attrs == {"address": "230.0.0.1", "port": "5558"}
    assert nic.source == "230.0.0.1:5558"


@pytest.mark.parametrize(("address", "source"), [
    ("<address type='pci' domain='0x0000' bus='0x03' slot='0x10' function='0x1'/>", "0000:03:10.1"),
    ("<address type='pci' bus='3' slot='0x1f'/>", "0000:03:1f.0"),
    ("<address type='pci' bus='zz'/>", None),
    ("<address type='usb' bus='1' device='2'/>", None),
    ("", None),
])  # fmt: skip
def test_a_hostdev_source_is_its_pci_name(address: str, source: str | None) -> None:
    """cli-json's ``source`` names the host device a hostdev NIC passes through."""
    interface = f"<interface type='hostdev'><source>{address}</source></interface>"
    nic = Domain.from_string(f"<domain type='kvm'><devices>{interface}</devices></domain>").nic(1)
    assert nic.source == source
    with pytest.raises(ValueError, match="no source to set"):
        nic.set("source", "0000:04:00.0")  # a PCI address is no one-attribute source


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"<domain>", "malformed XML"),
        (b"<network/>", "not a libvirt domain XML"),
        (b'<!DOCTYPE d [<!ENTITY x "y">]><domain/>', "DOCTYPE"),
        (b"<domain>\xff</domain>", "invalid UTF-8"),
    ],
)
def test_bad_input_is_a_one_line_located_error(data: bytes, message: str) -> None:
    with pytest.raises(InputError) as caught:
        Domain.from_bytes(data, "guest.xml")
    text = str(caught.value)
    assert text.startswith("guest.xml") and message in text and "\n" not in text


def test_mac_helpers() -> None:
    assert parse_mac("0:16:3e:a:b:c") == (0, 0x16, 0x3E, 0xA, 0xB, 0xC)
    assert parse_mac("00:16:3e:0G:a5:59") is None
    assert normalize_mac("00:16:3E:5D:C7:9E") == "00:16:3e:5d:c7:9e"
    assert is_multicast("01:00:5e:00:00:01") and not is_multicast("00:16:3e:00:00:01")


@pytest.mark.parametrize(("text", "parsed"), [
    ("52:54:00:00:00:0a x", (0x52, 0x54, 0, 0, 0, 0xA)),  # after the sixth byte a blank ends it
    ("52:54:00:00:00:0a\t", (0x52, 0x54, 0, 0, 0, 0xA)),
    (" 52:54:00:00:00:0a", None), ("52:54:00:00:00:0ax", None), ("52-54-00-00-00-0a", None),
    ("52:54:00:00:00:00a", None), ("0x2:54:00:00:00:0a", None), ("52:54:00:00:00", None),
])  # fmt: skip
def test_mac_parsed_as_libvirt_9_does(text: str, parsed: tuple[int, ...] | None) -> None:
    """virMacAddrParse; the r4-mac-* corner cases start (or fail) the same way on real libvirt."""
    assert parse_mac(text) == parsed


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="0123456789abcdef:", min_size=0, max_size=17), max_size=20))
def test_generated_macs_never_collide(taken: list[str]) -> None:
    mac = generate_mac("xen", taken)
    assert mac.startswith(XEN_PREFIX)
    assert int(mac.split(":")[3], 16) < 0x80
    assert mac not in {normalize_mac(m) for m in taken}
    assert generate_mac("kvm", taken).startswith("52:54:00")


@pytest.mark.parametrize(("hypervisor", "prefix"), [
    ("xen", "00:16:3e"), ("vbox", "08:00:27"), ("vmware", "00:0c:29"), ("vz", "42:1c:00"),
    ("kvm", "52:54:00"), ("qemu", "52:54:00"), ("hyperv", "52:54:00"), ("lxc", "52:54:00"), (None, "52:54:00"),
])  # fmt: skip
def test_generated_macs_use_the_drivers_prefix(hypervisor: str | None, prefix: str) -> None:
    """The macPrefix of each libvirt 9.0 driver's xmlopt (52:54:00 where a driver sets none)."""
    assert generate_mac(hypervisor, []).startswith(prefix + ":")


ATTRIBUTE_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cn")), max_size=20)


@settings(max_examples=150, deadline=None)
@given(bridge=ATTRIBUTE_TEXT, model=ATTRIBUTE_TEXT)
def test_any_value_written_reads_back_the_same(bridge: str, model: str) -> None:
    domain = Domain.from_string(SEED)
    domain.nic(1).set("source", bridge)
    domain.nic(1).set("model", model)
    again = Domain.from_bytes(domain.to_bytes()).nic(1)
    assert again.source == (bridge or None)
    assert again.model == (model or None)


def test_vectors_are_where_the_readme_says() -> None:
    assert (VECTORS / "README.md").is_file()


NAMESPACED_CRLF = (
    "<domain type='kvm'>\r\n  <devices>\r\n    <interface type='bridge'>\r\n"
    "      <source xmlns:y='urn:y' y:z='1' bridge='br0'/>\r\n"
    "      <x:meta xmlns:x='urn:x' x:attr='v'/>\r\n      <meta xmlns='urn:m'>t</meta>\r\n"
    "    </interface>\r\n  </devices>\r\n</domain>\r\n"
)


def test_rewrites_keep_namespaces_and_crlf() -> None:
    domain = Domain.from_string(NAMESPACED_CRLF)
    domain.nic(1).set("source", "br1")
    domain.nic(1).set("model", "e1000")
    domain.clone_nic(1)
    domain.add_nic("network", "default", mac="52:54:00:00:00:09")
    text = domain.to_text()
    assert "\n" not in text.replace("\r\n", "")
    assert text.count("<source xmlns:y='urn:y' y:z='1' bridge='br1'/>") == 2
    assert text.count("<x:meta xmlns:x='urn:x' x:attr='v'/>") == 2
    assert text.count("<meta xmlns='urn:m'>t</meta>") == 2
    again = Domain.from_string(text)
    assert [n.source for n in again.nics] == ["br1", "br1", "default"]
    while domain.undo():
        pass
    assert domain.to_text() == NAMESPACED_CRLF


def test_an_old_mac_file_keeps_its_cr_line_endings() -> None:
    """CR-only line ends (classic Mac OS): new lines end in CR too, not a mix."""
    text = NAMESPACED_CRLF.replace("\r\n", "\r")
    domain = Domain.from_string(text)
    domain.nic(1).set("model", "e1000")
    domain.add_nic("network", "default", mac="52:54:00:00:00:09")
    edited = domain.to_text()
    assert "\n" not in edited and edited.count("\r") > text.count("\r")
    assert [n.source for n in Domain.from_string(edited).nics] == ["br0", "default"]


@pytest.mark.parametrize(
    "devices", ["<devices>\n  </devices>", "<devices/>", "<devices><interface type='user'/></devices>"]
)
def test_add_remove_undo_is_exact_for_any_whitespace(devices: str) -> None:
    text = f"<domain type='kvm'>{devices}</domain>"
    domain = Domain.from_string(text)
    domain.add_nic("user", mac="52:54:00:00:00:01")
    domain.remove_nic(1)
    assert Domain.from_string(domain.to_text())
    while domain.undo():
        pass
    assert domain.to_text() == text and not domain.modified


def test_type_change_drops_a_source_the_new_type_cannot_use_and_none_keeps_it() -> None:
    domain = Domain.from_string(SEED)
    nic = domain.nic(1)
    nic.set("type", "none")
    assert "<source bridge='xenbr0'/>" in domain.to_text()
    nic.set("type", "user")
    assert "<source" not in domain.to_text()
    assert domain.undo() and "<source bridge='xenbr0'/>" in domain.to_text()
    with pytest.raises(ValueError, match="cannot be empty"):
        nic.set("type", "")


@pytest.mark.parametrize(("source", "kinds"), [
    ("<source type='unix' path='/run/x.sock' mode='client'/>", ("vhostuser", "bridge")),
    ("<source dev='eth0' mode='bridge'/>", ("direct", "network", "bridge")),
    ("<source bridge='br0' extra='1'/>", ("bridge", "network", "direct")),
])  # fmt: skip
def test_a_type_changed_and_changed_back_gives_the_same_markup(source: str, kinds: tuple[str, ...]) -> None:
    """The source's address moved to the end of <source> on the way (a one-line diff for no change)."""
    nic = f"<interface type='{kinds[0]}'>{source}</interface>"
    text = f"<domain type='kvm'><name>k</name><devices>{nic}</devices></domain>"
    domain = Domain.from_string(text)
    for kind in (*kinds[1:], *reversed(kinds[:-1])):
        domain.nic(1).set("type", kind)
    assert domain.to_text() == text
    assert domain.nic(1).source == Domain.from_string(text).nic(1).source
    while domain.undo():
        pass
    assert domain.to_text() == text


COMMENTED = """<domain type='kvm'>
  <devices>
    <!-- the NIC the guest should not see -->
    <interface type='none'/>
    <interface type='user'/> <!-- the slirp one -->
    <interface type='bridge'><source bridge='br0'/></interface>

    <!-- a section: separated by a blank line -->

    <interface type='network'/>
  </devices>
</domain>
"""


@pytest.mark.parametrize(("index", "gone", "kept"), [
    (1, ["<!-- the NIC the guest should not see -->"], ["<!-- the slirp one -->", "<!-- a section"]),
    (2, ["<!-- the slirp one -->"], ["<!-- the NIC the guest", "<!-- a section"]),
    (3, [], ["<!-- the NIC the guest", "<!-- the slirp one -->", "<!-- a section"]),
    (4, [], ["<!-- the NIC the guest", "<!-- the slirp one -->", "<!-- a section"]),
])  # fmt: skip
def test_a_deleted_nic_takes_its_comments_along(index: int, gone: list[str], kept: list[str]) -> None:
    """The comment above NIC 1 was left to describe NIC 2; a section comment stays."""
    domain = Domain.from_string(COMMENTED)
    domain.remove_nic(index)
    text = domain.to_text()
    assert not any(comment in text for comment in gone) and all(comment in text for comment in kept)
    assert text.count("<interface") == 3
    assert all(line.strip() for line in text.splitlines()[:4])  # no blank line where a NIC was
    domain.undo()
    assert domain.to_text() == COMMENTED


def test_a_deleted_nic_leaves_an_old_config_and_the_next_elements_line() -> None:
    """A review found a commented-out config deleted with the NIC under it, and a NIC that
    shared its line with the next glued that one to the line before."""
    text = ("<domain type='kvm'><devices>\n    <disk/>\n    <!-- old: <interface type='bridge'/> -->\n"
            "    <interface type='user'/><interface type='bridge'><source bridge='br0'/></interface>\n"
            "    <!-- two\n         lines -->\n    <interface type='network'/>\n  </devices></domain>")
    domain = Domain.from_string(text)
    domain.remove_nic(1)
    assert "<!-- old: <interface type='bridge'/> -->\n    <interface type='bridge'>" in domain.to_text()
    domain.remove_nic(2)
    assert "<!-- two\n         lines -->" in domain.to_text()
    while domain.undo():
        pass
    assert domain.to_text() == text


def test_a_blank_line_after_a_deleted_nic_stays() -> None:
    domain = Domain.from_string(COMMENTED)
    domain.remove_nic(3)
    assert "<!-- the slirp one -->\n\n    <!-- a section" in domain.to_text()


def test_a_failed_transaction_leaves_nothing_behind() -> None:
    domain = Domain.from_string(SEED)
    with pytest.raises(RuntimeError), domain.transaction():
        domain.nic(1).set("model", "e1000")
        raise RuntimeError("boom")
    assert domain.to_text() == SEED and not domain.can_undo


@pytest.mark.parametrize(("before", "kind", "after"), [
    # the address carries over (in the new type's attribute); a mode only between the two types
    # that read it, each from its own values
    ("<interface type='vhostuser'><source type='unix' path='/s' mode='client'/></interface>", "direct",
     {"type": "unix", "dev": "/s"}),
    ("<interface type='direct'><source dev='eth0' mode='vepa'/></interface>", "vhostuser", {"path": "eth0"}),
    ("<interface type='vhostuser'><source type='unix' path='/s' mode='server'/></interface>", "bridge",
     {"type": "unix", "bridge": "/s", "mode": "server"}),  # ignored there, and kept for a switch back
    ("<interface type='direct'><source dev='eth0' mode='vepa'/></interface>", "none",
     {"dev": "eth0", "mode": "vepa"}),  # none keeps everything: switching back loses nothing
])  # fmt: skip
def test_a_type_change_drops_a_mode_the_new_type_reads_differently(before: str, kind: str,
                                                                       after: dict[str, str]) -> None:  # fmt: skip
    """From a review: vhostuser's mode='client' stayed on a direct NIC's source, where
    libvirt refuses 'client' as a macvtap mode (and a macvtap 'vepa' on a vhostuser one)."""
    d = Domain.from_string(f"<domain type='kvm'><name>t</name><devices>{before}</devices></domain>")
    d.nic(1).set("type", kind)
    source = d.nic(1).element.find("source")
    assert (dict(source.attrib) if source is not None else {}) == after
