"""End to end in a real terminal: vifconf under tmux at 80x24, driven with send-keys (one key
per call), the screen read with capture-pane, and the saved file checked.

This is the issue's "done when": open the example, NIC 1 to type none, NIC 2's model to e1000,
fix the bad MAC the problems panel points to, save, and find the file correct.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import need_command
from vifconf.examples import EXAMPLE_DOMAIN

pytestmark = pytest.mark.tmux


class Tmux:
    def __init__(self, tmux: str, session: str, socket: str) -> None:
        self.tmux = tmux
        self.session = session
        self.socket = socket

    def run(self, *args: str) -> str:
        result = subprocess.run([self.tmux, "-L", self.socket, *args], capture_output=True, text=True, timeout=20)
        return result.stdout

    def key(self, key: str) -> None:
        self.run("send-keys", "-t", self.session, key)
        time.sleep(0.12)

    def text(self, text: str) -> None:
        for char in text:
            self.run("send-keys", "-t", self.session, "-l", char)
            time.sleep(0.05)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.session)

    def start_vifconf(self, workdir: Path, arguments: str, term: str = "xterm-256color", stdin: str = "") -> None:
        """Run ``vifconf ARGUMENTS`` in ``workdir`` in an 80x24 session (``stdin``: a command
        whose output is piped in); the pane stays open after exit, showing ``EXITED <status>``."""
        env = {
            "TEXTUAL_ANIMATIONS": "none",
            "VIFCONF_CONFIG_DIR": str(workdir / "config"),
            "VIFCONF_STATE_DIR": str(workdir / "state"),
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
            "TERM": term,
        }
        exports = " ".join(f"{k}={v}" for k, v in env.items())
        pipe = f"{stdin} | " if stdin else ""
        vifconf = f"{pipe}env {exports} {sys.executable} -m vifconf {arguments}"
        command = f"cd {workdir} && {vifconf}; echo EXITED $?; sleep 30"
        self.run("new-session", "-d", "-s", self.session, "-x", "80", "-y", "24", command)

    def wait_for_form(self) -> None:
        """Until the NIC form is built (its pickers show ▼; the first frame shows a sketch of
        it): keys sent earlier would reach the list, as they would for a very fast typist."""
        deadline = time.monotonic() + 20.0
        while time.monotonic() < deadline:
            if any("Type" in line and "▼" in line for line in self.screen().splitlines()):
                return
            time.sleep(0.1)
        raise AssertionError(f"the form was never built:\n{self.screen()}")

    def wait_for(self, needle: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if needle in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{needle!r} never appeared on screen:\n{screen}")


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    binary = need_command("tmux")
    socket = f"vifconf-test-{uuid.uuid4().hex[:8]}"
    session = "e2e"
    yield Tmux(binary, session, socket)
    subprocess.run([binary, "-L", socket, "kill-server"], capture_output=True, timeout=20)


def test_done_when_flow_in_tmux_80x24(tmux: Tmux, tmp_path: Path) -> None:
    target = tmp_path / "gihan-hvm.xml"
    shutil.copyfile(EXAMPLE_DOMAIN, target)
    tmux.start_vifconf(tmp_path, target.name)
    tmux.wait_for("NICs")
    tmux.wait_for("gihan-hvm")
    tmux.wait_for_form()

    # NIC 1: Enter edits it (focus on the type picker), Enter opens the picker, type to search.
    tmux.key("Enter")
    tmux.key("Enter")
    tmux.text("none")
    tmux.key("Enter")
    tmux.wait_for("no guest NIC")
    tmux.key("Escape")

    # NIC 2: model e1000 (type, source, script, model: three tabs from the type picker)
    tmux.key("Down")
    tmux.wait_for("NIC 2")
    tmux.key("Enter")
    for _ in range(3):
        tmux.key("Tab")
    tmux.key("Enter")
    tmux.text("e1000")
    tmux.key("Enter")
    screen = tmux.wait_for("(model 'e1000')")  # the sxpr preview changed
    assert "modified" in screen
    tmux.key("Escape")

    # the problems panel points at NIC 3's bad MAC: n jumps there, fix it
    tmux.key("n")  # NIC 1's type-none warning
    tmux.wait_for("NIC 1 type")
    tmux.key("n")
    tmux.wait_for("─ NIC 3")
    tmux.key("Enter")  # into the field the problem names
    time.sleep(0.3)
    tmux.key("C-u")
    tmux.text("00:16:3e:00:a5:59")
    tmux.key("Escape")
    tmux.key("C-s")
    tmux.wait_for("Save gihan-hvm.xml?")
    tmux.key("y")
    tmux.wait_for("saved")
    tmux.key("C-q")
    tmux.wait_for("EXITED 0")

    saved = target.read_text()
    original = EXAMPLE_DOMAIN.read_text()
    nic1 = "<interface type='{}'>\n      <source bridge='xenbr0'/>\n      <mac address='00:16:3e:00:a5:57'/>"
    expected = (
        original.replace(nic1.format("bridge"), nic1.format("none"))
        .replace("<model type='rtl8139'/>", "<model type='e1000'/>")
        .replace("00:16:3e:0G:a5:59", "00:16:3e:00:a5:59")
    )
    assert saved == expected
    assert Path(str(target) + ".bak").read_text() == original
    assert os.path.exists(target)


def test_term_linux_opens_moves_and_quits(tmux: Tmux, tmp_path: Path) -> None:
    """The Linux console (16 colours, fewer glyphs): the editor comes up, keys work, quit is clean."""
    tmux.start_vifconf(tmp_path, "", term="linux")
    tmux.wait_for("NICs")
    tmux.wait_for("gihan-hvm")
    tmux.key("Down")
    tmux.wait_for("NIC 2")
    tmux.key("F2")  # next preview tab
    tmux.wait_for("rules:")
    tmux.key("C-q")
    tmux.wait_for("EXITED 0")


def test_stdin_keys_work_and_save_goes_to_output(tmux: Tmux, tmp_path: Path) -> None:
    """`cat guest.xml | vifconf - --output out.xml`: stdin is the pipe, yet the keyboard works
    (the app reads keys from the terminal) and ctrl+s writes --output."""
    source = tmp_path / "guest.xml"
    source.write_bytes(EXAMPLE_DOMAIN.read_bytes().replace(b"00:16:3e:0G:a5:59", b"00:16:3e:00:a5:59"))
    tmux.start_vifconf(tmp_path, "- --output out.xml", stdin="cat guest.xml")
    tmux.wait_for("stdin → out.xml")
    tmux.key("a")
    tmux.wait_for("NIC 4")
    tmux.key("C-s")
    tmux.wait_for("Save out.xml?")
    tmux.key("y")
    tmux.wait_for("saved")
    tmux.key("C-q")
    tmux.wait_for("EXITED 0")
    assert (tmp_path / "out.xml").read_text().count("</interface>") == 4
    assert source.read_bytes().count(b"</interface>") == 3


def test_the_fleet_table_keeps_its_columns_after_the_editor(tmux: Tmux, tmp_path: Path) -> None:
    """Back from a guest's editor, the table was rebuilt while the editor was still leaving
    and measured every column as wide as its header (`gihan-`, `brid`, `00:`)."""
    fleet = tmp_path / "fleet"
    fleet.mkdir()
    shutil.copyfile(EXAMPLE_DOMAIN, fleet / "a.xml")
    (fleet / "b.xml").write_text(EXAMPLE_DOMAIN.read_text().replace("gihan-hvm", "second-guest"))
    tmux.start_vifconf(tmp_path, "fleet")
    tmux.wait_for("vifconf fleet")
    tmux.wait_for("gihan-hvm")
    tmux.key("Enter")
    tmux.wait_for("fleet/a.xml")
    tmux.wait_for_form()
    tmux.key("b")
    screen = tmux.wait_for("vifconf fleet")
    time.sleep(0.5)
    screen = tmux.screen()
    assert "gihan-hvm" in screen and "00:16:3e:00:a5:57" in screen and "second-guest" in screen
    tmux.key("C-q")
    tmux.wait_for("EXITED 0")


def test_a_burst_with_backspace_keeps_its_order(tmux: Tmux, tmp_path: Path) -> None:
    """From a tmux audit: Backspace and the letters behind it sent in one write (what a quick
    typist over SSH produces) gave bridge `0xenbr` instead of `xenbr0` (Textual ran the
    Backspace after the letters), and that went into the XML."""
    target = tmp_path / "guest.xml"
    shutil.copyfile(EXAMPLE_DOMAIN, target)
    tmux.start_vifconf(tmp_path, target.name)
    tmux.wait_for_form()
    tmux.key("Enter")  # NIC 1: the type picker
    tmux.key("Tab")  # the bridge field, xenbr0
    tmux.key("End")
    tmux.run("send-keys", "-t", tmux.session, "BSpace", "BSpace", "r", "9")  # one write
    tmux.wait_for("(bridge 'xenbr9')")
    tmux.run("send-keys", "-t", tmux.session, "BSpace", "BSpace", "BSpace", "b", "r", "7")
    tmux.wait_for("(bridge 'xenbr7')")
    tmux.key("Escape")
    tmux.key("C-s")
    tmux.wait_for("Save anyway")  # the example's bad MAC
    tmux.key("a")
    tmux.wait_for("Save guest.xml?")
    tmux.key("y")
    tmux.wait_for("saved")
    tmux.key("C-q")
    tmux.wait_for("EXITED 0")
    assert "<source bridge='xenbr7'/>" in target.read_text()
