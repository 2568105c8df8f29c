"""Cold start to first paint: vifconf's editor vs a bare one-widget Textual app, same run.

Each sample is a fresh interpreter (`python -c …`) that builds the app, runs it headless,
and exits right after the first frame. Samples alternate so both see the same machine state.
Budget (issue 4): vifconf ≤ 1.5× the bare app (median).

    .venv/bin/python bench/bench_tui_start.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

BARE = """
from textual.app import App
from textual.widgets import Static
class Bare(App):
    def compose(self):
        yield Static("hello")
    def on_mount(self):
        self.call_after_refresh(self.exit)
Bare().run(headless=True, size=(80, 24))
"""

VIFCONF = """
import os
os.environ["VIFCONF_EXIT_AFTER_PAINT"] = "1"
from vifconf.examples import EXAMPLE_DOMAIN
from vifconf.model import Domain
from vifconf.render import RenderOptions
from vifconf.tui.app import make_app
make_app(Domain.from_path(EXAMPLE_DOMAIN), None, None, RenderOptions(), remember=False).run(
    headless=True, size=(80, 24))
"""


def sample(code: str) -> float:
    env = dict(os.environ, PYTHONPATH=str(REPO), TEXTUAL_ANIMATIONS="none")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=REPO, timeout=60)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    sample(BARE), sample(VIFCONF)  # warm the OS file cache and .pyc files
    bare, ours = [], []
    for _ in range(args.runs):
        bare.append(sample(BARE))
        ours.append(sample(VIFCONF))
    b, v = statistics.median(bare), statistics.median(ours)
    print(f"bare one-widget app: median {b * 1000:.0f} ms (min {min(bare) * 1000:.0f})")
    print(f"vifconf editor:      median {v * 1000:.0f} ms (min {min(ours) * 1000:.0f})")
    print(f"ratio: {v / b:.2f}x (budget 1.50x)")
    return 0 if v / b <= 1.5 else 1


if __name__ == "__main__":
    raise SystemExit(main())
