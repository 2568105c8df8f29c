"""How `vifconf render --target all --json` and `vifconf check --json` scale with the NIC count,
up to the 4096 NICs vifconf accepts in one domain, on pc, q35 and Xen HVM.

    .venv/bin/python bench/bench_many_nics.py

Prints seconds per command (median of 3, interpreter start included) and, per 1000 NICs, how
the cost grows from 1024 to 4096 NICs: about flat when the work is linear in the NICs.
Figures are for the machine it runs on; tests/test_scaling.py guards the linearity by counting
calls, not seconds.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen import domain_xml

MACHINES = {"pc": ("kvm", "pc"), "q35": ("kvm", "q35"), "xen-hvm": ("xen", "xenfv")}


def many_nics(count: int, hypervisor: str, machine: str) -> str:
    """A generated domain (mixed types and models) moved onto the hypervisor and machine asked."""
    text = domain_xml(5, nics=count)  # seed 5 is a kvm pc domain
    return text.replace("<domain type='kvm'>", f"<domain type='{hypervisor}'>").replace(
        "machine='pc'", f"machine='{machine}'"
    )


def timed(argv: list[str], rounds: int = 3) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=False)  # check exits 1 on errors
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for label, (hypervisor, machine) in MACHINES.items():
            per_thousand = {}
            for count in (1024, 4096):
                path = Path(tmp) / f"{label}-{count}.xml"
                path.write_text(many_nics(count, hypervisor, machine))
                render = timed([sys.executable, "-m", "vifconf", "render", "--target", "all", "--json", str(path)])
                check = timed([sys.executable, "-m", "vifconf", "check", "--json", str(path)])
                per_thousand[count] = render * 1000 / count
                print(f"{label:8} {count:5} NICs: render all {render:.2f} s, check {check:.2f} s")
            growth = per_thousand[4096] / per_thousand[1024]
            print(f"{label:8} render per 1000 NICs: {per_thousand[1024]:.2f} s -> {per_thousand[4096]:.2f} s "
                  f"({growth:.2f}x; quadratic work would be 4x)")


if __name__ == "__main__":
    main()
