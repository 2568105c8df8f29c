"""``vifconf check --csv``: one CSV table, a row per NIC of every input, built by the same
`Fleet.to_csv` as the fleet view's export. Exit codes as cli-json.md says for ``check``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.support import need
from vifconf.cli import main
from vifconf.fleet import CSV_COLUMNS

GUEST = """<domain type='kvm'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
{nics}
  </devices>
</domain>
"""
NIC = """    <interface type='bridge'>
      <mac address='{mac}'/>
      <source bridge='{bridge}'/>
      <model type='virtio'/>
    </interface>"""


def write_guest(directory: Path, name: str, *nics: tuple[str, str]) -> Path:
    path = directory / f"{name}.xml"
    body = "\n".join(NIC.format(mac=mac, bridge=bridge) for mac, bridge in nics)
    path.write_text(GUEST.format(name=name, nics=body))
    return path


def run_csv(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict[str, str]], str]:
    code = main(["check", *argv, "--csv"])
    out, err = capsys.readouterr()
    reader = csv.DictReader(io.StringIO(out))
    rows = list(reader)
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS  # same header as the fleet view's export
    return code, rows, err


@pytest.fixture
def fleet_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "qemu"
    directory.mkdir()
    write_guest(directory, "web1", ("52:54:00:00:00:01", "br0"), ("52:54:00:00:00:02", "br0"))
    write_guest(directory, "web2", ("52:54:00:00:00:01", "br0"))  # cloned: same MAC as web1's NIC 1
    write_guest(directory, "db", ("52:54:00:00:00:03", "br0"))
    return directory


def test_cross_guest_duplicate_mac_in_both_rows_exit_1(capsys: pytest.CaptureFixture[str], fleet_dir: Path) -> None:
    code, rows, err = run_csv(capsys, str(fleet_dir))
    assert code == 1 and err == ""  # an error-severity problem, as for check without --csv
    assert [(r["domain"], r["nic"]) for r in rows] == [("db", "1"), ("web1", "1"), ("web1", "2"), ("web2", "1")]
    by = {(r["domain"], r["nic"]): r for r in rows}
    assert by[("web1", "1")]["problems"] == "mac-duplicate-across-guests"
    assert by[("web2", "1")]["problems"] == "mac-duplicate-across-guests"
    assert "MAC 52:54:00:00:00:01 is also used by guest 'web1' (NIC 1)" in by[("web2", "1")]["messages"]
    assert by[("web1", "2")]["problems"] == "" and by[("db", "1")]["problems"] == ""
    web1 = by[("web1", "2")]
    assert (web1["file"], web1["type"], web1["source"], web1["model"], web1["mac"]) == (
        str(fleet_dir / "web1.xml"), "bridge", "br0", "virtio", "52:54:00:00:00:02")
    assert {r["host"] for r in rows} == {""} and {r["reviewed"] for r in rows} == {"no"}


def test_csv_and_json_report_the_same_problems(capsys: pytest.CaptureFixture[str], fleet_dir: Path) -> None:
    _, rows, _ = run_csv(capsys, str(fleet_dir))
    assert main(["check", str(fleet_dir), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    from_json = {
        (d["domain"], str(n["index"])): sorted(p["code"] for p in d["problems"] if p["nic"] in (None, n["index"]))
        for d in doc
        for n in d["nics"]
    }
    from_csv = {(r["domain"], r["nic"]): sorted(r["problems"].split()) for r in rows}
    assert from_csv == from_json


def test_commas_and_quotes_round_trip(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write_guest(tmp_path, "odd", ("52:54:00:00:00:09", 'br,"0'))
    code, [row], _ = run_csv(capsys, str(path))
    assert code == 0  # only `virsh define --validate` refuses the quote: a schema warning
    assert (row["domain"], row["nic"], row["source"], row["problems"]) == ("odd", "1", 'br,"0', "schema")
    assert row["messages"].startswith("warning: libvirt's schema rejects <source bridge=")


def test_stdin_is_named_dash(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(
        GUEST.format(name="piped", nics=NIC.format(mac="52:54:00:00:00:07", bridge="br0")).encode())))
    code, [row], _ = run_csv(capsys, "-")
    assert code == 0 and (row["file"], row["domain"]) == ("-", "piped")


def test_unreadable_input_is_a_row_exit_2_others_still_listed(capsys: pytest.CaptureFixture[str],
                                                              fleet_dir: Path) -> None:
    (fleet_dir / "broken.xml").write_text("<domain><name>x</name>")
    missing = fleet_dir.parent / "missing.xml"
    code, rows, err = run_csv(capsys, str(fleet_dir), str(missing))
    assert code == 2  # unreadable wins over error problems, as without --csv
    assert len(err.strip().splitlines()) == 2 and all(line.startswith("vifconf: ") for line in err.splitlines())
    assert [r["domain"] for r in rows] == ["broken.xml", "db", "web1", "web1", "web2", "missing.xml"]
    broken = rows[0]
    assert (broken["file"], broken["nic"], broken["problems"]) == (str(fleet_dir / "broken.xml"), "", "input-error")
    assert broken["messages"].startswith("error: ") and "broken.xml" in broken["messages"]
    assert rows[-1]["problems"] == "input-error"


def test_domain_without_nics_is_one_row(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "bare.xml"
    path.write_text(GUEST.format(name="bare", nics=""))
    code, [row], _ = run_csv(capsys, str(path))
    assert code == 0 and (row["domain"], row["nic"], row["mac"]) == ("bare", "", "")


def test_json_and_csv_are_mutually_exclusive(capsys: pytest.CaptureFixture[str], fleet_dir: Path) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["check", str(fleet_dir), "--json", "--csv"])
    assert caught.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


# -- live libvirt --------------------------------------------------------------------------
def _need_binding() -> None:
    from vifconf import live

    need(live.available(), "libvirt-python is not installed (pip install '.[libvirt]')")


@pytest.mark.live
def test_connect_test_default(capsys: pytest.CaptureFixture[str]) -> None:
    _need_binding()
    code, [row], _ = run_csv(capsys, "--connect", "test:///default")
    assert code == 0
    assert (row["host"], row["file"], row["domain"], row["nic"]) == (
        "test:///default", "test:///default#test", "test", "1")
    assert (row["type"], row["source"], row["mac"]) == ("network", "default", "aa:bb:cc:dd:ee:ff")


@pytest.mark.live
def test_repeated_connect_host_column_and_unreachable_host(capsys: pytest.CaptureFixture[str]) -> None:
    _need_binding()
    bad = "qemu+tcp://127.0.0.1:1/system"
    code, rows, err = run_csv(capsys, "--connect", "test:///default", "--connect", bad, "test")
    assert code == 2 and err.startswith(f"vifconf: {bad}#test: cannot connect: ")
    assert [(r["host"], r["file"], r["domain"], r["problems"]) for r in rows] == [
        ("test:///default", "test:///default#test", "test", ""),
        (bad, f"{bad}#test", "test", "input-error"),
    ]
    assert rows[1]["messages"].startswith(f"error: {bad}#test: cannot connect: ")
