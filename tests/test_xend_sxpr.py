"""The xend S-expression renderer: every shared vector, plus the corners libvirt's suite skipped."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support import vector_params
from vifconf.model import Domain
from vifconf.render import LIBVIRT_ERAS, RenderOptions, renderer, sxpr, xend_sxpr

ESCAPING = sorted(sxpr.ESCAPING_ERAS)
RAW = [era for era in LIBVIRT_ERAS if era not in sxpr.ESCAPING_ERAS]


def domain_xml(*interfaces: str, hvm: bool = True) -> Domain:
    os_part = (
        "<type>hvm</type><loader>/usr/lib/xen/boot/hvmloader</loader>"
        if hvm
        else "<type>linux</type><kernel>/k</kernel>"
    )
    return Domain.from_string(
        f"<domain type='xen'><name>g</name><os>{os_part}</os><devices>{''.join(interfaces)}</devices></domain>"
    )


def render(domain: Domain, era: str = "0.5", version: int = 4) -> Any:
    return xend_sxpr.render(domain, RenderOptions(libvirt_era=era, xend_config_version=version))


def codes(rendering: Any) -> list[str]:
    return [p.code for p in rendering.problems]


BRIDGE = "<interface type='bridge'><source bridge='xenbr0'/><mac address='00:16:3e:00:00:01'/>{extra}</interface>"


def bridge(extra: str = "") -> str:
    return BRIDGE.format(extra=extra)


# -- the shared vectors ------------------------------------------------------------------------
@pytest.mark.parametrize("case", vector_params("xend-sxpr"))
def test_vector(case: dict[str, Any]) -> None:
    domain = Domain.from_string(case["xml"])
    assert domain.facts.hvm == case["hvm"], "the vector's hvm flag and the XML's <os><type> disagree"
    rendering = render(domain, case["era"], case["xend_config_version"])
    assert rendering.items == case["expected_vifs"]
    assert rendering.text == "\n".join(case["expected_vifs"])
    assert rendering.kind == "vifs"
    assert not [p for p in rendering.problems if p.severity == "error"]


@pytest.mark.parametrize("case", vector_params("xend-sxpr"))
def test_vector_reads_back(case: dict[str, Any]) -> None:
    """What we print parses back to the dicts qemu-dm chains from (no vector has a raw-unsafe value)."""
    domain = Domain.from_string(case["xml"])
    options = RenderOptions(libvirt_era=case["era"], xend_config_version=case["xend_config_version"])
    parsed = [sxpr.vif_fields(sxpr.parse_one(text)) for text in case["expected_vifs"]]
    assert xend_sxpr.vif_dicts(domain, options) == parsed


def test_registered_as_the_xend_target() -> None:
    assert renderer("xend-sxpr") is xend_sxpr.render


# -- shape, rule, mapping ----------------------------------------------------------------------
def test_rule_and_nic_items() -> None:
    domain = domain_xml(bridge(), "<interface type='user'><mac address='00:16:3e:00:00:02'/></interface>", bridge())
    rendering = render(domain, "0.9.12", 3)
    assert rendering.rule == "libvirt 0.9.12 · xend config 3 · HVM"
    assert rendering.nic_items == {1: [0], 2: [], 3: [1]}
    assert len(rendering.items) == 2


def test_mac_lowercased_and_padded() -> None:
    domain = domain_xml("<interface type='ethernet'><mac address='0:16:3E:A:b:C'/></interface>", hvm=False)
    assert render(domain).items == ["(device (vif (mac '00:16:3e:0a:0b:0c')))"]


def test_attach_form_drops_device() -> None:
    built = xend_sxpr.build_vifs(domain_xml(bridge(), hvm=False), RenderOptions())
    assert (
        built.vifs[0].text(False, attach=True)
        == "(vif (mac '00:16:3e:00:00:01')(bridge 'xenbr0')(script 'vif-bridge'))"
    )


# -- (type ioemu) / (type netfront) by era -----------------------------------------------------
IOEMU_TABLE = [
    # era, version, model, expected model part
    ("0.5", 3, None, "(type ioemu)"),
    ("0.5", 4, None, ""),
    ("0.5", 3, "netfront", "(model 'netfront')(type ioemu)"),
    ("0.5", 4, "netfront", "(model 'netfront')"),
    ("0.5", 4, "e1000", "(model 'e1000')"),
    ("0.6", 3, "e1000", "(model 'e1000')(type ioemu)"),
    ("0.7.5", 3, None, "(type ioemu)"),
    ("0.7.5", 4, None, ""),
    ("0.7.5", 4, "e1000", "(model 'e1000')(type ioemu)"),
    ("0.7.5", 2, "netfront", "(type netfront)"),
    ("0.8.6", 4, "e1000", "(model 'e1000')(type ioemu)"),
    ("0.9.12", 4, "e1000", "(model 'e1000')"),
    ("0.9.12", 3, "e1000", "(model 'e1000')(type ioemu)"),
    ("0.9.12", 4, "netfront", "(type netfront)"),
    ("1.3.1", 1, None, ""),
    ("1.3.1", 1, "e1000", "(model 'e1000')"),
    ("1.3.1", 1, "netfront", "(type netfront)"),
]


@pytest.mark.parametrize(("era", "version", "model", "tail"), IOEMU_TABLE)
def test_model_part_by_era(era: str, version: int, model: str | None, tail: str) -> None:
    extra = f"<model type='{model}'/>" if model else ""
    item = render(domain_xml(bridge(extra)), era, version).items[0]
    assert item == f"(device (vif (mac '00:16:3e:00:00:01')(bridge 'xenbr0')(script 'vif-bridge'){tail}))"


@pytest.mark.parametrize("era", LIBVIRT_ERAS)
def test_pv_model_is_verbatim(era: str) -> None:
    item = render(domain_xml(bridge("<model type='netfront'/>"), hvm=False), era, 1).items[0]
    assert item.endswith("(model 'netfront')))")


# -- type none (the seed) ----------------------------------------------------------------------
@pytest.mark.parametrize("era", LIBVIRT_ERAS)
@pytest.mark.parametrize("version", [1, 4])
def test_type_none_in_every_era(era: str, version: int) -> None:
    domain = domain_xml("<interface type='none'><mac address='00:16:3e:5d:c7:9e'/></interface>")
    rendering = render(domain, era, version)
    assert rendering.items == ["(device (vif (mac '00:16:3e:5d:c7:9e')(type none)))"]
    assert "type-none" not in codes(rendering)
    assert not rendering.problems
    assert any("seed" in note for note in rendering.notes)


def test_type_none_keeps_model_and_vifname_but_one_type() -> None:
    domain = domain_xml(
        "<interface type='none'><mac address='00:16:3e:5d:c7:9e'/><model type='e1000'/>"
        "<target dev='hidden0'/><source bridge='xenbr0'/><script path='x'/></interface>"
    )
    item = render(domain, "0.7.5", 3).items[0]
    assert item == "(device (vif (mac '00:16:3e:5d:c7:9e')(vifname 'hidden0')(model 'e1000')(type none)))"


# -- vifname -----------------------------------------------------------------------------------
# an empty dev= is a name too: libvirt kept "" (not NULL) and sent it
@pytest.mark.parametrize(("target", "shown"), [
    ("guest0", True), ("vif3.0", False), ("vifx", False), ("myvif", True), ("", True),
])  # fmt: skip
def test_vifname_prefix_rule(target: str, shown: bool) -> None:
    item = render(domain_xml(bridge(f"<target dev='{target}'/>"))).items[0]
    assert (f"(vifname '{target}')" in item) is shown


def test_no_mac_shows_the_one_libvirt_generates() -> None:
    """libvirt's parser generated a MAC before the driver formatted the vif: it always had one."""
    rendering = render(domain_xml("<interface type='bridge'><source bridge='xenbr0'/></interface>"))
    assert rendering.items == ["(device (vif (mac '00:16:3e:xx:xx:xx')(bridge 'xenbr0')(script 'vif-bridge')))"]
    assert "no MAC" in rendering.notes[0]


@pytest.mark.parametrize(("era", "shown"), [("0.9.12", "2001:DB8::0:1"), ("1.3.1", "2001:db8::1")])
def test_ip_as_written_until_libvirt_parsed_addresses(era: str, shown: str) -> None:
    """From 1.2.12 libvirt kept an address, not the text, and formatted it back canonically."""
    item = render(domain_xml(bridge("<ip address='2001:DB8::0:1'/>")), era=era).items[0]
    assert f"(ip '{shown}')" in item


# -- scripts and ips ---------------------------------------------------------------------------
def test_bridge_script_is_fixed_in_0_5() -> None:
    rendering = render(domain_xml(bridge("<script path='my-script'/>")), "0.5")
    assert "(script 'vif-bridge')" in rendering.items[0]
    assert codes(rendering) == ["xend-script-ignored"]


@pytest.mark.parametrize("era", LIBVIRT_ERAS[1:])
def test_bridge_custom_script_from_0_6(era: str) -> None:
    rendering = render(domain_xml(bridge("<script path='my-script'/>")), era)
    assert "(script 'my-script')" in rendering.items[0]
    assert not rendering.problems


def test_bridge_ip_ignored_in_0_5_sent_from_0_6() -> None:
    domain = domain_xml(bridge("<ip address='192.0.2.1'/>"))
    old = render(domain, "0.5")
    assert "(ip" not in old.items[0] and codes(old) == ["xend-ip-ignored"]
    assert render(domain, "0.6").items[0].endswith("(script 'vif-bridge')(ip '192.0.2.1')))")


def test_ethernet_has_no_default_script() -> None:
    domain = domain_xml("<interface type='ethernet'><mac address='00:16:3e:00:00:01'/></interface>", hvm=False)
    assert render(domain, "0.9.12").items == ["(device (vif (mac '00:16:3e:00:00:01')))"]


@pytest.mark.parametrize("era", LIBVIRT_ERAS)
@pytest.mark.parametrize("kind", ["bridge", "ethernet"])
def test_multiple_ips_are_an_error(era: str, kind: str) -> None:
    nic = (
        f"<interface type='{kind}'><source bridge='xenbr0'/><mac address='00:16:3e:00:00:01'/>"
        "<ip address='192.0.2.1'/><ip address='192.0.2.2'/></interface>"
    )
    rendering = render(domain_xml(nic), era)
    if kind == "bridge" and era == "0.5":
        assert codes(rendering) == ["xend-ip-ignored"]
        return
    problem = next(p for p in rendering.problems if p.code == "xend-multiple-ips")
    assert problem.severity == "error" and problem.nic == 1 and problem.field == "ip"
    assert "(ip" not in rendering.items[0]


def test_network_placeholder_and_problem() -> None:
    nic = "<interface type='network'><source network='default'/><mac address='00:16:3e:00:00:01'/></interface>"
    rendering = render(domain_xml(nic, hvm=False), "0.9.12")
    assert rendering.items == [
        "(device (vif (mac '00:16:3e:00:00:01')(bridge '<network default>')(script 'vif-bridge')))"
    ]
    assert codes(rendering) == ["xend-network-unresolved"]
    assert "live" in rendering.problems[0].message


@pytest.mark.parametrize("era", ["0.5", "0.6", "0.7.5"])
def test_a_quote_in_a_network_name_is_no_raw_value(era: str) -> None:
    """The network's name is never sent (its bridge is): the pre-0.8.6 raw-value check must not
    flag vifconf's own placeholder; the bridge the host reports would be checked."""
    nic = "<interface type='network'><source network=\"net'1\"/><mac address='00:16:3e:00:00:01'/></interface>"
    assert codes(render(domain_xml(nic), era)) == ["xend-network-unresolved"]
    domain = domain_xml(nic)
    domain.network_bridges = {"net'1": "br'x"}
    rendering = render(domain, era)
    assert [(p.code, p.field) for p in rendering.problems] == [("xend-unescaped-value", "source")]


def test_script_on_network_is_an_error() -> None:
    nic = (
        "<interface type='network'><source network='default'/><mac address='00:16:3e:00:00:01'/>"
        "<script path='vif-custom'/></interface>"
    )
    rendering = render(domain_xml(nic), "1.3.1")
    problem = next(p for p in rendering.problems if p.code == "xend-network-script")
    assert problem.severity == "error" and problem.field == "script"
    assert "(script 'vif-bridge')" in rendering.items[0]


# -- unsupported types -------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["user", "direct", "vhostuser", "mcast", "server", "client", "udp", "hostdev", "vdpa"])
def test_unsupported_type_names_the_type_and_emits_nothing(kind: str) -> None:
    nic = f"<interface type='{kind}'><mac address='00:16:3e:00:00:01'/></interface>"
    rendering = render(domain_xml(bridge(), nic), "0.9.12")
    assert len(rendering.items) == 1
    assert rendering.nic_items == {1: [0], 2: []}
    [problem] = rendering.problems
    assert (problem.code, problem.severity, problem.nic, problem.field) == ("xend-unsupported-type", "error", 2, "type")
    assert f"'{kind}'" in problem.message
    assert problem.target == "xend-sxpr"


# -- rate (1.3.1) ------------------------------------------------------------------------------
def test_rate_right_after_mac_in_1_3_1() -> None:
    domain = domain_xml(bridge("<bandwidth><outbound average='1000'/></bandwidth>"))
    assert render(domain, "1.3.1").items[0].startswith("(device (vif (mac '00:16:3e:00:00:01')(rate '1000KB/s')(bridge")
    older = render(domain, "0.9.12")
    assert "(rate" not in older.items[0] and codes(older) == ["xend-rate-ignored"]


def test_zero_rate_is_omitted() -> None:
    domain = domain_xml(bridge("<bandwidth><outbound average='0'/></bandwidth>"))
    assert "(rate" not in render(domain, "1.3.1").items[0]


# -- escaping by era ---------------------------------------------------------------------------
HOSTILE = "<interface type='bridge'><source bridge=\"br'x\\y\"/><mac address='00:16:3e:00:00:01'/></interface>"


@pytest.mark.parametrize("era", ESCAPING)
def test_escaping_eras_backslash_quote_and_backslash(era: str) -> None:
    rendering = render(domain_xml(HOSTILE, hvm=False), era)
    assert "(bridge 'br\\'x\\\\y')" in rendering.items[0]
    assert not rendering.problems


@pytest.mark.parametrize("era", RAW)
def test_raw_eras_paste_verbatim_and_flag_it(era: str) -> None:
    rendering = render(domain_xml(HOSTILE, hvm=False), era)
    assert "(bridge 'br'x\\y')" in rendering.items[0]
    [problem] = rendering.problems
    assert (problem.code, problem.severity, problem.field) == ("xend-unescaped-value", "error", "source")


@pytest.mark.parametrize("era", LIBVIRT_ERAS)
def test_parentheses_spaces_and_double_quotes_are_safe(era: str) -> None:
    nic = (
        "<interface type='ethernet'><mac address='00:16:3e:00:00:01'/>"
        "<script path='/etc/xen/my (odd) &quot;script&quot;'/><target dev='a b(c)'/></interface>"
    )
    rendering = render(domain_xml(nic), era)
    assert not rendering.problems
    assert [sxpr.vif_fields(sxpr.parse_one(text)) for text in rendering.items] == xend_sxpr.vif_dicts(
        domain_xml(nic), RenderOptions(libvirt_era=era)
    )


def test_mac_and_rate_are_never_escaped() -> None:
    assert sxpr.item("mac", "a'b") == "(mac 'a'b')"


# -- the S-expression module -------------------------------------------------------------------
def test_parse_nested_and_bare() -> None:
    assert sxpr.parse("(device (vif (mac 'x')(type ioemu)))") == [["device", ["vif", ["mac", "x"], ["type", "ioemu"]]]]
    assert sxpr.parse("(a 'b\\'c') (d)") == [["a", "b'c"], ["d"]]
    assert sxpr.parse("(a 'b\\\\')", backslash_escapes=False) == [["a", "b\\\\"]]


@pytest.mark.parametrize("text", ["(a", "a)", "(a 'b)", "(a 'b\\"])
def test_parse_rejects_broken_text(text: str) -> None:
    with pytest.raises(sxpr.SxprError):
        sxpr.parse(text)


def test_raw_quote_breaks_xends_reader() -> None:
    """Why the raw eras need the problem: xend reads a different vif (or nothing at all)."""
    printed = sxpr.item("bridge", "br'x", escaped=False)
    assert printed == "(bridge 'br'x')"
    with pytest.raises(sxpr.SxprError):
        sxpr.parse(printed)


def test_tree_view() -> None:
    node = sxpr.parse_one("(device (vif (mac '00:16:3e:00:00:01')(bridge 'br 0')(type ioemu)))")
    assert sxpr.tree(node) == ("(device\n  (vif\n    (mac 00:16:3e:00:00:01)\n    (bridge 'br 0')\n    (type ioemu)))")
    assert sxpr.parse_one(sxpr.tree(node)) == node


@settings(max_examples=300)
@given(st.sampled_from(ESCAPING), st.lists(st.text(), min_size=1, max_size=4))
def test_round_trip_hostile_values(era: str, values: list[str]) -> None:
    vif = xend_sxpr.Vif(1, [xend_sxpr.VifItem(f"k{i}", value) for i, value in enumerate(values)])
    text = vif.text(sxpr.escapes(era))
    assert sxpr.vif_fields(sxpr.parse_one(text)) == vif.fields()
    assert sxpr.parse_one(sxpr.tree(sxpr.parse_one(text))) == sxpr.parse_one(text)


XML_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(ESCAPING), XML_TEXT, XML_TEXT, XML_TEXT)
def test_round_trip_from_xml(era: str, bridge_name: str, script: str, model: str) -> None:
    from xml.sax.saxutils import quoteattr

    nic = (
        f"<interface type='bridge'><source bridge={quoteattr(bridge_name)}/><mac address='00:16:3e:00:00:01'/>"
        f"<script path={quoteattr(script)}/><model type={quoteattr(model)}/></interface>"
    )
    domain = domain_xml(nic)
    options = RenderOptions(libvirt_era=era, xend_config_version=3)
    rendering = xend_sxpr.render(domain, options)
    [fields] = xend_sxpr.vif_dicts(domain, options)
    assert sxpr.vif_fields(sxpr.parse_one(rendering.items[0])) == fields
    assert fields["bridge"] == domain.nics[0].source
    assert fields["script"] == domain.nics[0].script


def test_tree_view_of_a_domain() -> None:
    domain = domain_xml(bridge("<model type='e1000'/>"), HOSTILE)
    view = xend_sxpr.tree_view(domain, RenderOptions(libvirt_era="0.5", xend_config_version=3))
    assert view.splitlines()[:4] == ["(device", "  (vif", "    (mac 00:16:3e:00:00:01)", "    (bridge xenbr0)"]
    assert "(bridge 'br'x\\y')" in view  # raw era: shown as libvirt pasted it
    assert view.count("(device") == 2
