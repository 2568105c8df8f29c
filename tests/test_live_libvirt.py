"""vifconf.live against real libvirt: ``test:///default`` and ``qemu:///embed?root=TMP``.

Locally a missing part (libvirt-python, QEMU, the libvirt-qemu user) skips; under CI=true it
fails, since .ci/run installs everything (scripts/prepare-live-libvirt sets up the rest).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import guest_xml, need, need_command
from vifconf import cli, live
from vifconf.fleet import Fleet
from vifconf.model.domain import Domain
from vifconf.model.source import InputError

pytestmark = pytest.mark.live


def _need_binding() -> None:
    need(live.available(), "libvirt-python is not installed (pip install '.[libvirt]')")


@pytest.fixture(scope="module")
def embed(embed_uri: str) -> Iterator[str]:
    """The run's embedded QEMU driver root (tests/conftest.py) with this module's guests."""
    uri = embed_uri
    conn = live.connect(uri)
    others = {dom.name() for dom in conn.listAllDomains(0)}  # other modules' guests: not ours to remove
    for name, mac in (("alpha", "52:54:00:00:0a:01"), ("beta", "52:54:00:00:0a:01"), ("gamma", "52:54:00:00:0a:03")):
        conn.defineXML(guest_xml(name, mac))
    yield uri
    for dom in conn.listAllDomains(0):
        if dom.name() in others:
            continue
        if dom.isActive():
            dom.destroy()
        dom.undefine()
    live.close_all()


# -- without libvirt or a host ----------------------------------------------------------------
def test_missing_binding_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> Any:
        raise ImportError("No module named 'libvirt'")

    monkeypatch.setattr(live, "_module", None)
    monkeypatch.setattr(live, "_import_libvirt", refuse)
    assert live.available() is False
    [error] = live.load_domains("qemu:///system", None)
    assert isinstance(error, InputError)
    assert str(error) == f"qemu:///system: {live.INSTALL_HINT}"
    assert "\n" not in str(error)


def test_an_unreachable_uri_is_one_json_object_per_named_domain(capsys: pytest.CaptureFixture[str]) -> None:
    """cli-json.md: one object per input domain, named URI#DOMAIN; it was one object for the URI."""
    _need_binding()
    bad = "qemu+tcp://127.0.0.1:1/system"
    assert cli.main(["render", "--json", "--connect", bad, "web", "db", "web"]) == 2
    out, err = capsys.readouterr()
    documents = json.loads(out)
    found = [(d["file"], d["domain"], d["error"].startswith(f"{bad}#{name}: cannot connect: "))
             for d, name in zip(documents, ["web", "db"], strict=True)]  # fmt: skip
    assert found == [(f"{bad}#web", None, True), (f"{bad}#db", None, True)]
    assert [line.split(": cannot connect:")[0] for line in err.splitlines()] == [
        f"vifconf: {bad}#web", f"vifconf: {bad}#db"]


def test_a_missing_test_driver_file_is_one_line_on_stderr(tmp_path: Path) -> None:
    """libxml2 inside libvirt printed "I/O warning : failed to load external entity" first;
    what else reaches stderr while a connection opens still does."""
    _need_binding()
    missing = tmp_path / "no-such.xml"
    noisy = ("import os, sys, libvirt\nfrom vifconf import cli\nreal = libvirt.open\n"
             "def loud(uri):\n    os.write(2, b'kept\\n'); return real(uri)\n"
             "libvirt.open = loud\nsys.exit(cli.main(sys.argv[1:]))\n")  # fmt: skip
    for argv in (["-m", "vifconf"], ["-c", noisy]):
        result = subprocess.run([sys.executable, *argv, "check", "--connect", f"test://{missing}", "guest"],
                                capture_output=True, text=True, check=False)  # fmt: skip
        lines = result.stderr.splitlines()
        assert result.returncode == 2 and result.stdout == ""
        assert lines[-1] == f"vifconf: test://{missing}#guest: cannot connect: XML error: failed to parse xml " \
            f"document '{missing}'"
        assert lines[:-1] == ([] if argv[0] == "-m" else ["kept"])
    closed = subprocess.run(["sh", "-c", '"$0" "$@" 2>&-', sys.executable, "-m", "vifconf", "check", "--connect",
                             f"test://{missing}", "guest"], stdout=subprocess.PIPE, text=True, check=False)  # fmt: skip
    assert (closed.returncode, closed.stdout) == (2, "")  # stderr closed: the error line went to stdout


@pytest.mark.parametrize("os_part", ["<type>HVM</type>", "<type> hvm </type>", "", "<type></type>", "<type>hvm</type>",
                                     "<type>xenpvh</type>", "<type>linux</type>"])
def test_os_types_libvirts_parser_refuses_are_errors(os_part: str, tmp_path: Path) -> None:
    """vifconf read ' hvm ' as hvm, 'HVM' as PV and no type as unknown, without a word."""
    from vifconf.validate import check

    need_command("virsh")
    xml = f"<domain type='qemu'><name>o</name><memory>65536</memory><os>{os_part}</os></domain>"
    path = tmp_path / "os.xml"
    path.write_text(xml)
    refused = subprocess.run(["virsh", "-q", "-c", "test:///default", "define", str(path)],
                             capture_output=True, text=True, check=False).returncode != 0  # fmt: skip
    codes = [p.code for p in check(Domain.from_string(xml), schema=False)]
    assert bool({"os-type-missing", "os-type-invalid"} & set(codes)) == refused, codes


def test_unreachable_uri_is_one_line_and_others_still_load() -> None:
    _need_binding()
    seen: list[str] = []
    bad = "qemu+tcp://127.0.0.1:1/system"
    results = live.load_many([bad, "test:///default"], None, on_done=lambda uri, _: seen.append(uri))
    assert sorted(seen) == sorted([bad, "test:///default"])
    [error] = results[0]
    assert isinstance(error, live.LiveError)
    assert str(error).startswith(f"{bad}: cannot connect: ") and "\n" not in str(error)
    [domain] = results[1]
    assert isinstance(domain, Domain) and domain.facts.name == "test"
    fleet = Fleet()
    for uri, result in zip([bad, "test:///default"], results, strict=True):
        for item in result:
            fleet.add(item, host=uri)
    fleet.analyse()
    assert fleet.multi_host and [r.host for r in fleet.rows] == [bad, "test:///default"]


# -- test:///default --------------------------------------------------------------------------
def test_test_driver_ships_a_domain() -> None:
    _need_binding()
    [domain] = live.load_domains("test:///default", None)
    assert isinstance(domain, Domain)
    assert domain.source == "test:///default#test"
    [nic] = domain.nics
    assert (nic.type, nic.source, nic.mac) == ("network", "default", "aa:bb:cc:dd:ee:ff")
    missing = live.load_domains("test:///default", ["test", "nope"])
    assert isinstance(missing[0], Domain)
    assert isinstance(missing[1], InputError)
    assert str(missing[1]) == "test:///default#nope: Domain not found"  # libvirt's words
    assert live.is_running("test:///default", "test") is True


def test_a_network_nic_gets_its_bridge_from_the_host(capsys: pytest.CaptureFixture[str]) -> None:
    """xl.md: bridge=<the network's bridge> "needs the live network; offline, vifconf says it
    cannot resolve it". With --connect the host says: the test driver's default is virbr0."""
    _need_binding()
    assert live.network_bridges("test:///default") == {"default": "virbr0"}
    assert cli.main(["render", "--json", "--connect", "test:///default", "test"]) == 0
    [document] = json.loads(capsys.readouterr().out)
    targets = document["targets"]
    assert targets["xl"]["entries"] == ["mac=aa:bb:cc:dd:ee:ff,bridge=virbr0,script=vif-bridge,vifname=testnet0"]
    assert "(bridge 'virbr0')" in targets["xend-sxpr"]["vifs"][0]
    assert "bridge=virbr0" in targets["qemu-dm"]["text"]
    assert not {p["code"] for p in document["problems"]} & {"xend-network-unresolved", "xl-network-unresolved"}


def test_a_domain_or_host_named_twice_is_loaded_once(capsys: pytest.CaptureFixture[str]) -> None:
    _need_binding()
    [[domain]] = live.load_many(["test:///default", "test:///default"], ["test", "test"])
    assert isinstance(domain, Domain)
    # not a duplicate MAC of itself: one guest, no problems, exit 0
    for args in (["test", "test"], ["--connect", "test:///default"]):
        assert cli.main(["check", "--json", "--connect", "test:///default", *args]) == 0
        [document] = json.loads(capsys.readouterr().out)
        assert document["file"] == "test:///default#test" and document["problems"] == []


def test_test_driver_refusal_is_verbatim() -> None:
    _need_binding()
    [domain] = live.load_domains("test:///default", ["test"])
    assert isinstance(domain, Domain)
    changes = [live.NicChange(1, "aa:bb:cc:dd:ee:ff", "network", ["link"])]
    domain.nic(1).set("link", "down")
    with pytest.raises(live.LiveError) as caught:
        live.apply_live("test:///default", domain, changes)
    assert "virDomainUpdateDeviceFlags" in str(caught.value)  # libvirt's own words


# -- qemu:///embed: define, edit, save, read back ----------------------------------------------
def test_embed_load_all_and_cross_guest(embed: str) -> None:
    results = live.load_domains(embed, None)
    assert [d.facts.name for d in results if isinstance(d, Domain)] == ["alpha", "beta", "gamma"]
    fleet = Fleet()
    for item in results:
        fleet.add(item)
    fleet.analyse()
    assert [p.code for p in fleet.rows[0].problems] == ["mac-duplicate-across-guests"]
    assert "'beta' (NIC 1)" in fleet.rows[0].problems[0].message
    assert fleet.rows[0].host == embed and not fleet.multi_host


def test_embed_edit_save_read_back(embed: str) -> None:
    [domain] = live.load_domains(embed, ["gamma"])
    assert isinstance(domain, Domain)
    expected = domain.raw
    domain.nic(1).set("source", "br1")
    domain.nic(1).set("model", "e1000")
    new = live.define(embed, domain, expected)
    [again] = live.load_domains(embed, ["gamma"])
    assert isinstance(again, Domain) and again.raw == new
    assert (again.nic(1).source, again.nic(1).model) == ("br1", "e1000")
    # the config moved on since `expected`: nothing is written
    domain.nic(1).set("model", "rtl8139")
    with pytest.raises(live.LiveError, match="changed on the host since it was loaded"):
        live.define(embed, domain, expected)
    assert live.current_xml(embed, "gamma") == new


def test_embed_libvirt_refusal_is_verbatim(embed: str) -> None:
    [domain] = live.load_domains(embed, ["alpha"])
    assert isinstance(domain, Domain)
    domain.nic(1).set("mac", "01:00:5e:00:00:01")
    with pytest.raises(live.LiveError) as caught:
        live.define(embed, domain, domain.raw)
    verbatim = "XML error: expected unicast mac address, found multicast '01:00:5e:00:00:01'"
    assert str(caught.value) == f"{embed}#alpha: {verbatim}"
    assert live.current_xml(embed, "alpha") == domain.raw


def test_nic_changes_and_liveness() -> None:
    before = Domain.from_string(guest_xml("x", "52:54:00:00:00:01"))
    after = Domain.from_string(guest_xml("x", "52:54:00:00:00:01"))
    assert live.nic_changes(before, after) == []
    after.nic(1).set("link", "down")
    after.nic(1).set("source", "br1")
    [change] = live.nic_changes(before, after)
    assert change.fields == ["source", "link"] and change.all_live
    after.nic(1).set("model", "e1000")
    after.nic(1).set("mac", "52:54:00:00:00:02")
    [change] = live.nic_changes(before, after)
    assert change.live == ["source", "link"] and change.power_off == ["model", "mac"] and not change.all_live
    assert live.liveness("target") == "power-off" and live.liveness("link") == "live"
    assert live.liveness("source", "direct") == "power-off"


def test_stored_differently_ignores_layout_and_names_what_libvirt_changed() -> None:
    sent = Domain.from_string(guest_xml("x", "52:54:00:00:00:0A"))
    same = Domain.from_string(guest_xml("x", "52:54:00:00:00:0A").replace("\n      ", " "))
    assert live.stored_differently(sent, same) == []  # only the layout differs
    stored = Domain.from_string(guest_xml("x", "52:54:00:00:00:0a").replace(
        "</interface>", "<address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x0'/></interface>"))
    assert live.stored_differently(sent, stored) == [
        "NIC 1 mac: 52:54:00:00:00:0A → 52:54:00:00:00:0a", "NIC 1: <address> added or changed"]
    empty = Domain.from_string(guest_xml("x", "52:54:00:00:00:0A").replace("'virtio'", "''"))
    assert live.stored_differently(empty, same) == ["NIC 1 model: '' → virtio"]  # not "(none) → (none)"


def test_embed_define_reports_what_the_qemu_driver_adds(embed: str) -> None:
    """The QEMU driver gives a NIC without a model its default model and a PCI slot on
    define; the editor then holds that version and says so (`live.stored_differently`)."""
    conn = live.connect(embed)
    conn.defineXML(guest_xml("adds", "52:54:00:00:0d:01"))
    try:
        [domain] = live.load_domains(embed, ["adds"])
        assert isinstance(domain, Domain)
        expected = domain.raw
        domain.nic(1).set("model", None)
        domain.nic(1).set("mac", "52:54:00:00:0D:02")
        for address in domain.nic(1).element.findall("address"):
            domain.remove_element(address)
        stored = Domain.from_bytes(live.define(embed, domain, expected), domain.source)
        said = live.stored_differently(domain, stored)
        assert said == [f"NIC 1 model: (none) → {stored.nic(1).model}",
                        "NIC 1 mac: 52:54:00:00:0D:02 → 52:54:00:00:0d:02", "NIC 1: <address> added or changed"]
        assert stored.nic(1).model  # the driver's default, written into the config
    finally:
        conn.lookupByName("adds").undefine()


def test_embed_apply_live_on_a_running_guest(embed: str) -> None:
    need(Path("/sys/class/net/br0").exists(), "no br0 bridge (run scripts/prepare-live-libvirt as root)")
    conn = live.connect(embed)
    conn.defineXML(guest_xml("runner", "52:54:00:00:0b:01"))
    dom = conn.lookupByName("runner")
    dom.createWithFlags(1)  # VIR_DOMAIN_START_PAUSED
    try:
        [domain] = live.load_domains(embed, ["runner"])
        assert isinstance(domain, Domain)
        expected = domain.raw
        before = Domain.from_bytes(expected)
        domain.nic(1).set("link", "down")
        changes = live.nic_changes(before, domain)
        assert [c.live for c in changes] == [["link"]]
        live.define(embed, domain, expected)
        assert live.apply_live(embed, domain, changes) == ["NIC 1: link applied to the running guest"]
        running = Domain.from_string(dom.XMLDesc(0))
        assert running.nic(1).link == "down"
        assert running.nic(1).target is not None  # the live device kept its tap
        [persistent] = live.load_domains(embed, ["runner"])
        assert isinstance(persistent, Domain) and persistent.nic(1).link == "down"
    finally:
        dom.destroy()
    assert live.apply_live(embed, domain, changes) == []  # not running: nothing to apply live


def test_a_source_change_with_a_type_change_needs_power_off() -> None:
    before = Domain.from_string(
        "<domain type='kvm'><devices><interface type='bridge'><mac address='52:54:00:00:00:01'/>"
        "<source bridge='br0'/></interface></devices></domain>"
    )
    after = Domain.from_bytes(before.to_bytes())
    after.nic(1).set("type", "network")
    after.nic(1).set("source", "default")
    (change,) = live.nic_changes(before, after)
    assert change.live == [] and set(change.power_off) == {"type", "source"}
