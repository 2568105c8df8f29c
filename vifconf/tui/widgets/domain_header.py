"""One-line header: domain name, hypervisor/OS type, file path, modified marker."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.widgets import Static

from vifconf.model.domain import DomainFacts
from vifconf.tui.severity import severity_style


class DomainHeader(Static):
    """The path gives way to the status: a long path is cut in the middle (``/srv/…/guest.xml``),
    so "● modified" and the error count always show (they were pushed off the line)."""

    _shown: tuple[DomainFacts, str, bool, int, bool] | None = None

    def show(self, facts: DomainFacts, path: str, modified: bool, errors: int, read_only: bool = False) -> None:
        """``read_only``: a save there would be refused (the user learns it before editing)."""
        self._shown = (facts, path, modified, errors, read_only)
        head = Text()
        head.append(" vifconf ", style="bold reverse")
        head.append(f" {facts.name or '(unnamed)'} ", style="bold")
        kind = facts.hypervisor or "?"
        if facts.is_xen:
            kind += " hvm" if facts.hvm else " pv"
        elif facts.os_type:
            kind += f" {facts.os_type}"
        head.append(f"[{kind}] ")
        status = Text()
        if read_only:
            status.append("  read-only", style=severity_style("warning"))
        if modified:
            status.append("  ● modified", style="bold")
        if errors:
            status.append(f"  ✗ {errors} error{'s' if errors != 1 else ''}", style=severity_style("error"))
        room = self.size.width - head.cell_len - status.cell_len if self.size.width else len(path)
        head.append(fit_path(path, room), style="italic")
        self.update(head + status)

    def on_resize(self, event: events.Resize) -> None:
        if self._shown is not None:
            self.show(*self._shown)


def fit_path(path: str, room: int) -> str:
    """``path`` in ``room`` cells, cut in the middle: the file name at the end matters most,
    and the start says where it is (``stdin → …``, a live ``qemu+ssh://host``)."""
    if len(path) <= room:
        return path
    if room < 2:
        return ""
    name = len(path) - path.rfind("/")  # the file name and its slash
    tail = min(room - 1, max(name, room - 1 - room // 3))
    return path[: room - 1 - tail] + "…" + path[len(path) - tail :]
