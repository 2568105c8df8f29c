"""Behaviour a second mutation sample (validate, cli, fileio, batch) found unpinned: each test
fails on a one-token change of the code it names (an operator, a constant, a dropped entry,
a swapped severity) that the rest of the suite did not notice.

Expected values come from libvirt 9.0's parser, Linux's IFNAMSIZ, or shared/spec/cli-json.md.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support import domain_text, need
from vifconf import schema
from vifconf.cli import lines_before_edit, main, parse_assignments
from vifconf.model import Domain
from vifconf.validate import check

MAC = "<mac address='52:54:00:00:00:01'/>"
BRIDGE = "    <interface type='bridge'><source bridge='br0'/>" + MAC + "{}</interface>"


def write(tmp_path: Path, text: str, name: str = "g.xml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def kvm(tmp_path: Path, *nics: str, name: str = "g.xml") -> Path:
    return write(tmp_path, domain_text(*nics), name)


def check_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict[str, Any]]]:
    code = main(["check", "--json", *argv])
    [document] = json.loads(capsys.readouterr().out)
    return code, document["problems"]


def found(problems: list[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
    return [(p["code"], p["severity"], p["field"]) for p in problems]


# -- validate: what libvirt 9.0's parser refuses ------------------------------------------------
@pytest.mark.parametrize(("nic", "expected"), [
    (BRIDGE.format("<driver iommu='maybe'/>"), [("driver-invalid", "error", "driver")]),
    (BRIDGE.format("<tune><sndbuf>abc</sndbuf></tune>"), [("sndbuf-invalid", "error", "tune")]),
    (BRIDGE.format("<rom enabled='no' bar='on'/>"), [("rom-invalid", "error", "rom")]),
    (BRIDGE.format("<acpi index='0'/>"), [("acpi-invalid", "error", "acpi")]),
    (BRIDGE.format("<model type='virtio'/><teaming type='persistent' persistent='ua-x'/>"),
     [("teaming-invalid", "error", "teaming")]),
    (f"<interface type='client'><source address='192.0.2.1' port='x'/>{MAC}</interface>",
     [("source-invalid", "error", "source")]),
    (BRIDGE.format("<link state='down'/>"), []),
])  # fmt: skip
def test_each_parser_refusal_is_its_own_error(capsys: pytest.CaptureFixture[str], tmp_path: Path, nic: str,
                                              expected: list[tuple[str, str, str | None]]) -> None:  # fmt: skip
    """A NIC libvirt 9.0's parser refuses gets that refusal's code on its field (not a bare schema error)."""
    code, problems = check_json(capsys, str(kvm(tmp_path, nic)))
    assert found(problems) == expected
    assert code == (1 if expected else 0)


@pytest.mark.parametrize(("nic", "expected"), [
    (BRIDGE.format("<target dev='abcdefghijklmno'/>"), []),                          # 15 bytes: the most Linux takes
    (BRIDGE.format("<target dev='abcdefghijklmnop'/>"), [("target-invalid", "error", "target")]),
    (BRIDGE.format("<target dev='..'/>"), [("target-invalid", "error", "target")]),
    (BRIDGE.format("<target dev='.'/>"), [("target-invalid", "error", "target")]),
    (f"<interface type='bridge'><source bridge='abcdefghijklmno'/>{MAC}</interface>", []),
    (f"<interface type='bridge'><source bridge='abcdefghijklmnop'/>{MAC}</interface>",
     [("source-invalid", "error", "source")]),
    (f"<interface type='bridge'><source bridge='br\u00fc\u00fc\u00fc\u00fc\u00fc\u00fc\u00fc'/>{MAC}</interface>",
     [("source-invalid", "error", "source")]),                                       # 9 characters, 16 bytes
    (f"<interface type='bridge'><source bridge='br 0'/>{MAC}</interface>", [("source-invalid", "error", "source")]),
    (f"<interface type='direct'><source dev='eth 0' mode='vepa'/>{MAC}</interface>",
     [("source-invalid", "error", "source")]),
])  # fmt: skip
def test_linux_device_names(capsys: pytest.CaptureFixture[str], tmp_path: Path, nic: str,
                            expected: list[tuple[str, str, str | None]]) -> None:  # fmt: skip
    """A host or target device name is at most 15 bytes (IFNAMSIZ - 1), has no space or '/', and is not . or .."""
    code, problems = check_json(capsys, str(kvm(tmp_path, nic)))
    assert found(problems) == expected
    assert code == (1 if expected else 0)


def test_an_isolated_port_off_a_host_bridge_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """<port isolated='yes'/> on a type direct NIC is libvirt's port-invalid refusal, an error on <port>."""
    nic = f"    <interface type='direct'><source dev='eth0' mode='vepa'/>{MAC}<port isolated='yes'/></interface>"
    code, problems = check_json(capsys, str(kvm(tmp_path, nic)))
    assert (code, found(problems)) == (1, [("port-invalid", "error", "port")])
    assert (problems[0]["nic"], problems[0]["line"]) == (1, 8)


@pytest.mark.parametrize("kind", ["hvf", "lxc", "kvm"])
def test_domain_types_libvirt_9_knows_are_no_problem(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                     kind: str) -> None:  # fmt: skip
    """<domain type='hvf'> and 'lxc' are libvirt 9.0 domain types: no domain-type-invalid."""
    path = write(tmp_path, domain_text(kind=kind))
    assert check_json(capsys, str(path)) == (0, [])


def test_an_unknown_domain_type_is_an_error_on_line_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """<domain type='bogus'> is domain-type-invalid, severity error, domain-level, on the <domain> line; exit 1."""
    path = write(tmp_path, domain_text(kind="bogus"))
    code, problems = check_json(capsys, str(path))
    assert code == 1
    first = problems[0]
    assert (first["code"], first["severity"], first["nic"], first["field"], first["line"]) == (
        "domain-type-invalid", "error", None, None, 1)


def test_two_fields_with_the_same_code_are_two_problems(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A target refusing two fields of one NIC with one code (xl-unsafe-value) reports both fields."""
    nic = "    <interface type='bridge'><source bridge='a,b'/><mac address='00:16:3e:00:00:01'/><script path='c,d'/>" \
          "</interface>"
    xen = domain_text(nic, kind="xen", machine="xenfv")
    code, problems = check_json(capsys, str(write(tmp_path, xen)), "--xen", "xl-4.2-upstream")
    assert code == 1
    assert found(problems) == [("xl-unsafe-value", "error", "source"), ("xl-unsafe-value", "error", "script")]


def test_distinct_domain_level_problems_are_all_reported(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A domain-level error (a bad PCI controller) does not hide a domain-level schema warning about something else."""
    text = domain_text(BRIDGE.format(""), "    <controller type='pci' index='1' model='pcie-to-pci-bridge'/>",
                       "    <frobnicate/>", machine="q35")
    code, problems = check_json(capsys, str(write(tmp_path, text)))
    assert (code, found(problems)) == (1, [("pci-controller-invalid", "error", None), ("schema", "warning", None)])


SOURCE_MISSING = ("source-missing", "error", "source")


@pytest.mark.parametrize(("nic", "expected"), [
    (f"<interface type='server'><source port='5558'/>{MAC}</interface>", []),  # a server listens on any address
    (f"<interface type='mcast'><source port='5558'/>{MAC}</interface>", [SOURCE_MISSING]),
    (f"<interface type='client'><source address='192.0.2.1'/>{MAC}</interface>",
     [SOURCE_MISSING, ("source-invalid", "error", "source")]),
    (f"<interface type='bridge'><source bridge=''/>{MAC}</interface>", [SOURCE_MISSING]),
    (f"<interface type='network'><source network=''/>{MAC}</interface>", [SOURCE_MISSING]),
    (BRIDGE.format("<link state=''/>"), [("link-invalid", "error", "link")]),
])  # fmt: skip
def test_sources_and_link_states_as_libvirt_reads_them(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                       nic: str, expected: list[tuple[str, str, str | None]]) -> None:
    """An empty source is a missing one, a socket needs a port (and an address unless it listens), link '' is bad."""
    code, problems = check_json(capsys, str(kvm(tmp_path, nic)))
    assert found(problems) == expected
    assert code == (1 if expected else 0)


def test_an_interface_without_a_type_is_a_warning(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """No type attribute: libvirt reads type user, so type-missing is a warning and check exits 0."""
    code, problems = check_json(capsys, str(kvm(tmp_path, f"<interface><source bridge='br0'/>{MAC}</interface>")))
    assert code == 0
    assert [p for p in found(problems) if p[0] != "schema"] == [("type-missing", "warning", "type")]


@pytest.mark.parametrize(("source", "extra", "expected"), [
    ("<source bridge='br0'/>", "", [("type-missing", "warning", "type", "set type='bridge'")]),
    ("<source network='default'/>", "", [("type-missing", "warning", "type", "set type='network'")]),
    ("<source dev='/dev/vhost-vdpa-0'/>", "", [("type-missing", "warning", "type", "set type='vdpa'")]),
    ("<source dev='eth0' mode='vepa'/>", "", [("type-missing", "warning", "type", "set type='direct'")]),
    ("<source bridge='br0'/>", "<frobnicate/>",
     [("type-missing", "warning", "type", "set type='bridge'"), ("schema", "warning", "frobnicate", None)]),
])  # fmt: skip
def test_a_missing_type_is_one_warning_naming_the_type_its_source_is_for(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, source: str, extra: str,
        expected: list[tuple[str, str, str, str | None]]) -> None:  # fmt: skip
    """One fault, one finding: the schema check reads the NIC with the type its source is for,
    so it adds only faults of its own (it said "rejects <interface type='(missing)'>" as well)."""
    need(schema.available(), "libvirt's RelaxNG schemas are not installed")
    code, problems = check_json(capsys, str(kvm(tmp_path, f"<interface>{source}{MAC}{extra}</interface>")))
    hints = [p["hint"] if p["code"] == "type-missing" else None for p in problems]
    assert [(*f, h) for f, h in zip(found(problems), hints, strict=True)] == expected
    assert code == 0


@pytest.mark.parametrize("model", ["e1000!", "virtio.net"])
def test_a_model_name_with_other_characters_is_an_error(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                        model: str) -> None:  # fmt: skip
    """A model name is letters, digits, '-' and '_' throughout (libvirt refuses the domain): model-invalid, error."""
    code, problems = check_json(capsys, str(kvm(tmp_path, BRIDGE.format(f"<model type='{model}'/>"))))
    assert (code, found(problems)) == (1, [("model-invalid", "error", "model")])


def test_a_pv_guests_model_is_information_only(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A Xen PV guest's <model type='e1000'/> is model-ignored-pv, severity info: check exits 0."""
    nic = ("    <interface type='bridge'><source bridge='xenbr0'/><mac address='00:16:3e:00:00:01'/>"
           "<model type='e1000'/></interface>")  # fmt: skip
    xen = domain_text(nic, kind="xen", machine="xenpv", os_type="linux")
    code, problems = check_json(capsys, str(write(tmp_path, xen)))
    assert (code, found(problems)) == (0, [("model-ignored-pv", "info", "model")])


def test_a_mac_in_other_letter_case_is_a_duplicate(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """52:54:00:AA:BB:CC and 52:54:00:aa:bb:cc are one address: mac-duplicate (error) on the second NIC, its line."""
    nics = [f"    <interface type='bridge'><source bridge='br0'/><mac address='52:54:00:{mac}'/></interface>"
            for mac in ("AA:BB:CC", "aa:bb:cc")]  # fmt: skip
    code, problems = check_json(capsys, str(kvm(tmp_path, *nics)))
    assert code == 1
    assert [(p["code"], p["severity"], p["nic"], p["field"], p["line"]) for p in problems] == [
        ("mac-duplicate", "error", 2, "mac", 9)]


PERSISTENT = (f"<interface type='bridge'>{MAC}<source bridge='br0'/><model type='virtio'/><teaming type='persistent'/>"
              "<alias name='ua-backup0'/></interface>")  # fmt: skip
TRANSIENT = (f"<interface type='hostdev' managed='yes'>{MAC}<source><address type='pci' domain='0' bus='3' slot='0' "
             "function='0'/></source><teaming type='transient' persistent='ua-backup0'/></interface>")  # fmt: skip


@pytest.mark.parametrize(("devices", "expected"), [
    (TRANSIENT + PERSISTENT, []),  # the transient member first: still a pair
    (PERSISTENT + f"<interface type='user'>{MAC}<teaming persistent='ua-backup0'/></interface>",
     [("mac-duplicate", "error", 2, "mac"), ("teaming-invalid", "error", 2, "teaming")]),  # no type: not a pair
])  # fmt: skip
def test_only_a_transient_member_shares_its_partners_mac(devices: str,
                                                         expected: list[tuple[str, str, int, str]]) -> None:
    """A failover pair shares one MAC in either document order; a teaming without type='transient' is no pair."""
    domain = Domain.from_string(f"<domain type='kvm'><name>t</name><os><type>hvm</type></os><devices>{devices}"
                                "</devices></domain>")
    assert [(p.code, p.severity, p.nic, p.field) for p in check(domain, schema=False)] == expected


# -- cli: the set parser, the line mapping, set and import ------------------------------------
@pytest.mark.parametrize(("items", "pairs"), [
    (["model= e1000 "], [("model", "e1000")]),             # an unquoted value is trimmed
    (["model=e1000, "], [("model", "e1000")]),             # a trailing comma and blank is no assignment
    (['source="a\\\\b"'], [("source", "a\\b")]),          # \\ in quotes is one backslash
    (['source="a\\"b"'], [("source", 'a"b')]),
])  # fmt: skip
def test_assignment_values(items: list[str], pairs: list[tuple[str, str]]) -> None:
    """KEY=VALUE parsing: unquoted values trimmed, a trailing comma ignored, backslash escapes inside quotes."""
    assert parse_assignments(items) == pairs


def test_lines_of_an_edit_map_back_to_the_file_on_disk() -> None:
    """Added lines map to where they were added; lines after the edit shift back; a lone CR ends a line."""
    grown = lines_before_edit(b"a\nb\nc\nd\n", b"a\nb\nX\nY\nc\nd\n", "utf-8")
    assert [grown(line) for line in range(1, 8)] == [1, 2, 3, 3, 3, 4, 5]
    shrunk = lines_before_edit(b"a\nb\nc\nd\ne\n", b"a\nX\ne\n", "utf-8")
    assert [shrunk(line) for line in (1, 2, 3, 4, None)] == [1, 2, 5, 6, None]
    mac_classic = lines_before_edit(b"a\rb\rc\r", b"a\rX\rY\rc\r", "utf-8")
    assert [mac_classic(line) for line in range(1, 6)] == [1, 2, 2, 3, 4]


def test_domid_0_is_a_domain_id(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """--domid takes any integer >= 0 (cli-json.md): 0 is accepted and names the tap tap0.N."""
    path = write(tmp_path, domain_text("    <interface type='bridge'><source bridge='xenbr0'/>"
                                       "<mac address='00:16:3e:00:00:01'/></interface>", kind="xen", machine="xenfv"))
    assert main(["render", "--json", "--target", "qemu-dm", "--domid", "0", str(path)]) == 0
    [document] = json.loads(capsys.readouterr().out)
    assert "tap,vlan=1,ifname=tap0.0,bridge=xenbr0" in document["targets"]["qemu-dm"]["argv"]


def test_xend_config_version_5_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """--xend-config-version takes 1-4 only: 5 is a one-line usage error, exit 2."""
    with pytest.raises(SystemExit) as exited:
        main(["render", str(kvm(tmp_path, BRIDGE.format(""))), "--xend-config-version", "5"])
    assert exited.value.code == 2 and capsys.readouterr().err.startswith("vifconf: ")


def test_check_fails_when_any_input_has_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """check exits 1 when an earlier input has error problems, whatever the later inputs have."""
    bad = kvm(tmp_path, BRIDGE.format("<model type='e1000!'/>"), name="a.xml")
    good = kvm(tmp_path, BRIDGE.replace("00:00:01", "00:00:02").format(""), name="b.xml")  # no MAC clash with a.xml
    assert main(["check", str(good)]) == 0
    assert main(["check", str(bad), str(good)]) == 1
    assert main(["check", "--json", str(bad), str(good)]) == 1



def test_a_new_nic_without_a_type_is_a_bridge(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """set --nic new without type= appends a type bridge interface."""
    path = kvm(tmp_path, BRIDGE.format(""))
    assert main(["set", str(path), "--nic", "new", "mac=52:54:00:00:00:09,source=br1"]) == 0
    capsys.readouterr()
    assert main(["render", "--json", "--target", "qemu", str(path)]) == 0
    [document] = json.loads(capsys.readouterr().out)
    assert document["nics"][1]["type"] == "bridge" and document["nics"][1]["source"] == "br1"


def test_mac_random_in_any_letter_case_generates_one(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """mac=random (any case, like RANDOM) generates a fresh unicast MAC with the domain's prefix."""
    path = kvm(tmp_path, BRIDGE.format(""))
    assert main(["set", str(path), "--nic", "1", "mac=random"]) == 0
    capsys.readouterr()
    assert main(["render", "--json", "--target", "qemu", str(path)]) == 0
    [document] = json.loads(capsys.readouterr().out)
    mac = document["nics"][0]["mac"]
    assert mac.startswith("52:54:00:") and mac != "52:54:00:00:00:01" and document["problems"] == []



def test_set_dry_run_json_on_stdin_is_allowed(capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """set - --dry-run --json: nothing is written to stdout but the JSON, so it is allowed (exit 0)."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(domain_text(BRIDGE.format("")).encode())))
    assert main(["set", "-", "--nic", "1", "model=e1000", "--dry-run", "--json"]) == 0
    [document] = json.loads(capsys.readouterr().out)
    assert document["file"] == "-" and document["nics"][0]["model"] == "e1000"


def test_set_output_to_another_file_makes_no_backup_of_it(tmp_path: Path) -> None:
    """set --output OTHER replaces OTHER without a .bak (only an in-place save keeps the original)."""
    path = kvm(tmp_path, BRIDGE.format(""))
    other = write(tmp_path, "old content\n", "other.xml")
    assert main(["set", str(path), "--nic", "1", "model=e1000", "--output", str(other)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.xml", "other.xml"]
    assert "<model type='e1000'/>" in other.read_text()


def test_set_json_after_a_forced_save_numbers_lines_of_the_saved_file(capsys: pytest.CaptureFixture[str],
                                                                       tmp_path: Path) -> None:  # fmt: skip
    """After an in-place save, a problem inside an added NIC carries its line in the file as saved."""
    path = kvm(tmp_path, BRIDGE.format(""))
    assert main(["set", str(path), "--nic", "new", "mac=52:54:00:00:00:09,source=br1,model=e1000!", "--force",
                 "--json"]) == 0  # fmt: skip
    [document] = json.loads(capsys.readouterr().out)
    [problem] = document["problems"]
    assert problem["code"] == "model-invalid"
    assert "<model type='e1000!'/>" in path.read_text().splitlines()[problem["line"] - 1]


def test_a_delete_character_in_a_file_name_is_escaped(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A DEL (0x7f) in a file name reaches stderr as \\x7f, on the error's one line."""
    path = write(tmp_path, "not xml", "a\x7fb.xml")
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "a\\x7fb.xml" in err and "\x7f" not in err and err.count("\n") == 1


def test_plain_render_shows_another_targets_refusals_as_notes(capsys: pytest.CaptureFixture[str],
                                                              tmp_path: Path) -> None:  # fmt: skip
    """render (human) of a KVM user NIC: the Xen targets' refusals are notes, not problems."""
    path = kvm(tmp_path, f"    <interface type='user'>{MAC}</interface>")
    assert main(["render", str(path)]) == 0
    out = capsys.readouterr().out
    assert "   note: NIC 1: error: libvirt's Xen driver does not support interfaces of type 'user'" in out
    assert "   note: NIC 1: error: Unsupported net type 'user'" in out
    assert "[xend-" not in out and "[xl-" not in out  # no problem line



# -- fileio: what is read, what is refused, what a save does --------------------------------
def _write_exactly(path: Path, size: int) -> None:
    """A valid domain padded with comment lines to exactly ``size`` bytes."""
    text = domain_text(BRIDGE.format("")).encode()
    line = b"<!--" + b"x" * 1019 + b"-->\n"
    count = (size - len(text)) // len(line)
    with path.open("wb") as handle:
        handle.write(text)
        for _ in range(count):
            handle.write(line)
        handle.write(b"\n" * (size - len(text) - count * len(line)))
    assert path.stat().st_size == size


@pytest.mark.parametrize("source", ["file", "stdin"])
def test_the_size_limit_is_64_mib_inclusive(tmp_path: Path, source: str) -> None:
    """An input of exactly MAX_INPUT_BYTES is read; one byte more is refused (exit 2), from a file or stdin."""
    from vifconf.model.source import MAX_INPUT_BYTES

    path = tmp_path / "big.xml"
    for size, expected in ((MAX_INPUT_BYTES, 0), (MAX_INPUT_BYTES + 1, 2)):
        _write_exactly(path, size)
        with path.open("rb") as stdin:  # in a child: 64 MiB parsed here would stay in this process's memory
            done = subprocess.run([sys.executable, "-m", "vifconf", "check", "-" if source == "stdin" else str(path)],
                                  stdin=stdin, capture_output=True, text=True, timeout=120)  # fmt: skip
        assert (done.returncode, "Traceback" in done.stderr) == (expected, False), (size, done.stderr)


@pytest.mark.parametrize(("name", "descriptor"), [
    ("/proc/thread-self/fd/0", 0), ("/proc/self/fd/4", 4), ("/dev/./stdin", 0), ("/dev/fd//3", 3),
    ("/dev/fd/../stdin", 0), ("/dev/stdin.xml", None),
])  # fmt: skip
def test_every_spelling_of_a_descriptor_is_one(name: str, descriptor: int | None) -> None:
    """Names that reach one of our descriptors (however spelled) are streams, never files a save may replace."""
    from vifconf.fileio import stream_alias

    assert stream_alias(name) == descriptor


def test_a_descriptor_open_read_write_is_readable(tmp_path: Path) -> None:
    """readable_stream: a descriptor open O_RDWR can be read; a write-only one cannot."""
    from vifconf.fileio import readable_stream

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    both = os.open(fifo, os.O_RDWR)
    writer = os.open(fifo, os.O_WRONLY)
    try:
        assert readable_stream(f"/dev/fd/{both}") is True
        assert readable_stream(f"/dev/fd/{writer}") is False
    finally:
        os.close(writer)
        os.close(both)


def test_a_backup_path_that_is_no_regular_file_refuses_the_save(tmp_path: Path) -> None:
    """A FIFO where FILE.bak would go: the save is refused (SaveError) and neither file is touched."""
    from vifconf.fileio import SaveError, save_atomic

    path = write(tmp_path, "old\n")
    os.mkfifo(str(path) + ".bak")
    with pytest.raises(SaveError, match="backup path"):
        save_atomic(str(path), b"new\n")
    assert path.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.xml", "g.xml.bak"]
    assert not Path(str(path) + ".bak").is_file()


def test_a_directory_input_is_its_dot_xml_files_only(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A DIR input reads its *.xml files: a name merely ending in "xml" is not one of them."""
    kvm(tmp_path, BRIDGE.format(""), name="a.xml")
    write(tmp_path, "not a domain", "notxml")
    assert main(["check", str(tmp_path)]) == 0
    assert capsys.readouterr().out == f"{tmp_path / 'a.xml'}: ok (1 NICs)\n"


def test_a_dangling_xml_link_in_a_directory_is_reported(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A DIR input's b.xml that links nowhere is an input that cannot be read (exit 2), not silently skipped."""
    kvm(tmp_path, BRIDGE.format(""), name="a.xml")
    (tmp_path / "b.xml").symlink_to(tmp_path / "gone")
    assert main(["check", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == f"{tmp_path / 'a.xml'}: ok (1 NICs)\n"
    assert captured.err == f"vifconf: {tmp_path / 'b.xml'}: no such file\n"


def test_an_empty_input_name_is_the_current_directory(capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """An empty INPUT (an unset $DIR) names the current directory, as Path('') does: its *.xml are read."""
    kvm(tmp_path, BRIDGE.format(""), name="a.xml")
    monkeypatch.chdir(tmp_path)
    assert main(["check", ""]) == 0
    assert capsys.readouterr().out == "a.xml: ok (1 NICs)\n"


def test_one_file_under_two_names_is_one_guest(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:  # fmt: skip
    """g.xml and its absolute path are one input: read once, so no MAC clash with itself."""
    path = kvm(tmp_path, BRIDGE.format(""))
    monkeypatch.chdir(tmp_path)
    assert main(["check", "g.xml", str(path)]) == 0
    assert capsys.readouterr().out == "g.xml: ok (1 NICs)\n"


def test_dash_is_stdin_even_beside_a_directory_called_dash(capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """INPUT - is stdin, also when the current directory holds a directory named -."""
    (tmp_path / "-").mkdir()
    kvm(tmp_path / "-", BRIDGE.format(""), name="x.xml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(domain_text(BRIDGE.format("")).encode())))
    assert main(["check", "-"]) == 0
    assert capsys.readouterr().out == "-: ok (1 NICs)\n"



# -- batch ------------------------------------------------------------------------------------
@pytest.mark.parametrize("enabled", [True, False])
def test_a_run_leaves_garbage_collection_as_it_found_it(tmp_path: Path, enabled: bool) -> None:
    """batch.run pauses the cycle collector only while it runs: on or off, it is as before afterwards."""
    import gc

    from vifconf import batch

    path = str(kvm(tmp_path, BRIDGE.format("")))
    was = gc.isenabled()
    if enabled:
        gc.enable()
    else:
        gc.disable()
    try:
        assert list(batch.run([path], lambda item: item.name, workers=1)) == [path]
        assert gc.isenabled() is enabled
    finally:
        if was:
            gc.enable()
        else:
            gc.disable()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_no_worker_is_forked_while_another_thread_runs(tmp_path: Path) -> None:
    """With a second thread alive (e.g. libvirt's event loop) batch.run forks no worker: all work is done here."""
    import threading

    from vifconf import batch

    names = [str(kvm(tmp_path, BRIDGE.format(""), name=f"g{i}.xml")) for i in range(4)]
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        pids = set(batch.run(names, lambda item: os.getpid(), workers=2))
    finally:
        stop.set()
        thread.join()
    assert pids == {os.getpid()}
