"""``render``/``check`` over many inputs run in worker processes (`vifconf.batch`); nothing a
user sees may depend on that: stdout, stderr and the exit status equal the serial path's."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from vifconf import batch, cli
from vifconf.render import RenderOptions, qemu

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from gen import domain_xml, write_domains

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")


def fleet(folder: Path, count: int) -> Path:
    """Generated guests, plus cross-guest trouble that spans the workers' shares: the first
    and the last guest share a MAC and a target dev, and one unreadable file sits midway."""
    write_domains(folder, count)
    first, last = folder / "guest00000.xml", folder / f"guest{count - 1:05d}.xml"
    clash = "<interface type='bridge'><source bridge='br0'/><mac address='52:54:00:ab:cd:ef'/>" \
            "<target dev='clash0'/></interface>"  # fmt: skip
    for path in (first, last):
        path.write_text(path.read_text().replace("</devices>", clash + "\n  </devices>"))
    (folder / f"guest{count // 2:05d}-broken.xml").write_text("<domain><name>x</name>", encoding="utf-8")
    return folder


def run_cli(argv: list[str], workers: int, capsys: pytest.CaptureFixture[str],
            monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:  # fmt: skip
    monkeypatch.setattr(batch, "default_workers", lambda inputs: workers)
    status = cli.main(argv)
    out, err = capsys.readouterr()
    return status, out, err


COMMANDS = [
    ["render", "--target", "all", "--json"],
    ["render", "--target", "xend-sxpr"],
    ["check", "--json"],
    ["check"],
]


@needs_fork
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c))
@pytest.mark.parametrize("workers", [2, 3])
def test_workers_change_nothing_users_see(tmp_path: Path, command: list[str], workers: int,
                                          capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    folder = fleet(tmp_path, 3 * batch.MIN_SHARE + 1)
    serial = run_cli([*command, str(folder)], 1, capsys, monkeypatch)
    parallel = run_cli([*command, str(folder)], workers, capsys, monkeypatch)
    assert parallel == serial
    status, out, err = serial
    assert status == cli.EXIT_INPUT and "broken.xml" in err
    assert "mac-duplicate-across-guests" in out and "target-duplicate-across-guests" in out


@needs_fork
def test_cross_guest_problems_carry_lines_from_the_worker_holding_the_guest(tmp_path: Path) -> None:
    folder = fleet(tmp_path, 2 * batch.MIN_SHARE)
    names = cli.input_names([str(folder)])

    def lines(item: batch.Loaded) -> list[tuple[str, int | None]]:
        return [(p.code, p.line) for p in item.cross_problems]

    parallel = batch.run(names, lines, workers=2)
    assert parallel == batch.run(names, lines, workers=1)
    text = Path(names[-1]).read_text().splitlines()
    clash_line = next(n for n, line in enumerate(text, start=1) if "52:54:00:ab:cd:ef" in line)
    assert ("mac-duplicate-across-guests", clash_line) in parallel[-1]


@needs_fork
def test_a_failing_worker_means_the_serial_result(tmp_path: Path) -> None:
    names = cli.input_names([str(fleet(tmp_path, 2 * batch.MIN_SHARE))])
    parent = os.getpid()

    def work(item: batch.Loaded) -> str:
        if os.getpid() != parent:
            raise RuntimeError("worker failure")
        return item.name

    assert batch.run(names, work, workers=2) == names


@needs_fork
def test_a_worker_that_dies_without_a_word_means_the_serial_result(tmp_path: Path) -> None:
    names = cli.input_names([str(fleet(tmp_path, 2 * batch.MIN_SHARE))])
    parent = os.getpid()

    def work(item: batch.Loaded) -> str:
        if os.getpid() != parent:
            os._exit(0)  # no results sent, a "successful" exit
        return item.name

    assert batch.run(names, work, workers=3) == names


def test_workers_follow_the_inputs() -> None:
    assert batch.default_workers(batch.MIN_SHARE - 1) == 1
    assert 1 <= batch.default_workers(10_000) <= batch.MAX_WORKERS


def test_stdin_among_inputs_stays_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "fork", lambda: pytest.fail("forked with stdin as an input"))
    monkeypatch.setattr(sys, "stdin", open(os.devnull))  # noqa: SIM115 - closed by pytest's capture
    result = batch.run(["-"] * (4 * batch.MIN_SHARE), lambda item: item.error is not None, workers=4)
    assert all(result)


def test_nic_cache_off_renders_the_same() -> None:
    from vifconf.model import Domain

    xml = domain_xml(3, nics=8)
    qemu.set_nic_cache(True)
    try:
        cached = qemu.render(Domain.from_string(xml), RenderOptions())
        qemu.set_nic_cache(False)
        plain = qemu.render(Domain.from_string(xml), RenderOptions())
    finally:
        qemu.set_nic_cache(True)
    assert (cached.items, cached.text, cached.notes, cached.problems, cached.nic_items) == (
        plain.items, plain.text, plain.notes, plain.problems, plain.nic_items)
