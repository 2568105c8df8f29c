"""Saving: atomic, conflict-aware, keeps mode/owner, follows symlinks, one .bak per session,
clear one-line errors on read-only files/dirs and full disks with the original untouched."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import REPO, need
from vifconf import fileio
from vifconf.fileio import Fingerprint, SaveConflict, SaveError, fingerprint, inject_fault, save_atomic

OLD = b"<domain type='xen'>\n  <name>old</name>\n</domain>\n"
NEW = b"<domain type='xen'>\n  <name>new</name>\n</domain>\n"




@pytest.fixture(autouse=True)
def _fresh_session() -> Iterator[None]:
    fileio.reset_backup_session()
    yield
    fileio.set_fault_hook(None)
    fileio.reset_backup_session()


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def test_save_replaces_content_and_returns_new_fingerprint(tmp_path: Path) -> None:
    path = tmp_path / "g.xml"
    path.write_bytes(OLD)
    before = fingerprint(str(path))
    after = save_atomic(str(path), NEW, expected=before)
    assert path.read_bytes() == NEW
    assert after == fingerprint(str(path))
    assert after.size == len(NEW)
    assert _leftovers(tmp_path) == []


def test_save_new_file_without_expected(tmp_path: Path) -> None:
    path = tmp_path / "out.xml"
    save_atomic(str(path), NEW)
    assert path.read_bytes() == NEW
    assert not (tmp_path / "out.xml.bak").exists()  # nothing to back up
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


# -- conflicts -------------------------------------------------------------------------


def test_conflict_when_content_changed_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "g.xml"
    path.write_bytes(OLD)
    stamp = fingerprint(str(path))
    path.write_bytes(OLD.replace(b"old", b"odd"))  # same size, other bytes
    with pytest.raises(SaveConflict) as caught:
        save_atomic(str(path), NEW, expected=stamp)
    assert "changed on disk" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert caught.value.current is not None and caught.value.current.sha256 != stamp.sha256
    assert path.read_bytes() == OLD.replace(b"old", b"odd")
    assert not (tmp_path / "g.xml.bak").exists()


def test_conflict_when_size_changed(tmp_path: Path) -> None:
    path = tmp_path / "g.xml"
    path.write_bytes(OLD)
    stamp = fingerprint(str(path))
    path.write_bytes(OLD + b"<!-- x -->\n")
    with pytest.raises(SaveConflict):
        save_atomic(str(path), NEW, expected=stamp)


def test_conflict_when_file_removed(tmp_path: Path) -> None:
    path = tmp_path / "g.xml"
    path.write_bytes(OLD)
    stamp = fingerprint(str(path))
    path.unlink()
    with pytest.raises(SaveConflict, match="removed or renamed"):
        save_atomic(str(path), NEW, expected=stamp)
    assert not path.exists()


def test_touched_but_identical_file_is_not_a_conflict(tmp_path: Path) -> None:
    path = tmp_path / "g.xml"
    path.write_bytes(OLD)
    stamp = fingerprint(str(path))
    os.utime(path, ns=(stamp.mtime_ns + 5_000_000_000, stamp.mtime_ns + 5_000_000_000))
    save_atomic(str(path), NEW, expected=stamp)
    assert path.read_bytes() == NEW


def test_overwrite_after_conflict_by_passing_no_expected(tmp_path: Path) -> None:
    """The TUI's "overwrite" choice: save again with expected=None."""
    path = tmp_path / "g.xml"
    path.write_bytes(OLD)
    stamp = fingerprint(str(path))
    path.write_bytes(b"<domain/>")
    with pytest.raises(SaveConflict):
        save_atomic(str(path), NEW, expected=stamp)
    save_atomic(str(path), NEW)
    assert path.read_bytes() == NEW


def test_load_returns_fingerprint_of_the_bytes_read(tmp_path: Path) -> None:
    path = tmp_path / "g.xml"
    path.write_bytes(OLD)
    data, stamp = fileio.load(str(path))
    assert data == OLD
    assert stamp.sha256 == fingerprint(str(path)).sha256
    assert stamp.mtime_ns == path.stat().st_mtime_ns


# -- metadata ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o644, 0o664, 0o755])
def test_mode_is_kept(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "g.xml"
    path.write_bytes(OLD)
    path.chmod(mode)
    save_atomic(str(path), NEW, expected=fingerprint(str(path)))
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert stat.S_IMODE((tmp_path / "g.xml.bak").stat().st_mode) == mode


def test_owner_and_group_are_kept(tmp_path: Path) -> None:
    need(os.geteuid() == 0, "changing owners needs root")
    path = tmp_path / "g.xml"
    path.write_bytes(OLD)
    os.chown(path, 65534, 65534)
    path.chmod(0o640)
    save_atomic(str(path), NEW, expected=fingerprint(str(path)))
    info = path.stat()
    assert (info.st_uid, info.st_gid) == (65534, 65534)
    assert stat.S_IMODE(info.st_mode) == 0o640
    bak = (tmp_path / "g.xml.bak").stat()
    assert (bak.st_uid, bak.st_gid) == (65534, 65534)


def test_user_xattr_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "g.xml"
    path.write_bytes(OLD)
    try:
        os.setxattr(path, "user.vifconf-test", b"kept")
    except OSError:
        pytest.skip("this filesystem has no user xattrs")
    save_atomic(str(path), NEW)
    assert os.getxattr(path, "user.vifconf-test") == b"kept"


def test_symlink_updates_the_target_not_the_link(tmp_path: Path) -> None:
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    target = real_dir / "g.xml"
    target.write_bytes(OLD)
    target.chmod(0o640)
    link = tmp_path / "link.xml"
    link.symlink_to(target)
    save_atomic(str(link), NEW, expected=fingerprint(str(link)))
    assert link.is_symlink()
    assert os.readlink(link) == str(target)
    assert target.read_bytes() == NEW
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert (real_dir / "g.xml.bak").read_bytes() == OLD  # the backup sits beside the target
    assert not (tmp_path / "link.xml.bak").exists()
    assert _leftovers(real_dir) == [] and _leftovers(tmp_path) == []


def test_chain_of_relative_symlinks(tmp_path: Path) -> None:
    target = tmp_path / "g.xml"
    target.write_bytes(OLD)
    (tmp_path / "a.xml").symlink_to("g.xml")
    (tmp_path / "b.xml").symlink_to("a.xml")
    save_atomic(str(tmp_path / "b.xml"), NEW)
    assert (tmp_path / "a.xml").is_symlink() and (tmp_path / "b.xml").is_symlink()
    assert target.read_bytes() == NEW


# -- backups ----------------------------------------------------------------------------


def test_backup_once_per_session(tmp_path: Path) -> None:
    path = tmp_path / "g.xml"
    path.write_bytes(OLD)
    save_atomic(str(path), NEW)
    bak = tmp_path / "g.xml.bak"
    assert bak.read_bytes() == OLD
    save_atomic(str(path), b"<domain><name>third</name></domain>\n")
    assert bak.read_bytes() == OLD  # still the original, not the previous save
    fileio.reset_backup_session()  # a new session backs up again
    save_atomic(str(path), b"<domain/>")
    assert bak.read_bytes() == b"<domain><name>third</name></domain>\n"


def test_backup_false_writes_no_bak(tmp_path: Path) -> None:
    path = tmp_path / "g.xml"
    path.write_bytes(OLD)
    save_atomic(str(path), NEW, backup=False)
    assert not (tmp_path / "g.xml.bak").exists()


def test_backup_replaces_a_planted_symlink_instead_of_following_it(tmp_path: Path) -> None:
    path = tmp_path / "g.xml"
    path.write_bytes(OLD)
    victim = tmp_path / "victim"
    victim.write_bytes(b"do not touch")
    (tmp_path / "g.xml.bak").symlink_to(victim)
    save_atomic(str(path), NEW)
    assert victim.read_bytes() == b"do not touch"
    assert not (tmp_path / "g.xml.bak").is_symlink()
    assert (tmp_path / "g.xml.bak").read_bytes() == OLD


# -- refusals: read-only, disk full, I/O errors -------------------------------------------


def test_read_only_file(tmp_path: Path) -> None:
    path = tmp_path / "g.xml"
    path.write_bytes(OLD)
    path.chmod(0o444)
    with pytest.raises(SaveError) as caught:
        save_atomic(str(path), NEW)
    assert str(caught.value) == f"{path}: cannot save: the file is read-only (mode 0444); save elsewhere"
    assert path.read_bytes() == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.xml"]


def test_read_only_directory(tmp_path: Path) -> None:
    directory = tmp_path / "ro"
    directory.mkdir()
    path = directory / "g.xml"
    path.write_bytes(OLD)
    directory.chmod(0o555)
    try:
        with pytest.raises(SaveError, match="read-only") as caught:
            save_atomic(str(path), NEW)
        assert "\n" not in str(caught.value)
        assert path.read_bytes() == OLD
        assert sorted(p.name for p in directory.iterdir()) == ["g.xml"]
    finally:
        directory.chmod(0o755)


def _as_nobody() -> list[str]:
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    need(setpriv is not None, "running as root without setpriv: cannot test real permissions")
    assert setpriv is not None
    return [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


_SAVE_CHILD = textwrap.dedent(
    """
    import sys
    from vifconf.fileio import SaveError, save_atomic
    try:
        save_atomic(sys.argv[1], b"<domain/>")
    except SaveError as exc:
        print(exc)
        sys.exit(2)
    """
)


def test_unwritable_directory_for_an_unprivileged_user() -> None:
    """Real permissions (not mode bits): the dir is root's 0755, the user is nobody."""
    directory = Path(tempfile.mkdtemp(prefix="vifconf-save-"))
    try:
        directory.chmod(0o755)
        path = directory / "g.xml"
        path.write_bytes(OLD)
        path.chmod(0o666)  # the file is writable, the directory is not
        done = subprocess.run(
            [*_as_nobody(), sys.executable, "-c", _SAVE_CHILD, str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            env=dict(os.environ, PYTHONPATH=str(REPO)),
            cwd="/",
        )
        if os.geteuid() == 0:
            assert done.returncode == 2, done.stderr
            assert "is not writable by this user (mode 0755, owner 0:0" in done.stdout
            assert "Traceback" not in done.stderr
        assert path.read_bytes() == OLD
        assert sorted(p.name for p in directory.iterdir()) == ["g.xml"]
    finally:
        shutil.rmtree(directory)


@pytest.mark.parametrize(
    ("stage", "err", "fragment"),
    [
        ("open", errno.ENOSPC, "no space left on device"),
        ("write", errno.ENOSPC, "no space left on device"),
        ("write", errno.EIO, "input/output error"),
        ("write", errno.EDQUOT, "disk quota exceeded"),
        ("fsync", errno.EIO, "input/output error"),
        ("chmod", errno.EPERM, "permission denied"),
        ("rename", errno.EROFS, "read-only file system"),
        ("backup", errno.ENOSPC, "no space left on device"),
    ],
)
def test_fault_leaves_original_untouched(tmp_path: Path, stage: str, err: int, fragment: str) -> None:
    path = tmp_path / "g.xml"
    path.write_bytes(OLD)
    path.chmod(0o640)
    with inject_fault(stage, err), pytest.raises(SaveError) as caught:
        save_atomic(str(path), NEW * 5000, expected=fingerprint(str(path)))
    message = str(caught.value)
    assert message.startswith(f"{path}: cannot save: {fragment}")
    assert "original is untouched" in message and "\n" not in message
    assert path.read_bytes() == OLD
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert _leftovers(tmp_path) == []


def test_disk_full_midway_through_a_large_write(tmp_path: Path) -> None:
    path = tmp_path / "g.xml"
    path.write_bytes(OLD)
    with inject_fault("write", errno.ENOSPC, after=3), pytest.raises(SaveError, match="no space"):
        save_atomic(str(path), b"x" * (fileio.WRITE_CHUNK * 10))
    assert path.read_bytes() == OLD
    assert _leftovers(tmp_path) == []
    # and the app can still save elsewhere, the edit intact
    elsewhere = tmp_path / "elsewhere.xml"
    save_atomic(str(elsewhere), NEW)
    assert elsewhere.read_bytes() == NEW


def test_fault_after_rename_is_a_warning_and_the_new_file_is_complete(tmp_path: Path) -> None:
    """A failing directory fsync after the rename: the new content is in place, whole, so
    the save is not reported as "nothing written" but as saved, with a warning."""
    path = tmp_path / "g.xml"
    path.write_bytes(OLD)
    warnings: list[str] = []
    with inject_fault("fsync-dir", errno.EIO):
        save_atomic(str(path), NEW, backup=False, warnings=warnings)
    assert path.read_bytes() == NEW
    assert warnings == ["saved, but the directory could not be synced (input/output error): "
                        "the change may not survive a crash"]  # fmt: skip


def test_inject_fault_rejects_unknown_stage() -> None:
    with pytest.raises(ValueError, match="unknown stage"), inject_fault("nonsense"):
        pass


def test_real_full_disk_on_a_small_tmpfs(tmp_path: Path) -> None:
    mountpoint = tmp_path / "small"
    mountpoint.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mountpoint)], capture_output=True, check=False
    )
    need(done.returncode == 0, f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        path = mountpoint / "g.xml"
        path.write_bytes(OLD)
        with pytest.raises(SaveError, match="no space left on device"):
            save_atomic(str(path), b"y" * 200_000, backup=False)
        assert path.read_bytes() == OLD
        assert _leftovers(mountpoint) == []
        # the .bak itself may not fit: still a clean error, still untouched
        path.write_bytes(b"z" * 40_000)
        with pytest.raises(SaveError, match="no space left on device"):
            save_atomic(str(path), b"w" * 40_000)
        assert path.read_bytes() == b"z" * 40_000
        assert _leftovers(mountpoint) == []
    finally:
        subprocess.run(["umount", str(mountpoint)], check=False)


def test_saving_a_directory_or_device_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SaveError, match="not a regular file"):
        save_atomic(str(tmp_path), NEW)
    with pytest.raises(SaveError, match="not a regular file"):
        save_atomic("/dev/null", NEW)


# -- kill -9 at any point ---------------------------------------------------------------

_KILL_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from vifconf import fileio
    path, stage, payload = sys.argv[1], sys.argv[2], sys.argv[3].encode()
    data = payload * int(sys.argv[4])
    if stage != "random":
        def hook(current, passes=[int(sys.argv[5])]):
            if current == stage:
                if passes[0] <= 0:
                    os.kill(os.getpid(), signal.SIGKILL)
                passes[0] -= 1
        fileio.set_fault_hook(hook)
    sys.stdout.write("ready\\n"); sys.stdout.flush()
    while True:
        fileio.save_atomic(path, data, backup=False)
        if stage != "random":
            break
    """
)


def _spawn(path: Path, stage: str, payload: str, repeat: int, passes: int = 0) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", _KILL_CHILD, str(path), stage, payload, str(repeat), str(passes)],
        stdout=subprocess.PIPE,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )


def _assert_old_or_new(path: Path, old: bytes, new: bytes) -> None:
    content = path.read_bytes()
    assert content in (old, new), f"mixed or truncated file: {len(content)} bytes"


@pytest.mark.parametrize(("stage", "passes"), [(s, 0) for s in fileio.STAGES if s != "backup"] + [("write", 5)])
def test_kill_9_at_each_stage_leaves_old_or_new(tmp_path: Path, stage: str, passes: int) -> None:
    path = tmp_path / "g.xml"
    old = b"<!-- old -->" * 50_000
    path.write_bytes(old)
    child = _spawn(path, stage, "<!-- new -->", 50_000, passes)
    child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    _assert_old_or_new(path, old, b"<!-- new -->" * 50_000)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
@pytest.mark.parametrize("stage", ["write", "fsync", "chmod", "rename"])
def test_sigterm_or_hangup_during_a_save_leaves_no_temp_file(tmp_path: Path, signum: int, stage: str) -> None:
    """A closed SSH session (SIGHUP) or a kill (SIGTERM) mid-save: like Ctrl-C, the original
    stays whole and the temp file, which holds the new content, is removed."""
    path = tmp_path / "g.xml"
    old = b"<!-- old -->" * 1000
    path.write_bytes(old)
    child = textwrap.dedent(
        f"""
        import os, signal, sys
        from vifconf import fileio
        signal.signal({int(signum)}, signal.SIG_DFL)  # as in a terminal; `nohup` or a CI runner may ignore it
        fileio.set_fault_hook(lambda current: current == {stage!r} and os.kill(os.getpid(), {int(signum)}))
        try:
            fileio.save_atomic(sys.argv[1], b"<!-- new -->" * 1000, backup=False)
        except KeyboardInterrupt:
            sys.exit(3)
        """
    )
    done = subprocess.run([sys.executable, "-c", child, str(path)], env=dict(os.environ, PYTHONPATH=str(REPO)),
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert path.read_bytes() == old
    assert _leftovers(tmp_path) == []


def test_kill_9_at_random_moments_in_a_loop(tmp_path: Path) -> None:
    """A child saves two alternating-size documents in a loop; we SIGKILL it at random
    moments, 40 times. After every kill the file is wholly one of the saved versions."""
    import random

    path = tmp_path / "g.xml"
    versions = [b"<!-- A -->" * 30_000, b"<!-- BB -->" * 70_000]
    path.write_bytes(versions[0])
    rng = random.Random(5)
    for round_ in range(40):
        payload = "<!-- A -->" if round_ % 2 else "<!-- BB -->"
        repeat = 30_000 if round_ % 2 else 70_000
        child = _spawn(path, "random", payload, repeat)
        assert child.stdout is not None
        child.stdout.readline()  # imported and about to save
        time.sleep(rng.uniform(0.0, 0.05))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
        _assert_old_or_new(path, *versions)
    leftovers = _leftovers(tmp_path)
    # temp files of killed saves may remain (they are dot-files beside the target); never the target itself
    assert all(name.startswith(".g.xml.vifconf-") for name in leftovers)


def test_fingerprint_dataclass_is_frozen_and_comparable() -> None:
    a = Fingerprint(1, 2, "x")
    assert a == Fingerprint(1, 2, "x")
    with pytest.raises(AttributeError):
        a.size = 3  # type: ignore[misc]


def test_a_save_waiting_for_another_saves_lock_sees_it_as_a_conflict(tmp_path: Path) -> None:
    """Two vifconf processes that loaded the same file save at once: the last check and the
    rename run under a directory lock, so the one that waits finds the other's save and
    refuses, instead of silently overwriting it (a reviewer lost 6 edits in 20 runs)."""
    import fcntl
    import threading

    path = tmp_path / "g.xml"
    path.write_bytes(OLD)
    loaded = fingerprint(str(path))
    outcome: list[BaseException | None] = []

    def save() -> None:
        try:
            save_atomic(str(path), NEW, expected=loaded, backup=False)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    dfd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(dfd, fcntl.LOCK_EX)  # "the other process" is between its check and its rename
        saver = threading.Thread(target=save)
        saver.start()
        time.sleep(0.2)  # only gives the saver time to reach the lock; the outcome does not depend on it
        assert outcome == [] and saver.is_alive()
        path.write_bytes(OLD.replace(b"old", b"theirs"))  # the other process's save lands
    finally:
        os.close(dfd)
    saver.join(10)
    assert len(outcome) == 1 and isinstance(outcome[0], SaveConflict)
    assert path.read_bytes() == OLD.replace(b"old", b"theirs")
    assert _leftovers(tmp_path) == []


def test_concurrent_set_runs_never_lose_an_edit_they_report_saved(tmp_path: Path) -> None:
    """Real processes, no hooks: whichever `set` exits 0 has its edit in the file; the other
    either also saved (it loaded after the first save) or was refused with exit 2."""
    example = (REPO / "vifconf" / "examples" / "xen-hvm-seed.xml").read_text()
    clean = example.replace("00:16:3e:0G:a5:59", "00:16:3e:00:a5:59")
    vifconf = [sys.executable, "-m", "vifconf", "set"]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    for trial in range(8):
        path = tmp_path / f"c{trial}.xml"
        path.write_text(clean)
        edits = {"model=e1000": "model type='e1000'", "target=vifb": "target dev='vifb'"}
        runs = [subprocess.Popen([*vifconf, str(path), "--nic", str(nic), edit], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                for nic, edit in zip((1, 2), edits, strict=True)]  # fmt: skip
        codes = [run.wait(60) for run in runs]
        text = path.read_text()
        for code, (edit, written), run in zip(codes, edits.items(), runs, strict=True):
            stderr = run.stderr.read() if run.stderr else ""
            assert code in (0, 2), stderr
            if code == 0:
                assert written in text, f"trial {trial}: {edit} reported saved but lost"
            else:
                assert "changed on disk" in stderr


def test_a_save_that_finds_the_file_changed_keeps_the_old_backup(tmp_path: Path) -> None:
    """Another save lands between this save's first check and its backup: the .bak must not
    become the other save's content (the original would be lost), and nothing is written."""
    path = tmp_path / "g.xml"
    path.write_bytes(OLD)
    loaded = fingerprint(str(path))
    theirs = OLD.replace(b"old", b"theirs")

    def other_save_lands(stage: str) -> None:
        if stage == "backup":
            path.write_bytes(theirs)

    fileio.set_fault_hook(other_save_lands)
    with pytest.raises(SaveConflict):
        save_atomic(str(path), NEW, expected=loaded)
    assert path.read_bytes() == theirs and not (tmp_path / "g.xml.bak").exists()


def test_a_lock_held_too_long_is_a_clear_error_not_a_hang(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import fcntl

    monkeypatch.setattr(fileio, "LOCK_WAIT", 0.2)
    path = tmp_path / "g.xml"
    path.write_bytes(OLD)
    dfd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(dfd, fcntl.LOCK_EX)
        with pytest.raises(SaveError, match=r"another process has held a lock on .* for 0\.2 s"):
            save_atomic(str(path), NEW, expected=fingerprint(str(path)), backup=False)
    finally:
        os.close(dfd)
    assert path.read_bytes() == OLD and _leftovers(tmp_path) == []
    save_atomic(str(path), NEW, expected=fingerprint(str(path)), backup=False)  # released: saves
    assert path.read_bytes() == NEW
