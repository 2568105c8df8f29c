"""Many inputs in one command: load each, add the cross-guest problems, turn each into output.

``render`` and ``check`` over a fleet directory spend their time per domain (parse, render,
validate, encode), and domains are independent except for the cross-guest analysis. So
`run` splits the inputs into contiguous shares, one per forked worker process, and each worker:

1. loads its share and sends `fleet.GuestKeys` of each domain to the calling process;
2. gets back its domains' cross-guest problems, which the caller finds over all the keys;
3. turns each input into its result with ``work`` and sends the results to the caller,
   which returns them in input order.

The caller only coordinates: the documents live and die in the workers, which end without
tearing them down (freeing a thousand parsed trees costs as much as a tenth of the run).
Nothing a worker does is visible outside its results: if any worker fails (dies, sends
garbage, raises), the caller redoes everything in-process, so output, errors and exit codes
are always exactly those of the serial path. Forking is only done from a single-threaded process
(a libvirt connection runs an event-loop thread; forking while another thread holds a lock
can deadlock the child), never when stdin is an input, and only when each worker gets enough
inputs to pay for its start.
"""

from __future__ import annotations

import contextlib
import gc
import os
import struct
import sys
import threading
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


@dataclass
class Loaded:
    """One input as the user named it: a domain, or the reason it could not be read."""

    name: str
    domain: Domain | None = None
    error: InputError | None = None
    fingerprint: Fingerprint | None = None
    cross_problems: list[Problem] = field(default_factory=list)


def load_input(name: str, fingerprinted: bool = True) -> Loaded:
    """``fingerprinted``: also remember what the file looked like, for a later safe save."""
    from vifconf import fileio

    if name != "-" and os.path.isdir(name):
        return Loaded(name, error=InputError(name, "directory holds no *.xml files"))
    try:
        if not fingerprinted:
            return Loaded(name, domain=Domain.from_bytes(fileio.read_input(name), name))
        data, stamp = fileio.load(name)
        domain = Domain.from_bytes(data, name)
        return Loaded(name, domain=domain, fingerprint=None if name == "-" else stamp)
    except InputError as exc:
        return Loaded(name, error=exc)


def attach_cross_guest_problems(loaded: list[Loaded]) -> None:
    """Duplicate MACs across guests and friends: only meaningful with several domains."""
    readable = [item for item in loaded if item.domain is not None]
    if len(readable) < 2:
        return
    from vifconf.fleet import cross_guest_problems

    domains = [item.domain for item in readable if item.domain is not None]
    for item, extra in zip(readable, cross_guest_problems(domains), strict=True):
        item.cross_problems = list(extra)


def default_workers(inputs: int) -> int:
    """As many workers as CPUs this process may use, but each with at least `MIN_SHARE` inputs."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_WORKERS, inputs // MIN_SHARE))


def run(names: Sequence[str], work: Callable[[Loaded], R], workers: int | None = None) -> list[R]:
    """``work(item)`` for every input in ``names`` (files or ``-``), in order; each item
    carries its cross-guest problems. ``R`` must pickle when ``workers`` > 1."""
    names = list(names)
    if workers is None:
        workers = default_workers(len(names))
    with _no_cycle_collection():
        if workers < 2 or "-" in names or not hasattr(os, "fork") or threading.active_count() > 1:
            return serial(names, work)
        try:
            return _parallel(names, work, workers)
        except _WorkerFailed:
            return serial(names, work)


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


def serial(names: Sequence[str], work: Callable[[Loaded], R]) -> list[R]:
    loaded = [load_input(name, fingerprinted=False) for name in names]
    attach_cross_guest_problems(loaded)
    return [work(item) for item in loaded]


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
    results: Any  # the pipe this worker writes to (binary, buffered)
    orders: Any  # the pipe this worker reads from


def _parallel(names: list[str], work: Callable[[Loaded], R], workers: int) -> list[R]:
    shares = _shares(len(names), workers)
    sys.stdout.flush()
    sys.stderr.flush()
    children: list[_Worker] = []
    try:
        for share in shares:
            children.append(_fork(names, share, work, siblings=children))
        keys: list[GuestKeys | None] = []
        for child in children:
            keys.extend(_receive(child.results, len(child.share)))
        cross = _cross(keys)
        for child in children:
            _send(child.orders, [cross[i] for i in child.share])
        results: list[R] = []
        for child in children:
            results.extend(_receive(child.results, len(child.share)))
        return results
    except Exception as exc:  # a worker died or sent garbage; a bug in ``work`` raises again serially
        raise _WorkerFailed from exc
    finally:
        _reap(children)


def _fork(names: list[str], share: range, work: Callable[[Loaded], R], siblings: list[_Worker]) -> _Worker:
    up_read, up_write = os.pipe()
    down_read, down_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the worker; the parent checks all it sends
        code = 1
        try:
            for sibling in siblings:  # else a sibling would never see its pipes close
                sibling.results.close()
                sibling.orders.close()
            os.close(up_read)
            os.close(down_write)
            with os.fdopen(up_write, "wb") as results, os.fdopen(down_read, "rb") as orders:
                loaded = [load_input(names[i], fingerprinted=False) for i in share]
                _send(results, _keys(loaded))
                _attach(loaded, _receive(orders, len(share)))
                _send(results, [work(item) for item in loaded])
            code = 0
        finally:
            os._exit(code)  # never run the parent's cleanup or flush its buffers
    os.close(up_write)
    os.close(down_read)
    return _Worker(pid, share, os.fdopen(up_read, "rb"), os.fdopen(down_write, "wb"))


def _send(pipe: Any, payload: list[Any]) -> None:
    import pickle  # here: a serial run never needs it

    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    pipe.write(struct.pack("!Q", len(data)))
    pipe.write(data)
    pipe.flush()


def _receive(pipe: Any, count: int) -> list[Any]:
    import pickle

    (size,) = struct.unpack("!Q", _exactly(pipe, 8))
    payload = pickle.loads(_exactly(pipe, size))
    if not isinstance(payload, list) or len(payload) != count:
        raise ValueError("a worker sent a malformed result")
    return payload


def _exactly(pipe: Any, size: int) -> bytes:
    data = pipe.read(size)
    if len(data) != size:
        raise EOFError("a worker ended early")
    return bytes(data)


def _reap(children: list[_Worker]) -> None:
    """Close every pipe first (a worker still waiting for orders then sees the end), then wait."""
    for child in children:
        for pipe in (child.results, child.orders):
            with contextlib.suppress(OSError):  # a dead worker's pipe; its share is redone here
                pipe.close()
    for child in children:
        os.waitpid(child.pid, 0)
