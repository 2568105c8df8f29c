"""Update an `OptionList` in place: only the rows whose key changed get a new prompt.

`OptionList.set_options` and `replace_option_prompt_at_index` both throw the line cache away,
so the next paint re-measures *every* row (64 NICs → 64 text wraps per keystroke). When a
changed row keeps its height, `RowPatcher` keeps the line cache and drops only that row's
rendered strips. Relies on OptionList internals of Textual 8.2 (`_line_cache`,
`_option_render_cache`); tests/tui/test_perf.py checks the rows it paints.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from textual.widgets import OptionList
from textual.widgets.option_list import Option


def _row_height(widget: OptionList, option: Option) -> int | None:
    region = widget.scrollable_content_region
    if not region:
        return None
    padding = widget.get_component_styles("option-list--option").padding
    width = region.width - widget._get_left_gutter_width() - padding.width
    styles: Any = widget.styles  # what OptionList itself passes (its annotation says RulesMap)
    return widget._get_visual(option).get_height(styles, width) + int(option._divider)


class RowPatcher:
    """Remembers the key of every row shown; `apply` rebuilds only what changed.

    ``apply(widget, keys, make)``: ``keys[i]`` summarises row i (cheap to build and compare),
    ``make(i)`` builds its `Option` and is called only for new or changed rows.
    """

    def __init__(self) -> None:
        self.keys: list[Hashable] = []

    def apply(self, widget: OptionList, keys: list[Hashable], make: Callable[[int], Option]) -> None:
        old = self.keys
        if len(old) != widget.option_count or not widget.is_mounted or not old:
            widget.set_options([make(i) for i in range(len(keys))])
            self.keys = list(keys)
            return
        if len(old) != len(keys):
            self._rebuild(widget, keys, make)
            self.keys = list(keys)
            return
        changed = [i for i, (a, b) in enumerate(zip(old, keys, strict=True)) if a != b]
        self.keys = list(keys)
        if not changed:
            return
        for index in changed:
            option = widget.get_option_at_index(index)
            new = make(index)
            height = widget._line_cache.heights.get(index)
            option._set_prompt(new.prompt)
            option.disabled = new.disabled
            if height is None or _row_height(widget, option) != height:
                widget._clear_caches()  # a row grew or shrank: re-measure every row (rare)
            else:
                cache = widget._option_render_cache
                for cache_key in [k for k in list(cache.keys()) if k[0] is option]:
                    cache.discard(cache_key)
        widget.refresh()

    def _rebuild(self, widget: OptionList, keys: list[Hashable], make: Callable[[int], Option]) -> None:
        """Rows were added or removed: reuse the Option (and its measured height) of every row
        whose key is still there, measure only the new rows, keep the scroll position."""
        heights = widget._line_cache.heights
        old_at: dict[Hashable, int] = {}
        for index, key in enumerate(self.keys):
            old_at.setdefault(key, index)
        old_options = list(widget.options)
        options: list[Option] = []
        known: list[int | None] = []
        for index, key in enumerate(keys):
            at = old_at.pop(key, None)
            if at is not None and at in heights:
                options.append(old_options[at])
                known.append(heights[at])
            else:
                options.append(make(index))
                known.append(None)
        highlighted, scroll_y = widget.highlighted, widget.scroll_y
        widget._options.clear()
        widget._line_cache.clear()
        widget._option_render_cache.clear()  # strips carry their row index: drop them all
        widget._id_to_option.clear()
        widget._option_to_index.clear()
        widget._mouse_hovering_over = None
        line_cache = widget._line_cache
        for index, option in enumerate(options):
            widget._option_to_index[option] = index
            if option._id is not None:
                widget._id_to_option[option._id] = option
            widget._options.append(option)
        for index, option in enumerate(options):
            height = known[index]
            if height is None:
                height = _row_height(widget, option)
                if height is None:  # no size yet: let OptionList measure from here on
                    break
            line_cache.index_to_line[index] = len(line_cache.lines)
            line_cache.heights[index] = height
            line_cache.lines.extend((index, line) for line in range(height))
        widget.refresh(layout=widget.styles.auto_dimensions)
        widget._update_lines()
        if not options:
            widget.highlighted = None
        elif highlighted is not None:
            widget.highlighted = min(highlighted, len(options) - 1)
        widget.scroll_y = min(scroll_y, widget.max_scroll_y)

    def reset(self) -> None:
        self.keys = []
