"""`vifconf import` of xm/xl configs: ``vif = [ … ]`` back to ``<interface>`` by libvirt's
``xenParseVif`` (the reading half of shared/spec/xl.md), checked against the xl vectors read
backwards and through the xl renderer again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.support import vector_params
from vifconf.cli import main
from vifconf.importer import add_to, looks_like_vifs, read_vifs
from vifconf.model import Domain, InputError
from vifconf.render import RenderOptions, xl


def without_interfaces(xml: str) -> Domain:
    root = etree.fromstring(xml.encode())
    devices = root.find("devices")
    assert devices is not None
    for interface in devices.findall("interface"):
        devices.remove(interface)
    return Domain.from_string(etree.tostring(root, encoding="unicode"))


@pytest.mark.parametrize("case", vector_params("xl"))
def test_vector_line_reads_back_and_renders_the_same_line(case: dict[str, Any]) -> None:
    """Each libvirt xlconfigdata case is tested in both directions there; here its vif line,
    imported into the domain without its interfaces, renders to the same line again."""
    imported = read_vifs(case["expected_vif_line"], case["_file"])
    domain = without_interfaces(case["xml"])
    add_to(domain, imported)
    assert xl.render(domain, RenderOptions(xl_format=case["format"])).text == case["expected_vif_line"]
    original = Domain.from_string(case["xml"])
    assert [shape(n.element) for n in domain.nics] == [shape(n.element) for n in original.nics]


def shape(element: etree._Element) -> tuple[str, tuple[tuple[str, str], ...], list[Any]]:
    """An element as libvirt compares it: children in any order, and an <ip>'s family (which
    libvirt writes, and infers when it is missing) left out."""
    attributes = tuple(sorted((k, v) for k, v in element.attrib.items() if not (element.tag == "ip" and k == "family")))
    return str(element.tag), attributes, sorted(shape(child) for child in element if isinstance(child.tag, str))


XM_CONFIG = """# /etc/xen/old-hvm, as xm read it (Python)
name = "old-hvm"
builder = 'hvm'
vif = [ 'mac=00:16:3e:12:34:56, bridge=xenbr0, model=e1000',
        'type=ioemu, bridge=xenbr1',   # the second NIC
        "bridge=ovsbr0.42,script=vif-openvswitch,ip=10.0.0.1 10.1.1.1,type=vif,vifname=web0,rate=10MB/s,backend=1",
      ]
disk = [ 'phy:/dev/vg/old,hda,w' ]
"""


def test_an_xm_config_with_blanks_comments_and_a_trailing_comma() -> None:
    """From a UI audit: `vifconf import old.cfg` said "no (vif …) device in it"."""
    first, second, third = read_vifs(XM_CONFIG, "old.cfg")
    assert (first.kind, first.fields) == ("bridge", {"mac": "00:16:3e:12:34:56", "source": "xenbr0", "model": "e1000"})
    assert (second.kind, second.fields) == ("bridge", {"source": "xenbr1"})  # type=ioemu: nothing to carry
    assert second.notes == ["no MAC in the vif: a fresh one is generated"]
    assert third.fields == {"source": "ovsbr0", "script": "vif-openvswitch", "model": "netfront", "target": "web0"}
    assert (third.vlan_tags, third.trunk, third.ips, third.rate_kbs) == ([42], False, ["10.0.0.1", "10.1.1.1"], 10240)
    assert "backend=1 is not carried over" in third.notes


@pytest.mark.parametrize(("entry", "kind", "fields"), [
    ("mac=00:16:3E:00:00:01", "ethernet", {"mac": "00:16:3e:00:00:01"}),
    ("script=vif-bridge", "bridge", {"script": "vif-bridge"}),  # a bridge script alone makes a bridge
    ("script=vif-vnic", "bridge", {"script": "vif-vnic"}),
    ("script=/etc/xen/vif-bridge", "ethernet", {"script": "/etc/xen/vif-bridge"}),  # STREQ: the bare name only
    ("bridge=br0,type=netfront", "bridge", {"source": "br0", "model": "netfront"}),  # xm's spelling
    ("bridge=br0,type=vif,model=e1000", "bridge", {"source": "br0", "model": "e1000"}),  # a model wins
    ("bridge=br0,vifname=vif3.0", "bridge", {"source": "br0"}),  # a generated name: dropped
])  # fmt: skip
def test_xenparsevif_rules(entry: str, kind: str, fields: dict[str, str]) -> None:
    [nic] = read_vifs(f'vif = [ "{entry}" ]', "x.cfg")
    assert (nic.kind, {k: v for k, v in nic.fields.items() if k != "mac" or "mac" in entry}) == (kind, fields)


def test_an_open_vswitch_trunk_and_a_tag_that_is_no_number() -> None:
    [trunk] = read_vifs("vif = [ 'bridge=ovsbr0:10:20' ]", "x.cfg")
    assert (trunk.fields["source"], trunk.vlan_tags, trunk.trunk) == ("ovsbr0", [10, 20], True)
    domain = Domain.from_string("<domain type='xen'><name>g</name><os><type>hvm</type></os><devices/></domain>")
    add_to(domain, [trunk])
    assert "bridge=ovsbr0:10:20,script=vif-openvswitch" in xl.render(domain, RenderOptions()).text
    with pytest.raises(InputError, match=r"vif 1: bridge=br0.x: libvirt reads it as Open vSwitch bridge 'br0'"):
        read_vifs("vif = [ 'bridge=br0.x' ]", "x.cfg")


@pytest.mark.parametrize("text", [
    "[ 'bridge=br0,mac=00:16:3e:00:00:01' ]",  # the list alone
    "'bridge=br0,mac=00:16:3e:00:00:01'",  # one quoted entry
    "bridge=br0, mac=00:16:3e:00:00:01",  # a bare entry, as the xl.cfg tab shows it
])  # fmt: skip
def test_pasted_pieces_of_a_config(text: str) -> None:
    assert looks_like_vifs(text)
    [nic] = read_vifs(text, "the pasted text")
    assert nic.fields == {"mac": "00:16:3e:00:00:01", "source": "br0"}


@pytest.mark.parametrize("text", ["/etc/xen/old.cfg", "~/guest.cfg", "config.sxp", "C:\\xen\\a.cfg"])
def test_paths_are_not_taken_for_pasted_vifs(text: str) -> None:
    assert not looks_like_vifs(text)


def test_a_value_with_blanks_around_it_is_stripped_with_a_note() -> None:
    [nic] = read_vifs("vif = [ 'bridge=xenbr0 ,mac=00:16:3e:00:00:01' ]", "x.cfg")
    assert nic.fields["source"] == "xenbr0"
    assert any("blanks around the value are dropped" in note for note in nic.notes)


@pytest.mark.parametrize(("text", "message", "line", "column"), [
    ("vif = [ 'bridge=br0',\n   bridge=br1 ]", "unexpected 'b'", 2, 4),
    ("vif = [ 'bridge=br0\n]", "unterminated string", 1, 20),
    ("name = 'x'\nvif = [ 'bridge=br0'", "no closing ]", 2, 21),  # at the end
    ("vif = [ ]", "the vif list is empty", None, None),
    ("[ 'bridge=br0', 42 ]", "unexpected '4'", 1, 17),
])  # fmt: skip
def test_an_unreadable_vif_list_is_a_located_error(text: str, message: str, line: int | None,
                                                   column: int | None) -> None:  # fmt: skip
    with pytest.raises(InputError) as caught:
        read_vifs(text, "x.cfg")
    assert message in caught.value.message
    assert (caught.value.line, caught.value.column) == (line, column)


def test_import_of_an_xm_config_into_a_domain(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    (tmp_path / "old.cfg").write_text(XM_CONFIG)
    (tmp_path / "guest.xml").write_text("<domain type='xen'>\n  <name>g</name>\n  <os>\n    <type>hvm</type>\n  </os>\n"
                                        "  <devices>\n  </devices>\n</domain>\n")  # fmt: skip
    assert main(["import", "old.cfg", "--into", "guest.xml"]) == 0
    domain = Domain.from_string((tmp_path / "guest.xml").read_text())
    assert [(n.libvirt_type, n.source) for n in domain.nics] == [("bridge", "xenbr0"), ("bridge", "xenbr1"),
                                                                 ("bridge", "ovsbr0")]  # fmt: skip
    assert "old.cfg: vif 3: backend=1 is not carried over" in capsys.readouterr().err


def test_vifconfs_own_xl_output_imports_back(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """From a review: the `<network:NAME>` stand-in for a network's bridge was read as an Open
    vSwitch trunk, and `render --target xl` output was "without a xend-sxpr section"."""
    guest = tmp_path / "g.xml"
    guest.write_text("<domain type='xen'><name>g</name><os><type>hvm</type></os><devices>"
                     "<interface type='network'><source network='default'/><mac address='00:16:3e:00:00:01'/>"
                     "</interface><interface type='bridge'><source bridge='br0'/><mac address='00:16:3e:00:00:02'/>"
                     "<model type='e1000'/></interface></devices></domain>")  # fmt: skip
    main(["render", str(guest), "--target", "xl"])
    rendered = capsys.readouterr().out
    for text in (rendered, next(line for line in rendered.splitlines() if line.startswith("vif = "))):
        network, bridge = read_vifs(text, "out")
        assert (network.kind, network.fields) == ("network", {"mac": "00:16:3e:00:00:01", "source": "default"})
        assert (bridge.kind, bridge.fields["source"], bridge.fields["model"]) == ("bridge", "br0", "e1000")


def test_what_xenparsevif_skips_is_said() -> None:
    [nic] = read_vifs("vif = [ 'bridge=br0,,accel, bridge=br1,mac=00:16:3e:00:00:01,' ]", "x.cfg")
    assert nic.fields["source"] == "br1"
    assert nic.notes == ["an empty item (two commas, or one at the end) is skipped", "'accel' has no value (no '='): "
                         "not carried over", "bridge is given twice: the last, 'br1', is used, as libvirt and xl "
                         "read it", "an empty item (two commas, or one at the end) is skipped"]  # fmt: skip


def test_of_several_vif_settings_the_last_is_imported_with_a_note() -> None:
    first, = read_vifs("vif = [ 'bridge=old' ]\n# changed later\nvif = [ 'bridge=new' ]\n", "x.cfg")
    assert first.fields["source"] == "new" and "2 `vif = [` settings: the last (line 3)" in first.notes[0]


def test_a_vlan_tag_libvirt_cannot_read_as_a_number_is_refused() -> None:
    with pytest.raises(InputError, match="which is not a number"):
        read_vifs("vif = [ 'bridge=br0.99999999999999999999' ]", "x.cfg")
