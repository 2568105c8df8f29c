"""Issue 2 benchmarks.

1. ``vifconf render --target all --json`` over 1000 generated domain files in one process, vs a
   Python process that only ``lxml.etree.parse``s the same files; interpreter start included in
   both; medians of 3 in the same run. Target: ratio <= 3x.
2. Model edit + re-render of every target for a 64-NIC domain: p95 <= 5 ms.

Run: ``.venv/bin/python bench/bench_render_cli.py``. Prints figures; asserts nothing.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen import domain_xml, write_domains

PARSE_ONLY = "import sys\nfrom lxml import etree\nfor p in sys.argv[1:]:\n    etree.parse(p)\n"


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def cli_vs_parse(count: int = 1000, rounds: int = 3) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = [str(p) for p in write_domains(Path(tmp), count)]
        render = [sys.executable, "-m", "vifconf", "render", "--target", "all", "--json", tmp]
        parse = [sys.executable, "-c", PARSE_ONLY, *paths]
        render_times, parse_times = [], []
        for _ in range(rounds):
            render_times.append(timed(render))
            parse_times.append(timed(parse))
        r, p = statistics.median(render_times), statistics.median(parse_times)
        print(f"render --target all --json, {count} files: median {r:.3f} s; lxml parse only: median {p:.3f} s; "
              f"ratio {r / p:.2f}x (target <= 3x)")


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
