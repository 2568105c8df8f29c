"""The qemu target against the real thing: libvirt 9.0 starting QEMU, QEMU itself, libvirt's parser.

1. Live differential: seeded random domains started paused on ``qemu:///embed?root=…`` (the
   spec's recipe); the renderer's argv must equal the NIC arguments libvirt logged.
   Replay a failure with ``VIFCONF_LIVE_SEED=<seed>``.
2. Every model offered for KVM is accepted by ``qemu-system-x86_64 -M pc``; unknown ones refused.
3. Parse-level agreement with ``virsh -c test:///default define --validate``.
Missing parts skip locally and fail under CI=true (tests/conftest.py ``need``).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import shlex
import socket
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import REPO, need, need_command
from tests.test_qemu_vectors import with_fd_placeholders
from vifconf.model import Domain
from vifconf.render import RenderOptions, pci, qemu

pytestmark = pytest.mark.live

DOMAINS = 64
SEED = int(os.environ.get("VIFCONF_LIVE_SEED") or random.SystemRandom().randrange(1 << 32))
PREPARE = REPO / "scripts" / "prepare-live-libvirt"
EMULATOR = "/usr/bin/qemu-system-x86_64"
CLIENT_PORT = 15570
"""Where type='client' NICs connect: `tcp_listener` listens there (or on a free port, which it
returns, when another program holds this one), so QEMU can start them."""

# model choices per backend; ne2k_isa is ISA (no PCI slot) and is covered by test 2 only
TAP_AND_SOCKET_MODELS = (None, "virtio", "virtio-transitional", "virtio-non-transitional", "e1000", "e1000e",
                         "rtl8139", "ne2k_pci", "pcnet", "i82559er", "i82557b", "vmxnet3", "tulip")  # fmt: skip


# -- the generator --------------------------------------------------------------------------
@dataclass
class Generated:
    name: str
    xml: str
    libvirt_xml: str
    """What libvirt is given: the same domain without its type='none' NICs (vifconf's 'absent')."""


class Ports:
    def __init__(self, start: int) -> None:
        self.next = start

    def take(self) -> int:
        self.next += 1
        return self.next


def _interface(rng: random.Random, kind: str, index: int, serial: int, ports: Ports, tmp: Path,
               slots: list[int], boot: list[int], aliases: bool, client_port: int) -> str:  # fmt: skip
    parts: list[str] = []
    if rng.random() < 0.9:
        mac = f"52:54:00:{serial % 256:02x}:{index:02x}:{rng.randrange(256):02x}"
        parts.append(f"<mac address='{mac.upper() if rng.random() < 0.1 else mac}'/>")
    virtio_only = kind == "vhostuser"
    model = rng.choice(sorted(qemu.VIRTIO_MODELS)) if virtio_only else rng.choice(TAP_AND_SOCKET_MODELS)
    if kind == "bridge":
        parts.append("<source bridge='br0'/>")
    elif kind == "ethernet" and rng.random() < 0.5:
        parts.append(f"<target dev='vl{serial}x{index}'/>")
    elif kind in ("server", "mcast"):
        port = ports.take() if kind == "server" else 5558
        address = "127.0.0.1" if kind == "server" else "230.0.0.1"
        parts.append(f"<source address='{address}' port='{port}'/>")
    elif kind == "client":
        parts.append(f"<source address='127.0.0.1' port='{client_port}'/>")
    elif kind == "udp":
        remote, local = ports.take(), ports.take()
        local_part = f"<local address='127.0.0.1' port='{local}'/>"
        parts.append(f"<source address='127.0.0.1' port='{remote}'>{local_part}</source>")
    elif kind == "network":
        parts.append("<source network='default'/>")
    elif kind == "direct":
        parts.append("<source dev='eth0' mode='bridge'/>")
    elif kind == "vhostuser":
        parts.append(f"<source type='unix' path='{tmp}/vhu-{serial}-{index}.sock' mode='server'/>")
    if model is not None:
        parts.append(f"<model type='{model}'/>")
    is_virtio = model in qemu.VIRTIO_MODELS
    driver: list[str] = []
    if is_virtio and kind in ("ethernet", "bridge", "vhostuser") and rng.random() < 0.3:
        driver.append(f"queues='{rng.randint(2, 4)}'")
    if is_virtio and rng.random() < 0.3:
        driver += rng.sample(["txmode='iothread'", "ioeventfd='on'", "event_idx='off'", "rx_queue_size='512'"], 2)
    if driver or (kind in ("ethernet", "bridge") and rng.random() < 0.1):
        host = "<host csum='off'/>" if is_virtio and rng.random() < 0.5 else ""
        parts.append(f"<driver {' '.join(driver)}>{host}</driver>")
    if kind in ("ethernet", "bridge") and rng.random() < 0.25:
        parts.append(f"<mtu size='{rng.choice((1400, 1500, 9000))}'/>")
    if rng.random() < 0.15 and boot:
        parts.append(f"<boot order='{boot.pop(0)}'/>")
    if rng.random() < 0.15:
        parts.append(f"<rom bar='{rng.choice(('on', 'off'))}'/>")
    if rng.random() < 0.1:
        parts.append("<link state='down'/>")
    if kind == "user" and rng.random() < 0.1:
        parts.append("<bandwidth><inbound average='1000'/></bandwidth>")
    if aliases and rng.random() < 0.4:
        parts.append(f"<alias name='ua-n{index}{rng.choice(('a', 'b', '_x'))}'/>")
    if slots and rng.random() < 0.35:
        parts.append(f"<address type='pci' domain='0x0000' bus='0x00' slot='0x{slots.pop(0):02x}' function='0x0'/>")
    body = "\n      ".join(parts)
    return f"    <interface type='{kind}'>\n      {body}\n    </interface>\n"


def generate(seed: int, count: int, tmp: Path, backends: tuple[str, ...],
             client_port: int = CLIENT_PORT) -> list[Generated]:  # fmt: skip
    """``count`` domains covering every startable backend × models × options × 1–8 NICs."""
    rng = random.Random(seed)
    ports = Ports(20000 + seed % 20000)
    out = []
    for serial in range(count):
        pc = serial % 4 != 3
        nic_count = 1 + serial % 8
        slots = rng.sample(range(3, 0x1F), 10)
        boot = [1, 2, 3]
        aliases = rng.random() < 0.5
        interfaces, for_libvirt = [], []
        for index in range(nic_count):
            kind = backends[(serial + index) % len(backends)] if index == 0 else rng.choice(backends)
            if rng.random() < 0.05:
                text = "    <interface type='none'/>\n"
                interfaces.append(text)
                continue
            text = _interface(rng, kind, index, serial, ports, tmp, slots, boot, aliases, client_port)
            interfaces.append(text)
            for_libvirt.append(text)
        name = f"vlive-{seed}-{serial}"

        def wrap(nics: list[str], name: str = name, pc: bool = pc) -> str:
            return (
                f"<domain type='qemu'>\n  <name>{name}</name>\n  <uuid>{uuid.UUID(int=rng.getrandbits(128))}</uuid>\n"
                f"  <memory unit='MiB'>64</memory>\n"
                f"  <os><type arch='x86_64' machine='{'pc' if pc else 'q35'}'>hvm</type></os>\n"
                f"  <devices>\n    <emulator>{EMULATOR}</emulator>\n{''.join(nics)}  </devices>\n</domain>\n"
            )

        out.append(Generated(name, wrap(interfaces), wrap(for_libvirt)))
    return out


# -- running libvirt ------------------------------------------------------------------------
def logged_nic_args(log: str) -> list[str]:
    """The NIC part of the last command line in a domain log (one argument per line, shell-quoted)."""
    block = log.split(f"{EMULATOR} \\\n")[-1]
    lines = []
    for line in block.splitlines():
        if not line.endswith(" \\"):
            lines.append(line)
            break
        lines.append(line[:-2])
    args = shlex.split(" ".join(lines))
    out = []
    for option, value in itertools.pairwise(args):
        nic_device = option == "-device" and '"netdev":' in value
        nic_chardev = option == "-chardev" and value.startswith(("socket,id=charnet", "socket,id=charua-"))
        if option == "-netdev" or nic_device or nic_chardev:
            out += [option, value]
    return out


VNC_GRAPHICS = re.compile(r"""<graphics type=(['"])vnc\1""")
TAP_RACE = re.compile(r"Failed to create domain from \S*/([^/\s]+)\.xml\nerror: Unable to create tap device")


def run_batches(roots: list[Path], domains: list[Generated], xml_dir: Path) -> list[tuple[Path, list[Generated], str]]:
    """Spread the domains over the roots, run them in parallel, and rerun, alone, any that lost
    a race for a tap name: each embedded libvirt counts vnet0, vnet1, … on its own, so two roots
    can pick the same name at once ("Unable to create tap device vnet3: Invalid argument")."""
    batches = [domains[i :: len(roots)] for i in range(len(roots))]
    with ThreadPoolExecutor(len(roots)) as pool:
        errors = list(pool.map(run_batch, roots, batches, [xml_dir] * len(batches)))
    for root, batch, stderr in zip(roots, batches, errors, strict=True):
        raced = set(TAP_RACE.findall(stderr))
        if raced:
            run_batch(root, [generated for generated in batch if generated.name in raced], xml_dir)
    return list(zip(roots, batches, errors, strict=True))


def last_run(log: Path) -> str:
    """A domain's QEMU log from its last start on: a domain rerun after a tap race keeps the
    first attempt's "shutting down, reason=failed" above it."""
    text = log.read_text() if log.exists() else ""
    start = text.rfind("starting up")
    return text[start:] if start >= 0 else text


def run_batch(root: Path, domains: list[Generated], xml_dir: Path) -> str:
    """Create (paused) and destroy each domain in one virsh process: the driver starts once."""
    commands = []
    for generated in domains:
        path = xml_dir / f"{generated.name}.xml"
        path.write_text(generated.libvirt_xml, encoding="utf-8")
        commands.append(f"create {path} --paused ; destroy {generated.name}")
    result = subprocess.run(
        ["timeout", "300", "virsh", "-q", "-c", f"qemu:///embed?root={root}", " ; ".join(commands)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return result.stderr


@pytest.fixture(scope="module")
def tcp_listener() -> Iterator[int]:
    """A listening peer for type='client' NICs (QEMU refuses to start without one); its port."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        server.bind(("127.0.0.1", CLIENT_PORT))
    except OSError:  # held by another program: any free port does
        server.bind(("127.0.0.1", 0))
    server.listen(64)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.5)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


@pytest.fixture(scope="module")
def embed_roots(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    need_command("virsh")
    need(Path(EMULATOR).exists(), f"{EMULATOR} is not installed")
    need(os.geteuid() == 0, "the embedded QEMU driver with the spec's qemu.conf needs root")
    roots = [tmp_path_factory.mktemp(f"embed{i}") for i in range(max(2, min(3, os.cpu_count() or 2)))]
    for root in roots:
        subprocess.run([str(PREPARE), str(root)], check=True)
    return roots


def startable_backends() -> tuple[str, ...]:
    """Every backend that can start here. Not: network (needs virtnetworkd), direct (libvirt
    9.0's embed driver crashes on destroy), vhostuser (QEMU blocks until a real vhost-user
    switch answers the protocol; covered by the vhostuser_server vector instead)."""
    bridge = subprocess.run(["ip", "link", "show", "br0"], capture_output=True, check=False).returncode == 0
    need(bridge, "no br0 bridge (scripts/prepare-live-libvirt creates it)")
    return ("user", "ethernet", "bridge", "mcast", "udp", "server", "client")


def with_generated_macs(logged: list[str], expected: list[str]) -> list[str]:
    """Where vifconf says "generated", accept the random 52:54:00 MAC libvirt picked."""
    out = []
    for got, want in zip(logged, expected, strict=False):
        if qemu.GENERATED_MAC in want and got.startswith("{"):
            props = json.loads(got)
            if str(props.get("mac", "")).startswith("52:54:00:"):
                props["mac"] = qemu.GENERATED_MAC
                got = qemu.compact(props)
        out.append(got)
    return out + logged[len(out) :]


def with_unknown_slots(logged: list[str], expected: list[str]) -> list[str]:
    """Where vifconf says the slot (or bus) is libvirt's choice at define time, accept any."""
    out = []
    for got, want in zip(logged, expected, strict=False):
        if got.startswith("{") and (pci.UNKNOWN_SLOT in want or pci.UNKNOWN_BUS in want):
            props, wanted = json.loads(got), json.loads(want)
            for key in ("bus", "addr"):
                if wanted.get(key) in (pci.UNKNOWN_SLOT, pci.UNKNOWN_BUS):
                    props[key] = wanted[key]
            got = qemu.compact(props)
        out.append(got)
    return out + logged[len(out) :]


# -- 1. live differential -------------------------------------------------------------------
def test_live_differential(embed_roots: list[Path], tcp_listener: int, tmp_path: Path) -> None:
    domains = generate(SEED, DOMAINS, tmp_path, startable_backends(), client_port=tcp_listener)
    failures = []
    for root, batch, stderr in run_batches(embed_roots, domains, tmp_path):
        for generated in batch:
            log = root / "log" / "qemu" / f"{generated.name}.log"
            rendering = qemu.render(Domain.from_string(generated.xml, generated.name), RenderOptions())
            expected = rendering.items
            text = last_run(log)
            refused = [p for p in rendering.problems if p.severity == "error"]
            if "qemu-system" not in text or "reason=failed" in text:  # QEMU logs its argv, then may refuse
                if not refused:  # a refusal vifconf predicts is agreement (two NICs with one fw_cfg ROM, …)
                    failures.append(f"{generated.name}: libvirt did not start it\n{stderr}\n{text[-300:]}\n"
                                    + generated.xml)
                continue
            logged = with_generated_macs(with_fd_placeholders(logged_nic_args(text)), expected)
            if refused:
                failures.append(f"{generated.name}: started, but vifconf reported {rendering.problems}\n"
                                + generated.xml)
            elif logged != expected:
                diff = [f"  libvirt: {a}\n  vifconf: {b}" for a, b in zip(logged, expected, strict=False) if a != b]
                failures.append(f"{generated.name}: argv differs (len {len(logged)} vs {len(expected)})\n"
                                + "\n".join(diff[:4]) + f"\n{generated.xml}")
    print(f"live differential: seed {SEED}, {len(domains)} domains, {len(failures)} failures")
    assert not failures, f"seed {SEED} (replay: VIFCONF_LIVE_SEED={SEED})\n\n" + "\n\n".join(failures[:5])


# -- 2. models against real QEMU ------------------------------------------------------------
UNKNOWN_MODELS = ("netfront", "e1001", "virtio-net-pcie", "rtl8193", "Totally-Bogus_nic", "usb-net",
                  "virtio-net-device")  # fmt: skip


def qemu_accepts(driver: str) -> tuple[bool, str]:
    result = subprocess.run(
        [EMULATOR, "-nodefaults", "-M", "pc", "-display", "none", "-S", "-monitor", "stdio",
         "-netdev", "user,id=n0", "-device", f"{driver},netdev=n0"],
        input="quit\n", capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    return result.returncode == 0, result.stderr.strip()


def test_offered_models_start_in_qemu_and_unknown_ones_do_not() -> None:
    need(Path(EMULATOR).exists(), f"{EMULATOR} is not installed")
    offered = qemu.kvm_models()
    for model in UNKNOWN_MODELS:
        assert not qemu.is_known_model(model), model
    with ThreadPoolExecutor(4) as pool:
        accepted = dict(zip(offered, pool.map(qemu_accepts, [qemu.qemu_driver(m) for m in offered]), strict=True))
        refused = dict(zip(UNKNOWN_MODELS, pool.map(qemu_accepts, UNKNOWN_MODELS), strict=True))
    assert {m: err for m, (ok, err) in accepted.items() if not ok} == {}
    assert [m for m, (ok, _) in refused.items() if ok] == []
    print(f"models: {len(offered)} offered accepted by QEMU, {len(refused)} unknown refused")


# -- 3. parse-level agreement with libvirt --------------------------------------------------
SCHEMA_BREAKERS = (
    ("<mac address='52:54:00", "<mac address='zz:54:00"),
    ("<interface type='user'>", "<interface type='bogus'>"),
    ("<model type='", "<model type='bad model "),
    ("<interface type='ethernet'>", "<interface type='ethernet'>\n      <mtu size='big'/>"),
    ("<interface type='bridge'>", "<interface type='bridge'>\n      <link state='sideways'/>"),
)


def test_schema_agrees_with_libvirt_parser(tmp_path: Path) -> None:
    need_command("virsh")
    from vifconf import schema

    need(schema.available(), "libvirt's RelaxNG schemas are not installed")
    backends = ("user", "ethernet", "bridge", "mcast", "udp", "server", "client", "vhostuser", "network", "direct")
    generated = generate(SEED, 40, tmp_path, backends)
    rng = random.Random(SEED)
    cases: list[tuple[str, str]] = []
    for item in generated:
        cases.append((item.name, item.libvirt_xml))
        old, new = rng.choice(SCHEMA_BREAKERS)
        if old in item.libvirt_xml:
            cases.append((item.name + "-broken", item.libvirt_xml.replace(old, new, 1)))

    def define(case: tuple[str, str]) -> tuple[str, str, bool, str]:
        name, xml = case
        path = tmp_path / f"{name}.xml"
        path.write_text(xml, encoding="utf-8")
        result = subprocess.run(["virsh", "-q", "-c", "test:///default", "define", "--validate", str(path)],
                                capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
        return name, xml, result.returncode == 0, result.stderr.strip()

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(define, cases))
    disagreements = []
    for name, xml, accepted, stderr in results:
        flagged = [p for p in schema.schema_problems(Domain.from_string(xml, name)) if p.code == "schema"]
        if accepted == bool(flagged):
            disagreements.append(f"{name}: libvirt {'accepted' if accepted else 'refused: ' + stderr}; "
                                 f"vifconf {flagged or 'found nothing'}\n{xml}")  # fmt: skip
    print(f"schema agreement: seed {SEED}, {len(results)} XMLs, {len(disagreements)} disagreements")
    assert not disagreements, f"seed {SEED}\n\n" + "\n\n".join(disagreements[:5])


# -- 4. corner cases, one by one --------------------------------------------------------------
CORNERS = REPO / "tests" / "data" / "qemu-corners"


def corner_cases(tmp: Path) -> list[Generated]:
    """Hand-made domains for what random generation rarely hits (model spelling, addresses,
    aliases, boot orders, 28–32 NICs, q35 bridges, options, refusals), most of them found by
    reviewers; ``@TMP@`` stands for a scratch directory (vhost-user sockets), ``@TMP@/d.img``
    for a disk image of the guest's own. Not here, because this host cannot start them:
    network (no virtnetworkd), hostdev and vdpa (no device), direct (libvirt 9.0's embed driver
    crashes on destroy), kvm (vhost depends on /dev/vhost-net), a ROM file, vsock, tpm,
    spice-only devices, and domains libvirt refuses for reasons that are not about a NIC."""
    out: list[Generated] = []
    sockets = tempfile.mkdtemp(prefix="vifconf-vnc-")
    for path in sorted(CORNERS.glob("*.xml")):
        name = f"corner-{path.stem}"
        image = tmp / f"{name}.img"  # a disk image of its own: QEMU locks it while the guest runs
        image.write_bytes(bytes(1 << 20))
        xml = path.read_text().replace("@TMP@/d.img", str(image)).replace("@TMP@", str(tmp))
        xml = xml.replace(f"<name>{path.stem}</name>", f"<name>{name}</name>", 1)
        # VNC on a socket of its own: parallel roots would race for TCP port 5900 (and a
        # socket path must stay under 108 bytes, so not in the deep pytest directory)
        xml = VNC_GRAPHICS.sub(f"<graphics type='vnc' socket='{sockets}/{len(out)}.vnc'", xml)
        assert f"<name>{name}</name>" in xml, path
        out.append(Generated(name, xml, xml))
    return out


@pytest.fixture(scope="module")
def corner_roots(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """More embed roots than CPUs: starting and destroying a paused guest is mostly waiting."""
    need_command("virsh")
    need(Path(EMULATOR).exists(), f"{EMULATOR} is not installed")
    need(os.geteuid() == 0, "the embedded QEMU driver with the spec's qemu.conf needs root")
    roots = [tmp_path_factory.mktemp(f"corners{i}") for i in range(8)]
    with ThreadPoolExecutor(len(roots)) as pool:
        list(pool.map(lambda root: subprocess.run([str(PREPARE), str(root)], check=True), roots))
    return roots


def test_corner_cases_agree_with_libvirt(corner_roots: list[Path], tmp_path: Path) -> None:
    """libvirt started it: the same argv and no error from vifconf. libvirt (or QEMU) refused
    it: vifconf reports at least one error problem for the domain. (A vhost-user guest never
    gets past QEMU's wait for a vhost-user switch here; its logged argv is compared.)"""
    from vifconf.validate import check

    domains = corner_cases(tmp_path)
    failures = []
    for root, batch, _ in run_batches(corner_roots, domains, tmp_path):
        for generated in batch:
            failure = _corner_failure(generated, root / "log" / "qemu" / f"{generated.name}.log", check)
            if failure:
                failures.append(failure)
    print(f"corner cases: {len(domains)} domains, {len(failures)} failures")
    assert not failures, "\n\n".join(failures)


def _corner_failure(generated: Generated, log: Path, check: Any) -> str | None:
    domain = Domain.from_string(generated.xml, generated.name)
    rendering = qemu.render(domain, RenderOptions())
    text = last_run(log)
    started = "qemu-system" in text and ("reason=failed" not in text or "type='vhostuser'" in generated.xml)
    if not started:
        if any(p.severity == "error" for p in check(domain, RenderOptions())):
            return None
        return f"{generated.name}: libvirt refused it, vifconf found no error\n{text[-300:] or '(before QEMU ran)'}"
    errors = [p for p in rendering.problems if p.severity == "error"]
    if errors:
        return f"{generated.name}: started, but vifconf reported {errors}"
    logged = with_fd_placeholders(logged_nic_args(text))
    logged = with_unknown_slots(with_generated_macs(logged, rendering.items), rendering.items)
    if logged == rendering.items:
        return None
    diff = [f"  libvirt: {a}\n  vifconf: {b}" for a, b in zip(logged, rendering.items, strict=False) if a != b]
    return f"{generated.name}: argv differs (len {len(logged)} vs {len(rendering.items)})\n" + "\n".join(diff[:3])
