"""Behaviour a mutation sample found unpinned: each case fails on a one-token change of the
code it covers (an operator, a constant, a deleted problem) that no other test noticed.

Expected values come from the spec (`shared/spec/`), libvirt 9.0's parser, or cli-json.md.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from tests.support import domain_text
from vifconf.cli import main


def write(tmp_path: Path, text: str, name: str = "g.xml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def kvm(tmp_path: Path, *nics: str, kind: str = "kvm", machine: str = "pc") -> Path:
    return write(tmp_path, domain_text(*nics, kind=kind, machine=machine))


def xen(nic: str, os_type: str) -> str:
    return domain_text(nic, kind="xen", machine="xenfv", os_type=os_type, name="h")


def check_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict[str, Any]]]:
    code = main(["check", "--json", *argv])
    [document] = json.loads(capsys.readouterr().out)
    return code, document["problems"]


def codes(problems: list[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
    return [(p["code"], p["severity"], p["field"]) for p in problems if p["code"] != "schema"]


BRIDGE = "    <interface type='bridge'><source bridge='br0'/><mac address='52:54:00:00:00:01'/>{}</interface>"
MAC_ONLY = "<interface type='{}'><mac address='52:54:00:00:00:01'/></interface>"
NO_SOURCE = [("source-missing", "error", "source")]


# -- validation ------------------------------------------------------------------------------
def test_a_tcg_guest_is_a_domain_libvirt_takes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert check_json(capsys, str(kvm(tmp_path, BRIDGE.format("<model type='e1000'/>"), kind="qemu"))) == (0, [])


@pytest.mark.parametrize(("nic", "expected"), [
    (MAC_ONLY.format("bogus"), [("type-unknown", "error", "type")]),
    (BRIDGE.format("<link state='sideways'/>"), [("link-invalid", "error", "link")]),
    (BRIDGE.format("<link state='up'/>"), []),
    (MAC_ONLY.format("network"), NO_SOURCE),
    (MAC_ONLY.format("bridge"), NO_SOURCE),
    ("<interface type='client'><source port='5558'/><mac address='52:54:00:00:00:01'/></interface>", NO_SOURCE),
    (BRIDGE.format("<virtualport type='openvswitch'/><vlan><tag id='5000'/></vlan>"),
     [("vlan-invalid", "error", "vlan")]),
    (BRIDGE.format("<virtualport type='OpenVSwitch'/>"), [("virtualport-invalid", "error", "virtualport")]),
    (BRIDGE.format("<target dev='vnet7' managed='no'/>"), [("target-invalid", "error", "target")]),
    ("<interface type='bridge'><source bridge='br0'/></interface>", [("mac-missing", "info", "mac")]),
    (BRIDGE.format("<vlan><tag id='42'/></vlan>"), [("vlan-unsupported", "error", "vlan")]),
    (BRIDGE.format("<virtualport type='openvswitch'/><vlan><tag id='42'/></vlan>"), []),
    (BRIDGE.format("<coalesce><rx><frames max='7'/></rx></coalesce>"), []),
    (BRIDGE.format("<model type='i82557c'/>"), []),
])  # fmt: skip
def test_a_kvm_nic_checks_as_libvirt_9_would(capsys: pytest.CaptureFixture[str], tmp_path: Path, nic: str,
                                             expected: list[tuple[str, str, str | None]]) -> None:  # fmt: skip
    code, problems = check_json(capsys, str(kvm(tmp_path, nic)))
    assert codes(problems) == expected
    assert code == (1 if any(severity == "error" for _, severity, _ in expected) else 0)


def test_netfront_on_a_pv_xen_guest_is_no_problem(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    nic = ("    <interface type='bridge'><source bridge='xenbr0'/><mac address='00:16:3e:00:00:01'/>"
           "<model type='netfront'/></interface>")  # fmt: skip
    assert check_json(capsys, str(write(tmp_path, xen(nic, "linux")))) == (0, [])


def test_a_declared_bridge_with_nothing_to_plug_into_fails_check(capsys: pytest.CaptureFixture[str],
                                                                 tmp_path: Path) -> None:  # fmt: skip
    path = kvm(tmp_path, BRIDGE.format(""), "    <controller type='pci' index='1' model='pcie-to-pci-bridge'/>",
               machine="q35")  # fmt: skip
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert ": error: domain: the pcie-to-pci-bridge at index 1 " in out and "[pci-controller-invalid]" in out


# -- the set parser and the human output -------------------------------------------------------
def test_a_quoted_value_at_the_end_of_an_assignment(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = kvm(tmp_path, BRIDGE.format(""))
    assert main(["set", str(path), "--nic", "1", 'source="br,0"', "--dry-run", "--force"]) == 0
    assert "+    <interface type='bridge'><source bridge='br,0'/>" in capsys.readouterr().out


@pytest.mark.parametrize("assignment", ["bogus,model=rtl8139", "model=rtl8139,bogus"])
def test_junk_in_an_assignment_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path, assignment: str) -> None:
    path = kvm(tmp_path, BRIDGE.format(""))
    assert main(["set", str(path), "--nic", "1", assignment, "--dry-run"]) == 2
    assert capsys.readouterr().err == "vifconf: expected KEY=VALUE, got 'bogus'\n"


def test_the_plain_render_output(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    nic = ("    <interface type='bridge'><source bridge='xenbr0'/><mac address='00:16:3e:00:00:01'/>"
           "<model type='e1000'/></interface>")  # fmt: skip
    path = write(tmp_path, xen(nic, "hvm"))
    assert main(["render", "--target", "xl", str(path)]) == 0
    assert capsys.readouterr().out == (
        f"== {path}: h (xen, HVM, 1 NICs)\n"
        "-- xl  [xl.cfg (libvirt xen-xl), HVM]\n"
        'vif = [ "mac=00:16:3e:00:00:01,bridge=xenbr0,script=vif-bridge,model=e1000" ]\n'
    )


def test_set_json_after_an_in_place_save_numbers_lines_of_the_saved_file(capsys: pytest.CaptureFixture[str],
                                                                          tmp_path: Path) -> None:  # fmt: skip
    path = kvm(tmp_path, BRIDGE.format(""), "    <interface type='bridge'><source bridge='br0'/></interface>")
    assert main(["set", str(path), "--nic", "1", "model=virtio", "--json"]) == 0
    [document] = json.loads(capsys.readouterr().out)
    [missing] = [p for p in document["problems"] if p["code"] == "mac-missing"]
    saved = path.read_text().splitlines()
    assert "<interface type='bridge'><source bridge='br0'/></interface>" in saved[missing["line"] - 1]


def test_import_says_its_notes_on_stderr(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write(tmp_path, "(vif (mac 'zz:zz')(bridge 'xenbr0'))", "v.sxp")
    assert main(["import", str(path)]) == 0
    assert (f"{path}: vif 1: (mac 'zz:zz') is not a MAC address: libvirt refuses it (set mac=RANDOM for a "
            "fresh one)") in capsys.readouterr().err  # fmt: skip


# -- the Xen targets -------------------------------------------------------------------------
def render_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main(["render", "--json", *argv]) == 0
    [document] = json.loads(capsys.readouterr().out)
    return dict(document)


def test_era_0_6_sends_type_ioemu_up_to_xend_config_3(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    nic = "    <interface type='bridge'><source bridge='xenbr0'/><mac address='00:16:3e:00:00:01'/></interface>"
    path = str(write(tmp_path, xen(nic, "hvm")))
    document = render_json(capsys, path, "--target", "xend-sxpr", "--libvirt-era", "0.6", "--xend-config-version", "3")
    assert document["targets"]["xend-sxpr"]["vifs"] == [
        "(device (vif (mac '00:16:3e:00:00:01')(bridge 'xenbr0')(script 'vif-bridge')(type ioemu)))"
    ]


def test_a_script_on_a_network_nic_is_xends_refusal(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    nic = ("    <interface type='network'><source network='default'/><mac address='00:16:3e:00:00:01'/>"
           "<script path='my-script'/></interface>")  # fmt: skip
    document = render_json(capsys, str(write(tmp_path, xen(nic, "hvm"))), "--target", "xend-sxpr")
    [problem] = [p for p in document["problems"] if p["code"] == "xend-network-script"]
    assert "scripts are not supported on interfaces of type network" in problem["message"]


def test_pcnet_is_a_model_qemu_dm_has(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    nic = ("    <interface type='bridge'><source bridge='xenbr0'/><mac address='00:16:3e:00:00:01'/>"
           "<model type='pcnet'/></interface>")  # fmt: skip
    assert check_json(capsys, str(write(tmp_path, xen(nic, "hvm")))) == (0, [])


def test_the_freebsd_script_note_is_freebsds_only(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    nic = "    <interface type='bridge'><source bridge='xenbr0'/><mac address='00:16:3e:00:00:01'/></interface>"
    path = str(write(tmp_path, xen(nic, "hvm")))
    linux = render_json(capsys, path, "--target", "qemu-dm", "--xen", "xl-4.2-traditional")
    freebsd = render_json(capsys, path, "--target", "qemu-dm", "--xen", "xl-4.2-traditional", "--host-os", "freebsd")
    assert linux["targets"]["qemu-dm"]["notes"] == []
    assert "FreeBSD: script=no as from Xen 4.5 (FreeBSD dom0 support started there)" in freebsd["targets"]["qemu-dm"][
        "notes"]  # fmt: skip


@pytest.mark.parametrize(("source", "line"), [
    ("<source bridge='br&#10;0'/>", 'vif = [ """mac=00:16:3e:00:00:01,bridge=br\n0,script=vif-bridge""" ]'),
    ("", 'vif = [ "mac=00:16:3e:00:00:01,bridge=,script=vif-bridge" ]'),
])  # fmt: skip
def test_xl_quoting_and_an_empty_bridge(capsys: pytest.CaptureFixture[str], tmp_path: Path, source: str,
                                        line: str) -> None:  # fmt: skip
    nic = f"    <interface type='bridge'>{source}<mac address='00:16:3e:00:00:01'/></interface>"
    document = render_json(capsys, str(write(tmp_path, xen(nic, "linux"))), "--target", "xl")
    assert document["targets"]["xl"]["text"] == line


# -- files, signals, MACs --------------------------------------------------------------------
def test_a_symlinked_input_named_twice_is_one_guest(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    other = kvm(tmp_path, BRIDGE.format("<model type='e1000'/>"))
    fleet = tmp_path / "fleet"
    fleet.mkdir()
    (fleet / "link.xml").symlink_to(other)
    assert main(["check", str(fleet), str(other)]) == 0
    assert capsys.readouterr().out == f"{fleet / 'link.xml'}: ok (1 NICs)\n"


def test_an_empty_directory_says_so(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["check", "--json", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"vifconf: {tmp_path}: directory holds no *.xml files\n"
    assert json.loads(captured.out)[0]["error"] == f"{tmp_path}: directory holds no *.xml files"


def test_a_save_leaves_the_signal_state_as_it_found_it(tmp_path: Path) -> None:
    from vifconf.fileio import save_atomic

    path = write(tmp_path, "<domain/>\n")
    before = signal.getsignal(signal.SIGHUP)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # someone ignores hangups (nohup): left alone
    try:
        save_atomic(str(path), b"<domain type='kvm'/>\n")
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
        assert signal.SIGTERM not in signal.pthread_sigmask(signal.SIG_BLOCK, [])
    finally:
        signal.signal(signal.SIGHUP, before)
    assert os.path.exists(path)


def test_each_driver_gets_its_own_mac_prefix() -> None:
    from vifconf.model.mac import parse_mac, prefix_for

    assert prefix_for("parallels") == "42:1c:00" and prefix_for("vz") == "42:1c:00"
    # virMacAddrParse: a non-ASCII byte (a negative C char) ends the address like a space
    assert parse_mac("00:16:3e:00:00:01\x80") == (0, 0x16, 0x3E, 0, 0, 1)
    assert parse_mac("00:16:3e:00:00:01x") is None
