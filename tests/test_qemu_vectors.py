"""The qemu target against every real run in shared/vectors/qemu (libvirt 9.0, QEMU 7.2).

fd numbers are libvirt's choice at start time: compared as placeholders (same keys, same
count), everything else byte for byte. An ``expected_error`` case must yield an
error-severity problem from the renderer.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.support import vector_params
from vifconf.model import Domain
from vifconf.render import RenderOptions, qemu

FD_VALUE = re.compile(r"^\d+(:\d+)*$")


def with_fd_placeholders(argv: list[str]) -> list[str]:
    """Replace the values of "fd"/"fds"/"vhostfd"/"vhostfds" in JSON args by <fd> per number."""
    out = []
    for arg in argv:
        if arg.startswith("{"):
            props = json.loads(arg)
            for key in ("fd", "fds", "vhostfd", "vhostfds"):
                value = props.get(key)
                if isinstance(value, str) and FD_VALUE.match(value):
                    props[key] = ":".join(qemu.FD for _ in value.split(":"))
            arg = qemu.compact(props)
        out.append(arg)
    return out


@pytest.mark.parametrize("case", vector_params("qemu"))
def test_qemu_vector(case: dict[str, Any]) -> None:
    rendering = qemu.render(Domain.from_string(case["xml"], case["_file"]), RenderOptions())
    if "expected_error" in case:
        errors = [p for p in rendering.problems if p.severity == "error"]
        assert errors, f"libvirt/QEMU refused this ({case['expected_error']}) but the renderer found no error"
        return
    assert not [p for p in rendering.problems if p.severity == "error"], rendering.problems
    assert rendering.items == with_fd_placeholders(case["expected_argv"])


def test_fd_placeholder_form() -> None:
    placeholders = with_fd_placeholders(['{"type":"tap","fds":"8:9:10","id":"x"}'])
    assert placeholders == ['{"type":"tap","fds":"<fd>:<fd>:<fd>","id":"x"}']
