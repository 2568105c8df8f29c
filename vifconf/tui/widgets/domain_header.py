"""One-line header: domain name, hypervisor/OS type, file path, modified marker."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from vifconf.model.domain import DomainFacts


class DomainHeader(Static):
    def show(self, facts: DomainFacts, path: str, modified: bool, errors: int) -> None:
        text = Text()
        text.append(" vifconf ", style="bold reverse")
        text.append(f" {facts.name or '(unnamed)'} ", style="bold")
        kind = facts.hypervisor or "?"
        if facts.is_xen:
            kind += " hvm" if facts.hvm else " pv"
        elif facts.os_type:
            kind += f" {facts.os_type}"
        text.append(f"[{kind}] ")
        text.append(path, style="italic")
        if modified:
            text.append("  ● modified", style="bold")
        if errors:
            text.append(f"  ✗ {errors} error{'s' if errors != 1 else ''}", style="bold red")
        self.update(text)
