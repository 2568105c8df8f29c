"""The xl target: libvirt's xlconfigdata vectors, the rules of spec/xl.md, and the parser."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support import vector_params
from vifconf.model import Domain
from vifconf.render import RenderOptions, renderer
from vifconf.render.xl import format_entry, parse_vif_line, render, vif_entries
from vifconf.validate import check


@pytest.mark.parametrize("case", vector_params("xl"))
def test_vector(case: dict[str, Any]) -> None:
    domain = Domain.from_string(case["xml"])
    assert domain.facts.hvm == case["hvm"]
    rendering = render(domain, RenderOptions(xl_format=case["format"]))
    assert rendering.text == case["expected_vif_line"]
    assert [p for p in rendering.problems if p.severity == "error"] == []
    assert parse_vif_line(rendering.text) == parse_vif_line(case["expected_vif_line"])


# -- helpers ---------------------------------------------------------------------------------
def xen_domain(*interfaces: str, hvm: bool = True) -> Domain:
    os_type = "hvm" if hvm else "linux"
    devices = "\n".join(interfaces)
    return Domain.from_string(
        f"<domain type='xen'><name>g</name><os><type>{os_type}</type></os><devices>\n{devices}\n</devices></domain>"
    )


def line(domain: Domain, xl_format: str = "xl") -> str:
    return render(domain, RenderOptions(xl_format=xl_format)).text


BRIDGE = "<interface type='bridge'><mac address='00:16:3e:00:00:01'/><source bridge='xenbr0'/>{}</interface>"


# -- the rules ---------------------------------------------------------------------------------
def test_renderer_registry_finds_this_module() -> None:
    assert renderer("xl") is render


def test_empty_domain_has_no_vif_line() -> None:
    rendering = render(xen_domain(), RenderOptions())
    assert (rendering.text, rendering.items, rendering.problems, rendering.nic_items) == ("", [], [], {})
    assert rendering.as_json() == {"text": "", "entries": [], "notes": []}
    assert vif_entries(xen_domain(), RenderOptions()) == []


def test_no_devices_element_at_all() -> None:
    domain = Domain.from_string("<domain type='xen'><name>g</name></domain>")
    assert render(domain, RenderOptions()).text == ""


def test_bridge_defaults_script_and_lowercases_mac() -> None:
    domain = xen_domain("<interface type='bridge'><mac address='00:16:3E:A:b:C'/><source bridge='xenbr0'/></interface>")
    assert line(domain) == 'vif = [ "mac=00:16:3e:0a:0b:0c,bridge=xenbr0,script=vif-bridge" ]'


def test_type_none_is_left_out_with_a_note_not_a_problem() -> None:
    domain = xen_domain(
        BRIDGE.format(""),
        "<interface type='none'><mac address='00:16:3e:00:00:02'/></interface>",
    )
    rendering = render(domain, RenderOptions())
    assert rendering.text == 'vif = [ "mac=00:16:3e:00:00:01,bridge=xenbr0,script=vif-bridge" ]'
    assert rendering.nic_items == {1: [0], 2: []}
    assert rendering.problems == []
    (note,) = rendering.notes
    assert "NIC 2" in note and "4.6" in note and "netfront" in note
    assert [e.get("mac") for e in vif_entries(domain, RenderOptions())] == ["00:16:3e:00:00:01"]


def test_only_type_none_gives_no_line() -> None:
    rendering = render(xen_domain("<interface type='none'/>"), RenderOptions())
    assert rendering.text == "" and rendering.items == [] and len(rendering.notes) == 1


@pytest.mark.parametrize("kind", ["user", "direct", "vhostuser", "hostdev", "mcast"])
def test_unsupported_type_is_an_error_and_left_out(kind: str) -> None:
    domain = xen_domain(f"<interface type='{kind}'><mac address='00:16:3e:00:00:09'/></interface>", BRIDGE.format(""))
    rendering = render(domain, RenderOptions())
    assert rendering.items == ["mac=00:16:3e:00:00:01,bridge=xenbr0,script=vif-bridge"]
    assert rendering.nic_items == {1: [], 2: [0]}
    (problem,) = rendering.problems
    assert (problem.severity, problem.code, problem.nic, problem.field, problem.target) == (
        "error",
        "xl-unsupported-type",
        1,
        "type",
        "xl",
    )
    assert f"Unsupported net type '{kind}'" in problem.message
    assert problem.line is not None


def test_unsupported_type_without_mac_gives_only_the_problem() -> None:
    rendering = render(xen_domain("<interface type='user'/>"), RenderOptions())
    assert (rendering.text, rendering.notes, [p.code for p in rendering.problems]) == ("", [], ["xl-unsupported-type"])


def test_network_gets_a_placeholder_bridge_and_a_problem() -> None:
    domain = xen_domain(
        "<interface type='network'><mac address='00:16:3e:00:00:03'/><source network='default'/>"
        "<script path='my-script'/><model type='e1000'/></interface>"
    )
    rendering = render(domain, RenderOptions())
    assert rendering.items == ["mac=00:16:3e:00:00:03,bridge=<network:default>,script=vif-bridge,model=e1000"]
    (problem,) = rendering.problems
    assert problem.code == "xl-network-unresolved" and problem.severity == "warning"
    assert "default" in problem.message and problem.field == "source"


def test_multiple_ips_space_separated_without_prefix_and_canonical() -> None:
    domain = xen_domain(BRIDGE.format("<ip address='10.0.0.1' prefix='24'/><ip address='2000:0:0::1' family='ipv6'/>"))
    assert vif_entries(domain, RenderOptions())[0] == {
        "mac": "00:16:3e:00:00:01",
        "bridge": "xenbr0",
        "ip": "10.0.0.1 2000::1",
        "script": "vif-bridge",
    }


def test_ethernet_writes_script_before_ip_and_no_default_script() -> None:
    with_script = xen_domain(
        "<interface type='ethernet'><mac address='00:16:3e:00:00:04'/><ip address='192.168.1.5'/>"
        "<script path='vif-route'/></interface>"
    )
    assert render(with_script, RenderOptions()).items == ["mac=00:16:3e:00:00:04,script=vif-route,ip=192.168.1.5"]
    bare = xen_domain("<interface type='ethernet'><mac address='00:16:3e:00:00:04'/></interface>")
    assert render(bare, RenderOptions()).items == ["mac=00:16:3e:00:00:04"]


@pytest.mark.parametrize(
    ("extra", "bridge", "script"),
    [
        ("<virtualport type='openvswitch'/><vlan><tag id='42'/></vlan>", "ovsbr0.42", "vif-openvswitch"),
        ("<virtualport type='openvswitch'/><vlan trunk='yes'><tag id='42'/></vlan>", "ovsbr0:42", "vif-openvswitch"),
        (
            "<virtualport type='openvswitch'/><vlan><tag id='42'/><tag id='47'/></vlan>",
            "ovsbr0:42:47",
            "vif-openvswitch",
        ),
        ("<virtualport type='openvswitch'/>", "ovsbr0", "vif-openvswitch"),
        ("<virtualport type='openvswitch'/><vlan><tag id='7'/></vlan><script path='s'/>", "ovsbr0.7", "s"),
        # a vlan without Open vSwitch is not written (xenFormatNet only reads it for OVS)
        ("<vlan><tag id='42'/></vlan>", "ovsbr0", "vif-bridge"),
    ],
)
def test_openvswitch_vlan_and_trunk(extra: str, bridge: str, script: str) -> None:
    domain = xen_domain(
        f"<interface type='bridge'><mac address='00:16:3e:00:00:05'/><source bridge='ovsbr0'/>{extra}</interface>"
    )
    (entry,) = vif_entries(domain, RenderOptions())
    assert (entry["bridge"], entry["script"]) == (bridge, script)


@pytest.mark.parametrize(
    ("average", "rate"),
    [("10240", "10240KB/s"), ("0", None), ("007", "7KB/s")],
)
def test_rate_from_outbound_average(average: str, rate: str | None) -> None:
    domain = xen_domain(BRIDGE.format(f"<bandwidth><outbound average='{average}'/><inbound average='5'/></bandwidth>"))
    (entry,) = vif_entries(domain, RenderOptions())
    assert entry.get("rate") == rate
    assert list(entry)[-1] == ("rate" if rate else "script")


def test_rate_not_a_number_is_one_problem_for_the_domain() -> None:
    from vifconf.validate import check

    domain = xen_domain(BRIDGE.format("<bandwidth><outbound average='fast'/></bandwidth>"))
    rendering = render(domain, RenderOptions())
    assert "rate" not in rendering.items[0]
    assert rendering.problems == []  # libvirt's parser refuses it whatever the target: validation says so
    codes = [p.code for p in check(domain, RenderOptions(libvirt_era="1.3.1", xen="xl-4.15-upstream"))]
    assert codes.count("bandwidth-invalid") == 1


@pytest.mark.parametrize(
    ("hvm", "xl_format", "model", "item"),
    [
        (True, "xl", "netfront", "type=vif"),
        (True, "xm", "netfront", "type=netfront"),
        (True, "xl", "NetFront", "type=vif"),
        (True, "xl", "e1000", "model=e1000"),
        (True, "xl", "E1000", "model=e1000"),
        (True, "xl", "ne2k_pci", "model=ne2k_pci"),
        (False, "xl", "netfront", "model=netfront"),
        (False, "xm", "virtio", "model=virtio"),
    ],
)
def test_model_by_guest_kind_and_format(hvm: bool, xl_format: str, model: str, item: str) -> None:
    domain = xen_domain(BRIDGE.format(f"<model type='{model}'/>"), hvm=hvm)
    rendering = render(domain, RenderOptions(xl_format=xl_format))
    assert rendering.items == [f"mac=00:16:3e:00:00:01,bridge=xenbr0,script=vif-bridge,{item}"]
    assert "type=ioemu" not in rendering.text
    assert rendering.rule.endswith("HVM" if hvm else "PV") and rendering.rule.startswith(xl_format)


def test_full_key_order() -> None:
    domain = xen_domain(
        BRIDGE.format(
            "<bandwidth><outbound average='100'/></bandwidth><target dev='web0'/><model type='e1000'/>"
            "<ip address='10.0.0.9'/><script path='vif-custom'/>"
        )
    )
    assert line(domain) == (
        'vif = [ "mac=00:16:3e:00:00:01,bridge=xenbr0,ip=10.0.0.9,script=vif-custom,model=e1000,'
        'vifname=web0,rate=100KB/s" ]'
    )


def test_several_entries_and_nic_items() -> None:
    domain = xen_domain(
        BRIDGE.format(""),
        "<interface type='ethernet'><mac address='00:16:3e:00:00:02'/></interface>",
    )
    rendering = render(domain, RenderOptions())
    assert rendering.text == (
        'vif = [ "mac=00:16:3e:00:00:01,bridge=xenbr0,script=vif-bridge", "mac=00:16:3e:00:00:02" ]'
    )
    assert rendering.nic_items == {1: [0], 2: [1]}
    assert rendering.as_json()["entries"] == rendering.items


def test_a_missing_mac_is_the_one_libvirt_generates() -> None:
    """xl.md: "mac= — always": libvirt's parser generates one before xenFormatNet writes it
    (an ethernet NIC without a MAC came out as an empty entry)."""
    rendering = render(xen_domain("<interface type='bridge'><source bridge='xenbr0'/></interface>",
                                  "<interface type='ethernet'/>"), RenderOptions())
    assert rendering.items == ["mac=00:16:3e:xx:xx:xx,bridge=xenbr0,script=vif-bridge", "mac=00:16:3e:xx:xx:xx"]
    assert any("no MAC" in note and "00:16:3e:xx:xx:xx" in note for note in rendering.notes)


def test_bridge_without_source_is_an_error() -> None:
    rendering = render(
        xen_domain("<interface type='bridge'><mac address='00:16:3e:00:00:01'/></interface>"), RenderOptions()
    )
    assert [p.code for p in rendering.problems] == ["xl-bridge-missing"]


@pytest.mark.parametrize("bridge", ["br,0", "br\\0", "br\"0'"])
def test_unsafe_value_is_a_problem(bridge: str) -> None:
    domain = xen_domain(BRIDGE.replace("xenbr0", bridge.replace('"', "&quot;").replace("'", "&apos;")).format(""))
    rendering = render(domain, RenderOptions())
    (problem,) = rendering.problems
    assert (problem.code, problem.severity, problem.field, problem.nic) == ("xl-unsafe-value", "error", "source", 1)


def test_a_double_quote_is_written_in_single_quotes_which_xl_reads() -> None:
    """virConfWriteValue: a string with a double quote (and no single one) goes in single quotes."""
    domain = xen_domain(BRIDGE.replace("xenbr0", "br&quot;0").format(""))
    rendering = render(domain, RenderOptions())
    assert rendering.text == "vif = [ 'mac=00:16:3e:00:00:01,bridge=br\"0,script=vif-bridge' ]"
    assert rendering.problems == []
    assert parse_vif_line(rendering.text)[0]["bridge"] == 'br"0'


@pytest.mark.parametrize(("target", "vifname"), [
    ("<target dev='vif3.0'/>", None), ("<target dev='vnet0'/>", None), ("<target dev='macvtap1'/>", None),
    ("<target dev='vif3.0' managed='no'/>", "vif3.0"), ("<target dev='guest0'/>", "guest0"),
    ("<target dev=''/>", ""),
])  # fmt: skip
def test_names_libvirt_generated_are_dropped(target: str, vifname: str | None) -> None:
    """virDomainNetDefParseXML drops vnet*/macvtap*/macvlan* and the libxl driver's vif*."""
    (entry,) = vif_entries(xen_domain(BRIDGE.format(target)), RenderOptions())
    assert entry.get("vifname") == vifname


@pytest.mark.parametrize(("value", "xl_problem", "xm_problem"), [
    ("vif-bridge ", False, True),  # xl keeps a value's blanks (xl_parse.c), xm strips each item
    (" ab", False, True),
    ("a&#10;b", True, False),  # triple quotes: xl's lexer cannot read them, Python can
    ("a&quot;b&apos;c", True, False),  # both quotes: triple quotes again
    ("a&apos;b&quot;", True, True),  # …ending in a double quote: Python's string ends one early
    ("a&#13;b", True, True),  # a lone CR ends a quoted string in both
    ("a\\b", True, True),
])  # fmt: skip
def test_what_xl_and_xm_cannot_carry(value: str, xl_problem: bool, xm_problem: bool) -> None:
    """Whitespace was an error for xl ("xl trims it"), which it does not; triple quotes were
    one for xm, whose config is Python."""
    domain = xen_domain(BRIDGE.format(f"<script path='{value}'/>"))
    for xl_format, expected in (("xl", xl_problem), ("xm", xm_problem)):
        problems = render(domain, RenderOptions(xl_format=xl_format)).problems
        assert [(p.code, p.field) for p in problems] == ([("xl-unsafe-value", "script")] if expected else [])
        assert all(f"{xl_format} cannot carry it" in p.message for p in problems)


@pytest.mark.parametrize(("hvm", "xl_format", "instead"), [
    (True, "xl", "use model netfront (type=vif)"), (True, "xm", "use model netfront (type=netfront)"),
    (False, "xl", "a PV guest's NICs are netfront anyway"),
])  # fmt: skip
def test_the_type_none_note_names_what_this_guest_and_format_take(hvm: bool, xl_format: str, instead: str) -> None:
    domain = xen_domain("<interface type='none'><mac address='00:16:3e:00:00:02'/></interface>", hvm=hvm)
    (note,) = render(domain, RenderOptions(xl_format=xl_format)).notes
    assert instead in note


def test_newline_in_target_is_a_problem() -> None:
    domain = xen_domain(BRIDGE.format("<target dev='a&#10;b'/>"))
    (problem,) = render(domain, RenderOptions()).problems
    assert (problem.code, problem.field) == ("xl-unsafe-value", "target")


# -- the parser --------------------------------------------------------------------------------
def test_parse_whole_config_with_comments_single_quotes_and_trailing_comma() -> None:
    text = """name = "g"
# vif = [ "not=this" ]
vif = [ 'mac=00:16:3e:00:00:01,bridge=xenbr0',  # first
        "mac=00:16:3e:00:00:02, ip=1.2.3.4 5.6.7.8,rate=10MB/s,odd", ]
disk = [ "phy:/dev/x,xvda,w" ]
"""
    assert parse_vif_line(text) == [
        {"mac": "00:16:3e:00:00:01", "bridge": "xenbr0"},
        {"mac": "00:16:3e:00:00:02", "ip": "1.2.3.4 5.6.7.8", "rate": "10MB/s", "odd": ""},
    ]


def test_parse_empty_and_errors() -> None:
    assert parse_vif_line("") == []
    assert parse_vif_line("vif = [ ]") == []
    for bad in ['vif = [ "a=b"', "disk = [ ]", 'vif = [ "a=b ]', "vif = [ a=b ]"]:
        with pytest.raises(ValueError):
            parse_vif_line(bad)


# -- round trip --------------------------------------------------------------------------------
SAFE_TEXT = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_./", min_size=1, max_size=12)
MAC_BYTES = st.lists(st.integers(0, 255), min_size=6, max_size=6)
IPV4 = st.ip_addresses(v=4).map(str)


@settings(max_examples=150, deadline=None)
@given(
    mac=MAC_BYTES,
    bridge=SAFE_TEXT,
    script=st.none() | SAFE_TEXT,
    target=st.none() | SAFE_TEXT,
    model=st.none() | st.sampled_from(["e1000", "rtl8139", "netfront", "virtio", "fake-model"]),
    ips=st.lists(IPV4, max_size=3),
    average=st.none() | st.integers(0, 10**9),
    hvm=st.booleans(),
    xl_format=st.sampled_from(["xl", "xm"]),
)
def test_round_trip_safe_values(
    mac: list[int],
    bridge: str,
    script: str | None,
    target: str | None,
    model: str | None,
    ips: list[str],
    average: int | None,
    hvm: bool,
    xl_format: str,
) -> None:
    mac_text = ":".join(f"{b:02X}" for b in mac)
    parts = [f"<mac address='{mac_text}'/><source bridge='{bridge}'/>"]
    parts += [f"<ip address='{ip}'/>" for ip in ips]
    if script:
        parts.append(f"<script path='{script}'/>")
    if target:
        parts.append(f"<target dev='{target}'/>")
    if model:
        parts.append(f"<model type='{model}'/>")
    if average is not None:
        parts.append(f"<bandwidth><outbound average='{average}'/></bandwidth>")
    domain = xen_domain(f"<interface type='bridge'>{''.join(parts)}</interface>", hvm=hvm)
    options = RenderOptions(xl_format=xl_format)
    rendering = render(domain, options)
    assert rendering.problems == []
    (parsed,) = parse_vif_line(rendering.text)
    assert [parsed] == vif_entries(domain, options)
    assert format_entry(parsed) == rendering.items[0]
    expected = {"mac": mac_text.lower(), "bridge": bridge, "script": script or "vif-bridge"}
    if ips:
        expected["ip"] = " ".join(ips)
    if model:
        if hvm and model == "netfront":
            expected["type"] = "vif" if xl_format == "xl" else "netfront"
        else:
            expected["model"] = model
    if target:
        expected["vifname"] = target
    if average:
        expected["rate"] = f"{average}KB/s"
    assert parsed == expected
    assert list(parsed) == [
        k for k in ("mac", "bridge", "ip", "script", "model", "type", "vifname", "rate") if k in parsed
    ]


@settings(max_examples=100, deadline=None)
@given(
    prefix=SAFE_TEXT,
    bad=st.sampled_from([",", "\n", "\\", "\"'"]),
    suffix=SAFE_TEXT,
    where=st.sampled_from(["bridge", "script", "target"]),
)
def test_unsafe_values_always_give_a_problem(prefix: str, bad: str, suffix: str, where: str) -> None:
    value = prefix + bad + suffix
    escaped = value.replace("&", "&amp;").replace('"', "&quot;").replace("'", "&apos;").replace("\n", "&#10;")
    element = {"bridge": "source bridge", "script": "script path", "target": "target dev"}[where]
    tag, attribute = element.split()
    source = "" if where == "bridge" else "<source bridge='xenbr0'/>"
    mac = "<mac address='00:16:3e:00:00:01'/>"
    domain = xen_domain(f"<interface type='bridge'>{mac}{source}<{tag} {attribute}=\"{escaped}\"/></interface>")
    rendering = render(domain, RenderOptions())
    assert [p.code for p in rendering.problems] == ["xl-unsafe-value"]
    assert rendering.problems[0].severity == "error"
    assert rendering.problems[0].field == {"bridge": "source", "script": "script", "target": "target"}[where]


def test_ip_addresses_are_written_as_libvirt_prints_them() -> None:
    """getaddrinfo(AI_NUMERICHOST) in, getnameinfo(NI_NUMERICHOST) out, as virSocketAddr does."""
    ips = "<ip address='::ffff:1.2.3.4'/><ip address='10.1'/><ip address='010.0.0.1' prefix='24'/>"
    (entry,) = vif_entries(xen_domain(BRIDGE.format(ips)), RenderOptions())
    assert entry["ip"] == "::ffff:1.2.3.4 10.0.0.1 8.0.0.1"


@pytest.mark.parametrize("ip", [
    "<ip address='10.0.0.300'/>", "<ip address='10.0.0.3' prefix='33'/>", "<ip address='fd00::1' family='ipv4'/>",
    "<ip prefix='24'/>", "<ip address=''/>", "<ip address='10.0.0.1' peer='nope'/>",
])  # fmt: skip
def test_an_ip_libvirt_cannot_read_is_an_error(ip: str) -> None:
    """Validation's (every target goes through libvirt's parser); the xl line leaves it out."""
    domain = xen_domain(BRIDGE.format(ip))
    options = RenderOptions(xen="xl-4.15-upstream")
    found = [(p.code, p.severity, p.field) for p in check(domain, options, schema=False)]
    assert ("ip-invalid", "error", "ip") in found
    assert "ip=" not in render(domain, RenderOptions()).text


@pytest.mark.parametrize(("vlan", "bridge"), [
    ("<vlan><tag id='042'/></vlan>", "ovsbr0.42"), ("<vlan trunk='YES'><tag id='7'/></vlan>", "ovsbr0:7"),
    ("<vlan><tag id='1'/><tag id='2'/></vlan>", "ovsbr0:1:2"),
])  # fmt: skip
def test_openvswitch_vlan_as_libvirt_reads_it(vlan: str, bridge: str) -> None:
    ovs = "<virtualport type='openvswitch'/>" + vlan
    (entry,) = vif_entries(xen_domain(BRIDGE.replace("xenbr0", "ovsbr0").format(ovs)), RenderOptions())
    assert entry["bridge"] == bridge


@pytest.mark.parametrize(("bridges", "shown", "warned", "severity"), [
    (None, "<network:lan>", "only known to a live libvirt", "warning"),
    ({"lan": "virbr3"}, "virbr3", None, None),
    ({"other": "virbr0"}, "<network:lan>", "not defined on the domain's host", "error"),
    ({"lan": None}, "<network:lan>", "has no bridge", "error"),  # macvtap or hostdev forwarding
])
def test_a_network_bridge_is_the_hosts_when_known(bridges: dict[str, str | None] | None, shown: str,
                                                 warned: str | None, severity: str | None) -> None:
    """`live.load_domains` gives a domain its host's network bridges; a file has none. What the
    host is known to lack is an error (xend-sxpr.md: the network must exist and be active)."""
    domain = xen_domain("<interface type='network'><source network='lan'/><mac address='00:16:3e:00:00:01'/>"
                        "</interface>")
    domain.network_bridges = bridges
    for target in ("xl", "xend-sxpr"):
        rendering = renderer(target)(domain, RenderOptions())
        assert shown.replace("<network:", "<network " if target == "xend-sxpr" else "<network:") in rendering.text
        found = [(p.message, p.severity) for p in rendering.problems if p.code.endswith("network-unresolved")]
        assert (found == []) if warned is None else (warned in found[0][0] and found[0][1] == severity)


def test_an_invalid_mac_is_shown_as_written_as_in_the_other_targets() -> None:
    """From a UI audit: the seed's `00:16:3e:0G:a5:59` read `0g` here and `0G` in the sxpr pane."""
    d = Domain.from_string("<domain type='xen'><name>x</name><os><type>hvm</type></os><devices><interface "
                           "type='bridge'><source bridge='xenbr0'/><mac address='00:16:3E:0G:a5:59'/></interface>"
                           "</devices></domain>")  # fmt: skip
    assert "mac=00:16:3E:0G:a5:59," in line(d)
