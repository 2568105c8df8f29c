"""Crash recovery: unsaved edits journaled beside nothing the user did not already own.

While a document has unsaved edits the TUI calls `write` (after each edit, or on a timer);
a successful save or an explicit "discard changes" calls `discard`. When a file is opened,
`pending` returns the journaled bytes if they differ from what is on disk now — the app then
offers to restore them.

Where: ``platformdirs.user_state_dir("vifconf")/journal`` (``$VIFCONF_STATE_DIR/journal``
when that is set, for tests). The directory is created 0700 and refused if another user owns
it or can write to it; each journal file is created 0600. Journals are keyed by the real path
(symlinks resolved), so two names for one file share one journal, and a journal holds only the
bytes of a document the user opened themselves.

File format: one JSON header line (path, the fingerprint of the file on disk when editing
began, when the journal was written), then the document bytes exactly as they would be saved.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from vifconf.fileio import Fingerprint

ENV_STATE_DIR = "VIFCONF_STATE_DIR"
_VERSION = 1


class JournalError(Exception):
    """The journal could not be written or read safely; ``str()`` is one line. The edit is
    still in the app; only crash recovery is affected."""


@dataclass(frozen=True)
class JournalEntry:
    path: str
    """The real path the journal belongs to."""
    data: bytes
    base: Fingerprint | None
    """The file on disk when the edits began (``None`` if it did not exist)."""
    written_ns: int


def state_dir() -> Path:
    override = os.environ.get(ENV_STATE_DIR)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_state_dir("vifconf", appauthor=False))


def journal_dir(create: bool = False) -> Path:
    """The journal directory, checked to be private; created 0700 when ``create``."""
    directory = state_dir() / "journal"
    if create:
        try:
            directory.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            directory.mkdir(mode=0o700, exist_ok=True)
        except OSError as exc:
            raise JournalError(f"{directory}: cannot create the journal directory: {exc.strerror or exc}") from None
    try:
        info = os.lstat(directory)
    except FileNotFoundError:
        return directory
    except OSError as exc:
        raise JournalError(f"{directory}: {exc.strerror or exc}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise JournalError(f"{directory}: not a directory (a symlink or file is in the way); journal disabled")
    if info.st_uid != os.getuid():
        raise JournalError(f"{directory}: owned by uid {info.st_uid}, not you; journal disabled")
    if stat.S_IMODE(info.st_mode) & 0o077:
        with contextlib.suppress(OSError):
            os.chmod(directory, 0o700)
        if stat.S_IMODE(os.lstat(directory).st_mode) & 0o077:
            raise JournalError(f"{directory}: readable or writable by others; journal disabled")
    return directory


def key(path: str) -> str:
    """The journal key of a document: its real path, or the name itself for ``-`` / URIs."""
    if path == "-" or "://" in path:
        return path
    return os.path.realpath(path)


def _journal_file(path: str, create: bool = False) -> Path:
    digest = hashlib.sha256(key(path).encode("utf-8", "surrogateescape")).hexdigest()[:40]
    return journal_dir(create) / f"{digest}.journal"


def write(path: str, data: bytes, base: Fingerprint | None = None) -> None:
    """Journal the unsaved document ``data`` for ``path`` (atomically; file 0600).

    ``base``: the fingerprint of the file when it was loaded, so a later `entry` can tell
    whether the file changed underneath. Raises `JournalError`."""
    target = _journal_file(path, create=True)
    header = {
        "version": _VERSION,
        "path": key(path),
        "base": None if base is None else {"mtime_ns": base.mtime_ns, "size": base.size, "sha256": base.sha256},
        "written_ns": time.time_ns(),
    }
    blob = json.dumps(header, separators=(",", ":")).encode() + b"\n" + data
    temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o600)
        try:
            os.fchmod(fd, 0o600)
            view = memoryview(blob)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise JournalError(f"{target}: cannot write the recovery journal: {exc.strerror or exc}") from None


def entry(path: str) -> JournalEntry | None:
    """The journal for ``path``, whatever the disk holds; ``None`` if there is none or it is
    unreadable/corrupt (a corrupt journal is removed)."""
    try:
        target = _journal_file(path)
    except JournalError:
        return None
    try:
        fd = os.open(target, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
            return None
        with os.fdopen(os.dup(fd), "rb") as handle:
            blob = handle.read()
    finally:
        os.close(fd)
    head, newline, data = blob.partition(b"\n")
    try:
        header = json.loads(head)
        if not newline or header.get("version") != _VERSION or header.get("path") != key(path):
            raise ValueError("not ours")
        base = header.get("base")
        fp = None if base is None else Fingerprint(int(base["mtime_ns"]), int(base["size"]), str(base["sha256"]))
        written = int(header["written_ns"])
    except (ValueError, KeyError, TypeError):
        with contextlib.suppress(OSError):
            target.unlink()
        return None
    return JournalEntry(key(path), data, fp, written)


def pending(path: str) -> bytes | None:
    """Journaled bytes worth offering to restore: ``None`` when there is no journal or it
    holds exactly what is on disk now (such a stale journal is removed)."""
    found = entry(path)
    if found is None:
        return None
    try:
        with open(key(path), "rb") as handle:
            on_disk: bytes | None = handle.read()
    except OSError:
        on_disk = None
    if on_disk == found.data:
        discard(path)
        return None
    return found.data


def discard(path: str) -> None:
    """Forget the journal of ``path`` (after a save, or when the user declines to restore)."""
    try:
        target = _journal_file(path)
    except JournalError:
        return
    with contextlib.suppress(FileNotFoundError):
        target.unlink()
