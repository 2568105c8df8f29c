"""Each rendering says where its items sit in its text (the UI highlights with these)."""

from __future__ import annotations

import shlex
from typing import Any

import pytest

from tests.support import load_vectors
from vifconf.model import Domain
from vifconf.render import TARGETS, RenderOptions, render_all

CASES = [pytest.param(case, id=f"{folder}/{case['_file']}") for folder in ("xend-sxpr", "xl", "qemu")
         for case in load_vectors(folder)]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_spans_point_at_the_items(case: dict[str, Any]) -> None:
    domain = Domain.from_string(case["xml"])
    for target, rendering in render_all(domain, RenderOptions(), TARGETS).items():
        assert len(rendering.spans) == len(rendering.items), target
        for item, (start, end) in zip(rendering.items, rendering.spans, strict=True):
            shown = rendering.text[start:end]
            assert shown == (shlex.quote(item) if rendering.kind == "argv" else item), target
        for nic in domain.nics:
            assert len(rendering.nic_spans(nic.index)) == len(rendering.nic_items.get(nic.index, []))
