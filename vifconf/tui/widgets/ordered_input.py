"""A text field whose editing keys act in the order they were typed."""

from __future__ import annotations

from textual import events
from textual.widgets import Input


class OrderedInput(Input):
    """Textual inserts a printable key as soon as the field gets it, but runs the field's own
    bindings (Backspace, Delete, arrows, Home, End, ctrl+w …) only after the key has bubbled
    up to the App, a message queue per ancestor later. So in a burst (a fast typist, an SSH
    link delivering several keys in one read) the letters behind a Backspace went in first:
    ``xenbr5`` + Backspace ``7`` became ``xenbr5``, and ``0`` + Backspace ``xenbr0``
    ``0xenbr``. Running the field's own bindings here, where the letters are handled, keeps
    the order. The focused widget's bindings are the first the App would try anyway, and
    priority bindings have already run before the key reached the field."""

    async def _on_key(self, event: events.Key) -> None:
        if not event.is_printable:
            for binding in self._bindings.key_to_bindings.get(event.key, ()):
                if binding.priority:
                    continue
                event.stop()
                event.prevent_default()
                await self.run_action(binding.action)
                return
        await super()._on_key(event)
