"""Deterministic domain generators shared by the benchmarks."""

from __future__ import annotations

import random
from pathlib import Path

KINDS = ("bridge", "network", "ethernet", "user", "none")
MODELS = (None, "rtl8139", "e1000", "virtio", "netfront", "ne2k_pci")


def interface_xml(rng: random.Random, index: int, xen: bool, serial: int = 0) -> str:
    """One interface; ``serial`` makes its MAC unique across the generated fleet."""
    kind = rng.choice(KINDS if not xen else ("bridge", "bridge", "network", "ethernet", "none"))
    prefix = "00:16:3e" if xen else "52:54:00"
    lines = [f"    <interface type='{kind}'>"]
    if kind == "bridge":
        lines.append(f"      <source bridge='{'xenbr' if xen else 'br'}{rng.randrange(3)}'/>")
    elif kind == "network":
        lines.append("      <source network='default'/>")
    unique = serial * 64 + index
    mac = f"{prefix}:{unique >> 16 & 0x7f:02x}:{unique >> 8 & 0xff:02x}:{unique & 0xff:02x}"
    lines.append(f"      <mac address='{mac}'/>")
    model = rng.choice(MODELS)
    if model:
        lines.append(f"      <model type='{model}'/>")
    if rng.random() < 0.3:
        lines.append(f"      <target dev='vnet{index}'/>")
    lines.append("    </interface>")
    return "\n".join(lines)


def domain_xml(seed: int, nics: int | None = None) -> str:
    rng = random.Random(seed)
    xen = rng.random() < 0.5
    count = nics if nics is not None else rng.randrange(1, 5)
    os_type = "hvm" if (not xen or rng.random() < 0.7) else "linux"
    body = "\n".join(interface_xml(rng, i, xen, seed) for i in range(count))
    return f"""<domain type='{'xen' if xen else 'kvm'}'>
  <name>guest{seed}</name>
  <uuid>00000000-0000-4000-8000-{seed:012d}</uuid>
  <memory unit='MiB'>512</memory>
  <os>
    <type arch='x86_64' machine='{'xenfv' if xen else 'pc'}'>{os_type}</type>
  </os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
{body}
  </devices>
</domain>
"""


def write_domains(directory: Path, count: int) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for seed in range(count):
        path = directory / f"guest{seed:05d}.xml"
        path.write_text(domain_xml(seed))
        paths.append(path)
    return paths
