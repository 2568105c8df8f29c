"""The fleet core: cross-guest problems, the table, review flow, export (no Textual)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from vifconf.fileio import directory_xml_files
from vifconf.fleet import (
    CSV_COLUMNS,
    Fleet,
    cross_guest_problems,
    filter_rows,
    host_of,
    iter_load,
    one_edit_apart,
    sort_rows,
)
from vifconf.model.domain import Domain
from vifconf.model.source import InputError
from vifconf.problems import Problem


def guest(name: str, *nics: str, hypervisor: str = "kvm", source: str | None = None) -> Domain:
    """A domain with NICs given as ``type:source:mac[:target]`` strings."""
    parts = []
    for spec in nics:
        kind, src, mac, *rest = spec.split(":", 2)[:2] + spec.split(":", 2)[2].rsplit("|", 1)
        attr = {"bridge": "bridge", "network": "network"}[kind]
        target = f"<target dev='{rest[0]}'/>" if rest else ""
        parts.append(f"<interface type='{kind}'><source {attr}='{src}'/><mac address='{mac}'/>{target}</interface>")
    xml = (
        f"<domain type='{hypervisor}'>\n<name>{name}</name>\n<os><type>hvm</type></os>\n"
        f"<devices>\n" + "\n".join(parts) + "\n</devices>\n</domain>\n"
    )
    return Domain.from_string(xml, source or f"{name}.xml")


def codes(problems: list[Problem]) -> list[str]:
    return [p.code for p in problems]


# -- cross-guest problems ---------------------------------------------------------------------
def test_duplicate_mac_across_guests_is_reported_in_each_naming_the_other() -> None:
    a = guest("web1", "bridge:br0:52:54:00:aa:bb:cc")
    b = guest("web2", "bridge:br0:52:54:00:00:00:01", "bridge:br0:52:54:00:AA:BB:CC")
    c = guest("db", "bridge:br0:52:54:00:00:00:02")
    out = cross_guest_problems([a, b, c])
    assert codes(out[0]) == ["mac-duplicate-across-guests"]
    assert codes(out[1]) == ["mac-duplicate-across-guests"]
    assert out[2] == []
    pa, pb = out[0][0], out[1][0]
    assert pa.severity == "error" and pa.nic == 1 and pa.field == "mac"
    assert "'web2' (NIC 2)" in pa.message and "52:54:00:aa:bb:cc" in pa.message
    assert pb.nic == 2 and "'web1' (NIC 1)" in pb.message
    assert pa.line == 5  # the <interface> (no own line for <mac> here)


def test_duplicate_mac_inside_one_guest_is_not_a_cross_guest_problem() -> None:
    a = guest("solo", "bridge:br0:52:54:00:aa:bb:cc", "bridge:br0:52:54:00:aa:bb:cc")
    assert cross_guest_problems([a, guest("x", "bridge:br0:52:54:00:00:00:09")]) == [[], []]


def test_same_name_guests_are_told_apart_by_file_or_host() -> None:
    a = guest("clone", "bridge:br0:52:54:00:aa:bb:cc", source="a/clone.xml")
    b = guest("clone", "bridge:br0:52:54:00:aa:bb:cc", source="b/clone.xml")
    out = cross_guest_problems([a, b])
    assert "'clone' (b/clone.xml)" in out[0][0].message
    h1 = guest("vm", "bridge:br0:52:54:00:aa:bb:cc", source="qemu+ssh://h1/system#vm")
    h2 = guest("vm", "bridge:br0:52:54:00:aa:bb:cc", source="qemu+ssh://h2/system#vm")
    out = cross_guest_problems([h1, h2])
    assert "'vm' on qemu+ssh://h2/system" in out[0][0].message


def test_many_duplicates_are_summarised() -> None:
    guests = [guest(f"g{i}", "bridge:br0:52:54:00:aa:bb:cc") for i in range(6)]
    message = cross_guest_problems(guests)[0][0].message
    assert "'g1'" in message and "and 2 more" in message


def test_target_duplicates_per_host_only_and_not_auto_names() -> None:
    a = guest("a", "bridge:br0:52:54:00:00:00:01|tap-web")
    b = guest("b", "bridge:br0:52:54:00:00:00:02|tap-web")
    c = guest("c", "bridge:br0:52:54:00:00:00:03|vnet0")
    d = guest("d", "bridge:br0:52:54:00:00:00:04|vnet0")
    out = cross_guest_problems([a, b, c, d])
    assert codes(out[0]) == codes(out[1]) == ["target-duplicate-across-guests"]
    assert out[0][0].field == "target" and "'b' (NIC 1)" in out[0][0].message
    assert out[2] == out[3] == []
    h1 = guest("a", "bridge:br0:52:54:00:00:00:01|tap-web", source="test:///default#a")
    h2 = guest("b", "bridge:br0:52:54:00:00:00:02|tap-web", source="qemu:///system#b")
    assert cross_guest_problems([h1, h2]) == [[], []]


def test_source_typo_against_a_common_name() -> None:
    guests = [guest(f"g{i}", f"bridge:xenbr0:00:16:3e:00:00:0{i}", hypervisor="xen") for i in range(3)]
    guests.append(guest("odd", "bridge:xnbr0:00:16:3e:00:00:09", hypervisor="xen"))
    guests.append(guest("other", "bridge:xenbr1:00:16:3e:00:00:0a", hypervisor="xen"))  # digits only: deliberate
    out = cross_guest_problems(guests)
    assert codes(out[3]) == ["source-likely-typo"]
    problem = out[3][0]
    assert problem.field == "source" and "'xenbr0'" in problem.message and "3 guests" in problem.message
    assert problem.hint == "set source=xenbr0 if that was meant"
    assert out[4] == [] and all(o == [] for o in out[:3])


def test_source_typo_needs_a_common_name_and_same_kind() -> None:
    a = guest("a", "bridge:br0:52:54:00:00:00:01")
    b = guest("b", "bridge:bro:52:54:00:00:00:02")
    assert cross_guest_problems([a, b]) == [[], []]  # neither is common
    n = [guest(f"n{i}", f"network:default:52:54:00:00:01:0{i}") for i in range(2)]
    typo = guest("t", "bridge:defualt:52:54:00:00:02:01")  # a bridge, not a network
    assert cross_guest_problems([*n, typo])[2] == []
    swap = guest("s", "network:defualt:52:54:00:00:02:02")
    assert codes(cross_guest_problems([*n, swap])[2]) == ["source-likely-typo"]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [("br0", "bro", True), ("default", "defualt", True), ("xenbr0", "xenbr", True), ("br0", "br0", False),
     ("br0", "br12", False), ("abc", "acb", True), ("abcd", "badc", False), ("", "a", True)],
)
def test_one_edit_apart(a: str, b: str, expected: bool) -> None:
    assert one_edit_apart(a, b) is expected
    assert one_edit_apart(b, a) is expected


def test_mac_prefix_mismatch_both_ways() -> None:
    xen = guest("x", "bridge:xenbr0:52:54:00:00:00:01", hypervisor="xen")
    kvm = guest("k", "bridge:br0:00:16:3e:00:00:02", hypervisor="kvm")
    fine = guest("f", "bridge:br0:52:54:00:00:00:03", hypervisor="qemu")
    out = cross_guest_problems([xen, kvm, fine])
    assert codes(out[0]) == ["mac-prefix-mismatch"] and "52:54:00" in out[0][0].message
    assert codes(out[1]) == ["mac-prefix-mismatch"] and "expected 52:54:00" in out[1][0].message
    assert out[2] == []


def test_output_has_one_list_per_input_in_order() -> None:
    assert cross_guest_problems([]) == []
    domains = [guest(f"g{i}", f"bridge:br0:52:54:00:00:00:{i:02x}") for i in range(5)]
    assert cross_guest_problems(domains) == [[]] * 5


def test_host_of() -> None:
    assert host_of("qemu+ssh://h/system#vm") == "qemu+ssh://h/system"
    assert host_of("guests/vm#1.xml") is None
    assert host_of("vm.xml") is None


# -- the table ------------------------------------------------------------------------------
def make_fleet() -> Fleet:
    fleet = Fleet(checker=lambda d: [Problem("demo", "info", "from the checker")] if d.facts.name == "b" else [])
    fleet.add(guest("a", "bridge:br0:52:54:00:aa:bb:cc", "network:default:52:54:00:00:00:01"))
    fleet.add(guest("b", "bridge:br0:52:54:00:aa:bb:cc"))
    fleet.add(InputError("broken.xml", "malformed XML: oops", 3, 1))
    fleet.add(Domain.from_string("<domain type='kvm'><name>empty</name></domain>", "empty.xml"))
    fleet.analyse()
    return fleet


def test_rows_cover_every_nic_error_and_empty_guest() -> None:
    fleet = make_fleet()
    rows = fleet.rows
    assert [(r.domain, r.nic) for r in rows] == [("a", 1), ("a", 2), ("b", 1), ("broken.xml", None), ("empty", None)]
    assert codes(rows[0].problems) == ["mac-duplicate-across-guests"]
    assert rows[1].problems == []
    assert codes(rows[2].problems) == ["demo", "mac-duplicate-across-guests"]  # domain-level first
    assert codes(rows[3].problems) == ["input-error"] and "malformed XML" in rows[3].problems[0].message
    assert rows[0].cell("nic") == "1" and rows[3].cell("nic") == ""
    assert rows[0].cell("problems") == "mac-duplicate-across-guests"
    assert not fleet.multi_host


def test_filter_matches_any_column_and_problem_text() -> None:
    rows = make_fleet().rows
    assert [r.key for r in filter_rows(rows, "DEFAULT")] == [(0, 2)]
    assert {r.domain for r in filter_rows(rows, "mac-duplicate")} == {"a", "b"}
    assert [r.domain for r in filter_rows(rows, "oops")] == ["broken.xml"]
    assert filter_rows(rows, "  ") == rows
    assert filter_rows(rows, "nothing-like-this") == []
    # the severity as the Problems column shows it ("error mac-dupli…"): it found nothing
    errors = {r.key for r in rows if any(p.severity == "error" for p in r.problems)}
    assert errors and {r.key for r in filter_rows(rows, "error")} == errors
    duplicates = {r.key for r in filter_rows(rows, "mac-duplicate")}
    assert {r.key for r in filter_rows(rows, "error mac-duplicate")} == duplicates


def test_sort_natural_and_by_problems() -> None:
    fleet = Fleet()
    for i in (10, 2, 1):
        fleet.add(guest(f"vm{i}", f"bridge:br0:52:54:00:00:00:{i:02x}"))
    fleet.add(guest("dup1", "bridge:br0:52:54:00:aa:bb:cc"))
    fleet.add(guest("dup2", "bridge:br0:52:54:00:aa:bb:cc"))
    fleet.analyse()
    assert [r.domain for r in sort_rows(fleet.rows, "domain")] == ["dup1", "dup2", "vm1", "vm2", "vm10"]
    assert sort_rows(fleet.rows, "domain", reverse=True)[0].domain == "vm10"
    assert [r.domain for r in sort_rows(fleet.rows, "problems")][:2] == ["dup1", "dup2"]
    assert [r.domain for r in fleet.view("vm", sort="mac")] == ["vm1", "vm2", "vm10"]
    assert [r.domain for r in sort_rows(fleet.rows, None)] == ["vm10", "vm2", "vm1", "dup1", "dup2"]


def test_review_flow() -> None:
    fleet = make_fleet()
    rows = fleet.rows
    assert fleet.progress() == (0, 5, 3)
    first = fleet.next_unreviewed(rows, -1)
    assert first == 0
    assert fleet.toggle_reviewed(rows[0]) is True
    assert fleet.next_unreviewed(rows, 0) == 2
    assert fleet.progress() == (1, 5, 2)
    fleet.toggle_reviewed(rows[2])
    fleet.toggle_reviewed(rows[3])
    assert fleet.next_unreviewed(rows, 3) is None
    assert fleet.toggle_reviewed(rows[3]) is False
    assert fleet.next_unreviewed(rows, 4) == 3  # wraps around
    assert fleet.progress() == (2, 5, 1)


def test_a_review_mark_vouches_for_what_was_reviewed() -> None:
    """Marks were kept by (guest, NIC index): deleting NIC 1 passed its mark to the next NIC,
    and an edit that added a problem kept the row marked."""
    from vifconf.validate import check

    fleet = Fleet(checker=check)
    fleet.add(guest("a", "bridge:br0:52:54:00:00:00:01", "bridge:br1:52:54:00:00:00:02"))
    fleet.analyse()
    first = fleet.rows[0]
    fleet.toggle_reviewed(first)
    domain = fleet.entries[0].domain
    assert domain is not None and fleet.is_reviewed(fleet.rows[0])
    domain.nic(2).set("model", "e1000")  # another NIC's edit: the mark stays
    fleet.recheck(0)
    assert fleet.is_reviewed(fleet.rows[0])
    domain.nic(1).set("target", "a/b")  # not a column, but a new problem: to review again
    fleet.recheck(0)
    assert fleet.rows[0].problems and not fleet.is_reviewed(fleet.rows[0])
    domain.undo()
    fleet.recheck(0)
    assert fleet.is_reviewed(fleet.rows[0])  # as it was when marked
    domain.remove_nic(1)  # NIC 2 is now NIC 1: not the NIC that was reviewed
    fleet.recheck(0)
    assert fleet.rows[0].mac == "52:54:00:00:00:02" and not fleet.is_reviewed(fleet.rows[0])


def test_recheck_after_an_edit_clears_the_cross_problem() -> None:
    fleet = make_fleet()
    b = fleet.entries[1].domain
    assert b is not None
    b.nic(1).set("mac", "52:54:00:12:34:56")
    fleet.recheck(1)
    assert codes(fleet.rows[0].problems) == []
    assert codes(fleet.rows[2].problems) == ["demo"]


def test_checker_failure_becomes_a_problem() -> None:
    def boom(_: Domain) -> list[Problem]:
        raise RuntimeError("bug")

    fleet = Fleet(checker=boom)
    fleet.add(guest("a", "bridge:br0:52:54:00:00:00:01"))
    assert codes(fleet.rows[0].problems) == ["check-failed"]


def test_multi_host_fleet() -> None:
    fleet = Fleet()
    fleet.add(guest("vm", "bridge:br0:52:54:00:aa:bb:cc", source="qemu+ssh://h1/system#vm"))
    fleet.add(guest("vm", "bridge:br0:52:54:00:aa:bb:cc", source="qemu+ssh://h2/system#vm"))
    fleet.add(InputError("qemu+ssh://h3/system", "cannot connect: no route"), host="qemu+ssh://h3/system")
    fleet.analyse()
    assert fleet.multi_host
    assert [r.host for r in fleet.rows] == ["qemu+ssh://h1/system", "qemu+ssh://h2/system", "qemu+ssh://h3/system"]
    assert "on qemu+ssh://h2/system" in fleet.rows[0].problems[0].message
    assert fleet.rows[2].domain == "qemu+ssh://h3/system"


# -- export -----------------------------------------------------------------------------------
def test_export_json_and_csv() -> None:
    fleet = make_fleet()
    fleet.toggle_reviewed(fleet.rows[0])
    data = json.loads(fleet.to_json())
    assert len(data) == 5
    assert data[0] == {
        "host": None, "file": "a.xml", "domain": "a", "nic": 1, "type": "bridge", "source": "br0",
        "model": None, "mac": "52:54:00:aa:bb:cc", "reviewed": True,
        "problems": [fleet.rows[0].problems[0].as_json()],
    }
    assert data[3]["nic"] is None and data[3]["problems"][0]["code"] == "input-error"
    table = list(csv.reader(io.StringIO(fleet.to_csv())))
    assert table[0] == list(CSV_COLUMNS) and CSV_COLUMNS[-2:] == ("problems", "messages")
    assert table[1][:9] == ["", "a.xml", "a", "1", "bridge", "br0", "", "52:54:00:aa:bb:cc", "yes"]
    assert table[1][9] == "mac-duplicate-across-guests"
    assert table[1][10].startswith("error: MAC 52:54:00:aa:bb:cc is also used by guest 'b'")
    assert len(table) == 6
    only = fleet.view("default")
    assert len(json.loads(fleet.to_json(only))) == 1


# -- loading --------------------------------------------------------------------------------
def test_directory_loading_is_lazy_and_sorted(tmp_path: Path) -> None:
    for name in ("b", "a"):
        (tmp_path / f"{name}.xml").write_text(
            f"<domain type='kvm'><name>{name}</name><devices><interface type='bridge'>"
            f"<source bridge='br0'/><mac address='52:54:00:aa:bb:cc'/></interface></devices></domain>"
        )
    (tmp_path / "c.xml").write_text("<domain><oops></domain>")
    (tmp_path / "notes.txt").write_text("not xml")
    (tmp_path / "sub.xml").mkdir()
    paths = directory_xml_files(tmp_path)
    assert [p.name for p in paths] == ["a.xml", "b.xml", "c.xml"]
    loader = iter_load(paths)
    first = next(loader)
    assert isinstance(first, Domain) and first.facts.name == "a"
    rest = list(loader)
    assert isinstance(rest[1], InputError)
    fleet = Fleet()
    for result in [first, *rest]:
        fleet.add(result)
    fleet.analyse()
    assert [codes(r.problems) for r in fleet.rows] == [["mac-duplicate-across-guests"]] * 2 + [["input-error"]]


def test_core_never_imports_textual_or_libvirt() -> None:
    code = "import sys, vifconf.fleet, vifconf.live; print('textual' in sys.modules, 'libvirt' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
