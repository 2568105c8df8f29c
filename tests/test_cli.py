"""The command line and its --json contract (shared/spec/cli-json.md), checked from outside."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support import REPO, vector_params
from vifconf.cli import UsageError, editor_path, main, parse_assignments
from vifconf.model import Domain
from vifconf.render import AS_XEN_NOTE

EXAMPLE = REPO / "vifconf" / "examples" / "xen-hvm-seed.xml"
DOMAIN_KEYS = {"file", "error", "domain", "hypervisor", "hvm", "nics", "targets", "problems"}
NIC_KEYS = {"index", "type", "source", "model", "mac", "target", "script", "link"}
PROBLEM_KEYS = {"code", "severity", "nic", "field", "message", "hint", "line"}

SEED_NONE = """<domain type='xen'>
  <name>seedguest</name>
  <os>
    <type>hvm</type>
    <loader>/usr/lib/xen/boot/hvmloader</loader>
  </os>
  <devices>
    <interface type='none'>
      <mac address='00:16:3e:5d:c7:9e'/>
    </interface>
  </devices>
</domain>
"""

KVM = """<domain type='kvm'>
  <name>kvm1</name>
  <memory unit='MiB'>128</memory>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
  </os>
  <devices>
    <interface type='bridge'>
      <mac address='52:54:00:12:34:56'/>
      <source bridge='br0'/>
      <model type='virtio'/>
    </interface>
  </devices>
</domain>
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict[str, Any]]]:
    code, out, _ = run(capsys, *argv, "--json")
    return code, json.loads(out)


@pytest.fixture
def seed_file(tmp_path: Path) -> Path:
    path = tmp_path / "seed.xml"
    path.write_text(SEED_NONE)
    return path


@pytest.mark.parametrize(("os_part", "hvm"), [("", None), ("<os><type>linux</type></os>", False),
                                              ("<os><type>hvm</type></os>", True),
                                              ("<bootloader>/usr/bin/pygrub</bootloader>", False),
                                              ("<bootloader/>", None)])  # empty: no bootloader to libvirt
def test_hvm_is_null_when_the_domain_says_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                  os_part: str, hvm: bool | None) -> None:
    """cli-json.md: "unknown values are null": without <os><type> nothing says HVM or PV,
    unless a bootloader does (libvirt then reads a Xen PV guest; vector xend-sxpr/*--curmem)."""
    path = tmp_path / "g.xml"
    path.write_text(f"<domain type='xen'><name>d</name>{os_part}<devices/></domain>")
    _, doc = run_json(capsys, "render", str(path))
    assert doc[0]["hvm"] is hvm


def test_render_target_t_reports_ts_own_refusal(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """xl.md: every other type is "Unsupported net type 'T'". A xend-era Xen guest's own
    refusal said the same fault first and the xl one was dropped, so `render --target xl`
    never showed it; the target asked for now speaks first."""
    path = tmp_path / "g.xml"
    path.write_text("<domain type='xen'><name>d</name><os><type>hvm</type></os><devices>"
                    "<interface type='user'><mac address='00:16:3e:00:00:01'/></interface></devices></domain>")
    _, [xl] = run_json(capsys, "render", "--target", "xl", str(path))
    assert [p["code"] for p in xl["problems"]] == ["xl-unsupported-type"]
    assert "Unsupported net type 'user'" in xl["problems"][0]["message"]
    _, [everything] = run_json(capsys, "render", str(path))
    assert [p["code"] for p in everything["problems"]] == ["xend-unsupported-type"]  # the native target's


def test_render_json_has_every_key_of_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = run_json(capsys, "render", str(EXAMPLE))
    assert code == 0
    assert isinstance(doc, list) and len(doc) == 1
    obj = doc[0]
    assert set(obj) >= DOMAIN_KEYS
    assert obj["file"] == str(EXAMPLE) and obj["error"] is None
    assert (obj["domain"], obj["hypervisor"], obj["hvm"]) == ("gihan-hvm", "xen", True)
    assert [set(n) >= NIC_KEYS for n in obj["nics"]] == [True, True, True]
    assert set(obj["targets"]) == {"xend-sxpr", "qemu-dm", "qemu", "xl"}
    assert {"vifs", "text", "notes"} <= set(obj["targets"]["xend-sxpr"])
    assert {"argv", "notes"} <= set(obj["targets"]["qemu-dm"]) and {"argv", "notes"} <= set(obj["targets"]["qemu"])
    assert {"text", "notes"} <= set(obj["targets"]["xl"])
    assert obj["targets"]["xend-sxpr"]["text"] == "\n".join(obj["targets"]["xend-sxpr"]["vifs"])
    for problem in obj["problems"]:
        assert set(problem) >= PROBLEM_KEYS
        assert problem["severity"] in ("error", "warning", "info")
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", problem["code"])
    bad_mac = [p for p in obj["problems"] if p["code"] == "mac-invalid"]
    assert bad_mac and bad_mac[0]["nic"] == 3 and bad_mac[0]["field"] == "mac" and bad_mac[0]["line"] == 39


def test_render_one_target_only(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = run_json(capsys, "render", str(EXAMPLE), "--target", "xl")
    assert code == 0 and set(doc[0]["targets"]) == {"xl"}


def test_the_seed_renders_type_none_and_checks_clean(capsys: pytest.CaptureFixture[str], seed_file: Path) -> None:
    code, doc = run_json(capsys, "render", str(seed_file), "--xend-config-version", "2")
    assert code == 0
    targets = doc[0]["targets"]
    assert targets["xend-sxpr"]["vifs"] == ["(device (vif (mac '00:16:3e:5d:c7:9e')(type none)))"]
    assert targets["qemu-dm"]["argv"] == ["-net", "none"]
    assert targets["qemu"]["argv"] == []
    assert targets["xl"]["text"] == ""
    assert [p["code"] for p in doc[0]["problems"]] == ["type-none"]
    code, doc = run_json(capsys, "check", str(seed_file))
    assert code == 0
    assert [(p["code"], p["severity"], p["nic"]) for p in doc[0]["problems"]] == [("type-none", "warning", 1)]


@pytest.mark.parametrize("era", ["xend-3.2", "xend-3.3", "xl-4.2-traditional", "xl-4.15-upstream"])
def test_the_seed_checks_clean_with_a_model_its_nic_never_shows(capsys: pytest.CaptureFixture[str],
                                                                 tmp_path: Path, era: str) -> None:  # fmt: skip
    """type none gives qemu-dm no NIC, so a model the device model lacks cannot stop the guest."""
    path = tmp_path / "seed-model.xml"
    path.write_text(SEED_NONE.replace("</interface>", "  <model type='virtio'/>\n    </interface>"))
    code, doc = run_json(capsys, "check", str(path), "--xen", era)
    assert code == 0
    codes = [p["code"] for p in doc[0]["problems"] if p["severity"] != "info"]
    assert codes in (["type-none"], ["qemu-dm-default-nic", "type-none"])


def test_check_exits_1_on_errors_and_reports_the_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", str(EXAMPLE))
    assert code == 1
    assert f"{EXAMPLE}:39: error: NIC 3 mac:" in out and "[mac-invalid]" in out


def test_unreadable_input_exit_2_others_still_rendered(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text("<domain>\n  <devices>\n</domain>\n")
    code, out, err = run(capsys, "render", str(broken), str(EXAMPLE), "--json")
    assert code == 2
    doc = json.loads(out)
    assert [d["file"] for d in doc] == [str(broken), str(EXAMPLE)]
    assert set(doc[0]) >= DOMAIN_KEYS and doc[0]["domain"] is None and doc[0]["targets"] is None
    assert doc[0]["error"].startswith(f"{broken}:3:")
    assert doc[1]["error"] is None and doc[1]["domain"] == "gihan-hvm"
    assert err.count("\n") == 1 and err.startswith(f"vifconf: {broken}:3:") and "Traceback" not in err


def test_directory_inputs_sorted_by_name(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for name in ("b.xml", "a.xml"):
        (tmp_path / name).write_text(KVM.replace("kvm1", name[0]))
    (tmp_path / "notes.txt").write_text("not xml")
    (tmp_path / ".#a.xml").symlink_to("root@host.1234:1700000000")  # an editor's lock file: dangling
    (tmp_path / ".b.xml").write_text(KVM.replace("kvm1", "hidden"))
    code, doc = run_json(capsys, "render", str(tmp_path), "--target", "qemu")
    assert code == 0  # hidden files are left out, as a shell's *.xml does
    assert [d["domain"] for d in doc] == ["a", "b"]


def test_duplicate_mac_across_guests_in_each_domain(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for name in ("a.xml", "b.xml"):
        (tmp_path / name).write_text(KVM.replace("kvm1", name[0]))
    code, doc = run_json(capsys, "check", str(tmp_path))
    assert code == 1
    for obj, other in zip(doc, ("b", "a"), strict=True):
        found = [p for p in obj["problems"] if p["code"] == "mac-duplicate-across-guests"]
        assert found and other in found[0]["message"] and "52:54:00:12:34:56" in found[0]["message"]


def test_stdin_is_named_dash(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(KVM.encode())))
    code, doc = run_json(capsys, "render", "-", "--target", "qemu")
    assert code == 0 and doc[0]["file"] == "-" and doc[0]["domain"] == "kvm1"
    assert doc[0]["targets"]["qemu"]["argv"][0] == "-netdev"


def test_empty_domain_renders_empty(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "empty.xml"
    path.write_text("<domain type='xen'><name>e</name><os><type>hvm</type></os></domain>")
    code, doc = run_json(capsys, "render", str(path))
    targets = doc[0]["targets"]
    assert code == 0 and doc[0]["nics"] == []
    assert targets["xend-sxpr"]["vifs"] == [] and targets["xl"]["text"] == "" and targets["qemu"]["argv"] == []


def test_set_type_none_writes_a_one_line_change(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "kvm.xml"
    path.write_text(KVM)
    code, _, err = run(capsys, "set", str(path), "--nic", "1", "model=e1000")
    assert code == 0, err
    assert path.read_text() == KVM.replace("<model type='virtio'/>", "<model type='e1000'/>")


def test_set_dry_run_shows_diff_and_writes_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "kvm.xml"
    path.write_text(KVM)
    code, out, _ = run(capsys, "set", str(path), "--nic", "1", "source=br1", "--dry-run")
    assert code == 0
    assert "-      <source bridge='br0'/>" in out and "+      <source bridge='br1'/>" in out
    assert path.read_text() == KVM


def test_a_dry_run_diff_of_a_file_without_a_final_newline_is_a_patch(capsys: pytest.CaptureFixture[str],
                                                                      tmp_path: Path) -> None:  # fmt: skip
    """From a contract audit: the removed and the added line ran together on one line."""
    one_line = " ".join(line.strip() for line in KVM.splitlines())
    path = tmp_path / "kvm.xml"
    path.write_text(one_line)
    code, out, _ = run(capsys, "set", str(path), "--nic", "1", "source=br1", "--dry-run")
    assert code == 0
    minus, marker, plus, marker_again = out.splitlines()[3:]
    assert minus == "-" + one_line and plus.startswith("+") and "<source bridge='br1'/>" in plus
    assert marker == marker_again == "\\ No newline at end of file"


@pytest.mark.parametrize("odd", ["\r", "\u2028", "\x85"])
def test_a_dry_run_diff_splits_lines_only_where_patch_does(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                           odd: str) -> None:  # fmt: skip
    """From a review: a lone CR, U+2028 or U+0085 (here in a comment) ended a line for
    the diff, which then marked every such "line" as having no newline: no patch applies it."""
    path = tmp_path / "kvm.xml"
    path.write_text(KVM.replace("<devices>", f"<!-- a{odd}b --><devices>"), newline="")
    code, out, _ = run(capsys, "set", str(path), "--nic", "1", "source=br1", "--dry-run")
    assert code == 0 and "No newline" not in out
    assert sum(line.startswith(("-", "+")) for line in out.split("\n")[2:]) == 2  # one line out, one in
    assert f" <!-- a{odd}b --><devices>\n" in out  # one context line, as patch reads the file


def test_set_refuses_error_problems_without_force(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "kvm.xml"
    path.write_text(KVM)
    code, _, err = run(capsys, "set", str(path), "--nic", "1", "mac=01:00:5e:00:00:01")
    assert code == 1 and "mac-multicast" in err and "--force" in err
    assert path.read_text() == KVM
    code, _, _ = run(capsys, "set", str(path), "--nic", "1", "mac=01:00:5e:00:00:01", "--force")
    assert code == 0 and "01:00:5e:00:00:01" in path.read_text()


def test_set_new_nic_random_mac_and_quoted_comma(capsys: pytest.CaptureFixture[str], seed_file: Path) -> None:
    out_path = seed_file.with_name("out.xml")
    code, _, err = run(capsys, "set", str(seed_file), "--nic", "new", 'type=bridge,source="br,0",mac=RANDOM',
                       "--output", str(out_path), "--force")
    assert code == 0, err
    assert seed_file.read_text() == SEED_NONE
    text = out_path.read_text()
    assert "<source bridge='br,0'/>" in text
    assert re.search(r"<mac address='00:16:3e:[0-7][0-9a-f]:[0-9a-f]{2}:[0-9a-f]{2}'/>", text)


def test_set_bad_usage_is_exit_2_one_line(capsys: pytest.CaptureFixture[str], seed_file: Path) -> None:
    for argv in (["--nic", "9", "model=e1000"], ["--nic", "1", "colour=red"],
                 ["--nic", "1", "model=e1000,model=rtl8139"], ["--nic", "1", "type=network,type=bridge"],
                 ["--nic", "1", ""], ["--nic", "1", ",,,"]):  # fmt: skip
        code, _, err = run(capsys, "set", str(seed_file), *argv)
        assert code == 2 and err.startswith("vifconf: ") and err.count("\n") == 1
    assert seed_file.read_text() == SEED_NONE
    assert run(capsys, "set", str(seed_file), "--nic", "9", "model=e1000")[2].startswith(f"vifconf: {seed_file}: NIC 9")


@pytest.mark.parametrize("argv", [
    ["render", "x.xml", "--target", "foo"], ["check", "x.xml", "--domid", "-1"], ["set", "x.xml", "model=e1000"],
    ["check", "x.xml", "--xen", "xend-9"], ["render", "--bogus"], ["--libvirt-era", "2.0"],
    ["render", "x.xml", "--domid", "\u0663"], ["render", "x.xml", "--domid", "1_0"],
    ["render", "x.xml", "--domid", " 7"], ["set", "x.xml", "--nic", "x", "model=e1000"],
    *(["set", "x.xml", "--nic", nic, "model=e1000"] for nic in (" 1", "+1", "\u0661", "1_0", "-1")),
    ["set", "x.xml", "--nic", "1", "model=e1000", "--output", ""], ["import", "x.sxp", "--into", ""],
])  # fmt: skip
def test_a_bad_argument_is_one_line_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    out, err = capsys.readouterr()
    assert exited.value.code == 2 and out == ""
    assert err.startswith("vifconf: ") and err.count("\n") == 1 and "--help" in err


def test_default_bridge_option(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "eth.xml"
    path.write_text(SEED_NONE.replace("type='none'", "type='ethernet'"))
    code, doc = run_json(capsys, "render", str(path), "--target", "qemu-dm", "--xen", "xl-4.2-traditional",
                         "--default-bridge", "br-lan")
    assert code == 0
    assert doc[0]["targets"]["qemu-dm"]["argv"][3].startswith("tap,vlan=0,ifname=vif1.0-emu,bridge=br-lan,")
    with pytest.raises(SystemExit):
        main(["render", str(path), "--default-bridge", "a,b"])
    assert "not a bridge name" in capsys.readouterr().err


def test_set_on_a_directory_says_so(capsys: pytest.CaptureFixture[str], seed_file: Path) -> None:
    code, _, err = run(capsys, "set", str(seed_file.parent), "--nic", "1", "model=e1000")
    assert code == 2 and err == f"vifconf: {seed_file.parent}: is a directory; set changes one domain XML file\n"


def test_parse_assignments_puts_type_first() -> None:
    assert parse_assignments(['source="a,b",type=network', "model=virtio"]) == [
        ("type", "network"), ("source", "a,b"), ("model", "virtio")]


@pytest.mark.parametrize("case", vector_params("xend-sxpr"))
def test_xend_sxpr_vectors_through_the_cli(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                           case: dict[str, Any]) -> None:
    path = tmp_path / "d.xml"
    path.write_text(case["xml"])
    code, doc = run_json(capsys, "render", str(path), "--target", "xend-sxpr", "--libvirt-era", case["era"],
                         "--xend-config-version", str(case["xend_config_version"]))
    assert code == 0
    assert doc[0]["hvm"] == case["hvm"]
    assert doc[0]["targets"]["xend-sxpr"]["vifs"] == case["expected_vifs"]


@pytest.mark.parametrize("case", vector_params("xl"))
def test_xl_vectors_through_the_cli(capsys: pytest.CaptureFixture[str], tmp_path: Path, case: dict[str, Any]) -> None:
    path = tmp_path / "d.xml"
    path.write_text(case["xml"])
    code, doc = run_json(capsys, "render", str(path), "--target", "xl", "--xl-format", case["format"])
    assert code == 0
    assert doc[0]["targets"]["xl"]["text"] == case["expected_vif_line"]


def _fd_placeholders(argv: list[str]) -> list[str]:
    return [re.sub(r'"(fds?)":"[^"]*"', lambda m: f'"{m.group(1)}":"#{m.group(0).count(":") - 1}"', a) for a in argv]


@pytest.mark.parametrize("case", vector_params("qemu"))
def test_qemu_vectors_through_the_cli(capsys: pytest.CaptureFixture[str], tmp_path: Path, case: dict[str, Any]) -> None:
    path = tmp_path / "d.xml"
    path.write_text(case["xml"])
    code, doc = run_json(capsys, "check" if "expected_error" in case else "render", str(path))
    if "expected_error" in case:
        assert code == 1
        assert any(p["severity"] == "error" for p in doc[0]["problems"])
    else:
        argv = doc[0]["targets"]["qemu"]["argv"]
        assert "<fd>" in "".join(argv) or '"fd' not in "".join(case["expected_argv"])
        assert _fd_placeholders(argv) == _fd_placeholders(case["expected_argv"])


def test_help_version_and_no_traceback_from_a_real_process(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "vifconf", "--version"], capture_output=True, text=True,
                            check=False, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("vifconf ")
    result = subprocess.run([sys.executable, "-m", "vifconf", "render", "--help"], capture_output=True, text=True,
                            check=False, timeout=60)
    assert result.returncode == 0 and "--libvirt-era" in result.stdout and "examples:" in result.stdout
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"\x00\x01binary")
    result = subprocess.run([sys.executable, "-m", "vifconf", "check", str(bad)], capture_output=True, text=True,
                            check=False, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(f"vifconf: {bad}") and result.stderr.count("\n") == 1


def test_the_help_the_terminal_ui_and_typos(tmp_path: Path) -> None:
    """From a documentation audit: `vifconf --help` hid the UI's usage and --output; set and
    import listed a --connect they refuse; `vifconf rendr x.xml` opened the fleet table on a
    file named rendr, and with stdout not a terminal the UI wrote escape codes until killed."""
    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "vifconf", *argv], capture_output=True, text=True,
                              check=False, timeout=60, cwd=tmp_path)  # fmt: skip

    top = run("--help")
    assert top.returncode == 0 and top.stdout.startswith("usage: vifconf [FILE|DIR|-]") and "--output" in top.stdout
    assert "render   print what each target sees" in top.stdout
    for command in ("set", "import"):
        assert "--connect" not in run(command, "--help").stdout
    assert "--connect" in run("render", "--help").stdout
    typo = run("rendr", str(EXAMPLE))
    assert (typo.returncode, typo.stdout) == (2, "")
    assert typo.stderr == "vifconf: rendr: no such file, and not a command (did you mean render?)\n"
    piped = run(str(EXAMPLE))  # stderr, where Textual draws, is a pipe here
    assert (piped.returncode, piped.stdout) == (2, "")
    assert piped.stderr.startswith("vifconf: the terminal UI needs a terminal on stderr")
    assert run("render.xml").stderr == "vifconf: the terminal UI needs a terminal on stderr, where it draws; " \
        "to print, use vifconf render or vifconf check\n"  # a file name is not taken for a typo'd command


def test_the_ui_asks_for_a_terminal_where_textual_draws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The check looked at stdout: `vifconf g.xml > out` was refused (Textual draws on stderr,
    and ran fine), `vifconf g.xml 2>log` wrote escape codes into the log, `>&-` crashed."""
    import pty

    from vifconf import cli
    from vifconf.tui.app import VifconfApp

    ran: list[object] = []
    monkeypatch.setattr(VifconfApp, "run", lambda self, *a, **k: ran.append(self))
    controller, terminal = pty.openpty()
    try:
        for stderr_is_a_terminal in (True, False):
            stream = os.fdopen(os.dup(terminal if stderr_is_a_terminal else 1), "w")
            monkeypatch.setattr(sys, "__stderr__", stream)
            monkeypatch.setattr(sys, "stdout", open(tmp_path / "out", "w"))  # noqa: SIM115 (closed below)
            code = cli.main([str(EXAMPLE)])
            sys.stdout.close()
            stream.close()
            assert (code, len(ran)) == ((0, 1) if stderr_is_a_terminal else (2, 1))
        monkeypatch.setattr(sys, "__stderr__", None)  # started with stderr closed
        assert cli.main([str(EXAMPLE)]) == 2 and len(ran) == 1
    finally:
        os.close(controller)
        os.close(terminal)


def test_a_command_after_global_options_is_still_a_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = run_json(capsys, "--domid", "3", "--xen", "xend-4.2", "render", str(EXAMPLE), "--target", "qemu-dm")
    assert code == 0 and "ifname=vif3.0-emu" in " ".join(doc[0]["targets"]["qemu-dm"]["argv"])


def test_the_same_file_twice_is_not_a_clone_of_itself(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "a.xml"
    path.write_text(KVM)
    code, doc = run_json(capsys, "check", str(path), str(tmp_path), str(tmp_path / "." / "a.xml"))
    assert code == 0 and len(doc) == 1


def test_set_that_changes_nothing_writes_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "kvm.xml"
    path.write_text(KVM)
    before = path.stat().st_mtime_ns
    code, _, _ = run(capsys, "set", str(path), "--nic", "1", "model=virtio")
    assert code == 0 and path.stat().st_mtime_ns == before and not path.with_name("kvm.xml.bak").exists()


def test_set_type_change_drops_the_source_the_new_type_cannot_use(capsys: pytest.CaptureFixture[str],
                                                                   tmp_path: Path) -> None:
    path = tmp_path / "kvm.xml"
    path.write_text(KVM)
    code, _, err = run(capsys, "set", str(path), "--nic", "1", "type=user")
    assert code == 0, err
    assert "<source" not in path.read_text() and "<interface type='user'>" in path.read_text()


def test_set_quoting_rules() -> None:
    assert parse_assignments(['source="a\\"b",model= e1000 ']) == [("source", 'a"b'), ("model", "e1000")]
    for bad in ['a"b', 'source="x', 'source="a"b']:
        with pytest.raises(UsageError, match=r"quote|KEY=VALUE|comma"):
            parse_assignments([bad])


def test_set_refuses_connect(capsys: pytest.CaptureFixture[str], seed_file: Path) -> None:
    code, _, err = run(capsys, "set", str(seed_file), "--nic", "1", "model=e1000", "--connect", "test:///default")
    assert code == 2 and "--connect URI DOMAIN" in err


def test_broken_pipe_never_reports_success(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text(KVM.replace("52:54:00:12:34:56", "01:00:5e:00:00:01") * 1)
    script = (f"{sys.executable} -m vifconf check {bad} {EXAMPLE} | head -c 1 >/dev/null; "
              "echo ${PIPESTATUS[0]}")
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=False, timeout=60)
    assert result.stdout.strip() in ("1", "141") and "Traceback" not in result.stderr


def test_an_error_stays_one_line_whatever_the_file_is_called(capsys: pytest.CaptureFixture[str],
                                                             tmp_path: Path) -> None:  # fmt: skip
    for name, shown in (("nope\nx.xml", "nope\\nx.xml"), ("a\x1b[31mred.xml", "a\\x1b[31mred.xml")):
        code, _, err = run(capsys, "check", str(tmp_path / name))
        assert code == 2
        assert err == f"vifconf: {tmp_path / shown}: no such file\n"
    with pytest.raises(SystemExit) as exited:
        main(["render", "--xen", "bad\nera", str(tmp_path)])
    err = capsys.readouterr().err
    assert exited.value.code == 2 and err.count("\n") == 1 and "'bad\\nera'" in err


def test_json_is_utf8_when_a_file_name_is_not(tmp_path: Path) -> None:
    name = os.fsdecode(b"\xff-guest.xml")
    (tmp_path / name).write_text(KVM)
    done = subprocess.run([sys.executable, "-m", "vifconf", "render", "--json", name, "-"], input=KVM.encode(),
                          cwd=tmp_path, capture_output=True, check=True)  # fmt: skip
    documents = json.loads(done.stdout.decode("utf-8"))  # strict: no raw \xff byte
    assert [document["file"] for document in documents] == [name, "-"]  # the name as Python spells it
    assert os.fsencode(documents[0]["file"]) == b"\xff-guest.xml"


def test_set_json_with_the_xml_on_stdout_is_refused(capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(KVM.encode())))
    code, out, err = run(capsys, "set", "-", "--nic", "1", "model=e1000", "--json")
    assert code == 2 and out == "" and err.startswith("vifconf: --json and the edited XML would both go to stdout")


def test_a_refused_set_still_gives_its_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "kvm.xml"
    path.write_text(KVM)
    code, out, err = run(capsys, "set", str(path), "--nic", "1", "mac=01:00:00:00:00:01", "--json")
    assert code == 1 and "not written" in err and path.read_text() == KVM
    [document] = json.loads(out)
    assert [p["code"] for p in document["problems"]] == ["mac-multicast"]


def test_a_target_whose_refusals_are_not_the_domains_says_them_in_its_notes(capsys: pytest.CaptureFixture[str],
                                                                           tmp_path: Path) -> None:  # fmt: skip
    """A KVM guest's user NIC: the qemu target is native, so its refusals would be problems;
    the Xen targets' refusals are not the guest's problems, but say why the NIC is missing."""
    path = tmp_path / "user.xml"
    path.write_text(KVM.replace("type='bridge'", "type='user'").replace("<source bridge='br0'/>", ""))
    code, [document] = run_json(capsys, "render", str(path))
    assert code == 0 and document["problems"] == []
    targets = document["targets"]
    assert targets["xl"]["entries"] == [] and any("xl converter refuses it" in n for n in targets["xl"]["notes"])
    assert targets["xend-sxpr"]["vifs"] == [] and targets["xend-sxpr"]["notes"][0] == AS_XEN_NOTE
    assert targets["xend-sxpr"]["notes"][1].startswith("NIC 1: error: ")
    assert [AS_XEN_NOTE in target["notes"][:1] for target in targets.values()] == [True, True, False, True]
    assert targets["qemu"]["notes"] == []
    # asked for by name, the target's refusals are the domain's problems, not notes
    code, [document] = run_json(capsys, "render", str(path), "--target", "xl")
    assert [p["code"] for p in document["problems"]] == ["xl-unsupported-type"]
    assert not any("error: " in n for n in document["targets"]["xl"]["notes"])


def _shell(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), V=f"{sys.executable} -m vifconf")
    env.pop("PYTHONUNBUFFERED", None)  # buffered, as for a user: a failed write then surfaces late
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


@pytest.mark.parametrize("command", [
    "$V render {f} > /dev/full", "$V check --json {f} > /dev/full",
    "$V set {f} --nic 1 model=e1000 --output - > /dev/full",
    "$V render {f} >&-", "$V set - --nic 1 model=e1000 < {f} >&-", "$V set {f} --nic 1 model=e1000 --dry-run >&-",
])  # fmt: skip
def test_output_that_cannot_be_written_is_one_line_and_exit_2(tmp_path: Path, command: str) -> None:
    """A full disk or a closed stdout: the output is lost, so never a success status, and
    never a traceback or Python's "Exception ignored" at exit."""
    path = tmp_path / "k.xml"
    path.write_text(KVM)
    done = _shell(command.format(f=path), tmp_path)
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.startswith("vifconf: ")]
    assert len(errors) == 1 and "cannot write" in errors[0], done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr
    assert path.read_text() == KVM


def test_set_json_to_a_full_disk_says_the_file_is_saved(tmp_path: Path) -> None:
    path = tmp_path / "k.xml"
    path.write_text(KVM)
    done = _shell(f"$V set {path} --nic 1 model=e1000 --json > /dev/full", tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"{path} is saved, but the JSON could not be written" in done.stderr
    assert "<model type='e1000'/>" in path.read_text()


def test_line_numbers_of_a_utf16_file_survive_the_mapping() -> None:
    """In UTF-16 a 0x0D or 0x0A byte can be half of a character (č is 0D 01)."""
    from vifconf.cli import lines_before_edit

    before = "<a>\n<b>č</b>\n<c/>\n</a>\n"
    after = before.replace("<b>č</b>\n", "<b>č</b>\n<new/>\n")
    mapping = lines_before_edit(before.encode("utf-16"), after.encode("utf-16"), "utf-16")
    assert [mapping(n) for n in (1, 2, 3, 4, 5)] == [1, 2, 3, 3, 4]


def test_set_on_dev_stdin_edits_the_stream_not_the_file_behind_it(tmp_path: Path) -> None:
    """`/dev/stdin` followed as a link is the redirected file, which a save would replace."""
    (tmp_path / "s.xml").write_text(KVM)
    done = _shell("$V set /dev/stdin --nic 1 model=e1000 < s.xml > out.xml", tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "s.xml").read_text() == KVM and not (tmp_path / "s.xml.bak").exists()
    assert "<model type='e1000'/>" in (tmp_path / "out.xml").read_text()
    done = _shell("$V set s.xml --nic 1 model=e1000 --output /dev/fd/5 5> five", tmp_path)
    assert done.returncode == 2 and "names an open file descriptor" in done.stderr
    assert (tmp_path / "five").read_text() == "" and (tmp_path / "s.xml").read_text() == KVM


def test_values_cannot_forge_lines_of_the_human_output(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A script path with a newline (read from the file) must not print a fake "ok" line."""
    path = tmp_path / "x.xml"
    forged = "<script path='x&#10;inj.xml: ok (3 NICs)&#10;&#x9b;2J'/>"
    path.write_text(EXAMPLE.read_text().replace("<source bridge='xenbr0'/>", f"<source bridge='xenbr0'/>{forged}", 1))
    for command in ("check", "render"):
        _, out, _ = run(capsys, command, str(path))
        assert not any(line.startswith("inj.xml") for line in out.splitlines())
        assert "\x9b" not in out
    _, out, _ = run(capsys, "check", str(path))
    assert "x\\ninj.xml: ok (3 NICs)\\n" in out


def test_a_refused_set_numbers_problems_by_the_file_on_disk(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The result is not written, so a line of it would point at the wrong line of the file:
    an edit that adds a line above the bad MAC must not move the MAC's reported line."""
    path = tmp_path / "r.xml"
    original = EXAMPLE.read_text()
    path.write_text(original)
    bad_line = next(n for n, line in enumerate(original.splitlines(), 1) if "0G:a5" in line)
    code, _, err = run(capsys, "set", str(path), "--nic", "1", "model=e1000")
    assert code == 1 and f"{path}:{bad_line}: error: NIC 3 mac" in err
    code, [document] = run_json(capsys, "set", str(path), "--nic", "1", "model=e1000", "--dry-run")
    assert code == 1 and [p["line"] for p in document["problems"] if p["code"] == "mac-invalid"] == [bad_line]
    code, _, err = run(capsys, "set", str(path), "--nic", "1", "model=e1000", "--force")
    assert code == 0 and f"{path}:{bad_line + 1}: error: NIC 3 mac" in err  # written: lines of the new file
    assert path.read_text().splitlines()[bad_line].strip().startswith("<mac address='00:16:3e:0G")


def test_set_json_on_an_unreadable_input_prints_the_error_object(capsys: pytest.CaptureFixture[str],
                                                                 tmp_path: Path) -> None:  # fmt: skip
    code, [document] = run_json(capsys, "set", str(tmp_path / "gone.xml"), "--nic", "1", "model=e1000")
    assert code == 2 and document["error"] and document["domain"] is None and document["problems"] is None


@pytest.mark.parametrize(("name", "path"), [("-", None), ("/dev/stdin", None), ("/dev/fd/63", None),
                                            ("/proc/self/fd/5", None), ("guest.xml", "guest.xml")])
def test_the_editor_saves_a_stream_nowhere_by_itself(name: str, path: str | None) -> None:
    """`vifconf <(cat g.xml)` saved back to /dev/fd/63 (a conflict, then "read-only"), and put
    the pipe into the recent files and a journal no one could reopen."""
    assert editor_path(name) == path


def test_a_stream_input_keeps_the_run_in_one_process(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str], seed_file: Path) -> None:
    """`<(…)` is read once: a worker's failure would make the caller read it again, empty."""
    from vifconf import batch

    asked: list[int | None] = []
    real_run = batch.run

    def run(names: Any, work: Any, workers: int | None = None, prepare: Any = None) -> Any:
        asked.append(workers)
        return real_run(names, work, workers=workers, prepare=prepare)

    monkeypatch.setattr(batch, "run", run)
    main(["render", "--json", str(seed_file)])
    main(["render", "--json", "/dev/fd/0", str(seed_file)])
    capsys.readouterr()
    assert asked == [None, 1]


@pytest.mark.parametrize("nic", ["1", "new"])
def test_set_makes_a_vhostuser_nic_libvirt_accepts(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                    nic: str) -> None:  # fmt: skip
    """From a contract audit: `type=vhostuser,source=PATH` wrote <source path=…/> alone, which
    libvirt refuses (no socket type, no mode), and set then refused its own result."""
    path = tmp_path / "kvm.xml"
    path.write_text(KVM)
    code, _, err = run(capsys, "set", str(path), "--nic", nic, "type=vhostuser,source=/run/sw.sock,model=virtio")
    assert code == 0, err
    [vhost] = [n for n in Domain.from_string(path.read_text()).nics if n.type == "vhostuser"]
    source = vhost.element.find("source")
    assert source is not None and dict(source.attrib) == {"type": "unix", "path": "/run/sw.sock", "mode": "client"}
    code, _, err = run(capsys, "set", str(path), "--nic", str(vhost.index), "source=/run/other.sock")
    assert code == 0, err
    assert "path='/run/other.sock'" in path.read_text() and "mode='client'" in path.read_text()
