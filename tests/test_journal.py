"""Crash-recovery journal: 0600 files in a private state dir, keyed by the real path, offered
for restore only when they differ from what is on disk."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support import REPO
from vifconf import journal
from vifconf.fileio import fingerprint, save_atomic
from vifconf.model.domain import Domain

OLD = b"<domain type='xen'>\n  <devices>\n    <interface type='bridge'><source bridge='xenbr0'/></interface>\n"
OLD += b"  </devices>\n</domain>\n"


@pytest.fixture(autouse=True)
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "state"
    monkeypatch.setenv(journal.ENV_STATE_DIR, str(directory))
    return directory


def test_write_pending_discard(tmp_path: Path, state: Path) -> None:
    path = tmp_path / "g.xml"
    path.write_bytes(OLD)
    assert journal.pending(str(path)) is None
    edited = OLD.replace(b"xenbr0", b"br1")
    journal.write(str(path), edited, base=fingerprint(str(path)))
    assert journal.pending(str(path)) == edited
    journal.discard(str(path))
    assert journal.pending(str(path)) is None
    journal.discard(str(path))  # twice is fine


def test_files_are_0600_and_dir_0700(tmp_path: Path, state: Path) -> None:
    path = tmp_path / "g.xml"
    path.write_bytes(OLD)
    old_umask = os.umask(0)  # even with a permissive umask
    try:
        journal.write(str(path), b"<domain/>")
    finally:
        os.umask(old_umask)
    files = list((state / "journal").iterdir())
    assert len(files) == 1
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE((state / "journal").stat().st_mode) == 0o700


def test_keyed_by_real_path(tmp_path: Path) -> None:
    path = tmp_path / "g.xml"
    path.write_bytes(OLD)
    link = tmp_path / "link.xml"
    link.symlink_to(path)
    journal.write(str(link), b"<domain><name>x</name></domain>")
    assert journal.pending(str(path)) == b"<domain><name>x</name></domain>"
    assert journal.pending(str(tmp_path / "." / "g.xml")) == b"<domain><name>x</name></domain>"
    assert journal.key(str(link)) == str(path.resolve())


def test_journal_equal_to_disk_is_stale_and_removed(tmp_path: Path, state: Path) -> None:
    path = tmp_path / "g.xml"
    path.write_bytes(OLD)
    journal.write(str(path), OLD)
    assert journal.pending(str(path)) is None
    assert list((state / "journal").iterdir()) == []


def test_entry_keeps_base_fingerprint(tmp_path: Path) -> None:
    path = tmp_path / "g.xml"
    path.write_bytes(OLD)
    base = fingerprint(str(path))
    journal.write(str(path), b"<domain/>", base=base)
    found = journal.entry(str(path))
    assert found is not None
    assert found.base == base
    assert found.data == b"<domain/>"
    assert found.path == str(path.resolve())


def test_binary_and_utf16_content_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "g.xml"
    path.write_bytes(OLD)
    data = b"\xff\xfe" + "<domain>\n<name>é</name></domain>".encode("utf-16-le")
    journal.write(str(path), data)
    assert journal.pending(str(path)) == data


def test_corrupt_journal_is_ignored_and_removed(tmp_path: Path, state: Path) -> None:
    path = tmp_path / "g.xml"
    path.write_bytes(OLD)
    journal.write(str(path), b"<domain/>")
    [file] = list((state / "journal").iterdir())
    file.write_bytes(b"garbage without header")
    assert journal.pending(str(path)) is None
    assert not file.exists()


def test_missing_file_with_journal_is_offered(tmp_path: Path) -> None:
    path = tmp_path / "g.xml"
    path.write_bytes(OLD)
    journal.write(str(path), b"<domain/>")
    path.unlink()
    assert journal.pending(str(path)) == b"<domain/>"


def test_state_dir_owned_by_someone_else_or_open_is_refused(tmp_path: Path, state: Path) -> None:
    (state / "journal").mkdir(parents=True)
    (state / "journal").chmod(0o777)
    path = tmp_path / "g.xml"
    path.write_bytes(OLD)
    journal.write(str(path), b"<domain/>")  # we own it: permissions are tightened
    assert stat.S_IMODE((state / "journal").stat().st_mode) == 0o700
    if os.geteuid() == 0:
        os.chown(state / "journal", 65534, 65534)
        with pytest.raises(journal.JournalError, match="owned by uid 65534"):
            journal.write(str(path), b"<domain/>")
        assert journal.pending(str(path)) is None  # never read someone else's journal


def test_journal_dir_as_symlink_is_refused(tmp_path: Path, state: Path) -> None:
    state.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (state / "journal").symlink_to(elsewhere)
    path = tmp_path / "g.xml"
    path.write_bytes(OLD)
    with pytest.raises(journal.JournalError, match="not a directory"):
        journal.write(str(path), b"<domain/>")
    assert list(elsewhere.iterdir()) == []


def test_unwritable_state_dir_is_a_journal_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    monkeypatch.setenv(journal.ENV_STATE_DIR, str(blocker / "sub"))
    with pytest.raises(journal.JournalError) as caught:
        journal.write(str(tmp_path / "g.xml"), b"<domain/>")
    assert "\n" not in str(caught.value)


def test_default_location_is_platformdirs_state_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    monkeypatch.delenv(journal.ENV_STATE_DIR, raising=False)
    assert journal.state_dir() == Path(platformdirs.user_state_dir("vifconf", appauthor=False))


_CRASHING_EDITOR = textwrap.dedent(
    """
    import os, signal, sys
    from vifconf import journal
    from vifconf.model.domain import Domain
    domain = Domain.from_path(sys.argv[1])
    domain.nic(1).set("source", "br-unsaved")
    journal.write(sys.argv[1], domain.to_bytes())
    os.kill(os.getpid(), signal.SIGKILL)  # crash before saving
    """
)


def test_restore_after_a_crash(tmp_path: Path, state: Path) -> None:
    """A process edits, journals, dies with SIGKILL; the next open finds the edit."""
    path = tmp_path / "g.xml"
    path.write_bytes(OLD)
    done = subprocess.run(
        [sys.executable, "-c", _CRASHING_EDITOR, str(path)],
        env=dict(os.environ, PYTHONPATH=str(REPO), **{journal.ENV_STATE_DIR: str(state)}),
        timeout=60,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL
    assert path.read_bytes() == OLD  # nothing saved
    restored = journal.pending(str(path))
    assert restored is not None
    domain = Domain.from_bytes(restored, str(path))
    assert domain.nic(1).source == "br-unsaved"
    assert restored == OLD.replace(b"xenbr0", b"br-unsaved")
    # the user restores and saves: the journal is then discarded
    save_atomic(str(path), restored, expected=fingerprint(str(path)))
    journal.discard(str(path))
    assert journal.pending(str(path)) is None
