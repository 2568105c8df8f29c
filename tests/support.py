"""Test helpers shared by every test module: where ../shared is, and how a test that needs a real part behaves."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("VIFCONF_SHARED") or REPO.parent / "shared")
VECTORS = SHARED / "vectors"
IN_CI = os.environ.get("CI", "").lower() == "true"


def need(condition: bool, reason: str) -> None:
    """Skip when a real part is missing locally; fail under CI=true, where CI installs it."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true but {reason}: .ci/run must install it", pytrace=False)
    pytest.skip(reason)


def need_command(name: str) -> str:
    path = shutil.which(name)
    need(path is not None, f"`{name}` is not installed")
    assert path is not None
    return path


def load_vectors(folder: str) -> list[dict[str, Any]]:
    """Every case of one vectors/ folder, in name order; an empty folder is a failure."""
    directory = VECTORS / folder
    files = sorted(directory.glob("*.json"))
    if not files:
        raise RuntimeError(f"no vectors under {directory}: set VIFCONF_SHARED or put shared/ beside the repo")
    return [json.loads(f.read_text(encoding="utf-8")) | {"_file": f.name} for f in files]


def vector_params(folder: str) -> list[Any]:
    return [pytest.param(case, id=case["_file"].removesuffix(".json")) for case in load_vectors(folder)]


def domain_text(*nics: str, kind: str = "kvm", machine: str = "pc", os_type: str = "hvm", name: str = "k") -> str:
    """The smallest domain around ``nics`` (``<interface>`` elements, or any device, one per
    line), for the tests that look at one NIC's problems or output."""
    body = "\n".join(nics)
    return f"""<domain type='{kind}'>
  <name>{name}</name>
  <memory unit='MiB'>256</memory>
  <os>
    <type arch='x86_64' machine='{machine}'>{os_type}</type>
  </os>
  <devices>
{body}
  </devices>
</domain>
"""


def guest_xml(name: str, mac: str, bridge: str = "br0", extra: str = "", hypervisor: str = "qemu") -> str:
    """A one-NIC guest for the live libvirt tests (defined on test:/// or qemu:///embed)."""
    return f"""<domain type='{hypervisor}'>
  <name>{name}</name>
  <uuid>{uuid.uuid4()}</uuid>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <!-- a comment libvirt drops -->
    <interface type='bridge'>
      <mac address='{mac}'/>
      <source bridge='{bridge}'/>
      <model type='virtio'/>{extra}
    </interface>
  </devices>
</domain>
"""
