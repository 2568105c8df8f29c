"""The wall between the core and the UI: the core never imports Textual."""

from __future__ import annotations

import subprocess
import sys

CORE_MODULES = [
    "vifconf.cli",
    "vifconf.model",
    "vifconf.render.xend_sxpr",
    "vifconf.render.qemu_dm",
    "vifconf.render.qemu",
    "vifconf.render.xl",
    "vifconf.validate",
    "vifconf.schema",
    "vifconf.fileio",
    "vifconf.journal",
    "vifconf.fleet",
    "vifconf.live",
]


def test_core_modules_do_not_import_textual() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {CORE_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "leaked = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(leaked))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == ""


def test_libvirt_bindings_are_not_imported_at_start() -> None:
    code = "import sys, vifconf.cli, vifconf.live\nprint('libvirt' in sys.modules)\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == "False"
