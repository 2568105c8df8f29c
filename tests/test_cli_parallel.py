"""``render --json`` over many inputs renders in a forked child too; the output must not change."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from vifconf import cli
from vifconf.render import TARGETS, RenderOptions, qemu

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from gen import write_domains

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")


def _readable(folder: Path, count: int) -> list[cli.Loaded]:
    write_domains(folder, count)
    loaded = cli.load_all([str(folder)], None)
    cli.attach_cross_guest_problems(loaded)
    return [item for item in loaded if item.domain is not None]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = cli.main(argv)
    out, err = capsys.readouterr()
    return status, out, err


@needs_fork
def test_parallel_documents_equal_serial(tmp_path: Path) -> None:
    count = cli.PARALLEL_MIN_INPUTS + 7  # odd, so the halves differ in size
    options = RenderOptions()
    serial = cli.render_json_documents(_readable(tmp_path / "a", count), options, TARGETS, jobs=1)
    parallel = cli.render_json_documents(_readable(tmp_path / "b", count), options, TARGETS, jobs=2)
    assert len(serial) == count
    assert [s.replace("/a/", "/b/") for s in serial] == parallel


@needs_fork
def test_failed_child_falls_back_to_serial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readable = _readable(tmp_path, cli.PARALLEL_MIN_INPUTS)
    options = RenderOptions()
    serial = cli.render_json_documents(readable, options, TARGETS, jobs=1)
    parent = os.getpid()
    real = cli._encode_rendered

    def child_dies(item: cli.Loaded, opts: RenderOptions, targets: tuple[str, ...]) -> str:
        if os.getpid() != parent:
            raise RuntimeError("child failure")
        return real(item, opts, targets)

    monkeypatch.setattr(cli, "_encode_rendered", child_dies)
    assert cli.render_json_documents(readable, options, TARGETS, jobs=2) == serial


@needs_fork
def test_cli_output_and_status_equal_serial(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    count = cli.PARALLEL_MIN_INPUTS + 1
    write_domains(tmp_path, count)
    (tmp_path / "zz-broken.xml").write_text("<domain><name>x</name>", encoding="utf-8")
    argv = ["render", "--target", "all", "--json", str(tmp_path)]
    parallel = _run(argv, capsys)
    monkeypatch.setattr(cli, "PARALLEL_MIN_INPUTS", 10**9)
    serial = _run(argv, capsys)
    assert parallel == serial
    status, out, err = serial
    assert status == cli.EXIT_INPUT and "zz-broken.xml" in err
    documents = json.loads(out)
    assert len(documents) == count + 1 and documents[-1]["error"]
    assert out == json.dumps(documents, ensure_ascii=False) + "\n"


def test_nic_cache_off_renders_the_same() -> None:
    from vifconf.model import Domain

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from gen import domain_xml

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


