"""Measure opening a directory of 1000 domains for the fleet view (issue 6: "1000 domains open
in ≤ 1 s").

    .venv/bin/python bench/bench_fleet_load.py [COUNT]

Stages (best of 3, seconds): list + read + parse every file; cross-guest analysis; the fleet
table (every domain's own checks without the RelaxNG schema, cross-guest problems, rows). The
first two together are the "open" figure the issue sets the 1 s target for. Figures are for
the machine it runs on; they live here and in reports, never in unit tests.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen import write_domains

from vifconf.fileio import directory_xml_files
from vifconf.fleet import Fleet, cross_guest_problems, iter_load
from vifconf.model.domain import Domain

T = TypeVar("T")


def best_of(runs: int, work: Callable[[], T]) -> tuple[float, T]:
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    assert result is not None
    return best, result


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "qemu"
        write_domains(directory, count)

        def load() -> list[Domain]:
            return [d for d in iter_load(directory_xml_files(directory)) if isinstance(d, Domain)]

        t_load, domains = best_of(3, load)
        nics = sum(len(d.nics) for d in domains)
        t_cross, cross = best_of(3, lambda: cross_guest_problems(domains))
        found = sum(len(p) for p in cross)

        from vifconf.validate import check

        def table() -> Fleet:  # on freshly parsed domains: validate may cache per domain
            fleet = Fleet(checker=lambda d: check(d, schema=False))
            for domain in load():
                fleet.add(domain)
            fleet.analyse()
            fleet.rows  # noqa: B018
            return fleet

        t_table, fleet = best_of(3, table)
    print(f"{len(domains)} domains, {nics} NICs, {found} cross-guest problems, {len(fleet.rows)} table rows")
    print(f"list+read+parse:        {t_load:6.3f} s")
    print(f"cross-guest analysis:   {t_cross:6.3f} s")
    print(f"open (the two above):   {t_load + t_cross:6.3f} s   (target ≤ 1 s)")
    print(f"full table from disk:   {t_table:6.3f} s   (load + validate without schema + cross + rows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
