"""File I/O: reading inputs safely and saving atomically.

Reading refuses what is not a regular file (a FIFO would block forever, a device could be
endless), except a pipe named by one of the caller's own descriptors (``<(…)``,
``/dev/stdin``), and bounds the size before reading. Saving writes a temp file beside the target,
fsyncs it and the directory, then renames, so a crash leaves either the old or the new file.

Saving API (used by the CLI ``set`` command and the TUI)::

    fp = fingerprint(path)                 # at load time
    ...
    fp = save_atomic(path, data, expected=fp)   # SaveConflict / SaveError, original untouched

Tests simulate I/O faults (disk full, EIO) with `set_fault_hook` / `inject_fault`: every step
of a save calls the hook with a stage name first, and the hook may raise ``OSError``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vifconf.model.source import MAX_INPUT_BYTES, InputError

# --------------------------------------------------------------------------------------
# reading


def _too_big(path: str, size: int) -> InputError:
    return InputError(
        path,
        f"file is {size / (1024 * 1024):.0f} MiB; vifconf reads domain XML up to "
        f"{MAX_INPUT_BYTES // (1024 * 1024)} MiB (refused)",
    )


def read_input(path: str) -> bytes:
    """The bytes of a file, or stdin for ``-``; errors are one-line `InputError`s."""
    return _read_stamped(path)[0]


def _read_stamped(path: str) -> tuple[bytes, int]:
    """`read_input` plus the file's mtime (ns) from the same open file; 0 for stdin."""
    if path == "-":
        if sys.stdin is None:  # started with stdin closed (`<&-`)
            raise InputError("-", "stdin is closed: nothing to read")
        try:
            data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        except OSError as exc:
            raise InputError("-", os_error_text(exc)) from None
        if len(data) > MAX_INPUT_BYTES:
            raise _too_big("-", len(data))
        return data, 0
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except PermissionError:
        raise InputError(path, "permission denied (cannot read the file)") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory") from None
    except OSError as exc:
        if exc.errno == errno.ENXIO and _is_socket(path):  # open() of a Unix socket
            raise InputError(path, NOT_REGULAR) from None
        raise InputError(path, os_error_text(exc)) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(path, "is a directory")
        if stat.S_ISFIFO(info.st_mode) and readable_stream(path):
            # the caller's own pipe (`<(…)`, /dev/stdin): read as stdin is, to its end
            os.set_blocking(fd, True)
            return _read_bounded(fd, path), 0
        if not stat.S_ISREG(info.st_mode):
            raise InputError(path, NOT_REGULAR)
        if info.st_size > MAX_INPUT_BYTES:
            raise _too_big(path, info.st_size)
        return _read_bounded(fd, path), info.st_mtime_ns
    except IsADirectoryError:
        raise InputError(path, "is a directory") from None
    except OSError as exc:
        raise InputError(path, f"cannot read: {os_error_text(exc)}") from None
    finally:
        os.close(fd)


NOT_REGULAR = "not a regular file (FIFO, socket or device); refusing to read it"


def _is_socket(path: str) -> bool:
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except OSError:
        return False


def _read_bounded(fd: int, path: str) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > MAX_INPUT_BYTES:  # grew while we read it, or a pipe that goes on
            raise _too_big(path, total)
        chunks.append(chunk)


# --------------------------------------------------------------------------------------
# fingerprints and errors


@dataclass(frozen=True)
class Fingerprint:
    """What a file looked like when we read it; a save refuses if it no longer matches."""

    mtime_ns: int
    size: int
    sha256: str


def fingerprint_bytes(data: bytes, mtime_ns: int = 0) -> Fingerprint:
    import hashlib  # here, not at the top: render and check never fingerprint

    return Fingerprint(mtime_ns, len(data), hashlib.sha256(data).hexdigest())


def fingerprint(path: str) -> Fingerprint:
    """The fingerprint of the file at ``path`` (symlinks followed). Raises ``OSError``."""
    import hashlib

    with open(path, "rb") as handle:
        info = os.fstat(handle.fileno())
        digest = hashlib.sha256()
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return Fingerprint(info.st_mtime_ns, info.st_size, digest.hexdigest())


def load(path: str) -> tuple[bytes, Fingerprint]:
    """`read_input` plus the fingerprint of exactly the bytes read (no second read race)."""
    data, mtime = _read_stamped(path)
    return data, fingerprint_bytes(data, mtime)


class SaveConflict(Exception):
    """The file changed on disk since it was loaded; nothing was written."""

    def __init__(self, path: str, message: str, current: Fingerprint | None = None):
        self.path = path
        self.message = message
        self.current = current
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class SaveError(Exception):
    """Saving failed (read-only, disk full, …); the original file is untouched.
    ``str()`` is the one-line message users see."""

    def __init__(self, path: str, message: str):
        self.path = path
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def os_error_text(exc: OSError) -> str:
    text = exc.strerror or str(exc) or type(exc).__name__
    return text[:1].lower() + text[1:]


# --------------------------------------------------------------------------------------
# the fault hook (tests only)

FaultHook = Callable[[str], None]
_fault_hook: FaultHook | None = None

STAGES = ("open", "write", "fsync", "chmod", "chown", "backup", "rename", "fsync-dir")
"""Stage names passed to the fault hook. ``write`` is called once per chunk written."""


def set_fault_hook(hook: FaultHook | None) -> FaultHook | None:
    """Install ``hook`` (called with a stage name before each step of a save); returns the
    previous hook. A hook raises ``OSError`` to simulate a fault, e.g. ``ENOSPC``."""
    global _fault_hook
    previous, _fault_hook = _fault_hook, hook
    return previous


@contextlib.contextmanager
def inject_fault(stage: str, err: int = errno.ENOSPC, after: int = 0) -> Iterator[None]:
    """Within the block, fail ``stage`` with ``OSError(err)`` after ``after`` clean passes."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")
    passes = [after]

    def hook(current: str) -> None:
        if current != stage:
            return
        if passes[0] > 0:
            passes[0] -= 1
            return
        raise OSError(err, os.strerror(err))

    previous = set_fault_hook(hook)
    try:
        yield
    finally:
        set_fault_hook(previous)


def _fault(stage: str) -> None:
    if _fault_hook is not None:
        _fault_hook(stage)


# --------------------------------------------------------------------------------------
# saving

_backed_up: set[str] = set()
"""Real paths already given a ``.bak`` in this process (one backup per session)."""

WRITE_CHUNK = 1 << 16


def reset_backup_session() -> None:
    """Forget which files were backed up (a new session; tests)."""
    _backed_up.clear()


def backup_path(path: str) -> str:
    return os.path.realpath(path) + ".bak"


def _check_unchanged(path: str, real: str, expected: Fingerprint) -> None:
    try:
        current = fingerprint(real)
    except FileNotFoundError:
        raise SaveConflict(path, "the file was removed or renamed on disk since it was loaded; not saved") from None
    except OSError as exc:
        raise SaveError(path, f"cannot check the file before saving: {os_error_text(exc)}; not saved") from None
    if current.size != expected.size or current.sha256 != expected.sha256:
        raise SaveConflict(
            path,
            "the file changed on disk since it was loaded; not saved (reload, overwrite or save elsewhere)",
            current,
        )
    # Same bytes, different mtime (touched): nothing of anyone's would be lost.


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        _fault("write")
        written = os.write(fd, view[:WRITE_CHUNK])
        view = view[written:]


def _copy_xattrs(source: str, fd: int) -> None:
    """Best effort: SELinux labels, ACLs (system.posix_acl_access), user attributes."""
    if not hasattr(os, "listxattr"):
        return
    try:
        names = os.listxattr(source)
    except OSError:
        return
    for name in names:
        with contextlib.suppress(OSError):
            os.setxattr(fd, name, os.getxattr(source, name))


def _fsync_dir(directory: str) -> None:
    _fault("fsync-dir")
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
    dfd = os.open(directory, flags)
    try:
        os.fsync(dfd)
    except OSError as exc:  # some filesystems cannot fsync a directory
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(dfd)


def _atomic_replace(real: str, data: bytes, like: os.stat_result | None, xattrs_from: str | None = None,
                    expected: tuple[str, Fingerprint] | None = None) -> str | None:  # fmt: skip
    """Write ``data`` to a temp file beside ``real`` and rename it over; ``like`` gives
    mode/owner/group to keep. Raises ``OSError``; the temp file never survives a failure.

    ``expected`` (the name the user gave, the fingerprint at load time): checked once more
    right before the rename, under `_directory_lock`, so of two vifconf runs saving the same
    file at once the second sees the first's save as a conflict instead of overwriting it.
    Returns why the directory could not be synced after the rename (the new file is in
    place, but may not survive a crash), or None."""
    directory = os.path.dirname(real) or "."
    base = os.path.basename(real)
    import secrets  # here, not at the top: it imports hashlib, which render and check never need

    temp = os.path.join(directory, f".{base}.vifconf-{secrets.token_hex(4)}.tmp")
    _fault("open")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        with _signals_as_interrupts():
            try:
                _write_all(fd, data)
                _fault("fsync")
                os.fsync(fd)
                if like is not None:
                    _fault("chown")
                    mine = os.fstat(fd)
                    if (mine.st_uid, mine.st_gid) != (like.st_uid, like.st_gid):
                        try:
                            os.fchown(fd, like.st_uid, like.st_gid)
                        except PermissionError as exc:
                            raise PermissionError(exc.errno, "not permitted to keep the file's owner and group "
                                                  f"({like.st_uid}:{like.st_gid})") from None  # fmt: skip
                    _copy_xattrs(xattrs_from or real, fd)
                    _fault("chmod")
                    os.fchmod(fd, stat.S_IMODE(like.st_mode))
                else:
                    umask = os.umask(0o022)
                    os.umask(umask)
                    _fault("chmod")
                    os.fchmod(fd, 0o666 & ~umask)
            finally:
                os.close(fd)
            with _directory_lock(directory):
                if expected is not None:
                    _check_unchanged(expected[0], real, expected[1])
                _fault("rename")
                os.replace(temp, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    try:
        _fsync_dir(directory)
    except OSError as exc:
        return _describe(exc, directory)
    return None


LOCK_WAIT = 5.0
"""Seconds a save waits for another process's lock on the directory before giving up."""


@contextlib.contextmanager
def _directory_lock(directory: str) -> Iterator[None]:
    """An exclusive ``flock`` on the directory, for the last check and the rename: other
    vifconf processes saving there wait their turn (microseconds). Programs that do not take
    it are only caught by the last check, a window of one rename. Where no lock can be had
    (a directory we may write but not read, a file system without flock) the last check is
    all there is, as before; a lock someone holds for longer than `LOCK_WAIT` is an error."""
    try:
        import fcntl
    except ImportError:  # not POSIX
        yield
        return
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        dfd = os.open(directory, flags)
    except OSError:
        yield
        return
    try:
        locked = _flock_within(dfd, fcntl, LOCK_WAIT)
        if locked is False:
            raise OSError(errno.EWOULDBLOCK, f"another process has held a lock on {directory} for {LOCK_WAIT:g} s")
        yield
    finally:
        os.close(dfd)  # releases the lock


def _flock_within(fd: int, fcntl: Any, seconds: float) -> bool | None:
    """True once locked; False if still held by another after ``seconds``; None when this
    file system has no flock."""
    import time

    deadline = time.monotonic() + seconds
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        except OSError as exc:
            if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL, errno.EBADF):
                return None
            raise


@contextlib.contextmanager
def _signals_as_interrupts() -> Iterator[None]:
    """SIGTERM and SIGHUP (a closed SSH session) during a save raise KeyboardInterrupt, so
    the temp file is removed as on Ctrl-C instead of left behind with the new content.
    Only in the main thread (where Python runs signal handlers)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    caught = [sig for sig in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if sig is not None]
    # leave handlers someone chose (or ignored) alone: only the defaults are replaced
    replaced = [sig for sig in caught if signal.getsignal(sig) is signal.SIG_DFL]
    for sig in replaced:
        signal.signal(sig, interrupt)
    try:
        yield
    finally:
        # A signal arriving while the defaults come back must not interrupt that (leaving
        # `interrupt` installed): block them, restore, then let the default act on it.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, replaced) if replaced else None
        try:
            for sig in replaced:
                signal.signal(sig, signal.SIG_DFL)
        finally:
            if blocked is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def why_unsaveable(path: str) -> str | None:
    """Why `save_atomic` would refuse ``path`` before writing a byte (not a regular file, the
    file or its directory not writable), or None: the editor asks when it opens a file, so a
    read-only one is marked before any edit is made, not at the save."""
    real, directory, like, refusal = _save_target(path)
    return refusal or _unwritable(real, like, directory)


def _save_target(path: str) -> tuple[str, str, os.stat_result | None, str | None]:
    """Where a save of ``path`` lands (symlinks followed), its directory, what is there now
    (None: nothing yet), and why it cannot be saved over, if it cannot (not a regular file)."""
    real = os.path.realpath(path)
    directory = os.path.dirname(real) or "."
    try:
        like = os.stat(real)
    except FileNotFoundError:
        return real, directory, None, None
    except OSError as exc:
        return real, directory, None, _describe(exc, directory)
    return real, directory, like, None if stat.S_ISREG(like.st_mode) else "not a regular file"


def _unwritable(real: str, like: os.stat_result | None, directory: str) -> str | None:
    """The file (when it exists) and its directory must be writable by this user."""
    if like is not None and (stat.S_IMODE(like.st_mode) & 0o222 == 0 or not os.access(real, os.W_OK)):
        return f"{_why_not_writable('the file', real, like, directory)}; save elsewhere"
    try:
        dir_info = os.stat(directory)
    except OSError as exc:
        return _describe(exc, directory)
    if stat.S_IMODE(dir_info.st_mode) & 0o222 == 0 or not os.access(directory, os.W_OK | os.X_OK):
        return f"{_why_not_writable(f'the directory {directory}', directory, dir_info, directory)}; save elsewhere"
    return None


def _why_not_writable(what: str, path: str, info: os.stat_result, directory: str) -> str:
    """Why ``os.access`` says no, in the user's terms: the mode, a read-only mount, or
    neither (another owner, an ACL, the immutable flag)."""
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o222 == 0:
        return f"{what} is read-only (mode {mode:04o})"
    with contextlib.suppress(OSError, AttributeError):
        if os.statvfs(directory).f_flag & os.ST_RDONLY:
            return f"{what} is on a read-only file system"
    return (f"{what} is not writable by this user (mode {mode:04o}, owner {info.st_uid}:{info.st_gid}; "
            "or an ACL or the immutable flag)")  # fmt: skip


def _describe(exc: OSError, directory: str) -> str:
    if exc.errno == errno.ENOSPC:
        return "no space left on device"
    if exc.errno == errno.EDQUOT:
        return "disk quota exceeded"
    if exc.errno == errno.EROFS:
        return "read-only file system"
    if exc.errno in (errno.EACCES, errno.EPERM):
        if (exc.strerror or "").startswith("not permitted to keep"):
            return exc.strerror or ""
        return f"permission denied (cannot write in {directory})"
    if exc.errno == errno.EIO:
        return "input/output error"
    return os_error_text(exc)


def save_atomic(path: str, data: bytes, expected: Fingerprint | None = None, backup: bool = True,
                warnings: list[str] | None = None) -> Fingerprint:  # fmt: skip
    """Replace the file at ``path`` with ``data`` atomically; return the new fingerprint.

    - ``expected``: the fingerprint at load time; if the file's size or content differ now,
      raise `SaveConflict` (a file that was only touched still saves).
    - Temp file in the same directory, written, fsynced, renamed over, directory fsynced: a
      crash at any point leaves the old file or the new one, never a mix.
    - The original's mode, owner, group (and, best effort, extended attributes) are kept.
    - A symlink is followed: the target is replaced, the link stays a link.
    - ``backup``: before the first save of this file in this process, the original is kept
      as ``<target>.bak`` (same mode and owner).
    - Read-only file or directory, disk full, I/O errors: `SaveError` with a one-line
      message; the original is untouched and no temp file is left behind.
    - ``warnings`` gets what went wrong after the new file was in place (the directory could
      not be synced): saved, but the caller should say so.
    - Two vifconf processes saving the same file: the second gets `SaveConflict` (the last
      check and the rename run under a directory lock). A hard link is split by the rename:
      the other name keeps the old content.
    """
    real, directory, like, refusal = _save_target(path)
    if refusal is not None:
        raise SaveError(path, f"cannot save: {refusal}")
    if expected is not None:
        if like is None:
            raise SaveConflict(path, "the file was removed or renamed on disk since it was loaded; not saved")
        _check_unchanged(path, real, expected)
    refusal = _unwritable(real, like, directory)
    if refusal is not None:
        raise SaveError(path, f"cannot save: {refusal}")
    backing_up = backup and like is not None and real not in _backed_up
    if backing_up:
        bak = real + ".bak"
        if os.path.lexists(bak) and not os.path.isfile(bak):
            raise SaveError(path, f"cannot save: the backup path {bak} exists and is not a regular file; move it away")
    try:
        if backing_up:
            _fault("backup")
            with open(real, "rb") as handle:
                original = handle.read()
            if expected is not None and fingerprint_bytes(original).sha256 != expected.sha256:
                # another save landed since the first check: keep the .bak as it was (it may
                # hold the real original) and refuse, as the last check would
                raise SaveConflict(path, "the file changed on disk since it was loaded; not saved "
                                   "(reload, overwrite or save elsewhere)")  # fmt: skip
            _atomic_replace(real + ".bak", original, like, xattrs_from=real)
            _backed_up.add(real)
        unsynced = _atomic_replace(real, data, like, expected=(path, expected) if expected is not None else None)
    except OSError as exc:
        raise SaveError(path, f"cannot save: {_describe(exc, directory)}; the original is untouched") from None
    if unsynced is not None and warnings is not None:
        warnings.append(f"saved, but the directory could not be synced ({unsynced}): "
                        "the change may not survive a crash")
    try:
        mtime = os.stat(real).st_mtime_ns
    except OSError:
        mtime = 0
    return fingerprint_bytes(data, mtime)


# --------------------------------------------------------------------------------------
# naming inputs

_STREAM_NAMES = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}
_FD_NAME = re.compile(r"/(?:dev/fd|proc/(?:self|thread-self)/fd)/([0-9]+)")


def stream_alias(path: str) -> int | None:
    """The file descriptor a name such as ``/dev/stdin`` or ``/dev/fd/3`` stands for, else
    None. Followed as a link, such a name reaches whatever file the shell redirected, which a
    save would then replace: ``set /dev/stdin < a.xml > b.xml`` would rewrite a.xml."""
    absolute = os.path.normpath(os.path.abspath(path))
    if absolute in _STREAM_NAMES:
        return _STREAM_NAMES[absolute]
    found = _FD_NAME.fullmatch(absolute)
    return int(found.group(1)) if found else None



def readable_stream(path: str) -> bool:
    """Whether ``path`` names one of this process's descriptors that is open for reading
    (``<(…)``, ``/dev/stdin``). A write end (``>(…)``, ``/dev/stdout`` into a pipe) reopened
    for reading is our own pipe's other end: reading it would wait for ourselves forever."""
    import fcntl

    descriptor = stream_alias(path)
    if descriptor is None:
        return False
    try:
        mode = fcntl.fcntl(descriptor, fcntl.F_GETFL) & os.O_ACCMODE
    except OSError:  # not open in this process
        return False
    return mode in (os.O_RDONLY, os.O_RDWR)


def directory_xml_files(path: str | Path) -> list[Path]:
    """A directory's ``*.xml`` (files, or links to them), sorted by name: the rule for a DIR
    input everywhere (CLI, fleet view)."""
    return [Path(joined) for joined, _ in _directory_xml_entries(str(path))]


def _directory_xml_entries(directory: str) -> list[tuple[str, str]]:
    """``(path, realpath)`` of each ``*.xml`` in ``directory``, sorted by name; hidden ones
    are left out, as a shell's ``*.xml`` does (an editor's lock file ``.#guest.xml`` is a
    dangling symlink). One ``scandir`` instead of a stat and a realpath per file: a fleet
    directory holds thousands."""
    base = str(Path(directory))  # how Path would spell the joined names
    real_base = os.path.realpath(base)
    found = []
    try:
        with os.scandir(base) as entries:
            for entry in entries:
                if not entry.name.endswith(".xml") or entry.name.startswith("."):
                    continue
                symlink = entry.is_symlink()
                if symlink or entry.is_file():
                    name = entry.name if base == "." else os.path.join(base, entry.name)
                    real = os.path.realpath(name) if symlink else os.path.join(real_base, entry.name)
                    found.append((entry.name, name, real))
    except OSError:  # unlistable (no read permission): reported by empty_directory_reason
        return []
    found.sort()
    return [(name, real) for _, name, real in found]


def empty_directory_reason(directory: str) -> str:
    """Why a directory input gave no files: it holds none, or it cannot be listed."""
    try:
        with os.scandir(directory or "."):
            pass
    except PermissionError:
        return "permission denied (cannot list the directory)"
    except OSError as exc:
        return f"cannot list the directory: {os_error_text(exc)}"
    return "directory holds no *.xml files"


def expand_inputs(inputs: Sequence[str]) -> list[str]:
    """Directories become their ``*.xml`` files, sorted by name; the rest stay as given."""
    names: list[str] = []
    seen: set[str] = set()

    def add(name: str, key: str) -> None:
        # the same file named twice (or DIR and DIR/a.xml) is one guest, not a MAC clash
        if key not in seen:
            seen.add(key)
            names.append(name)

    for item in inputs:
        if item != "-" and os.path.isdir(item or "."):  # "" names the current directory, as in Path("")
            files = _directory_xml_entries(item)
            if not files:
                add(item, os.path.realpath(item))  # reported as unreadable (empty_directory_reason)
            for name, real in files:
                add(name, real)
        else:
            add(item, item if item == "-" else os.path.realpath(item))
    return names
