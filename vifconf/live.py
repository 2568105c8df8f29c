"""Live libvirt domains: load persistent configs, save through defineXML, apply live changes.

libvirt-python is optional (``pip install 'vifconf[libvirt]'``) and imported on first use, so
the rest of vifconf starts fast and works without it. Every failure here is an `InputError`
(a `LiveError`) whose ``str()`` is one line: libvirt's own message, verbatim, after the
``URI#DOMAIN`` it concerns. No libvirt exception and no traceback escapes.

vifconf adds no transport: remote hosts are whatever libvirt's URI reaches
(``qemu+ssh://host/system``, ``qemu+tls://…``).

What can change on a running guest (libvirt's qemuDomainChangeNet): the link state and the
source (bridge or network) can; MAC, model, driver, target dev, type and everything else
need the guest powered off (the new persistent config applies at its next start).
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import os
import re
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, Any, Literal

from lxml import etree

from vifconf.model.domain import FIELD_ELEMENTS, Domain, Nic
from vifconf.model.mac import normalize_mac
from vifconf.model.source import InputError

INSTALL_HINT = (
    "libvirt-python is not installed: pip install 'vifconf[libvirt]' (needs libvirt-dev and pkg-config to build)"
)

Liveness = Literal["live", "power-off"]
LIVE_FIELDS = frozenset({"link", "source"})
"""Fields libvirt can change on a running guest; everything else needs a power-off."""
LIVE_SOURCE_TYPES = frozenset({"bridge", "network"})
COMPARED_FIELDS = ("type", "source", "model", "mac", "target", "script", "link", "driver")
COMPARED_ELEMENTS = frozenset(FIELD_ELEMENTS[name] for name in COMPARED_FIELDS if name in FIELD_ELEMENTS)
"""The children behind `COMPARED_FIELDS`: `stored_differently` reports the other children."""


class LiveError(InputError):
    """A libvirt failure, as one line: ``URI[#DOMAIN]: libvirt's message``."""


class HostChanged(LiveError):
    """`define` refused: the config on the host is not the one the edits started from."""


def liveness(field_name: str, nic_type: str | None = None) -> Liveness:
    """Whether a change of this NIC field can be applied to a running guest. A source only
    moves live between bridges or networks of a NIC that keeps its type (``nic_type`` None
    means the type changed too, or is unknown: power-off)."""
    if field_name == "source" and (nic_type is None or nic_type not in LIVE_SOURCE_TYPES):
        return "power-off"
    return "live" if field_name in LIVE_FIELDS else "power-off"


# -- the bindings, lazily -----------------------------------------------------------------
_lock = threading.Lock()
_module: Any = None
_connections: dict[str, Any] = {}
_DENIED_CODES = ("VIR_ERR_AUTH_FAILED", "VIR_ERR_AUTH_CANCELLED", "VIR_ERR_AUTH_UNAVAILABLE", "VIR_ERR_ACCESS_DENIED",
                 "VIR_ERR_OPERATION_DENIED", "VIR_ERR_SYSTEM_ERROR")


def _import_libvirt() -> Any:
    import libvirt

    return libvirt


def _libvirt(where: str) -> Any:
    """The libvirt module, set up once: silent error handler, default event loop running."""
    global _module
    with _lock:
        if _module is not None:
            return _module
        try:
            module = _import_libvirt()
        except ImportError:
            raise LiveError(where, INSTALL_HINT) from None
        # libvirt prints every error to stderr unless a handler is set; we report them ourselves
        module.registerErrorHandler(lambda _ctx, _err: None, None)
        # the embedded driver refuses to open without an event loop; remote keepalive uses it
        module.virEventRegisterDefaultImpl()

        def run() -> None:
            while True:
                module.virEventRunDefaultImpl()

        threading.Thread(target=run, name="libvirt-events", daemon=True).start()
        atexit.register(close_all)  # before the bindings are torn down at interpreter exit
        _module = module
        return module


def available() -> bool:
    """libvirt-python importable (does not open anything)."""
    try:
        _import_libvirt()
    except ImportError:
        return False
    return True


def _message(exc: BaseException) -> str:
    getter = getattr(exc, "get_error_message", None)
    text = getter() if callable(getter) else None
    return " ".join(str(text or exc).split())


def connect(uri: str) -> Any:
    """An open connection (cached per URI); read-only when read-write is refused."""
    libvirt = _libvirt(uri)
    with _lock:
        conn = _connections.get(uri)
        if conn is not None:
            try:
                if conn.isAlive():
                    return conn
            except libvirt.libvirtError:
                pass
            _connections.pop(uri, None)
    try:
        with _capture.dropping_libxml2_noise():
            conn = libvirt.open(uri)
    except libvirt.libvirtError as exc:
        first = _message(exc)
        denied = {getattr(libvirt, n, None) for n in _DENIED_CODES}
        if exc.get_error_code() not in denied:
            raise LiveError(uri, f"cannot connect: {first}") from None
        try:
            with _capture.dropping_libxml2_noise():
                conn = libvirt.openReadOnly(uri)
        except libvirt.libvirtError:
            raise LiveError(uri, f"cannot connect: {first}") from None
    with _lock:
        _connections[uri] = conn
    return conn


LIBXML2_IO_NOISE = re.compile(rb"I/O (warning|error) : [^\n]*\n?")
"""What libxml2, inside libvirt, prints on the process's stderr when a file it was to read
is missing (``test:///no/such.xml``): libvirt's error says the same on the one line."""


class _StderrCapture:
    """Descriptor 2 into a file while libvirt opens connections, then back, with what landed
    there less libxml2's I/O noise. Connections open in parallel (`load_many`): the first to
    start redirects, the last to finish restores.

    Only while `command_line_loading`: a running Textual app draws on descriptor 2 (its
    driver writes to ``sys.__stderr__``), and a connection opened under it would hold the
    screen's output back for as long as an ssh login takes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._saved = -1
        self._file: IO[bytes] | None = None
        self.enabled = False

    @contextlib.contextmanager
    def dropping_libxml2_noise(self) -> Iterator[None]:
        with self._lock:
            capturing = self.enabled
            if capturing:
                if not self._users:
                    self._start()
                self._users += 1
        try:
            yield
        finally:
            if capturing:
                with self._lock:
                    self._users -= 1
                    if not self._users:
                        self._stop()

    def _start(self) -> None:
        try:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 (outlives this call: `_stop` closes it)
        except OSError:  # no room for it: libxml2's noise is the lesser evil
            return
        try:
            self._saved = os.dup(2)
        except OSError:  # no stderr at all: nothing to keep clean
            self._file.close()
            self._file = None
            return
        if sys.stderr is not None:
            sys.stderr.flush()
        os.dup2(self._file.fileno(), 2)

    def _stop(self) -> None:
        if self._file is None:
            return
        os.dup2(self._saved, 2)
        os.close(self._saved)
        self._file.seek(0)
        kept = LIBXML2_IO_NOISE.sub(b"", self._file.read())
        self._file.close()
        self._file = None
        with contextlib.suppress(OSError):
            while kept:
                kept = kept[os.write(2, kept) :]


_capture = _StderrCapture()


@contextlib.contextmanager
def command_line_loading() -> Iterator[None]:
    """Connections opened inside keep libxml2's I/O noise off stderr (`_StderrCapture`):
    the command line's loading, before any terminal UI runs."""
    _capture.enabled = True
    try:
        yield
    finally:
        _capture.enabled = False


def close_all() -> None:
    """Close every cached connection (tests, and the app on exit)."""
    with _lock:
        conns = list(_connections.values())
        _connections.clear()
    for conn in conns:
        with contextlib.suppress(Exception):
            conn.close()


def domain_source(uri: str, name: str) -> str:
    return f"{uri}#{name}"


def split_source(source: str) -> tuple[str, str]:
    """``URI#DOMAIN`` back into its parts."""
    uri, sep, name = source.rpartition("#")
    if not sep or "://" not in uri:
        raise ValueError(f"{source!r} is not a live domain (expected URI#DOMAIN)")
    return uri, name


def _inactive_xml(libvirt: Any, dom: Any) -> bytes:
    """The persistent config, with secrets (so a define does not drop a VNC password)."""
    flags = libvirt.VIR_DOMAIN_XML_INACTIVE
    try:
        text = dom.XMLDesc(flags | libvirt.VIR_DOMAIN_XML_SECURE)
    except libvirt.libvirtError:  # a read-only connection may not see secrets
        text = dom.XMLDesc(flags)
    return str(text).encode("utf-8")


def load_domains(uri: str, names: Sequence[str] | None = None) -> list[Domain | InputError]:
    """The inactive XML of the named domains (``None``: all of them, sorted by name).

    A missing domain gives a `LiveError` for ``URI#NAME`` while the others still load. A
    missing binding or an unreachable URI gives one for each named domain (cli-json.md: one
    object per input), or one for the URI when none is named.
    """
    wanted = None if names is None else list(dict.fromkeys(names))  # a domain named twice is one guest
    try:
        libvirt = _libvirt(uri)
        conn = connect(uri)
        if wanted is None:
            doms = sorted(conn.listAllDomains(0), key=lambda d: d.name())
            targets: list[tuple[str, Any]] = [(d.name(), d) for d in doms]
        else:
            targets = [(name, None) for name in wanted]
    except Exception as exc:  # InputError (no binding, bad URI), or libvirtError while listing
        message = exc.message if isinstance(exc, InputError) else _message(exc)
        sources = [domain_source(uri, name) for name in wanted] if wanted else [uri]
        return [LiveError(source, message) for source in sources]
    bridges = network_bridges(uri)
    out: list[Domain | InputError] = []
    for name, dom in targets:
        source = domain_source(uri, name)
        try:
            if dom is None:
                dom = conn.lookupByName(name)
            domain = Domain.from_bytes(_inactive_xml(libvirt, dom), source)
            domain.network_bridges = bridges
            out.append(domain)
        except InputError as exc:
            out.append(exc)
        except libvirt.libvirtError as exc:
            out.append(LiveError(source, _message(exc)))
    return out


def network_bridges(uri: str) -> dict[str, str | None] | None:
    """Each libvirt network on the host and its bridge (``virNetworkGetBridgeName``, what
    libvirt's Xen driver and xl converter look up for a type network NIC); None for a network
    without one (macvtap or hostdev forwarding). None when the host cannot say."""
    try:
        libvirt = _libvirt(uri)
        networks = connect(uri).listAllNetworks(0)
    except Exception:  # a host that cannot list its networks: nothing is known of them
        return None
    bridges: dict[str, str | None] = {}
    for network in networks:
        try:
            name = str(network.name())
        except libvirt.libvirtError:  # gone while listing
            continue
        try:
            bridges[name] = str(network.bridgeName())
        except libvirt.libvirtError:
            bridges[name] = None
    return bridges


def load_many(
    uris: Sequence[str],
    names: Sequence[str] | None = None,
    on_done: Callable[[str, list[Domain | InputError]], None] | None = None,
) -> list[list[Domain | InputError]]:
    """Several hosts in parallel (one thread each); results in ``uris`` order, a URI named
    twice loaded once. ``on_done`` is called from the worker thread as each host finishes
    (for a progress display)."""
    uris = list(dict.fromkeys(uris))

    def one(uri: str) -> list[Domain | InputError]:
        result = load_domains(uri, names)
        if on_done is not None:
            on_done(uri, result)
        return result

    if not uris:
        return []
    with ThreadPoolExecutor(max_workers=min(16, len(uris))) as pool:
        return list(pool.map(one, uris))


def _lookup(uri: str, name: str) -> tuple[Any, Any]:
    libvirt = _libvirt(uri)
    conn = connect(uri)
    try:
        return libvirt, conn.lookupByName(name)
    except libvirt.libvirtError as exc:
        raise LiveError(domain_source(uri, name), _message(exc)) from None


def current_xml(uri: str, name: str) -> bytes:
    libvirt, dom = _lookup(uri, name)
    try:
        return _inactive_xml(libvirt, dom)
    except libvirt.libvirtError as exc:
        raise LiveError(domain_source(uri, name), _message(exc)) from None


def is_running(uri: str, name: str) -> bool:
    libvirt, dom = _lookup(uri, name)
    try:
        return bool(dom.isActive())
    except libvirt.libvirtError as exc:
        raise LiveError(domain_source(uri, name), _message(exc)) from None


def define(uri: str, domain: Domain, expected_xml: bytes) -> bytes:
    """Save the domain's persistent config through ``defineXML``.

    Refuses (writing nothing) when the config on the host is no longer ``expected_xml``, the
    XML it was loaded from. libvirt's refusal is raised verbatim as a `LiveError`. Returns the
    config as libvirt now stores it (the next ``expected_xml``).
    """
    name = _name_of(uri, domain)
    source = domain_source(uri, name)
    libvirt, dom = _lookup(uri, name)
    try:
        now = _inactive_xml(libvirt, dom)
    except libvirt.libvirtError as exc:
        raise LiveError(source, _message(exc)) from None
    if now != expected_xml:
        raise HostChanged(source, "the domain changed on the host since it was loaded; nothing written (reload it)")
    conn = connect(uri)
    try:
        text = domain.to_bytes().decode(domain.encoding.codec).lstrip("\ufeff")
        defined = conn.defineXML(text)
        return _inactive_xml(libvirt, defined)
    except libvirt.libvirtError as exc:
        raise LiveError(source, _message(exc)) from None


def _name_of(uri: str, domain: Domain) -> str:
    try:
        return split_source(domain.source)[1]
    except ValueError:
        name = domain.facts.name
        if not name:
            raise LiveError(uri, "the domain has no <name>") from None
        return name


# -- what changed, and what of it can apply live -------------------------------------------
@dataclass
class NicChange:
    """The fields of one NIC that differ between the loaded and the edited config."""

    nic: int
    mac: str | None
    type: str | None
    fields: list[str] = field(default_factory=list)

    @property
    def live(self) -> list[str]:
        return [f for f in self.fields if liveness(f, self.type) == "live"]

    @property
    def power_off(self) -> list[str]:
        return [f for f in self.fields if liveness(f, self.type) == "power-off"]

    @property
    def all_live(self) -> bool:
        return bool(self.fields) and not self.power_off


def _value(nic: Nic, name: str) -> object:
    if name == "source":
        return nic.source_attrs
    return getattr(nic, name)


def _canonical(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n")


def nic_changes(before: Domain, after: Domain) -> list[NicChange]:
    """Per NIC (matched by position), which fields changed; an added or removed NIC is a
    ``device`` change (power-off: vifconf does not hot-plug)."""
    old, new = before.nics, after.nics
    changes = []
    for index in range(1, max(len(old), len(new)) + 1):
        a = old[index - 1] if index <= len(old) else None
        b = new[index - 1] if index <= len(new) else None
        if a is None or b is None:
            present = a or b
            assert present is not None
            changes.append(NicChange(index, present.mac, present.type, ["device"]))
            continue
        fields = [name for name in COMPARED_FIELDS if _value(a, name) != _value(b, name)]
        if not fields and _canonical(a.element) != _canonical(b.element):
            fields = ["other"]
        if fields:
            changes.append(NicChange(index, a.mac, a.type if a.type == b.type else None, fields))
    return changes


def stored_differently(sent: Domain, stored: Domain) -> list[str]:
    """What libvirt changed in the NICs it was given by ``defineXML``: a generated MAC or
    target dev, a lowercased MAC, a canonical model name, an added PCI address. The user
    saved one thing and the host keeps another; say so, one line per field."""
    lines = []
    for change in nic_changes(sent, stored):
        if change.fields == ["device"]:
            lines.append(f"NIC {change.nic}: {'added' if change.nic > len(sent.nics) else 'dropped'}")
            continue
        before, after = sent.nic(change.nic), stored.nic(change.nic)
        for name in change.fields:
            if name in ("source", "driver"):
                lines.append(f"NIC {change.nic} {name}: changed")
            elif name != "other":
                old, new = getattr(before, name), getattr(after, name)
                lines.append(f"NIC {change.nic} {name}: {_shown(old)} → {_shown(new)}")
        differing = _shapes(before.element) ^ _shapes(after.element)
        if differing:  # libvirt writes children in its own order and layout: only content counts
            tags = sorted({tag for tag, _ in differing})
            lines.append(f"NIC {change.nic}: " + ", ".join(f"<{tag}>" for tag in tags) + " added or changed")
    return lines


def _shown(value: str | None) -> str:
    return "(none)" if value is None else value or "''"


def _shapes(interface: etree._Element) -> set[tuple[str, str]]:
    children = (child for child in interface if isinstance(child.tag, str) and child.tag not in COMPARED_ELEMENTS)
    return {(str(child.tag), _shape(child)) for child in children}


def _shape(element: etree._Element) -> str:
    """An element's content without its layout: attributes in order of name, text without
    surrounding blanks, children in any order."""
    children = sorted(_shape(child) for child in element if isinstance(child.tag, str))
    attributes = sorted(element.attrib.items())
    return f"{element.tag}{attributes}{(element.text or '').strip()!r}{children}"


def apply_live(uri: str, domain: Domain, changes: Sequence[NicChange]) -> list[str]:
    """Apply the live-capable fields of ``changes`` to the running guest with
    ``updateDeviceFlags(…, AFFECT_LIVE)``; the persistent config is `define`'s job.

    Each device is found in the guest's live XML by its MAC (which cannot change live) and
    only link state and source are replaced in it, so libvirt sees the device it runs.
    Returns one line per NIC updated; libvirt's refusal is raised verbatim.
    """
    name = _name_of(uri, domain)
    source = domain_source(uri, name)
    libvirt, dom = _lookup(uri, name)
    done = []
    try:
        if not dom.isActive():
            return []
        live_root = etree.fromstring(str(dom.XMLDesc(0)).encode("utf-8"))
        for change in changes:
            fields = change.live
            if not fields or not change.mac:
                continue
            edited = domain.nic(change.nic).element
            device = _live_interface(live_root, change.mac)
            if device is None:
                raise LiveError(source, f"NIC {change.nic} (MAC {change.mac}) is not in the running guest")
            update = copy.deepcopy(device)
            for name_ in fields:
                tag = "link" if name_ == "link" else "source"
                _replace_child(update, edited.find(tag), tag)
            dom.updateDeviceFlags(etree.tostring(update, encoding="unicode"), libvirt.VIR_DOMAIN_AFFECT_LIVE)
            done.append(f"NIC {change.nic}: {', '.join(fields)} applied to the running guest")
    except libvirt.libvirtError as exc:
        raise LiveError(source, _message(exc)) from None
    return done


def _live_interface(root: etree._Element, mac: str) -> etree._Element | None:
    wanted = normalize_mac(mac)
    for element in root.iterfind("devices/interface"):
        node = element.find("mac")
        if node is not None and normalize_mac(node.get("address", "")) == wanted:
            return element
    return None


def _replace_child(parent: etree._Element, new: etree._Element | None, tag: str) -> None:
    old = parent.find(tag)
    if new is None:
        if tag == "link":  # no <link> means up
            if old is None:
                old = etree.SubElement(parent, "link")
            old.attrib.clear()
            old.set("state", "up")
        elif old is not None:
            parent.remove(old)
        return
    fresh = copy.deepcopy(new)
    fresh.tail = old.tail if old is not None else None
    if old is not None:
        parent.replace(old, fresh)
    else:
        parent.append(fresh)
