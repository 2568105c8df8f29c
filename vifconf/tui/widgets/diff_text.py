"""How a unified diff looks on screen, shared by the XML-diff tab and the save dialog."""

from __future__ import annotations

from collections.abc import Collection

from rich.text import Text

from vifconf.diff import diff_lines

HIGHLIGHT = "bold reverse"
"""The selected NIC's part, in every preview tab (works without colour)."""


def _line_style(line: str, index: int) -> str:
    if index < 2 and line.startswith(("+++", "---")):
        return "bold"
    if line.startswith("+"):
        return "green"
    if line.startswith("-"):
        return "red"
    if line.startswith("@@"):
        return "cyan"
    return ""


def styled_diff(diff: str, highlight: Collection[int] = ()) -> Text:
    """The diff as styled text; lines whose index is in ``highlight`` are marked HIGHLIGHT."""
    body = Text()
    for index, line in enumerate(diff_lines(diff)):
        style = _line_style(line, index)
        if index in highlight:
            style = f"{style} {HIGHLIGHT}".strip()
        body.append(line + "\n", style=style)
    return body
