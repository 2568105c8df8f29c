"""Fixtures for the TUI tests: a fixed theme, no animations, a private settings dir."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from vifconf.examples import EXAMPLE_DOMAIN


@pytest.fixture(autouse=True)
def _deterministic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    monkeypatch.setenv("VIFCONF_THEME", "textual-dark")
    monkeypatch.setenv("VIFCONF_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("VIFCONF_STATE_DIR", str(tmp_path / "state"))  # crash-recovery journals
    monkeypatch.delenv("NO_COLOR", raising=False)
    from vifconf import fileio

    reset = getattr(fileio, "reset_backup_session", None)
    if reset is not None:
        reset()
    yield


@pytest.fixture
def example_file(tmp_path: Path) -> Path:
    """A writable copy of the bundled example domain."""
    target = tmp_path / "gihan-hvm.xml"
    shutil.copyfile(EXAMPLE_DOMAIN, target)
    return target


@pytest.fixture
def clean_file(tmp_path: Path) -> Path:
    """The example with NIC 3's bad MAC fixed, so saving is not blocked."""
    target = tmp_path / "clean.xml"
    target.write_bytes(EXAMPLE_DOMAIN.read_bytes().replace(b"00:16:3e:0G:a5:59", b"00:16:3e:00:a5:59"))
    return target


@pytest.fixture
def make_test_app() -> object:
    """Build the app exactly as the CLI does (through `make_app`)."""
    from vifconf.model import Domain
    from vifconf.render import RenderOptions
    from vifconf.tui.app import make_app

    def build(path: Path | None = None, output: str | None = None, remember: bool = False) -> object:
        domain = Domain.from_path(path or EXAMPLE_DOMAIN)
        return make_app(domain, str(path) if path else None, output, RenderOptions(), remember=remember)

    return build
