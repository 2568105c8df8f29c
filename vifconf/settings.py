"""Remembered UI state: the last preview tab and recent files (no Textual import).

Stored as JSON under platformdirs' user state dir; ``VIFCONF_CONFIG_DIR`` overrides the
directory (tests point it at a temp dir). A broken or unwritable file is ignored, never fatal.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

ENV_DIR = "VIFCONF_CONFIG_DIR"
MAX_RECENT = 10


def state_dir() -> Path:
    override = os.environ.get(ENV_DIR)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_state_dir("vifconf", appauthor=False))


@dataclass
class Settings:
    last_tab: str = "xend-sxpr"
    recent: list[str] = field(default_factory=list)

    @classmethod
    def path(cls) -> Path:
        return state_dir() / "state.json"

    @classmethod
    def load(cls) -> Settings:
        try:
            data = json.loads(cls.path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(data, dict):
            return cls()
        last_tab = data.get("last_tab")
        recent = data.get("recent")
        return cls(
            last_tab=last_tab if isinstance(last_tab, str) else cls.last_tab,
            recent=[r for r in recent if isinstance(r, str)][:MAX_RECENT] if isinstance(recent, list) else [],
        )

    def save(self) -> bool:
        path = self.path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"last_tab": self.last_tab, "recent": self.recent}, indent=2), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            return False
        return True

    def add_recent(self, file: str) -> None:
        full = str(Path(file).resolve())
        self.recent = [full, *[r for r in self.recent if r != full]][:MAX_RECENT]
