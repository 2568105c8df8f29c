"""Re-render the qemu target for a 64-NIC domain after one edit; print p50/p95 (target p95 <= 2 ms).

Run: .venv/bin/python bench/bench_qemu_render.py   (prints the figure; nothing asserts wall-clock)
"""

from __future__ import annotations

import os
import statistics
import time

from vifconf.model import Domain
from vifconf.render import RenderOptions, qemu

KINDS = ("bridge", "user", "ethernet", "network")
MODELS = ("virtio", "e1000", "rtl8139", "e1000e")


def domain_with_64_nics() -> Domain:
    nics = []
    for i in range(64):
        kind = KINDS[i % len(KINDS)]
        source = {"bridge": "<source bridge='br0'/>", "network": "<source network='default'/>"}.get(kind, "")
        nics.append(
            f"    <interface type='{kind}'>\n      <mac address='52:54:00:00:{i // 256:02x}:{i % 256:02x}'/>{source}\n"
            f"      <model type='{MODELS[i % len(MODELS)]}'/>\n"
            f"      <address type='pci' bus='0x{1 + i // 31:02x}' slot='0x{1 + i % 31:02x}' function='0x0'/>\n"
            "    </interface>\n"
        )
    return Domain.from_string(
        "<domain type='kvm'>\n  <name>bench-64</name>\n  <memory unit='MiB'>512</memory>\n"
        "  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n  <devices>\n"
        + "".join(nics)
        + "  </devices>\n</domain>\n"
    )


def main(rounds: int = 500) -> None:
    domain = domain_with_64_nics()
    options = RenderOptions()
    samples, cpu_samples = [], []
    for round_ in range(rounds):
        nic = domain.nic(1 + round_ % 64)
        nic.set("model", "e1000" if nic.model != "e1000" else "virtio")  # the one edit
        start, cpu_start = time.perf_counter(), time.thread_time()
        rendering = qemu.render(domain, options)
        cpu_samples.append((time.thread_time() - cpu_start) * 1000)
        samples.append((time.perf_counter() - start) * 1000)
        assert len(rendering.nic_items) == 64
    for label, values in (("wall", samples), ("cpu (this thread)", cpu_samples)):
        values.sort()
        p50 = statistics.median(values)
        p95 = values[int(len(values) * 0.95) - 1]
        print(f"qemu render, 64 NICs, after one edit, {label}: p50 {p50:.3f} ms, p95 {p95:.3f} ms (target p95 <= 2 ms)")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (wall tails include preemption)")


if __name__ == "__main__":
    main()
