"""Issue 2 benchmarks.

1. ``vifconf render --target all --json`` over 1000 generated domain files in one process, vs a
   Python process that only ``lxml.etree.parse``s the same files; interpreter start included in
   both; medians of 3 in the same run. Target: ratio <= 3x.
2. Model edit + re-render of every target for a 64-NIC domain: p95 <= 5 ms.

Run: ``.venv/bin/python bench/bench_render_cli.py``. Prints figures; asserts nothing.

The package is byte-compiled first, as ``pip install`` does: an editable install under
``PYTHONDONTWRITEBYTECODE=1`` (this machine's setting) would otherwise recompile every module
on every run, about 30 ms that no installed vifconf pays. ``render`` spreads the inputs over
worker processes (`vifconf.batch`), one per CPU; the figure printed names the CPU count.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen import domain_xml, write_domains

ONE_WORKER = (
    "import sys\nfrom vifconf import batch, cli\n"
    "batch.default_workers = lambda inputs: 1\nsys.exit(cli.main(sys.argv[1:]))\n"
)
PARSE_ONLY = "import sys\nfrom lxml import etree\nfor p in sys.argv[1:]:\n    etree.parse(p)\n"


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def cli_vs_parse(count: int = 1000, rounds: int = 3) -> None:
    import compileall

    import vifconf
    from vifconf.batch import default_workers

    compileall.compile_dir(str(Path(vifconf.__file__).parent), quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        paths = [str(p) for p in write_domains(Path(tmp), count)]
        render = [sys.executable, "-m", "vifconf", "render", "--target", "all", "--json", tmp]
        parse = [sys.executable, "-c", PARSE_ONLY, *paths]
        one_worker = [sys.executable, "-c", ONE_WORKER, "render", "--target", "all", "--json", tmp]
        render_times, parse_times, serial_times = [], [], []
        for _ in range(rounds):
            render_times.append(timed(render))
            parse_times.append(timed(parse))
            serial_times.append(timed(one_worker))
        r, p = statistics.median(render_times), statistics.median(parse_times)
        s = statistics.median(serial_times)
        print(f"render --target all --json, {count} files: median {r:.3f} s; lxml parse only: median {p:.3f} s; "
              f"ratio {r / p:.2f}x (target <= 3x); {default_workers(count)} workers on {os.cpu_count()} CPUs")
        print(f"  (the same in one process, no workers: median {s:.3f} s, ratio {s / p:.2f}x)")


def edit_and_rerender(nics: int = 64, rounds: int = 300) -> None:
    from vifconf.model import Domain
    from vifconf.render import RenderOptions, render_all

    domain = Domain.from_string(domain_xml(7, nics=nics))
    options = RenderOptions()
    samples = []
    models = ("e1000", "rtl8139")
    for i in range(rounds):
        start = time.perf_counter()
        domain.nic(1 + i % nics).set("model", models[(i // nics) % 2])  # always a real change
        render_all(domain, options)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p50 = samples[len(samples) // 2]
    p95 = samples[int(len(samples) * 0.95)]
    print(f"edit + re-render all targets, {nics} NICs: p50 {p50:.2f} ms, p95 {p95:.2f} ms (target p95 <= 5 ms)")


if __name__ == "__main__":
    edit_and_rerender()
    cli_vs_parse()
