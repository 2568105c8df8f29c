"""Measure vifconf on a 50 MB domain with 300k interfaces (issue 5: "rendered, or refused with
a clear size message, within 10 s").

    .venv/bin/python bench/bench_big_domain.py [COUNT]

Prints seconds and peak RSS for each stage: build, read, parse (+ span map), list NICs, one
edit + serialise, save_atomic, each renderer, and `vifconf check`/`render --json` end to end.
Figures are for the machine it runs on; they live here and in reports, never in unit tests.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent

_HEAD = b"""<domain type='xen'>
  <name>big</name>
  <uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>
  <memory unit='KiB'>1048576</memory>
  <vcpu>2</vcpu>
  <os>
    <type arch='x86_64' machine='xenfv'>hvm</type>
    <loader>/usr/lib/xen/boot/hvmloader</loader>
  </os>
  <devices>
    <emulator>/usr/lib/xen/bin/qemu-dm</emulator>
"""
_TAIL = b"""  </devices>
</domain>
"""


def build(count: int = 300_000) -> bytes:
    """A domain with ``count`` bridged interfaces (about 170 bytes each: ~50 MB at 300k)."""
    nics = [
        b"    <interface type='bridge'>\n"
        b"      <source bridge='xenbr0'/>\n"
        b"      <mac address='00:16:3e:%02x:%02x:%02x'/>\n"
        b"      <script path='vif-bridge'/>\n"
        b"      <model type='e1000'/>\n"
        b"    </interface>\n" % ((i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF)
        for i in range(count)
    ]
    return _HEAD + b"".join(nics) + _TAIL


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(label: str, action: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = action()
    print(f"{label:40} {time.perf_counter() - start:8.2f} s   peak RSS {_rss_mib():7.0f} MiB", flush=True)
    return result


def main() -> None:
    sys.path.insert(0, str(REPO))
    from vifconf.fileio import fingerprint, read_input, save_atomic
    from vifconf.model.domain import Domain
    from vifconf.model.source import MAX_INTERFACES, InputError

    huge = _timed("build 300000 interfaces", lambda: build(300_000))
    print(f"size: {len(huge) / 1e6:.1f} MB ({len(huge) / 2**20:.1f} MiB)")

    def refuse() -> str:
        try:
            Domain.from_bytes(huge, "big.xml")
        except InputError as exc:
            return str(exc)
        return "loaded (not refused)"

    print("   ", _timed("300k: Domain.from_bytes (refusal)", refuse))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "big.xml")
        Path(path).write_bytes(huge)
        _cli(path, ["check", path])
    huge = b""  # free it before the next stage

    count = int(sys.argv[1]) if len(sys.argv) > 1 else MAX_INTERFACES
    data = _timed(f"build {count} interfaces", lambda: build(count))
    print(f"size: {len(data) / 1e6:.1f} MB ({len(data) / 2**20:.1f} MiB)")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "big.xml")
        Path(path).write_bytes(data)
        raw = _timed("read_input", lambda: read_input(path))
        domain = _timed("Domain.from_bytes (decode + parse)", lambda: Domain.from_bytes(raw, path))
        nics = _timed("domain.nics", lambda: domain.nics)
        _timed("summaries of every NIC", lambda: [n.summary() for n in nics])
        _timed("span map (first edit)", lambda: domain.spans)
        _timed("edit last NIC + to_bytes", lambda: (nics[-1].set("source", "br-last"), domain.to_bytes()))
        stamp = fingerprint(path)
        _timed("save_atomic (fsync)", lambda: save_atomic(path, domain.to_bytes(), expected=stamp))
        try:
            from vifconf.render import RenderOptions, renderer

            fresh = Domain.from_path(path)
            for target in ("xend-sxpr", "qemu-dm", "qemu", "xl"):
                try:
                    render = renderer(target)
                except Exception as exc:  # a target not there yet
                    print(f"render {target:33} not available: {exc}")
                    continue
                _timed(f"render {target}", lambda r=render: r(fresh, RenderOptions()))
        except ImportError as exc:
            print(f"renderers not available: {exc}")
        for argv in (["check", path], ["render", path, "--json"]):
            _cli(path, argv)


def _cli(path: str, argv: list[str]) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    start = time.perf_counter()
    command = [sys.executable, "-m", "vifconf", *argv]
    done = subprocess.run(command, capture_output=True, env=env, timeout=300, check=False)
    took = time.perf_counter() - start
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"{'vifconf ' + argv[0] + (' --json' if '--json' in argv else ''):40} {took:8.2f} s   "
        f"exit {done.returncode}, stdout {len(done.stdout) / 1e6:.1f} MB, child peak RSS {child:.0f} MiB; "
        f"stderr: {done.stderr.decode(errors='replace').strip()[:150]!r}",
        flush=True,
    )


if __name__ == "__main__":
    main()
