"""Many inputs in one command: load each, add the cross-guest problems, turn each into output.

``render`` and ``check`` over a fleet directory spend their time per domain (parse, render,
validate, encode), and domains are independent except for the cross-guest analysis. So
`run` splits the inputs into contiguous shares, one per forked worker process, and each worker:

1. loads its share and sends `fleet.GuestKeys` of each domain to the calling process;
2. gets back its domains' cross-guest problems, which the caller finds over all the keys;
3. turns each input into its result with ``work`` and sends the results, a chunk at a time,
   to the caller, which yields them in input order as they come.

The caller only coordinates: the documents live and die in the workers, which end without
tearing them down (freeing a thousand parsed trees costs as much as a tenth of the run). It
reads every worker's pipe as data arrives, so no worker ever waits for the caller to get to
its share. Nothing a worker does is visible outside its results: if any worker fails (dies,
sends garbage, raises), the caller stops them all and redoes the rest in-process, so output,
errors and exit codes are always exactly those of the serial path. Forking is only done from
a single-threaded process (a libvirt connection runs an event-loop thread; forking while
another thread holds a lock can deadlock the child), never when stdin is an input, and only
when each worker gets enough inputs to pay for its start.
"""

from __future__ import annotations

import contextlib
import gc
import os
import selectors
import signal
import struct
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from vifconf.model import Domain, InputError
from vifconf.problems import Problem

if TYPE_CHECKING:
    from vifconf.fileio import Fingerprint
    from vifconf.fleet import GuestKeys

R = TypeVar("R")

MIN_SHARE = 32
"""Fewer inputs per worker than this and a forked worker costs more than it saves."""
MAX_WORKERS = 8
CHUNK = 50
"""Results per message: output starts early, and a stopped run stops its workers soon."""
MAX_MESSAGE = 1 << 30
"""A message header claiming more bytes is garbage (50 results of the largest domain vifconf
accepts, 4096 NICs, take about 300 MB)."""


@dataclass
class Loaded:
    """One input as the user named it: a domain, or the reason it could not be read."""

    name: str
    domain: Domain | None = None
    error: InputError | None = None
    fingerprint: Fingerprint | None = None
    cross_problems: list[Problem] = field(default_factory=list)
    prepared: Any = None
    """What `run`'s ``prepare`` made of it before the cross-guest problems were known."""


def load_input(name: str, fingerprinted: bool = True) -> Loaded:
    """``fingerprinted``: also remember what the file looked like, for a later safe save."""
    from vifconf import fileio

    if name != "-" and os.path.isdir(name or "."):  # "" names the current directory, as in Path("")
        return Loaded(name, error=InputError(name, fileio.empty_directory_reason(name)))
    try:
        if not fingerprinted:
            return Loaded(name, domain=Domain.from_bytes(fileio.read_input(name), name))
        data, stamp = fileio.load(name)
        domain = Domain.from_bytes(data, name)
        return Loaded(name, domain=domain, fingerprint=None if name == "-" else stamp)
    except InputError as exc:
        return Loaded(name, error=exc)


def attach_cross_guest_problems(loaded: list[Loaded]) -> None:
    """Duplicate MACs across guests and friends (the same steps a worker run takes)."""
    _attach(loaded, _cross(_keys(loaded)))


def default_workers(inputs: int) -> int:
    """As many workers as CPUs this process may use, but each with at least `MIN_SHARE` inputs."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    quota = cgroup_cpu_limit()
    if quota is not None:
        cpus = min(cpus, quota)
    return max(1, min(cpus, MAX_WORKERS, inputs // MIN_SHARE))


def cgroup_cpu_limit(cpu_max: str = "/sys/fs/cgroup/cpu.max") -> int | None:
    """The CPUs a cgroup v2 quota allows (a container limited to 1.5 CPUs gets 1), or None.
    More workers than that only take turns."""
    try:
        with open(cpu_max, encoding="ascii") as handle:
            quota, _, period = handle.read().partition(" ")
        return max(1, int(quota) // int(period))
    except (OSError, ValueError):  # no cgroup v2, no quota ("max"), or unreadable
        return None


Prepare = Callable[[Loaded], Any] | None


def run(names: Sequence[str], work: Callable[[Loaded], R], workers: int | None = None,
        prepare: Prepare = None) -> Iterator[R]:  # fmt: skip
    """``work(item)`` for every input in ``names`` (files or ``-``), in order, as each is
    ready; each item carries its cross-guest problems. ``R`` must pickle when ``workers`` > 1.

    ``prepare(item)``, stored as ``item.prepared``, is the part of the work that does not
    need the cross-guest problems (rendering, a guest's own checks): workers do it while the
    caller gathers those problems from every worker, instead of waiting for them."""
    names = list(names)
    if workers is None:
        workers = default_workers(len(names))
    with _no_cycle_collection():
        if workers < 2 or "-" in names or not hasattr(os, "fork") or threading.active_count() > 1:
            yield from serial(names, work, prepare)
            return
        done = 0
        failed = False
        try:
            for result in _parallel(names, work, prepare, workers):
                yield result
                done += 1
        except _WorkerFailed:
            failed = True  # redone below, outside the handler: a bug in work then reads as in a serial run
        if failed:
            yield from serial(names, work, prepare, start=done)


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Every loaded domain lives until the run ends, so hunting for garbage cycles among
    them meanwhile costs time (about 7% of a fleet render) and frees nothing."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def serial(names: Sequence[str], work: Callable[[Loaded], R], prepare: Prepare = None,
           start: int = 0) -> Iterator[R]:  # fmt: skip
    """In this process; from input ``start`` on (all inputs still count for cross-guest
    problems) when the ones before were already handed out."""
    loaded = [load_input(name, fingerprinted=False) for name in names]
    cross = _cross(_keys(loaded))
    for item, problems in zip(loaded[start:], cross[start:], strict=True):
        if prepare is not None:  # as in a worker: before the cross-guest problems are attached
            item.prepared = prepare(item)
        _attach([item], [problems])
        yield work(item)


class _WorkerFailed(Exception):
    pass


def _shares(count: int, workers: int) -> list[range]:
    size, extra = divmod(count, workers)
    bounds = [0]
    for worker in range(workers):
        bounds.append(bounds[-1] + size + (1 if worker < extra else 0))
    return [range(bounds[i], bounds[i + 1]) for i in range(workers)]


def _keys(loaded: list[Loaded]) -> list[GuestKeys | None]:
    from vifconf.fleet import guest_keys

    return [guest_keys(item.domain) if item.domain is not None else None for item in loaded]


def _attach(loaded: list[Loaded], cross: list[list[Problem]]) -> None:
    from vifconf.fleet import with_lines

    for item, problems in zip(loaded, cross, strict=True):
        if item.domain is not None and problems:
            item.cross_problems = with_lines(item.domain, problems)


def _cross(keys: list[GuestKeys | None]) -> list[list[Problem]]:
    """Each input's cross-guest problems (lines not filled in), ``[]`` for unreadable ones."""
    from vifconf.fleet import cross_guest_problems_of

    readable = [position for position, key in enumerate(keys) if key is not None]
    out: list[list[Problem]] = [[] for _ in keys]
    if len(readable) < 2:
        return out
    found = cross_guest_problems_of([key for key in keys if key is not None])
    for position, problems in zip(readable, found, strict=True):
        out[position] = problems
    return out


@dataclass
class _Worker:
    pid: int
    share: range
    results: int  # the fd this worker writes its messages to
    orders: int  # the fd this worker reads its cross-guest problems from


def _parallel(names: list[str], work: Callable[[Loaded], R], prepare: Prepare, workers: int) -> Iterator[R]:
    for stream in (sys.stdout, sys.stderr):  # a worker must not inherit (and repeat) pending output
        if stream is not None:
            stream.flush()
    children: list[_Worker] = []
    finished = False
    try:
        for share in _shares(len(names), workers):
            _fork(names, share, work, prepare, children)
        inbox = _Inbox([child.results for child in children])
        keys: list[GuestKeys | None] = []
        for position, child in enumerate(children):
            keys.extend(_checked(inbox.next(position), exactly=len(child.share)))
        cross = _cross(keys)
        for child in children:
            with open(child.orders, "wb", closefd=False) as orders:
                _send(orders, [cross[i] for i in child.share])
        for position, child in enumerate(children):
            received = 0
            while received < len(child.share):
                chunk = _checked(inbox.next(position), at_most=len(child.share) - received)
                received += len(chunk)
                yield from chunk
        finished = True
    except Exception as exc:  # a worker died or sent garbage; a bug in ``work`` raises again serially
        raise _WorkerFailed from exc
    finally:
        _reap(children, kill=not finished)


def _fork(names: list[str], share: range, work: Callable[[Loaded], R], prepare: Prepare,
          children: list[_Worker]) -> None:  # fmt: skip
    """Start a worker for ``share`` and add it to ``children`` (whose earlier members are
    its siblings) before anything can interrupt: the caller's cleanup then always sees it."""
    up_read, up_write = os.pipe()
    try:
        down_read, down_write = os.pipe()
    except OSError:
        os.close(up_read)
        os.close(up_write)
        raise
    # Ctrl-C between fork and the worker's own handler would raise KeyboardInterrupt in the
    # worker and run the caller's code there: keep SIGINT pending until that is settled.
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        pid = os.fork()
    except OSError:
        for fd in (up_read, up_write, down_read, down_write):
            os.close(fd)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        raise
    if pid == 0:  # pragma: no cover - the worker; the parent checks all it sends
        code = 1
        try:
            if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
                signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends a worker without a word
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            for sibling in children:  # else a sibling would never see its pipes close
                os.close(sibling.results)
                os.close(sibling.orders)
            os.close(up_read)
            os.close(down_write)
            with os.fdopen(up_write, "wb") as results, os.fdopen(down_read, "rb") as orders:
                loaded = [load_input(names[i], fingerprinted=False) for i in share]
                _send(results, _keys(loaded))
                if prepare is not None:  # while the caller gathers the cross-guest problems
                    for item in loaded:
                        item.prepared = prepare(item)
                _attach(loaded, _receive(orders, len(share)))
                for start in range(0, len(loaded), CHUNK):
                    _send(results, [work(item) for item in loaded[start : start + CHUNK]])
            code = 0
        finally:
            os._exit(code)  # never run the caller's cleanup or flush its buffers
    os.close(up_write)
    os.close(down_read)
    children.append(_Worker(pid, share, up_read, down_write))
    signal.pthread_sigmask(signal.SIG_SETMASK, blocked)  # a pending Ctrl-C is raised here


class _Inbox:
    """The workers' messages, read from all their pipes as data arrives and handed out per
    worker in order. Reading everything as it comes means no worker blocks on a full pipe
    while the caller is still busy with another worker's share."""

    def __init__(self, fds: list[int]):
        self._selector = selectors.DefaultSelector()
        self._buffers = [bytearray() for _ in fds]
        self._messages: list[deque[bytes]] = [deque() for _ in fds]
        self._ended = [False] * len(fds)
        for worker, fd in enumerate(fds):
            self._selector.register(fd, selectors.EVENT_READ, worker)

    def next(self, worker: int) -> Any:
        """The worker's next message; `EOFError` when it ended without sending one."""
        import pickle

        while not self._messages[worker]:
            if self._ended[worker]:
                raise EOFError("a worker ended early")
            for key, _ in self._selector.select():
                self._read(key.fd, key.data)
        return pickle.loads(self._messages[worker].popleft())

    def _read(self, fd: int, worker: int) -> None:
        data = os.read(fd, 1 << 20)
        if not data:
            self._selector.unregister(fd)
            self._ended[worker] = True
            return
        buffer = self._buffers[worker]
        buffer += data
        while len(buffer) >= 8:
            (size,) = struct.unpack_from("!Q", buffer)
            if size > MAX_MESSAGE:
                raise ValueError("a worker sent a malformed message header")
            if len(buffer) < 8 + size:
                break
            self._messages[worker].append(bytes(buffer[8 : 8 + size]))
            del buffer[: 8 + size]


def _checked(payload: Any, exactly: int | None = None, at_most: int | None = None) -> list[Any]:
    if not isinstance(payload, list):
        raise ValueError("a worker sent a malformed message")
    if exactly is not None and len(payload) != exactly:
        raise ValueError("a worker sent the wrong number of items")
    if at_most is not None and not 0 < len(payload) <= at_most:
        raise ValueError("a worker sent the wrong number of results")
    return payload


def _send(pipe: Any, payload: list[Any]) -> None:
    import pickle  # here: a serial run never needs it

    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    pipe.write(struct.pack("!Q", len(data)))
    pipe.write(data)
    pipe.flush()


def _receive(pipe: Any, count: int) -> list[Any]:
    import pickle

    (size,) = struct.unpack("!Q", _exactly(pipe, 8))
    return _checked(pickle.loads(_exactly(pipe, size)), exactly=count)


def _exactly(pipe: Any, size: int) -> bytes:
    data = pipe.read(size)
    if len(data) != size:
        raise EOFError("the caller ended early")
    return bytes(data)


def _reap(children: list[_Worker], kill: bool) -> None:
    """Close every pipe, stop the workers when the run did not finish (an error, Ctrl-C, a
    reader that went away), then wait for them: no worker outlives the call."""
    for child in children:
        for fd in (child.results, child.orders):
            with contextlib.suppress(OSError):
                os.close(fd)
        if kill:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child.pid, signal.SIGKILL)
    for child in children:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(child.pid, 0)
