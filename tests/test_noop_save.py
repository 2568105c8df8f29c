"""A no-op open + save is byte-identical, for every XML in the shared vectors (all folders),
including cases whose domain has error problems (the CLI/TUI ask for confirmation before such
a save; the bytes written are still the bytes read)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from vifconf import fileio
from vifconf.model.domain import Domain
from vifconf.model.source import InputError

# Not `from conftest import …`: tests/tui has its own conftest module of the same name.
SHARED = Path(os.environ.get("VIFCONF_SHARED") or Path(__file__).resolve().parent.parent.parent / "shared")
VECTORS = SHARED / "vectors"


def load_vectors(folder: str) -> list[dict[str, Any]]:
    files = sorted((VECTORS / folder).glob("*.json"))
    return [json.loads(f.read_text(encoding="utf-8")) | {"_file": f.name} for f in files]


FOLDERS = sorted(p.name for p in VECTORS.iterdir() if p.is_dir()) if VECTORS.is_dir() else []


def _xml_cases() -> list[Any]:
    params = []
    for folder in FOLDERS:
        for case in load_vectors(folder):
            if "xml" in case:
                params.append(pytest.param(case["xml"], id=f"{folder}/{case['_file'].removesuffix('.json')}"))
    return params


CASES = _xml_cases()


def test_vectors_are_there() -> None:
    assert len(CASES) >= 150, f"only {len(CASES)} vector XMLs under {VECTORS}"


@pytest.mark.parametrize("xml", CASES)
def test_noop_open_save_is_byte_identical(xml: str, tmp_path: Path) -> None:
    fileio.reset_backup_session()
    path = tmp_path / "case.xml"
    original = xml.encode("utf-8")
    path.write_bytes(original)
    try:
        data, stamp = fileio.load(str(path))
        domain = Domain.from_bytes(data, str(path))
    except InputError:
        pytest.skip("vector XML is not loadable (refusing it is covered by its own folder's tests)")
    assert domain.to_bytes() == original
    assert domain.to_text() == xml
    assert not domain.modified
    fileio.save_atomic(str(path), domain.to_bytes(), expected=stamp)
    assert path.read_bytes() == original


@pytest.mark.parametrize("xml", CASES)
def test_edit_then_undo_is_byte_identical(xml: str) -> None:
    """Touch every NIC (set its model), undo everything: the bytes are the original again."""
    domain = Domain.from_string(xml, "case.xml")
    for nic in domain.nics:
        nic.set("model", "vifconf-test")
        nic.set("source", None) if nic.type in ("bridge", "network") else None
    while domain.undo():
        pass
    assert domain.to_bytes() == xml.encode("utf-8")


@pytest.mark.parametrize("xml", CASES)
def test_noop_save_of_utf16_and_crlf_variants(xml: str) -> None:
    for data in (b"\xff\xfe" + xml.encode("utf-16-le"), xml.replace("\n", "\r\n").encode("utf-8")):
        try:
            domain = Domain.from_bytes(data, "case.xml")
        except InputError as exc:  # a declaration that says UTF-8 inside a UTF-16 file is still read by the BOM
            pytest.fail(str(exc))
        assert domain.to_bytes() == data
