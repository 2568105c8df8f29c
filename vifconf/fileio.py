"""File I/O: reading inputs safely and saving atomically.

Reading refuses what is not a regular file (a FIFO would block forever, a device could be
endless) and bounds the size before reading. Saving writes a temp file beside the target,
fsyncs it and the directory, then renames, so a crash leaves either the old or the new file.
"""

from __future__ import annotations

import os
import stat
import sys

from vifconf.model.source import MAX_INPUT_BYTES, InputError


def read_input(path: str) -> bytes:
    """The bytes of a file, or stdin for ``-``; errors are one-line `InputError`s."""
    if path == "-":
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        return data
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except PermissionError:
        raise InputError(path, "permission denied (cannot read the file)") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory") from None
    except OSError as exc:
        raise InputError(path, exc.strerror or str(exc)) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(path, "is a directory")
        if not stat.S_ISREG(info.st_mode):
            raise InputError(path, "not a regular file (FIFO, socket or device); refusing to read it")
        if info.st_size > MAX_INPUT_BYTES:
            raise InputError(
                path,
                f"file is {info.st_size // (1024 * 1024)} MiB; vifconf reads domain XML up to "
                f"{MAX_INPUT_BYTES // (1024 * 1024)} MiB",
            )
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    except IsADirectoryError:
        raise InputError(path, "is a directory") from None
    finally:
        os.close(fd)
