"""``render``/``check`` over many inputs run in worker processes (`vifconf.batch`); nothing a
user sees may depend on that: stdout, stderr and the exit status equal the serial path's,
whatever happens to a worker, and no worker outlives the command."""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support import REPO
from vifconf import batch, cli
from vifconf.render import RenderOptions, qemu

sys.path.insert(0, str(REPO / "bench"))
from gen import domain_xml, write_domains

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
PARENT = os.getpid()


@pytest.fixture(autouse=True)
def single_threaded() -> None:
    """Workers are only forked from a single-threaded process (conftest.py runs this module
    first for that): with another thread alive every test here would pass without a worker."""
    import threading

    assert threading.active_count() == 1, f"other threads alive: {threading.enumerate()}"


def in_worker() -> bool:
    return os.getpid() != PARENT


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
def test_the_workers_do_the_work(tmp_path: Path) -> None:
    names = cli.input_names([str(fleet(tmp_path, 2 * batch.MIN_SHARE))])
    assert all(batch.run(names, lambda item: in_worker(), workers=2))
    assert not any(batch.run(names, lambda item: in_worker(), workers=1))


@needs_fork
@pytest.mark.parametrize("workers", [1, 2])
def test_prepare_runs_before_the_cross_guest_problems_are_known(tmp_path: Path, workers: int) -> None:
    names = cli.input_names([str(fleet(tmp_path, 2 * batch.MIN_SHARE))])

    def prepare(item: batch.Loaded) -> int:
        return len(item.cross_problems)

    def work(item: batch.Loaded) -> tuple[int, int]:
        return item.prepared, len(item.cross_problems)

    results = list(batch.run(names, work, workers=workers, prepare=prepare))
    assert [seen for seen, _ in results] == [0] * len(names)
    assert results[0][1] >= 2 and results[-1][1] >= 2  # the clash, known by the time of work


@needs_fork
def test_cross_guest_problems_carry_lines_from_the_worker_holding_the_guest(tmp_path: Path) -> None:
    folder = fleet(tmp_path, 2 * batch.MIN_SHARE)
    names = cli.input_names([str(folder)])

    def lines(item: batch.Loaded) -> list[tuple[str, int | None]]:
        return [(p.code, p.line) for p in item.cross_problems]

    parallel = list(batch.run(names, lines, workers=2))
    assert parallel == list(batch.run(names, lines, workers=1))
    text = Path(names[-1]).read_text().splitlines()
    clash_line = next(n for n, line in enumerate(text, start=1) if "52:54:00:ab:cd:ef" in line)
    assert ("mac-duplicate-across-guests", clash_line) in parallel[-1]


def _dies(position: int) -> Callable[[batch.Loaded], str]:
    """A work function whose worker dies silently (a 'successful' exit, nothing sent) when it
    reaches input ``position``; the parent's serial redo computes every result normally."""

    def work(item: batch.Loaded) -> str:
        if in_worker() and item.name.endswith(f"guest{position:05d}.xml"):
            os._exit(0)
        return item.name

    return work


@needs_fork
@pytest.mark.parametrize("stage", ["loading", "waiting for orders", "first result", "after a chunk"])
def test_a_worker_lost_at_any_stage_means_the_serial_result(tmp_path: Path, stage: str,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    names = cli.input_names([str(fleet(tmp_path, 3 * batch.CHUNK))])
    work: Callable[[batch.Loaded], str] = lambda item: item.name  # noqa: E731
    if stage == "loading":
        real_keys = batch._keys
        monkeypatch.setattr(batch, "_keys", lambda loaded: os._exit(0) if in_worker() else real_keys(loaded))
    elif stage == "waiting for orders":
        real_attach = batch._attach
        monkeypatch.setattr(batch, "_attach", lambda *a: os.kill(os.getpid(), signal.SIGKILL) if in_worker()
                            else real_attach(*a))  # fmt: skip
    elif stage == "first result":
        work = _dies(0)
    else:
        work = _dies(batch.CHUNK + 1)  # the first chunk was sent and may already be handed out
    assert list(batch.run(names, work, workers=2)) == names


@needs_fork
def test_a_raising_worker_means_the_serial_result(tmp_path: Path) -> None:
    names = cli.input_names([str(fleet(tmp_path, 2 * batch.MIN_SHARE))])

    def work(item: batch.Loaded) -> str:
        if in_worker():
            raise RuntimeError("worker failure")
        return item.name

    assert list(batch.run(names, work, workers=3)) == names


@needs_fork
@pytest.mark.parametrize("garbage", [b"\x00" * 8, struct.pack("!Q", 5) + b"junk!", struct.pack("!Q", 1 << 40)])
def test_a_worker_sending_garbage_means_the_serial_result(tmp_path: Path, garbage: bytes,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    names = cli.input_names([str(fleet(tmp_path, 2 * batch.MIN_SHARE))])
    real_send = batch._send

    def send(pipe: Any, payload: list[Any]) -> None:
        if in_worker():
            pipe.write(garbage)
            pipe.flush()
        else:
            real_send(pipe, payload)

    monkeypatch.setattr(batch, "_send", send)
    assert list(batch.run(names, lambda item: item.name, workers=2)) == names


@needs_fork
def test_ctrl_c_while_starting_workers_leaves_none_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = cli.input_names([str(fleet(tmp_path, 3 * batch.MIN_SHARE))])
    real_fork = os.fork
    forks: list[int] = []

    def fork_then_ctrl_c() -> int:
        if forks:  # the second worker: Ctrl-C lands while SIGINT is held back
            os.kill(PARENT, signal.SIGINT)
        pid = real_fork()
        forks.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        list(batch.run(names, lambda item: item.name, workers=3))
    assert len(forks) == 2  # it stopped starting workers, and reaped both
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def test_workers_follow_the_inputs() -> None:
    assert batch.default_workers(batch.MIN_SHARE - 1) == 1
    assert 1 <= batch.default_workers(10_000) <= batch.MAX_WORKERS


@pytest.mark.parametrize(("content", "cpus"), [("150000 100000\n", 1), ("400000 100000\n", 4),
                                               ("50000 100000\n", 1), ("max 100000\n", None), ("", None)])
def test_a_cgroup_cpu_quota_caps_the_workers(tmp_path: Path, content: str, cpus: int | None,
                                             monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    cpu_max = tmp_path / "cpu.max"
    cpu_max.write_text(content)
    assert batch.cgroup_cpu_limit(str(cpu_max)) == cpus
    assert batch.cgroup_cpu_limit(str(tmp_path / "absent")) is None
    monkeypatch.setattr(batch, "cgroup_cpu_limit", lambda: 1)
    assert batch.default_workers(10_000) == 1


def test_stdin_among_inputs_stays_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "fork", lambda: pytest.fail("forked with stdin as an input"))
    monkeypatch.setattr(sys, "stdin", open(os.devnull))  # noqa: SIM115 - closed by pytest's capture
    result = batch.run(["-"] * (4 * batch.MIN_SHARE), lambda item: item.error is not None, workers=4)
    assert all(result)


def test_an_unlistable_directory_is_one_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    def refuse(path: Any) -> Any:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(os, "scandir", refuse)
    assert cli.main(["check", str(tmp_path)]) == cli.EXIT_INPUT
    out, err = capsys.readouterr()
    assert err == f"vifconf: {tmp_path}: permission denied (cannot list the directory)\n" and out == ""


# -- real processes: closed output, Ctrl-C ---------------------------------------------------
def _spawn(code: str, *args: str, **kwargs: Any) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            **kwargs)  # fmt: skip


@needs_fork
@pytest.mark.parametrize("closed", [1, 2])
def test_a_closed_stdout_or_stderr_is_no_crash(tmp_path: Path, closed: int) -> None:
    folder = fleet(tmp_path, 3 * batch.MIN_SHARE)
    code = "import sys\nfrom vifconf import cli\nsys.exit(cli.main(sys.argv[1:]))"
    shell = f"{sys.executable} -c '{code}' render --json {folder} {closed}>&-"
    result = subprocess.run(["sh", "-c", shell], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == cli.EXIT_INPUT  # the broken file; never a crash (1) or a hang
    assert "Traceback" not in result.stderr
    if closed == 2:
        assert result.stdout.startswith('[{"file": ') and result.stdout.endswith("]\n")


SLOW_RUN = """
import os, sys, time
from vifconf import batch
def work(item):
    time.sleep(0.02)
    return f"{item.name} {os.getpid()}"
try:
    for line in batch.run(sys.argv[1:], work, workers=2):
        print(line, flush=True)
except KeyboardInterrupt:
    sys.exit(130)
"""


@needs_fork
@pytest.mark.parametrize("whom", ["the whole group", "the caller alone"])
def test_ctrl_c_stops_every_worker_quietly(tmp_path: Path, whom: str) -> None:
    names = [str(p) for p in write_domains(tmp_path, 400)]  # ~4 s of work per worker
    process = _spawn(SLOW_RUN, *names)
    assert process.stdout is not None
    process.stdout.readline()  # the first result: the workers are running
    if whom == "the whole group":
        os.killpg(process.pid, signal.SIGINT)
    else:
        os.kill(process.pid, signal.SIGINT)
    started = time.monotonic()
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130 and "Traceback" not in err, err
    assert time.monotonic() - started < 2  # the caller stops its workers, it does not wait them out
    time.sleep(0.2)
    with pytest.raises(ProcessLookupError):  # nobody left in the command's process group
        os.killpg(process.pid, 0)


@needs_fork
def test_workers_keep_an_ignored_ctrl_c_ignored(tmp_path: Path) -> None:
    """A background job (SIGINT ignored): Ctrl-C to its group changes nothing."""
    names = [str(p) for p in write_domains(tmp_path, 4 * batch.CHUNK)]  # two chunks per worker
    process = _spawn(SLOW_RUN, *names, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert process.stdout is not None
    first = process.stdout.readline()
    os.killpg(process.pid, signal.SIGINT)
    rest = process.stdout.read()  # not communicate(): readline() may have buffered more lines
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0 and "Traceback" not in err
    results = [line.split() for line in (first + rest).splitlines()]
    assert [name for name, _ in results] == names
    assert str(process.pid) not in {pid for _, pid in results}  # the workers did it all: none was stopped


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
