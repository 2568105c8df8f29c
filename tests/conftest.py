"""pytest configuration for the whole suite; shared helpers live in tests/support.py
(imported as ``tests.support``: tests/tui has a conftest of its own, so "conftest" is ambiguous)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.support import REPO, need, need_command


@pytest.fixture(scope="session")
def embed_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    """``qemu:///embed?root=TMP``, prepared like shared/spec/libvirt-qemu.md says.

    One root for the whole run: libvirt opens a single embedded QEMU driver per process and
    refuses a second root, so every module that needs one shares this (each module defines
    its own domains and undefines them when done).
    """
    from vifconf import live

    need(live.available(), "libvirt-python is not installed (pip install '.[libvirt]')")
    need_command("qemu-system-x86_64")
    root = tmp_path_factory.mktemp("embed")
    prepare = REPO / "scripts" / "prepare-live-libvirt"
    result = subprocess.run([str(prepare), str(root)], capture_output=True, text=True)
    need(result.returncode == 0, f"scripts/prepare-live-libvirt failed: {result.stderr.strip()}")
    need(shutil.which("getent") is None or subprocess.run(["getent", "passwd", "libvirt-qemu"]).returncode == 0,
         "no libvirt-qemu user (run scripts/prepare-live-libvirt as root)")
    return f"qemu:///embed?root={root}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The worker-process tests (tests/test_batch.py) first: vifconf forks workers only from a
    single-threaded process, and a libvirt connection leaves an event-loop thread running for
    the rest of the session (test_live_libvirt, --connect tests), after which every run is
    serial and those tests would check nothing."""
    items.sort(key=lambda item: item.path.name != "test_batch.py")  # stable: the rest keep their order
