"""How a problem's severity looks: a colour, or with ``NO_COLOR`` weight and reverse video.

Under ``NO_COLOR`` Textual greys every colour by its brightness, and red on the dark panel
became dark grey on dark grey: the ✗ of an error was all but invisible."""

from __future__ import annotations

import os

COLOURED = {"error": "bold red", "warning": "yellow", "info": "cyan"}
UNCOLOURED = {"error": "bold reverse", "warning": "bold", "info": ""}


def severity_style(severity: str) -> str:
    table = UNCOLOURED if "NO_COLOR" in os.environ else COLOURED
    return table.get(severity, "")
