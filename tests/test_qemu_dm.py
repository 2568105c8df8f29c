"""qemu-dm network arguments: every shared vector, and the XML → sxpr (or xl) → argv chain."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from tests.support import need_command, vector_params
from vifconf.model import Domain
from vifconf.render import XEN_ERA_ALIASES, XEN_ERAS, RenderOptions, argv_layout, qemu_dm, renderer, xend_sxpr
from vifconf.render.qemu_dm import render_vifs
from vifconf.validate import check

XEND = [era for era in XEN_ERAS if era.startswith("xend-")]
XL = [era for era in XEN_ERAS if era.startswith("xl-")]


def guest(*interfaces: str, hvm: bool = True) -> Domain:
    os_part = "<type>hvm</type>" if hvm else "<type>linux</type><kernel>/k</kernel>"
    return Domain.from_string(
        f"<domain type='xen'><name>g</name><os>{os_part}</os><devices>{''.join(interfaces)}</devices></domain>"
    )


def nic(kind: str = "bridge", mac: str = "00:16:3e:00:00:01", extra: str = "") -> str:
    source = "<source bridge='xenbr0'/>" if kind == "bridge" else ""
    return f"<interface type='{kind}'>{source}<mac address='{mac}'/>{extra}</interface>"


NONE_NIC = "<interface type='none'><mac address='00:16:3e:5d:c7:9e'/></interface>"


def render(domain: Domain, **options: Any) -> Any:
    return qemu_dm.render(domain, RenderOptions(**options))


# -- the shared vectors ------------------------------------------------------------------------
@pytest.mark.parametrize("case", vector_params("qemu-dm"))
def test_vector(case: dict[str, Any]) -> None:
    args = render_vifs(case["vifs"], case["era"], case["domid"], case["host_os"])
    assert args.argv == case["expected_argv"]
    # every argv item belongs to exactly one vif, except a trailing "-net none"
    owned = sorted(i for items in args.vif_items for i in items)
    assert owned == list(range(len(owned)))
    assert args.argv[len(owned) :] in ([], ["-net", "none"])


def test_registered_as_the_qemu_dm_target() -> None:
    assert renderer("qemu-dm") is qemu_dm.render


# -- xend rules --------------------------------------------------------------------------------
def test_only_missing_or_ioemu_type_is_emulated_and_numbering_skips() -> None:
    vifs = [
        {"mac": "00:16:3e:00:00:01", "type": "netfront"},
        {"mac": "00:16:3e:00:00:02", "type": "none"},
        {"mac": "00:16:3e:00:00:03", "type": "IOEMU"},
        {"mac": "00:16:3e:00:00:04", "type": "ioemu", "model": "e1000"},
    ]
    args = render_vifs(vifs, "xend-3.3", 2, "linux")
    assert args.argv == [
        "-net", "nic,vlan=1,macaddr=00:16:3e:00:00:04,model=e1000",
        "-net", "tap,vlan=1,ifname=tap2.0,bridge=xenbr0",
    ]  # fmt: skip
    assert args.vif_items == [[], [], [], [0, 1, 2, 3]]


def test_mac_passed_exactly_as_configured_by_xend() -> None:
    args = render_vifs([{"mac": "00:16:3E:AA:bb:0c"}], "xend-3.3", 1, "linux")
    assert "macaddr=00:16:3E:AA:bb:0c" in args.argv[1]


@pytest.mark.parametrize(("vifname", "ifname"), [("web0", "tap-web0"), ("", "tap3.0")])
def test_xend_4_0_names_the_tap_after_vifname(vifname: str, ifname: str) -> None:
    args = render_vifs([{"mac": "00:16:3e:00:00:01", "vifname": vifname}], "xend-4.0", 3, "linux")
    assert args.argv[3] == f"tap,vlan=1,ifname={ifname},bridge=xenbr0"


@pytest.mark.parametrize(("host_os", "tail"), [("linux", ",script=no,downscript=no"), ("netbsd", "")])
def test_xend_4_2_script_items_on_linux_only(host_os: str, tail: str) -> None:
    args = render_vifs([{"mac": "00:16:3e:00:00:01"}], "xend-4.2", 6, host_os)
    assert args.argv[3] == f"tap,vlan=1,ifname=vif6.0-emu,bridge=xenbr0{tail}"


@pytest.mark.parametrize("era", XEND)
def test_zero_emulated_nics(era: str) -> None:
    args = render_vifs([{"mac": "00:16:3e:00:00:01", "type": "netfront"}], era, 1, "linux")
    assert args.argv == ([] if era == "xend-3.2" else ["-net", "none"])


@pytest.mark.parametrize("era", XEN_ERAS)
@pytest.mark.parametrize(("key", "field"), [("bridge", "source"), ("model", "model")])
def test_comma_in_a_value_is_an_error(era: str, key: str, field: str) -> None:
    args = render_vifs([{"mac": "00:16:3e:00:00:01", key: "a,b"}], era, 1, "linux", nic_numbers=[4])
    [problem] = [p for p in args.problems if p.code == "qemu-dm-comma"]
    assert (problem.severity, problem.nic, problem.field, problem.target) == ("error", 4, field, "qemu-dm")


def test_comma_in_vifname_matters_only_where_it_reaches_qemu_dm() -> None:
    vif = {"mac": "00:16:3e:00:00:01", "vifname": "a,b"}
    assert [p.code for p in render_vifs([vif], "xend-4.0", 1, "linux").problems] == ["qemu-dm-comma"]
    assert render_vifs([vif], "xend-3.3", 1, "linux").problems == []


def test_comma_in_a_skipped_vif_is_harmless() -> None:
    args = render_vifs([{"mac": "00:16:3e:00:00:01", "bridge": "a,b", "type": "netfront"}], "xend-3.3", 1, "linux")
    assert args.problems == []


# -- xl rules ----------------------------------------------------------------------------------
def test_xl_numbering_counts_every_vif_and_lowercases_the_mac() -> None:
    vifs = [{"mac": "00:16:3E:00:00:01", "type": "vif"}, {"mac": "00:16:3E:00:00:02"}]
    args = render_vifs(vifs, "xl-4.2-traditional", 3, "linux")
    assert args.argv == [
        "-net", "nic,vlan=1,macaddr=00:16:3e:00:00:02,model=rtl8139",
        "-net", "tap,vlan=1,ifname=vif3.1-emu,bridge=xenbr0,script=no,downscript=no",
    ]  # fmt: skip


@pytest.mark.parametrize("era", XL)
def test_xl_none_when_nothing_is_emulated(era: str) -> None:
    assert render_vifs([{"mac": "00:16:3e:00:00:01", "type": "vif"}], era, 1, "linux").argv == ["-net", "none"]
    assert render_vifs([], era, 1, "linux").argv == ["-net", "none"]


@pytest.mark.parametrize(("era", "emulated"), [("xl-4.2-upstream", False), ("xl-4.15-upstream", True)])
def test_xl_unknown_type(era: str, emulated: bool) -> None:
    args = render_vifs([{"mac": "00:16:3e:00:00:01", "type": "netfront"}], era, 1, "linux")
    assert (args.argv != ["-net", "none"]) is emulated
    assert ("qemu-dm-xl-unknown-type" in [p.code for p in args.problems]) is emulated


@pytest.mark.parametrize(
    ("host_os", "script"), [("linux", "no"), ("freebsd", "no"), ("netbsd", "/etc/xen/scripts/qemu-ifup")]
)
def test_xl_upstream_script(host_os: str, script: str) -> None:
    args = render_vifs([{"mac": "00:16:3e:00:00:01"}], "xl-4.15-upstream", 2, host_os)
    assert args.argv[3].endswith(f",script={script},downscript={script}")


# -- from a domain: XML → sxpr → argv ----------------------------------------------------------
def test_seed_type_none_under_xend_3_3_gives_net_none() -> None:
    rendering = render(guest(NONE_NIC), xen="xend-3.3")
    assert rendering.items == ["-net", "none"]
    assert rendering.text == "-net none"
    assert rendering.problems == []
    assert any("type none" in note for note in rendering.notes)
    assert rendering.nic_items == {1: []}


def test_seed_type_none_under_xend_3_2_is_empty_with_a_warning() -> None:
    rendering = render(guest(NONE_NIC), xen="xend-3.2")
    assert rendering.items == []
    assert rendering.text == ""
    [problem] = rendering.problems
    assert (problem.code, problem.severity) == ("qemu-dm-default-nic", "warning")
    assert "default NIC" in problem.message and "seed" in problem.message


@pytest.mark.parametrize("libvirt_era", ["0.5", "0.9.12", "1.3.1"])
@pytest.mark.parametrize("version", [2, 4])
def test_seed_type_none_hides_only_that_nic(libvirt_era: str, version: int) -> None:
    domain = guest(nic(), NONE_NIC, nic(mac="00:16:3e:00:00:03", extra="<model type='e1000'/>"))
    rendering = render(domain, xen="xend-3.3", domid=7, libvirt_era=libvirt_era, xend_config_version=version)
    assert rendering.items == [
        "-net", "nic,vlan=1,macaddr=00:16:3e:00:00:01,model=rtl8139",
        "-net", "tap,vlan=1,ifname=tap7.0,bridge=xenbr0",
        "-net", "nic,vlan=2,macaddr=00:16:3e:00:00:03,model=e1000",
        "-net", "tap,vlan=2,ifname=tap7.1,bridge=xenbr0",
    ]  # fmt: skip
    assert rendering.nic_items == {1: [0, 1, 2, 3], 2: [], 3: [4, 5, 6, 7]}
    assert rendering.text.splitlines()[0] == "-net nic,vlan=1,macaddr=00:16:3e:00:00:01,model=rtl8139"


def test_chain_reads_what_xend_sxpr_printed() -> None:
    domain = guest(nic(extra="<target dev='web0'/><model type='ne2k_pci'/>"))
    options = RenderOptions(xen="xend-4.1", domid=21, libvirt_era="0.8.6")
    assert xend_sxpr.vif_dicts(domain, options) == [
        {"mac": "00:16:3e:00:00:01", "bridge": "xenbr0", "script": "vif-bridge", "vifname": "web0",
         "model": "ne2k_pci", "type": "ioemu"}
    ]  # fmt: skip
    rendering = qemu_dm.render(domain, options)
    assert rendering.items[3] == "tap,vlan=1,ifname=tap-web0,bridge=xenbr0"
    assert rendering.rule.startswith("xend 4.0")


def test_netfront_model_in_old_libvirt_becomes_an_emulated_nic() -> None:
    domain = guest(nic(extra="<model type='netfront'/>"))
    old = render(domain, xen="xend-3.3", libvirt_era="0.5")
    assert "model=netfront" in old.items[1]
    assert [p.code for p in old.problems] == ["qemu-dm-netfront-model"]
    new = render(domain, xen="xend-3.3", libvirt_era="0.7.5")
    assert new.items == ["-net", "none"] and new.problems == []


@pytest.mark.parametrize("era", XEN_ERAS)
def test_type_none_model_never_reaches_the_device_model(era: str) -> None:
    """The seed's NIC with a model still gets no emulated card, so its model is nobody's problem."""
    domain = guest("<interface type='none'><mac address='00:16:3e:5d:c7:9e'/><model type='virtio'/></interface>")
    assert render(domain, xen=era).problems == ([] if era != "xend-3.2" else render(guest(NONE_NIC), xen=era).problems)
    assert "model-unknown-to-qemu-dm" not in {p.code for p in check(domain, RenderOptions(xen=era))}


@pytest.mark.parametrize(("era", "model", "hint"), [
    ("xend-3.3", "virtio", "models: rtl8139, e1000"),
    ("xend-4.2", "E1000", "case-sensitive here: use e1000"),
    ("xl-4.2-traditional", "virtio-net-pci", "models: rtl8139"),
    ("xl-4.2-upstream", "virtio", "use virtio-net-pci"),
    ("xl-4.15-upstream", "netfront2", "models: e1000"),
])  # fmt: skip
def test_a_model_the_device_model_lacks_is_an_error_on_its_element(era: str, model: str, hint: str) -> None:
    second = f"<interface type='bridge'>\n<source bridge='xenbr0'/>\n<model type='{model}'/>\n</interface>"
    domain = guest(nic(), second)
    [problem] = render(domain, xen=era).problems
    assert (problem.code, problem.severity, problem.nic) == ("model-unknown-to-qemu-dm", "error", 2)
    assert problem.field == "model"
    assert problem.line == 3 and f"{model!r}" in problem.message and hint in (problem.hint or "")
    assert [p.code for p in check(domain, RenderOptions(xen=era)) if p.field == "model"] == ["model-unknown-to-qemu-dm"]


@pytest.mark.parametrize(("era", "model"), [
    ("xend-3.3", "ne2k_isa"), ("xl-4.2-traditional", "i82559er"), ("xl-4.2-upstream", "virtio-net-pci"),
    ("xl-4.15-upstream", "e1000e"), ("xl-4.15-upstream", "E1000"),  # libvirt's xl converter writes e1000
])  # fmt: skip
def test_a_model_the_device_model_has_is_fine(era: str, model: str) -> None:
    domain = guest(nic(extra=f"<model type='{model}'/>"))
    assert render(domain, xen=era).problems == []


def test_a_pv_only_vif_is_not_asked_for_a_model() -> None:
    args = render_vifs([{"mac": "00:16:3e:00:00:01", "model": "bogus", "type": "netfront"}], "xend-3.3", 1, "linux")
    assert args.argv == ["-net", "none"] and args.problems == []
    emulated = render_vifs([{"mac": "00:16:3e:00:00:01", "model": "bogus"}], "xend-3.3", 1, "linux")
    assert [p.code for p in emulated.problems] == ["model-unknown-to-qemu-dm"]


def test_unsupported_nic_has_no_vif_and_a_note() -> None:
    domain = guest(nic(), nic("user", mac="00:16:3e:00:00:02"))
    rendering = render(domain, xen="xend-3.3")
    assert rendering.nic_items == {1: [0, 1, 2, 3], 2: []}
    assert any("NIC 2" in note and "user" in note for note in rendering.notes)


def test_comma_problem_points_at_the_nic() -> None:
    domain = guest(
        nic(), "<interface type='bridge'><source bridge='br,0'/><mac address='00:16:3e:00:00:02'/></interface>"
    )
    [problem] = render(domain, xen="xend-4.2").problems
    assert (problem.code, problem.nic, problem.field, problem.line) == ("qemu-dm-comma", 2, "source", 1)


@pytest.mark.parametrize("era", ["xend-3.3", "xl-4.15-upstream"])
def test_network_bridge_placeholder_is_noted(era: str) -> None:
    network = "<interface type='network'><source network='default'/><mac address='00:16:3e:00:00:01'/></interface>"
    rendering = render(guest(network), xen=era)
    assert "<network" in rendering.text
    assert any("placeholder" in note for note in rendering.notes)


@pytest.mark.parametrize("era", ["xend-3.3", "xend-4.0", "xl-4.2-traditional", "xl-4.15-upstream"])
def test_a_comma_in_a_network_name_is_not_a_comma_in_a_bridge(era: str) -> None:
    """libvirt allows a comma in a network's name; the bridge it looks up is another name, so
    the placeholder is shown whole and no comma problem is raised for it (xl's neither)."""
    network = "<interface type='network'><source network='lan,x'/><mac address='00:16:3e:00:00:01'/></interface>"
    domain = guest(network)
    rendering = render(domain, xen=era)
    assert rendering.problems == []
    assert any("lan,x>" in item for item in rendering.items)  # not cut at the comma (xl eras read the xl line)
    codes = {problem.code for problem in check(domain, RenderOptions(xen=era), schema=False, also=("xl",))}
    assert not codes & {"qemu-dm-comma", "xl-unsafe-value"}
    bridge = "<interface type='bridge'><source bridge='br,0'/><mac address='00:16:3e:00:00:02'/></interface>"
    found = {p.code for p in check(guest(bridge), RenderOptions(xen=era), schema=False, also=("xl",))}
    assert found & {"qemu-dm-comma", "xl-unsafe-value"}  # a real bridge still is (one of them: the same fault)


@pytest.mark.parametrize("era", ["xend-3.3", "xl-4.2-traditional", "xl-4.15-upstream"])
def test_a_real_bridge_named_like_the_placeholder_is_a_bridge(era: str) -> None:
    """The placeholder was told apart by its text (``<network…``): a bridge ``<network,x``
    (a name Linux allows) got no comma error, and xl eras showed it whole where xl cuts it."""
    bridge = "<interface type='bridge'><source bridge='&lt;network,x'/><mac address='00:16:3e:00:00:01'/></interface>"
    domain = guest(bridge)
    assert not any("placeholder" in note for note in render(domain, xen=era).notes)
    if era.startswith("xend-"):
        assert [p.code for p in render(domain, xen=era).problems] == ["qemu-dm-comma"]
    else:
        assert not any("<network,x" in item for item in render(domain, xen=era).items)  # xl reads "<network"


@pytest.mark.parametrize("devid", ["²", "١", "5x", "-1", ""])
def test_a_devid_xl_cannot_read_as_a_number_keeps_the_position(devid: str) -> None:
    """``str.isdigit`` took ``²`` (then ``int`` raised: a traceback from the CLI) and ``١`` (devid 1)."""
    args = render_vifs([{"mac": "00:16:3e:00:00:01", "devid": devid}], "xl-4.2-traditional", 3, "linux")
    assert "ifname=vif3.0-emu" in args.argv[3]
    assert "ifname=vif3.7-emu" in render_vifs([{"devid": "7"}], "xl-4.2-traditional", 3, "linux").argv[3]


@pytest.mark.parametrize("era", XEN_ERAS)
def test_pv_guest_gets_no_argv(era: str) -> None:
    rendering = render(guest(nic(), hvm=False), xen=era)
    assert rendering.items == [] and rendering.text == ""
    assert rendering.notes and "PV" in rendering.notes[0]
    assert rendering.kind == "argv"


@pytest.mark.parametrize("era", XEN_ERAS)
def test_no_interfaces(era: str) -> None:
    rendering = render(guest(), xen=era)
    assert rendering.items == ([] if era == "xend-3.2" else ["-net", "none"])


# -- from a domain: XML → xl line → argv -------------------------------------------------------
@pytest.mark.parametrize("era", XL)
def test_xl_chain_leaves_type_none_out(era: str) -> None:
    domain = guest(nic(), NONE_NIC, nic(mac="00:16:3e:00:00:03", extra="<model type='netfront'/>"))
    rendering = render(domain, xen=era, domid=8)
    assert rendering.items[0] == ("-net" if era == "xl-4.2-traditional" else "-device")
    assert len(rendering.items) == 4
    assert rendering.nic_items == {1: [0, 1, 2, 3], 2: [], 3: []}
    assert any("NIC 2" in note and "xl vif line" in note for note in rendering.notes)
    # qemu-dm.md: "the seed's type=none is therefore a trap under modern xl — vifconf should say so"
    assert any("NIC 2" in note and "from Xen 4.6 xl ignores the unknown type" in note for note in rendering.notes)
    assert rendering.problems == []


def test_xl_chain_only_type_none_gives_net_none() -> None:
    rendering = render(guest(NONE_NIC), xen="xl-4.15-upstream")
    assert rendering.items == ["-net", "none"]


@pytest.mark.parametrize("era", XEN_ERAS)
def test_xl_conf_default_bridge_is_for_vifs_without_one(era: str) -> None:
    """qemu-dm.md: xl.conf's defaultbridge= replaces xenbr0 for xl; xend's default is fixed."""
    ethernet = "<interface type='ethernet'><mac address='00:16:3e:00:00:02'/></interface>"
    rendering = render(guest(nic(), ethernet), xen=era, default_bridge="br-lan")
    bridges = [item for item in rendering.items if "bridge=" in item or "br=" in item]
    if era.startswith("xend-"):
        assert all("bridge=xenbr0" in item for item in bridges) and "defaultbridge" not in rendering.rule
    elif era == "xl-4.2-upstream":
        assert bridges == [] and "defaultbridge br-lan" in rendering.rule  # no bridge on the argv before 4.15
    else:
        assert ["xenbr0" in bridges[0], "br-lan" in bridges[1]] == [True, True]


@pytest.mark.parametrize("name", ["", "a,b", "br 0", "a/b", "x:1", "b" * 16, "ü" * 8, ".", ".."])  # ü×8: 16 bytes
def test_a_default_bridge_must_be_a_bridge_name(name: str) -> None:
    with pytest.raises(ValueError, match="default bridge"):
        RenderOptions(default_bridge=name)


def test_argv_text_quotes_for_the_shell() -> None:
    assert argv_layout(["-net", "tap,bridge=br 0", "-net", "none"]).text == "-net 'tap,bridge=br 0'\n-net none"


def test_xl_chain_reads_the_line_as_xl_does_a_comma_cuts_the_value() -> None:
    """xl_parse.c splits each vif entry on commas before reading ``key=value``: the bridge
    ``br,x`` reaches libxl as ``br`` (and ``x`` is an unrecognised item)."""
    domain = guest(nic(extra="<model type='e1000'/>").replace("xenbr0", "br,x"))
    rendering = render(domain, xen="xl-4.15-upstream", domid=4)
    assert rendering.items[-1] == "type=tap,id=net0,ifname=vif4.0-emu,br=br,script=no,downscript=no"
    assert [p.code for p in check(domain, RenderOptions(xen="xl-4.15-upstream"))] == ["xl-unsafe-value"]


@pytest.mark.parametrize(("alias", "era"), sorted(XEN_ERA_ALIASES.items()))
def test_era_aliases_work_on_a_vif_list_too(alias: str, era: str) -> None:
    vifs = [{"mac": "00:16:3e:00:00:01", "bridge": "xenbr1"}]
    assert render_vifs(vifs, alias, 3, "linux").argv == render_vifs(vifs, era, 3, "linux").argv


def _nine_vifs(count: int) -> list[dict[str, str]]:
    return [{"mac": f"00:16:3e:00:00:{n:02x}", "bridge": "xenbr0"} for n in range(count)]


@pytest.mark.parametrize("era", ["xend-3.2", "xend-3.3", "xend-4.0", "xend-4.2", "xl-4.2-traditional"])
def test_a_ninth_emulated_nic_is_an_error_where_it_is_a_net_nic(era: str) -> None:
    """From a UI audit: 64 emulated NICs rendered 64 `-net nic` pairs without a word."""
    assert not render_vifs(_nine_vifs(qemu_dm.MAX_NET_NICS), era, 1, "linux").problems
    [problem] = render_vifs(_nine_vifs(qemu_dm.MAX_NET_NICS + 1), era, 1, "linux", list(range(1, 10))).problems
    assert (problem.code, problem.severity, problem.nic) == ("qemu-dm-too-many-nics", "error", 9)
    # a PV-only vif takes no place in the table
    pv_only = [*_nine_vifs(qemu_dm.MAX_NET_NICS), {"type": "vif" if era.startswith("xl") else "netfront"}]
    assert not render_vifs(pv_only, era, 1, "linux").problems


@pytest.mark.parametrize("era", ["xl-4.2-upstream", "xl-4.15-upstream"])
def test_device_nics_of_upstream_qemu_take_no_table_place(era: str) -> None:
    assert not render_vifs(_nine_vifs(12), era, 1, "linux").problems


def test_qemu_really_stops_at_the_ninth_net_nic() -> None:
    """The table is QEMU's own (MAX_NICS): measured on the QEMU this machine runs."""
    qemu = need_command("qemu-system-x86_64")

    def start(count: int) -> str:
        nics = [arg for _ in range(count) for arg in ("-net", "nic,model=rtl8139")]
        done = subprocess.run([qemu, "-M", "pc", "-nodefaults", "-display", "none", "-S", *nics, "-qmp", "stdio"],
                              input='{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n', capture_output=True,
                              text=True, timeout=60)  # fmt: skip
        return done.stderr

    assert "too many NICs" not in start(qemu_dm.MAX_NET_NICS)
    assert "too many NICs" in start(qemu_dm.MAX_NET_NICS + 1)
