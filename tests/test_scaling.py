"""Rendering and checking stay linear in the number of NICs (a domain may hold 4096).

Counted in calls of the inner step, not in seconds: quadrupling the NICs must not do much
more than quadruple the work (a quadratic step would do sixteen times as much)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from vifconf import validate
from vifconf.model import Domain
from vifconf.render import RenderOptions, pci, render_all


def domain(nics: int, machine: str, broken: bool = False) -> Domain:
    """``broken``: every NIC has problems both validation and the qemu target find."""
    kind, first_byte = ("bridge", "01") if broken else ("user", "52")
    interfaces = "".join(
        f"<interface type='{kind}'><mac address='{first_byte}:54:00:00:{i >> 8:02x}:{i & 0xFF:02x}'/>"
        f"<model type='{'e1000' if i % 3 else 'virtio'}'/></interface>"
        for i in range(nics)
    )
    return Domain.from_string(
        f"<domain type='kvm'><name>many</name><os><type arch='x86_64' machine='{machine}'>hvm</type></os>"
        f"<devices>{interfaces}</devices></domain>"
    )


def calls(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, action: Callable[[], object]) -> int:
    count = 0
    original = getattr(owner, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal count
        count += 1
        return original(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(owner, name, counted)
        action()
    return count


def render_and_check(nics: int, machine: str, broken: bool) -> Callable[[], object]:
    def action() -> object:
        built = domain(nics, machine, broken)
        return render_all(built, RenderOptions()), validate.check(built, RenderOptions(), schema=False)

    return action


@pytest.mark.parametrize(
    ("machine", "broken", "owner", "name", "size"),
    [
        ("q35", False, pci._Bus, "takes", 100),  # auto placement scanning the buses for each NIC
        # bus 0's room, once the pc placement gives up: from 301 NICs on, more than libvirt's
        # bridges hold (it refuses 299 and more; vifconf still places up to 300)
        ("pc", False, pci, "is_device", 301),
        ("pc", True, validate, "_same_fault", 100),  # merging the targets' refusals into the problems
    ],
)
def test_work_grows_linearly(monkeypatch: pytest.MonkeyPatch, machine: str, broken: bool, owner: Any,
                             name: str, size: int) -> None:  # fmt: skip
    small = calls(monkeypatch, owner, name, render_and_check(size, machine, broken))
    large = calls(monkeypatch, owner, name, render_and_check(4 * size, machine, broken))
    assert small > 0
    assert large <= 6 * small
