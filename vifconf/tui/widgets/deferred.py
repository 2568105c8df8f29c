"""Widgets that build their controls after the first frame must not do so while quitting."""

from __future__ import annotations

from textual.widget import Widget


def too_late(widget: Widget) -> bool:
    """True when building more widgets now would race the app's shutdown (or is pointless):
    the widget is gone, the app has been asked to exit, or it is no longer running."""
    if not widget.is_attached:
        return True
    app = widget.app
    return bool(getattr(app, "_exit", False) or app._exit_renderables or not app.is_running)
