"""Regenerate screenshots/*.svg from the real app states (the same ones the snapshot tests use).

    .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "screenshots"


async def shoot(name: str, size: tuple[int, int], steps: Callable[[Any], Awaitable[None]] | None = None) -> None:
    from vifconf.examples import EXAMPLE_DOMAIN
    from vifconf.model import Domain
    from vifconf.render import RenderOptions
    from vifconf.tui.app import make_app

    with tempfile.TemporaryDirectory() as tmp:
        cwd = os.getcwd()
        os.chdir(tmp)
        os.environ["VIFCONF_STATE_DIR"] = str(Path(tmp) / "state")  # recovery journals stay in here
        try:
            shutil.copyfile(EXAMPLE_DOMAIN, "gihan-hvm.xml")
            app = make_app(Domain.from_path("gihan-hvm.xml"), "gihan-hvm.xml", None, RenderOptions(), remember=False)
            async with app.run_test(size=size) as pilot:
                await pilot.pause()
                if steps is not None:
                    await steps(pilot)
                await pilot.pause()
                app.save_screenshot(str(OUT / f"{name}.svg"))
        finally:
            os.chdir(cwd)


async def edited(pilot: Any) -> None:
    screen = pilot.app.screen
    screen.apply_edit(3, "mac", "00:16:3e:00:a5:59")
    screen.apply_edit(1, "type", "none")
    screen.apply_edit(2, "model", "e1000")
    await pilot.pause()


async def save_dialog(pilot: Any) -> None:
    await edited(pilot)
    await pilot.press("ctrl+s")


async def nic3(pilot: Any) -> None:
    await pilot.press("down", "down")


async def help_screen(pilot: Any) -> None:
    await pilot.press("question_mark")


async def shoot_fleet(name: str, size: tuple[int, int]) -> None:
    """The fleet view over a directory made from the bundled example: a guest cloned with its
    MACs, a KVM copy, and one with a long name (what 80 columns must cut)."""
    from vifconf.examples import EXAMPLE_DOMAIN
    from vifconf.tui.fleet_screen import FleetScreen, make_fleet_app

    example = EXAMPLE_DOMAIN.read_text()
    guests = {
        "gihan-hvm": example,
        "gihan-hvm-clone": example.replace("gihan-hvm", "gihan-hvm-clone"),
        "kvm-guest": example.replace("type='xen'", "type='kvm'").replace("gihan-hvm", "kvm-guest")
        .replace("00:16:3e:00:a5", "52:54:00:00:a5").replace("xenfv", "pc"),
        "webserver-production-frontend": example.replace("gihan-hvm", "webserver-production-frontend")
        .replace("00:16:3e:00:a5", "00:16:3e:00:b5"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        cwd = os.getcwd()
        os.chdir(tmp)
        os.environ["VIFCONF_STATE_DIR"] = str(Path(tmp) / "state")
        try:
            Path("guests").mkdir()
            for guest, text in guests.items():
                Path("guests", f"{guest}.xml").write_text(text)
            app = make_fleet_app(["guests"])
            async with app.run_test(size=size) as pilot:
                for _ in range(100):
                    await pilot.pause()
                    screen = app.screen
                    if isinstance(screen, FleetScreen) and screen.load_progress is None and screen.fleet.entries:
                        break
                await pilot.pause()
                app.save_screenshot(str(OUT / f"{name}.svg"))
        finally:
            os.chdir(cwd)


async def main() -> None:
    os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
    OUT.mkdir(exist_ok=True)
    await shoot("main-80x24", (80, 24))
    await shoot("main-160x48", (160, 48))
    await shoot("bad-mac-80x24", (80, 24), nic3)
    await shoot("edited-160x48", (160, 48), edited)
    await shoot("save-dialog-80x24", (80, 24), save_dialog)
    await shoot("help-80x24", (80, 24), help_screen)
    await shoot_fleet("fleet-80x24", (80, 24))


if __name__ == "__main__":
    asyncio.run(main())
