"""Where libvirt 9.0 puts a NIC on PCI when the XML does not say (the ``qemu`` target's
``"bus"``/``"addr"``).

Measured by starting domains on ``qemu:///embed`` (``tests/data/qemu-corners``, re-run live in
CI). vifconf models the assignment where it knows every device involved; where a device it
cannot classify could change the answer, the slot shows as ``<slot>`` (or ``<bus>``), to be
picked by libvirt at define time, instead of a guess.

* i440fx (``pc``): NICs take bus 0's free slots from 0x2 in XML order (slot 0 is the host
  bridge, 1 the PIIX3). First, though, the primary video takes the lowest free slot, then
  each pci-bridge takes the next: one the XML declares without an address, or the ones
  libvirt adds, one per bus up to the highest an address names, or as many as the
  auto-placed devices need (`pc_bridges`, which also says when libvirt then runs out of
  slots and refuses); NICs that no longer fit go behind the bridges, in turn.
* q35: each PCIe NIC gets a root port of its own (``pci.<n>``, ``0x0``); conventional ones
  share one pcie-to-pci-bridge, which takes the lowest free root port before any NIC does.
  `Q35Buses` follows libvirt's own code (``virDomainPCIAddressSetGrow`` and the two passes of
  ``qemuDomainAssignPCIAddresses``, libvirt 9.0.0's source), so explicit addresses on buses
  the XML does not declare come out as libvirt makes them: root ports for PCIe devices,
  a root port plus the bridge for a conventional one (one bus up, if it asked for just one
  new bus), and the NICs libvirt places use the ports left free.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

from lxml import etree

from vifconf.model.domain import LIBVIRT_NET_MODELS, c_decimal, isa_address, pci_address
from vifconf.model.libvirt9 import ON_OFF

if TYPE_CHECKING:
    from vifconf.model import Domain, Nic

UNKNOWN_SLOT = "<slot>"
UNKNOWN_BUS = "<bus>"

CONVENTIONAL_MODELS = frozenset(LIBVIRT_NET_MODELS) - {"virtio", "virtio-non-transitional", "e1000e"}
"""On q35 NICs of these models share the pcie-to-pci-bridge; the others, including every
model libvirt has no name for (ne2k_pci, pcnet, i82559er: its "unknown" model), each get a
root port, as PCIe devices (qemuDomainDeviceCalculatePCIConnectFlags). A NIC without a model
is an rtl8139."""
PORT_MODELS = frozenset({"pcie-root-port", "pcie-switch-downstream-port"})
"""Controllers with one slot (0) for their device."""
BRIDGE_MODELS = frozenset({"pci-bridge", "pcie-to-pci-bridge"})
"""Controllers whose slot 0 is reserved (a dmi-to-pci-bridge's is not: measured, a NIC starts
there, as `_Bus.slots` has it)."""
PC_SLOTS = range(0x20)
BRIDGE_SLOTS = range(1, 0x20)
"""A pci-bridge's usable slots (0 is reserved)."""


@dataclass(frozen=True)
class Placement:
    bus: str
    addr: str
    multifunction: bool | None = None


@dataclass(frozen=True)
class IsaPlacement:
    """A NIC on the ISA bus (``<address type='isa'>``): no PCI slot, and QEMU gets the I/O
    port and the IRQ instead of ``bus``/``addr`` (the IRQ only when not 0, measured)."""

    iobase: int
    irq: int


Place = Placement | IsaPlacement


def explicit_pci(address: etree._Element | dict[str, str] | None) -> tuple[int, int, int, int] | None:
    """An explicit ``<address type='pci'>``. One whose domain, bus and slot are all zero asks
    libvirt to pick, as no address does (virPCIDeviceAddressIsEmpty ignores the function)."""
    if address is None or address.get("type") != "pci":
        return None
    parts = pci_address(address)
    return parts if parts is not None and any(parts[:3]) else None


def reserved_functions(devices: etree._Element, q35: bool) -> dict[int, frozenset[int]]:
    """Bus-0 slots (and their functions) the chipset holds: the PIIX3's ISA, IDE and power
    management at 1.0, 1.1, 1.3 (and its USB at 1.2 unless the first USB controller is not
    the default one); ICH9's LPC, SATA and SMBus at 1f.0, 1f.2, 1f.3."""
    if q35:
        return {0x1F: frozenset({0, 2, 3})}
    usb = next((c for c in devices.iterfind("controller")
                if c.get("type") == "usb" and (c.get("index") or "0") == "0"), None)  # fmt: skip
    default_usb = usb is None or usb.get("model") in (None, "piix3-uhci")
    return {1: frozenset({0, 1, 3} | ({2} if default_usb else set()))}


def bus_controller(devices: etree._Element, bus: int, q35: bool) -> str:
    """The model of the controller behind bus ``bus`` (>= 1): the one the XML declares, else
    what libvirt adds: a pci-bridge on pc; on q35 that depends on the devices (`Q35Buses`),
    so "" here."""
    for controller in devices.iterfind("controller"):
        if controller.get("type") == "pci" and controller.get("index") == str(bus):
            return controller.get("model") or ""
    return "" if q35 else "pci-bridge"


# -- what the other devices do ------------------------------------------------------------------
Kind = Literal["none", "slot", "conventional", "before", "unknown"]
"""What a device without an address does to the NICs' slots: nothing (not PCI, or built in);
takes a slot after them (``slot``; on q35 a root port: PCIe); the same, but conventional PCI
(on q35 it needs the pcie-pci-bridge); goes before them in a way vifconf does not model; or
vifconf cannot tell."""

PASSTHROUGH_INTERFACES = frozenset({"hostdev", "vdpa"})
"""Interfaces that are a host device passed through, not a NIC vifconf renders: libvirt gives
them a PCI slot of their own, where is not measured (this host has no such device)."""
TAKES_NOTHING = frozenset({
    "emulator", "interface", "graphics", "parallel", "console", "channel", "audio", "tpm", "panic",
    "lease", "hub", "smartcard", "redirdev",
})  # fmt: skip
HARMLESS_CONTROLLERS = frozenset({"ide", "fdc", "ccid", "xenbus", "isa"})
ISA_OR_BUILT_IN_SOUND = frozenset({"pcspk", "sb16", "usb"})
Q35_CONVENTIONAL_SOUND = frozenset({"ich6", "ac97", "es1370"})


def _virtio(element: etree._Element) -> Kind:
    """A virtio device: PCIe on q35 unless transitional (which is conventional PCI)."""
    return "conventional" if element.get("model") == "virtio-transitional" else "slot"


def device_kind(element: etree._Element, q35: bool) -> Kind:
    """One ``<devices>`` child without an explicit PCI address (what it makes libvirt add, such
    as a SCSI disk's controller, is `survey`'s business)."""
    tag = element.tag
    if tag == "interface" and element.get("type") in PASSTHROUGH_INTERFACES:
        return "unknown"
    if not is_device(element) or tag in TAKES_NOTHING:
        return "none"
    model = element.get("model")
    if tag in ("filesystem", "hostdev"):
        return "before"  # measured: a <filesystem> took slot 2
    if tag == "video":  # the primary video has a rule of its own on pc; on q35 `survey` asks _q35_video_kind
        return "unknown" if q35 else "none"
    if tag == "controller":
        return _controller_kind(element.get("type"), model, element.get("index") or "0", q35)
    if tag == "disk":
        target = element.find("target")
        bus = target.get("bus") if target is not None else None
        if bus == "virtio":
            return _virtio(element)
        return "none" if bus in ("scsi", "sata", "ide", "fdc", "usb", "sd", "xen") else "unknown"  # see `survey`
    if tag == "serial":
        target = element.find("target")
        return "conventional" if target is not None and target.get("type") == "pci-serial" else "none"
    if tag == "memballoon":
        return "none" if model == "none" else _virtio(element)
    if tag in ("rng", "vsock"):
        return _virtio(element)
    if tag == "input":
        return _virtio(element) if element.get("bus") == "virtio" else "none"
    if tag == "sound":
        if model in ISA_OR_BUILT_IN_SOUND:
            return "none"
        return "conventional" if not q35 or model in Q35_CONVENTIONAL_SOUND | {"ich9"} else "unknown"
    if tag == "watchdog":
        return "conventional" if model == "i6300esb" else "none"
    if tag == "shmem":
        return "conventional"
    return "unknown"


def _controller_kind(kind: str | None, model: str | None, index: str, q35: bool) -> Kind:
    if kind == "pci":
        followed = ("pci-root", "pcie-root", "pci-bridge") + (tuple(DECLARABLE_BUSES) if q35 else ())
        return "none" if model in followed else "before"  # q35's are in `Q35Buses`
    if kind == "usb":
        if model == "none":
            return "none"
        if model in ("qemu-xhci", "nec-xhci"):
            return "slot"
        if model is None or any(name in model for name in ("ehci", "uhci", "ohci")):
            return "conventional"  # with no model libvirt makes it a piix3-uhci (pc: grouped by index)
        return "unknown"
    if kind == "scsi":
        return "slot" if model in ("virtio-scsi", "virtio-non-transitional") else "conventional"
    if kind == "sata":
        return "none" if q35 and index == "0" else "conventional"  # q35's first AHCI is built in
    if kind == "virtio-serial":
        return "conventional" if model == "virtio-transitional" else "slot"
    return "none" if kind in HARMLESS_CONTROLLERS else "unknown"


@dataclass
class Survey:
    """What the devices other than the NICs do to the NICs' slots."""

    before: bool = False
    """A device libvirt places ahead of the NICs that vifconf does not follow there."""
    filesystems: int = 0
    """Filesystems (virtio-9p) without an address: after the bridges, before the NICs (measured)."""
    after: int = 0
    """Slots taken after the NICs (pc)."""
    unknown: int = 0
    conventional: bool = False
    taken: dict[int, set[int]] = field(default_factory=dict)
    """The slots explicit addresses take, per bus (the NICs' own included)."""


def survey(devices: etree._Element, q35: bool) -> Survey:
    """Every device without an address, plus what libvirt adds: the balloon when none is
    listed, the virtio-serial controller a virtio console or channel needs, and the SCSI or
    SATA controller a disk names but the XML does not list (lsilogic and AHCI, conventional
    PCI; q35's AHCI is built in). On pc, USB controllers count one slot per index (companions
    share one), index 0's default model none (it is the PIIX3's function 2)."""
    controllers = devices.findall("controller")
    declared = {(str(c.get("type")), c.get("index") or "0") for c in controllers}
    addressed = _addressed_devices(devices)
    taken = _slots_by_bus(addressed.values())
    result = Survey(after=0 if devices.find("memballoon") is not None else 1, taken=taken)
    # Per USB index, the controllers that take a slot: one in the end (a USB2 set's companions
    # join the slot of its first member), but each its own in libvirt's first pass, which
    # decides whether a pc's bus 0 needs a bridge (measured), so more than one leaves that unsure.
    usb_slots: dict[str, int] = {}
    joined = _usb2_indexes_addressed(controllers)
    implied: set[tuple[str, str]] = set()
    serial_needed = False
    primary = primary_video(devices)
    in_chipset = q35_chipset_devices(devices, taken) if q35 else set()
    slot_1_free = 1 not in taken.get(0, ())
    virtio_scsi = any(c.get("type") == "scsi" and c.get("model") in ("virtio-scsi", "virtio-non-transitional")
                      for c in controllers)  # fmt: skip
    for element in devices:
        if not isinstance(element.tag, str):
            continue
        if element.tag == "disk":
            needed, unsure = _disk_controllers(element, q35, virtio_scsi)
            implied.update(needed)
            result.unknown += unsure
        if element in addressed or element in in_chipset:
            continue
        if element.tag == "video" and element is not primary and not q35:
            result.unknown += 1  # a secondary video: where libvirt puts it is not measured
        if element.tag in ("console", "channel"):
            target = element.find("target")
            serial_needed = serial_needed or (target is not None and target.get("type") == "virtio")
        if element.tag == "video" and q35:
            kind = _q35_video_kind(element, element is primary, slot_1_free)
        else:
            kind = device_kind(element, q35)
        if element.tag == "controller" and element.get("type") == "usb" and kind == "conventional":
            index, model = element.get("index") or "0", element.get("model")
            if model in USB2_MODELS and index in joined:
                continue  # into the slot the XML gave another controller of its set
            if q35 or index != "0" or model not in (None, "piix3-uhci"):  # pc: else the PIIX3's own 1.2
                usb_slots[index] = usb_slots.get(index, 0) + 1
            continue
        if element.tag == "filesystem":
            result.filesystems += 1
            continue
        result.before = result.before or kind == "before"
        result.unknown += kind == "unknown"
        result.after += kind in ("slot", "conventional")
        result.conventional = result.conventional or kind == "conventional"
    implied -= declared
    serial_implied = serial_needed and not any(kind == "virtio-serial" for kind, _ in declared)
    result.after += len(usb_slots) + len(implied) + serial_implied
    if not q35:
        result.unknown += sum(count - 1 for count in usb_slots.values())
    result.conventional = result.conventional or bool(implied) or bool(usb_slots)
    return result


USB2_MODELS = frozenset({"ich9-ehci1", "ich9-uhci1", "ich9-uhci2", "ich9-uhci3"})
"""IS_USB2_CONTROLLER: a set (one USB index) shares one slot, a function each."""


def _usb2_indexes_addressed(controllers: list[etree._Element]) -> set[str]:
    """USB indexes where a USB2 controller has an explicit PCI address: the set's other
    members take functions of that slot, no slot of their own (qemuDomainAssignDevicePCISlots)."""
    return {c.get("index") or "0" for c in controllers
            if c.get("type") == "usb" and c.get("model") in USB2_MODELS
            and explicit_pci(c.find("address")) is not None}  # fmt: skip


ICH9_USB2_FIRST = "ich9-uhci1"
ICH9_USB2_SLOTS = (0x1D, 0x1A)
"""Where real Q35 hardware has its USB2 sets; libvirt puts the first two unaddressed
``ich9-uhci1`` there, each with the companions of its USB index (ehci1, uhci2, uhci3)."""
ICH9_SOUND_SLOT = 0x1B


def q35_chipset_devices(devices: etree._Element, explicit_slots: dict[int, set[int]]) -> set[etree._Element]:
    """The unaddressed devices libvirt puts into ICH9's own bus-0 slots when those are free
    (qemuDomainValidateDevicePCISlotsQ35), so they need no bus of libvirt's: the USB2 sets at
    1d and 1a, the first ICH9 audio at 1b. Any other one is placed like a conventional PCI
    device, behind the pcie-to-pci-bridge. ``explicit_slots``: `Survey.taken`."""
    taken = set(explicit_slots.get(0, ()))
    placed: set[etree._Element] = set()
    usb2_indexes: set[str] = set()
    usb = [c for c in devices.iterfind("controller") if c.get("type") == "usb"]
    for controller in usb:
        if controller.get("model") != ICH9_USB2_FIRST or controller.find("address") is not None:
            continue
        slot = next((slot for slot in ICH9_USB2_SLOTS if slot not in taken), None)
        if slot is not None:
            taken.add(slot)
            usb2_indexes.add(controller.get("index") or "0")
    placed.update(c for c in usb if (c.get("index") or "0") in usb2_indexes and c.get("model") in USB2_MODELS
                  and explicit_pci(c.find("address")) is None)  # fmt: skip
    if ICH9_SOUND_SLOT not in taken:
        sound = next((sound for sound in devices.iterfind("sound")  # no address, or an empty PCI one
                      if sound.get("model") == "ich9" and _wants_pci_address(sound)), None)  # fmt: skip
        if sound is not None:
            placed.add(sound)
    return placed


Q35_CONVENTIONAL_VIDEO = frozenset({"vga", "cirrus", "vmvga", "qxl"})
"""Video models libvirt plugs into conventional PCI (pciFlags); virtio and bochs are PCIe."""


def _q35_video_kind(video: etree._Element, primary: bool, slot_1_free: bool) -> Kind:
    """The primary video takes 00:01.0 when that is free (qemuDomainValidateDevicePCISlotsQ35,
    measured for every model); when it is not, it is placed before anything else (not
    modelled). A secondary one is placed like any device of its kind."""
    model = video.find("model")
    kind = model.get("type") if model is not None else None
    if kind in ("none", "ramfb"):
        return "none"
    if primary:
        return "none" if slot_1_free else "unknown"
    if kind in ("virtio", "bochs"):
        return "slot"
    return "conventional" if kind in Q35_CONVENTIONAL_VIDEO else "unknown"


def _wants_pci_address(device: etree._Element) -> bool:
    """virDeviceInfoPCIAddressIsWanted: no address, or a PCI one with nothing in it."""
    address = device.find("address")
    return address is None or (address.get("type") == "pci" and explicit_pci(address) is None)


DRIVE_UNITS = {"scsi": 7, "sata": 6}
"""Disks per SCSI (lsilogic) or SATA (AHCI) controller when libvirt derives the controller
from the disk's name (sda…)."""


def _disk_controllers(disk: etree._Element, q35: bool, virtio_scsi: bool) -> tuple[list[tuple[str, str]], bool]:
    """The SCSI/SATA controllers (type, index) a disk needs: the one it names, or the one its
    name falls on (7 disks per lsilogic, 6 per AHCI), and every lower index, since libvirt
    fills the gaps; q35's first AHCI is built in. Unsure when a virtio-scsi controller takes
    the disks (many more per controller) and the disk names none."""
    target, drive = disk.find("target"), disk.find("address")
    bus = target.get("bus") if target is not None else None
    if bus not in DRIVE_UNITS or target is None:
        return [], False
    named = c_decimal(drive.get("controller")) if drive is not None else None
    unsure = named is None and bus == "scsi" and virtio_scsi
    if named is None:
        name = target.get("dev") or ""
        letters = name[2:] if name.startswith("sd") else ""
        if not letters.isascii() or not letters.isalpha():
            return [], True
        position = 0
        for letter in letters.lower():
            position = position * 26 + (ord(letter) - ord("a") + 1)
        named = 0 if unsure else (position - 1) // DRIVE_UNITS[str(bus)]
    first = 1 if bus == "sata" and q35 else 0
    return [(str(bus), str(index)) for index in range(first, named + 1)], unsure


# -- the NICs -------------------------------------------------------------------------------
def placements(domain: Domain, nics: list[Nic]) -> list[Place]:
    """Where each NIC sits: on the ISA bus when its address says so (it takes no PCI slot,
    measured), else on PCI (`pci_placements`)."""
    on_isa = {nic.index: isa_address(nic.address) for nic in nics if on_isa_bus(nic)}
    on_pci = iter(pci_placements(domain, [nic for nic in nics if nic.index not in on_isa]))
    out: list[Place] = []
    for nic in nics:
        if nic.index not in on_isa:
            out.append(next(on_pci))
            continue
        iobase, irq = on_isa[nic.index] or (0, 0)  # unreadable: libvirt refuses it (isa-address-invalid)
        out.append(IsaPlacement(iobase, irq))
    return out


def on_isa_bus(nic: Nic) -> bool:
    """libvirt builds an ISA device for an ``<address type='isa'>``, whatever the model (QEMU
    then refuses a PCI card there)."""
    address = nic.address
    return address is not None and address.get("type") == "isa"


def pci_placements(domain: Domain, nics: list[Nic]) -> list[Placement]:
    """Where each NIC sits on PCI: an explicit ``<address type='pci'>`` as is (``0xS`` or
    ``0xS.0xF``, multifunction before addr), the others by the machine's rules."""
    devices = domain.devices
    if devices is None:
        return []
    q35 = domain.facts.q35
    layout = q35_buses(domain, nics) if q35 else None
    if q35:
        chosen = layout.auto if layout else None
    else:
        chosen = pc_layout(domain, sum(explicit_pci(nic.address) is None for nic in nics)).placements
    given = iter(chosen or [])
    renumbered = iter(layout.explicit if layout else [])
    shared: set[tuple[int, int]] | None = None  # only a NIC with an explicit address asks
    bus_0_room = _surely_bus_0_room(devices) if chosen is None and not q35 else 0
    out: list[Placement] = []
    auto_position = 0
    for nic in nics:
        address = nic.address
        parts = explicit_pci(address)
        if parts is not None and address is not None:
            _, bus, slot, function = parts
            if bus and layout:
                bus = next(renumbered)[0]
            bus_name = ("pcie.0" if q35 else "pci.0") if bus == 0 else f"pci.{bus}"
            addr = f"0x{slot:x}" if function == 0 else f"0x{slot:x}.0x{function:x}"
            multifunction = ON_OFF.get(address.get("multifunction", ""))
            if multifunction is None and function == 0:
                shared = shared_pci_slots(devices) if shared is None else shared
                if (parts[1], slot) in shared:
                    multifunction = True  # libvirt turns it on when another function of the slot is used
            out.append(Placement(bus_name, addr, multifunction))
        elif chosen is None:
            on_bus_0 = auto_position < bus_0_room
            out.append(Placement("pci.0" if on_bus_0 else UNKNOWN_BUS, UNKNOWN_SLOT))
            auto_position += 1
        else:
            out.append(next(given))
    return out


IMPLIED_DEVICES = 8
"""More than the devices libvirt may add on its own (balloon, USB, SCSI/SATA, virtio-serial)."""


def _surely_bus_0_room(devices: etree._Element) -> int:
    """How many of the NICs libvirt places on a pc machine land on bus 0 whatever else the
    domain holds: only the primary video, the bridges libvirt adds (as many as every device
    of the domain could ask for, `pc_bridges`; one was assumed), the declared PCI
    controllers and the filesystems can go before the NICs, and bus 0 has 30 free slots (0 is
    the host bridge, 1 the PIIX3) less those explicit addresses take. An address on bus N
    makes libvirt add a bridge for every bus up to N, each on bus 0 (measured: bus 5 took
    five slots), so those buses are counted as bridges that hold nothing else."""
    explicit = _explicit_slots(devices)
    free = len(PC_SLOTS) - 2 - len(explicit.get(0, ()))
    named = [0] * max(explicit, default=0)
    bridges, _ = pc_bridges(sum(map(is_device, devices)) + IMPLIED_DEVICES, free, named)
    declared = sum(c.get("type") == "pci" and c.get("model") != "pci-root" for c in devices.iterfind("controller"))
    ahead = 1 + max(bridges, 1) + declared
    return free - ahead - len(devices.findall("filesystem"))


LIBVIRT_DEVICES = frozenset({
    "disk", "controller", "lease", "filesystem", "interface", "smartcard", "parallel", "serial", "console",
    "channel", "input", "sound", "video", "hostdev", "redirdev", "redirfilter", "graphics", "hub", "watchdog",
    "memballoon", "rng", "tpm", "nvram", "panic", "shmem", "memory", "iommu", "vsock", "audio",
})  # fmt: skip
"""The ``<devices>`` children libvirt 9.0 reads (virDomainDefParseXML asks for each by name);
any other it never looks at, address and all (measured: a <crypto>, 9.1's, held no slot)."""


def is_device(element: etree._Element) -> bool:
    """A ``<devices>`` child libvirt counts: one it reads (`LIBVIRT_DEVICES`; not a comment, not
    another namespace's element), and not the seed's type none interface (no device at all)."""
    tag = element.tag
    if not isinstance(tag, str) or tag not in LIBVIRT_DEVICES:
        return False
    return not (tag == "interface" and element.get("type") == "none")


def _addressed_devices(devices: etree._Element) -> dict[etree._Element, tuple[int, int, int, int]]:
    """Every device with an explicit PCI address of its own, and that address (a hostdev's
    ``<source><address>`` is the host's, not the guest's)."""
    found = ((device, device_pci_address(device)) for device in devices if is_device(device))
    return {device: parts for device, parts in found if parts is not None}


def device_pci_address(device: etree._Element) -> tuple[int, int, int, int] | None:
    """The PCI address a device really takes. A ``none`` video, balloon or USB controller is no
    device, and libvirt drops its address (measured: a NIC then gets that slot, or the same
    address)."""
    if device.tag == "video":
        model = device.find("model")
        kind = model.get("type") if model is not None else None
    elif device.tag == "memballoon" or (device.tag == "controller" and device.get("type") == "usb"):
        kind = device.get("model")
    else:
        kind = None
    return None if kind == "none" else explicit_pci(device.find("address"))


def explicit_addresses(devices: etree._Element) -> list[tuple[int, int, int, int]]:
    """Every device's own explicit PCI address."""
    return list(_addressed_devices(devices).values())


def _slots_by_bus(addresses: Iterable[tuple[int, int, int, int]]) -> dict[int, set[int]]:
    taken: dict[int, set[int]] = {}
    for _, bus, slot, _ in addresses:
        taken.setdefault(bus, set()).add(slot)
    return taken


def _explicit_slots(devices: etree._Element) -> dict[int, set[int]]:
    """The slots explicit addresses take, per bus."""
    return _slots_by_bus(explicit_addresses(devices))


def primary_video(devices: etree._Element) -> etree._Element | None:
    """The ``primary='yes'`` video, else the first (libvirt moves the primary to the front)."""
    videos = devices.findall("video")
    for video in videos:
        model = video.find("model")
        if model is not None and model.get("primary") == "yes":
            return video
    return videos[0] if videos else None


def shared_pci_slots(devices: etree._Element) -> set[tuple[int, int]]:
    """The (bus, slot) pairs some device uses a function other than 0 of."""
    return {(bus, slot) for _, bus, slot, function in explicit_addresses(devices) if function}


def _needs_primary_video_slot(devices: etree._Element) -> bool:
    """The primary <video>, or the one libvirt adds for <graphics> when there is none, takes
    the lowest free slot before any NIC (``none`` and the non-PCI ``ramfb`` take none)."""
    video = primary_video(devices)
    if video is None:
        return devices.find("graphics") is not None
    model = video.find("model")
    kind = model.get("type") if model is not None else None
    return explicit_pci(video.find("address")) is None and kind not in ("none", "ramfb")


@dataclass(frozen=True)
class PcLayout:
    """How libvirt lays out an i440fx machine's auto-placed NICs."""

    placements: list[Placement] | None
    """Where each auto-placed NIC goes, in order; None when vifconf cannot tell."""
    out_of_slots: bool = False
    """libvirt refuses the domain: the bridges it added leave too few slots (`pc_bridges`)."""
    no_bridge_slot: bool = False
    """libvirt refuses the domain: it must add a pci-bridge and bus 0 has no free slot for it
    (measured: it then puts the bridge on its own bus, "index must be larger than bus")."""


def pc_layout(domain: Domain, count: int) -> PcLayout:
    """`_pc`, computed once per edit (the placements and the refusals both ask)."""
    devices = domain.devices
    if devices is None:
        return PcLayout(None)
    return domain.memo(("pc-layout", count), lambda: _pc(devices, count))


def pc_bridges(reservations: int, bus_0: int, existing: Sequence[int] = (), declared: int = 0) -> tuple[int, bool]:
    """How many pci-bridge buses a pc machine ends up with, and whether libvirt 9.0 then
    refuses the domain ("a PCI slot is needed to connect a PCI controller model='pci-bridge',
    but none is available"). ``reservations``: the auto-placed devices, the primary video's
    slot and declared bridges without an address included; ``bus_0``: bus 0's free slots;
    ``existing``: the free slots of buses 1, 2, … that exist before any device is placed (an
    address names them, or the XML declares them); ``declared``: how many of those bridges
    the XML declares.

    qemuDomainAssignPCIAddresses' first pass reserves a spare slot (only while some bus has a
    free one: measured, 30 addresses filling bus 0 start without a bridge), then every
    device, growing a bus (31 slots behind a bridge) whenever the last is full, but not
    counting the slots of the bridges it adds; the second pass places all bridges first, on
    bus 0, then the devices, and needs the spare slot again. Measured: 58, 60, 62, 88, 91, 117
    and 118 e1000 NICs start (with the balloon: 1, 2, 2, 2, 3, 3, 3 bridges), 59, 89, 90, 119
    and 120 are refused; with a NIC on bus 1 or a declared bridge, 2 NICs and 58 virtio inputs
    get two bridges."""
    room, buses = bus_0 + sum(existing), len(existing)
    first_pass = (room > 0) + reservations
    while first_pass > room:
        room += len(BRIDGE_SLOTS)
        buses += 1
    return buses, (buses - declared) + first_pass > room


def _pc(devices: etree._Element, count: int) -> PcLayout:
    """i440fx: see the module docstring (28 NICs and the balloon fit on bus 0; 29 do not).
    libvirt adds a pci-bridge for every bus up to the highest one an address names
    (virDomainPCIAddressSetGrow), and as many more as the devices need (`pc_bridges`). The
    primary video's slot is chosen first (qemuDomainValidateDevicePCISlotsPIIX3), then the
    bridges' (controllers before devices), each the lowest free one on bus 0, then the
    filesystems', then the NICs'."""
    others = survey(devices, q35=False)
    if others.before:
        return PcLayout(None)
    taken = others.taken
    declared = [c for c in devices.iterfind("controller") if c.get("type") == "pci" and c.get("model") == "pci-bridge"]
    named_buses = set(taken) - {0}
    if len(declared) > 1 or (declared and named_buses - {1}):
        return PcLayout(None)  # bridges behind bridges, or declared ones beside ones libvirt adds
    declared_on_bus_0 = sum(explicit_pci(c.find("address")) is None for c in declared)
    existing = [sum(slot not in taken.get(bus, ()) for slot in BRIDGE_SLOTS)
                for bus in range(1, (len(declared) or max(named_buses, default=0)) + 1)]  # fmt: skip
    video = _needs_primary_video_slot(devices)
    bus0 = taken.get(0, set()) | {0, 1}
    free = [slot for slot in PC_SLOTS if slot not in bus0]
    known = count + others.after + others.filesystems + video + declared_on_bus_0
    bridges, out_of_slots = pc_bridges(known, len(free), existing, len(declared))
    if (bridges, out_of_slots) != pc_bridges(known + others.unknown, len(free), existing, len(declared)):
        return PcLayout(None)  # it depends on devices vifconf cannot place
    ahead = video + (bridges - len(declared)) + declared_on_bus_0 + others.filesystems
    if ahead > len(free):  # a bridge on a bridge: not measured, unless there is no slot at all
        return PcLayout(None, out_of_slots, no_bridge_slot=not free and bridges > len(declared))
    del free[:ahead]  # the lowest free slots, before any NIC
    spare: Iterable[tuple[str, int]] = (("pci.0", slot) for slot in free)
    for bus in range(1, bridges + 1):
        behind = [(f"pci.{bus}", slot) for slot in BRIDGE_SLOTS if slot not in taken.get(bus, ())]
        spare = itertools.chain(spare, behind)  # a list: a generator here would read `bus` late
    slots = list(itertools.islice(spare, count))
    placements = [Placement(bus, f"0x{slot:x}") for bus, slot in slots] if len(slots) == count else None
    return PcLayout(placements, out_of_slots)


# -- q35: libvirt's two passes over the PCI buses ------------------------------------------------
TAKES_PCI_BRIDGE = frozenset({"pcie-to-pci-bridge", "pci-bridge", "dmi-to-pci-bridge"})
"""Buses a pci-bridge can plug into (pcie-root cannot take one)."""
MAX_BUS = 0xFF
MAX_BRIDGED_NICS = len(BRIDGE_SLOTS) - 1
"""More conventional NICs than this and vifconf does not guess: once the one
pcie-to-pci-bridge is full libvirt nests a pci-bridge, which is not measured."""


@dataclass
class _Bus:
    model: str
    used: set[int] = field(default_factory=set)
    bridge_only: bool = False
    """The first pass's root port for a pcie-to-pci-bridge, which takes nothing else."""

    @property
    def slots(self) -> range:
        if self.model == "pcie-root-port":
            return range(1)
        return PC_SLOTS if self.model == "dmi-to-pci-bridge" else BRIDGE_SLOTS

    def takes(self, pcie: bool, explicit: bool) -> bool:
        """An endpoint the XML places may go on any bus that takes endpoints at all; an
        auto-placed one only where its kind plugs in (virDomainPCIAddressFlagsCompatible)."""
        if self.bridge_only:
            return False
        if explicit:
            return True
        if self.model in ("pcie-root", "dmi-to-pci-bridge"):
            return False  # no auto-assignment onto these
        return pcie == (self.model == "pcie-root-port")

    def take_free_slot(self) -> int | None:
        slot = next((slot for slot in self.slots if slot not in self.used), None)
        if slot is not None:
            self.used.add(slot)
        return slot


@dataclass
class Q35Buses:
    """What libvirt 9.0 makes of a q35 domain's PCI buses (the declared ones and those it adds),
    in its two passes (qemuDomainAssignPCIAddresses): the first grows the buses each device
    needs, the second, with those controllers added, places the controllers first and then the
    devices. So the pcie-to-pci-bridge takes the lowest free root port, ahead of the NICs.

    ``explicit``: per NIC with an explicit address off bus 0, in order, the bus it ends up on
    (libvirt renumbers a conventional device's bus when it has to put a root port before the
    bridge) and why libvirt refuses it, if it does. ``auto``: the other NICs' placements."""

    explicit: list[tuple[int, str | None]]
    auto: list[Placement] | None
    """None when a device vifconf cannot classify could shift the port numbers."""
    refusal: tuple[int, str] | None = None
    """The index of a declared PCI controller libvirt refuses, and why (then ``auto`` is None)."""


def q35_buses(domain: Domain, nics: list[Nic]) -> Q35Buses | None:
    """None when the XML declares PCI controllers vifconf cannot follow (`_declared_buses`) or
    another device has an explicit address on a bus libvirt would have to add (it grows them
    in an order not modelled).
    Computed once per edit: the placements and the refusals both ask."""
    key = ("q35-buses", tuple(nic.index for nic in nics))
    return domain.memo(key, lambda: _q35_buses(domain.devices, nics) if domain.devices is not None else None)


DECLARABLE_BUSES = frozenset({"pcie-root-port", "pcie-to-pci-bridge", "pci-bridge", "dmi-to-pci-bridge"})
"""Controllers vifconf follows when the XML declares them (indexes 1, 2, … without gaps)."""


def _declared_buses(devices: etree._Element) -> list[str] | None:
    """pcie-root and the declared PCI controllers' models by index; None when vifconf cannot
    follow them (a gap, a model it does not model, an index it cannot read)."""
    declared: dict[int, str] = {}
    for controller in devices.iterfind("controller"):
        if controller.get("type") != "pci" or is_pcie_root(controller):
            continue
        index, model = c_decimal(controller.get("index")), controller.get("model") or ""
        if index is None or model not in DECLARABLE_BUSES or index in declared:
            return None
        declared[index] = model
    if sorted(declared) != list(range(1, len(declared) + 1)):
        return None
    return ["pcie-root"] + [declared[index] for index in sorted(declared)]


def _addressed_controllers(devices: etree._Element) -> dict[int, int]:
    """The declared PCI controllers with an explicit address of their own: index → the bus
    that address names."""
    return {index: parts[1] for c in devices.iterfind("controller") if c.get("type") == "pci"
            for index, parts in [(c_decimal(c.get("index")), explicit_pci(c.find("address")))]
            if index is not None and parts is not None}  # fmt: skip


def _q35_buses(devices: etree._Element, nics: list[Nic]) -> Q35Buses | None:
    """Other devices' explicit addresses off bus 0 are followed where their bus is declared
    (as in every ``virsh dumpxml``): they only take their slot, whatever the order libvirt
    reads them in. One on a bus libvirt would have to grow is not: the order it grows buses
    for them in is not modelled."""
    models = _declared_buses(devices)
    if models is None:
        return None
    own = {nic.element for nic in nics}  # what is not being placed holds its slot (a passed-through VF too)
    held = [(bus, slot) for element, (_, bus, slot, _) in _addressed_devices(devices).items()
            if element not in own and bus]  # fmt: skip
    if any(bus >= len(models) for bus, _ in held):
        return None
    placed_bridges = _addressed_controllers(devices)
    first = _Q35Pass(models)
    first.occupy(held)
    explicit: list[tuple[int, str | None]] = []
    placed: list[tuple[int, int, bool]] = []
    for nic in nics:
        parts = explicit_pci(nic.address)
        if parts is not None and parts[1]:
            bus, error = first.reserve(parts[1], parts[2], _is_pcie(nic))
            explicit.append((bus, error))
            placed.append((bus, parts[2], _is_pcie(nic)))
    refusal = first.place_bridges(declared=len(models), addressed=placed_bridges)
    if refusal is not None:
        return Q35Buses(explicit, None, refusal)
    auto = [nic for nic in nics if explicit_pci(nic.address) is None and not on_isa_bus(nic)]
    for nic in auto:
        first.place(_is_pcie(nic))
    others = survey(devices, q35=True)
    if others.conventional and not any(bus.model in TAKES_PCI_BRIDGE for bus in first.buses):
        first.place(pcie=False)
    if others.before or others.filesystems or others.unknown or any(error for _, error in explicit):
        return Q35Buses(explicit, None)
    second = _Q35Pass([bus.model for bus in first.buses], growing=False)  # declared and grown alike
    second.occupy(held)
    for bus, slot, pcie in placed:
        second.reserve(bus, slot, pcie)
    refusal = second.place_bridges(addressed=placed_bridges)
    if refusal is not None:  # a bridge the first pass grew has nowhere to go (a full pcie-to-pci-bridge)
        return Q35Buses(explicit, None, refusal)
    chosen = [second.place(_is_pcie(nic)) for nic in auto]
    conventional = sum(not _is_pcie(nic) for nic in auto)
    if conventional > MAX_BRIDGED_NICS or None in chosen:
        return Q35Buses(explicit, None)
    return Q35Buses(explicit, [Placement(f"pci.{bus}", f"0x{slot:x}") for bus, slot in filter(None, chosen)])


Q35_PORT_SLOTS = range(1, 0x1F)
"""pcie.0's slots for root ports (0 is the host bridge, 0x1f the ICH9's LPC, SATA and SMBus)."""
ROOT_PORTS_PER_SLOT = 8


def q35_out_of_root_ports(domain: Domain, nics: list[Nic]) -> tuple[int, int] | None:
    """(root ports needed at least, room for them) when libvirt 9.0 runs out of pcie.0 slots
    for its root ports and refuses the domain ("a PCI slot is needed to connect a PCI
    controller model='pcie-root-port'"), else None. Each port is a function of a free pcie.0
    slot (eight a slot; the primary video keeps slot 1); libvirt adds one per PCIe device it
    places, one for the pcie-to-pci-bridge of conventional ones, and a spare one for hotplug.
    Measured: 237 virtio NICs with the balloon and the USB controller libvirt adds start, 238
    do not; with a VGA and no balloon, 230 and 231. Counted only where it is sure: no declared
    PCI controllers, and only the devices known to need a port."""
    devices = domain.devices
    if devices is None or _declares_pci_controllers(devices):
        return None
    auto = _placed_on_pci(nics)
    pcie = sum(_is_pcie(nic) for nic in auto)
    xhci = not any(c.get("type") == "usb" for c in devices.iterfind("controller"))  # q35's default: qemu-xhci
    balloon = devices.find("memballoon")
    balloon_port = balloon is None or (balloon.get("model") in ("virtio", "virtio-non-transitional")
                                       and explicit_pci(balloon.find("address")) is None)
    needed = pcie + (pcie < len(auto)) + xhci + balloon_port + 1
    taken = _explicit_slots(devices).get(0, set())
    video = _needs_primary_video_slot(devices) and 1 not in taken
    room = ROOT_PORTS_PER_SLOT * (sum(slot not in taken for slot in Q35_PORT_SLOTS) - video)
    return (needed, room) if needed > room else None


def q35_out_of_bridge_slots(domain: Domain, nics: list[Nic]) -> bool:
    """libvirt 9.0 refuses a q35 domain whose conventional NICs fill the pcie-to-pci-bridge
    and the pci-bridges it nests behind it: the pc rule (`pc_bridges`) on the bridge's 31
    slots, without pc's spare slot. Measured with e1000 NICs: 62, 92, 93, 122, 123, 154 and 155
    are refused; 58, 60, 61, 63, 64, 66, 90, 94, 120, 125, 126, 156, 200 and 250 start. Said
    only where sure: no declared PCI controllers, no other conventional device."""
    devices = domain.devices
    if devices is None or _declares_pci_controllers(devices):
        return False
    if any(parts[1] for parts in explicit_addresses(devices)):
        return False  # an address off bus 0 makes libvirt build the bridges early: another count
    conventional = sum(not _is_pcie(nic) for nic in _placed_on_pci(nics))
    others = survey(devices, q35=True)
    if not conventional or others.conventional or others.unknown or others.before or others.filesystems:
        return False
    return pc_bridges(conventional - 1, len(BRIDGE_SLOTS))[1]


def _declares_pci_controllers(devices: etree._Element) -> bool:
    """Buses the XML lays out itself: the q35 slot counts were measured without any. The
    ``pcie-root`` virt-install writes is not one: libvirt adds it to every q35 domain, so the
    XML means the same with or without it (measured: the counts hold)."""
    return any(c.get("type") == "pci" and not is_pcie_root(c) for c in devices.iterfind("controller"))


def is_pcie_root(controller: etree._Element) -> bool:
    """q35's own root bus, as libvirt adds it anyway (index 0; at another index it is a
    controller libvirt refuses, so not this)."""
    return controller.get("model") == "pcie-root" and c_decimal(controller.get("index") or "0") == 0


def _placed_on_pci(nics: list[Nic]) -> list[Nic]:
    """The NICs libvirt places on PCI itself: no address, or a PCI one that asks it to pick
    (an ISA, virtio-mmio, usb … address is another bus, or refused for its own reason)."""
    return [nic for nic in nics if (nic.address is None or nic.address.get("type") == "pci")
            and explicit_pci(nic.address) is None]  # fmt: skip


def _is_pcie(nic: Nic) -> bool:
    return (nic.libvirt_model or "rtl8139") not in CONVENTIONAL_MODELS


class _Q35Pass:
    """One pass of libvirt's PCI address set for q35 (domain_addr.c): buses by index, what each
    takes, and in the first (``growing``) pass, new buses for a device that fits nowhere."""

    def __init__(self, models: list[str] | None = None, growing: bool = True) -> None:
        self.buses = [_Bus(model) for model in models or ["pcie-root"]]
        self.growing = growing
        self._first_open = {True: 0, False: 0}
        """Per kind (PCIe or not), the first bus `place` may still fill: buses only fill up,
        so the ones before it never take that kind again (keeps a many-NIC domain linear)."""

    def grow(self, bus: int, pcie: bool) -> int:
        """virDomainPCIAddressSetGrow: the buses up to ``bus``, root ports for a PCIe device; for
        a conventional one pci-bridges, or, while there is nothing to plug a pci-bridge into,
        first a root port (for the bridge only) and a pcie-to-pci-bridge, which moves a device
        that asked for one new bus onto the bridge, one bus up. Returns the device's bus."""
        add = bus - len(self.buses) + 1
        if add <= 0:
            return bus
        if pcie:
            new = [_Bus("pcie-root-port") for _ in range(add)]
        elif any(existing.model in TAKES_PCI_BRIDGE for existing in self.buses):
            new = [_Bus("pci-bridge") for _ in range(add)]
        else:
            if add == 1:
                add, bus = 2, bus + 1
            new = [_Bus("pcie-root-port", bridge_only=True), _Bus("pcie-to-pci-bridge")]
            new += [_Bus("pci-bridge") for _ in range(add - 2)]
        self.buses += new
        return bus

    def reserve(self, bus: int, slot: int, pcie: bool) -> tuple[int, str | None]:
        """An explicit address: the bus it ends up on, and libvirt's refusal, if any."""
        if bus > MAX_BUS:
            return bus, f"bus {bus} is beyond 0xff"  # never grown: virPCIDeviceAddressIsValid refuses it
        if self.growing:
            bus = self.grow(bus, pcie)
        target = self.buses[bus] if bus < len(self.buses) else None
        if target is None:
            return bus, f"bus {bus} does not exist"
        if not target.takes(pcie, explicit=True):
            return bus, f"bus {bus} is the root port libvirt adds for its pcie-to-pci-bridge, which takes nothing else"
        if slot not in target.slots:
            rule = "only slot 0" if target.model == "pcie-root-port" else "no slot 0"
            return bus, f"bus {bus} is a {target.model}, which has {rule}"
        target.used.add(slot)
        return bus, None

    def place(self, pcie: bool) -> tuple[int, int] | None:
        """virDomainPCIAddressGetNextAddr: the lowest free slot on the lowest bus that takes an
        auto-placed endpoint; in the first pass, new buses when none does."""
        for index in range(self._first_open[pcie], len(self.buses)):
            bus = self.buses[index]
            if bus.takes(pcie, explicit=False):
                slot = bus.take_free_slot()
                if slot is not None:
                    self._first_open[pcie] = index
                    return index, slot
        self._first_open[pcie] = len(self.buses)
        if not self.growing:
            return None
        index = self.grow(len(self.buses), pcie)
        slot = self.buses[index].take_free_slot()
        return None if slot is None else (index, slot)

    def occupy(self, held: Iterable[tuple[int, int]]) -> None:
        """Slots other devices' explicit addresses hold, on buses that exist."""
        for bus, slot in held:
            self.buses[bus].used.add(slot)

    def place_bridges(self, declared: int | None = None,
                      addressed: Mapping[int, int] = MappingProxyType({})) -> tuple[int, str] | None:  # fmt: skip
        """The controllers, placed before any device: each pcie-to-pci-bridge takes the lowest
        free root port, each pci-bridge the lowest free slot of a bus that takes one, always on
        a bus of a lower index (QEMU creates them in index order, and libvirt cannot grow a
        bus for a bridge). In the first pass only the ``declared`` ones exist yet; those the
        XML gives an address (``addressed``: index → its bus) hold it already (`occupy`), and
        must name a lower index too (QEMU refuses "Bus 'pci.2' not found"). Returns a bridge
        that fits nowhere, by index, and why libvirt or QEMU refuses it."""
        for index, model in enumerate([bus.model for bus in self.buses[:declared]]):
            if index in addressed:
                if addressed[index] >= index:
                    return index, (f"the {model} at index {index} sits on bus {addressed[index]}, which QEMU "
                                   "creates after it (a controller plugs into one of a lower index)")  # fmt: skip
                continue
            if model == "pcie-to-pci-bridge":
                fits = [bus for bus in self.buses[:index] if bus.model == "pcie-root-port"]
                below = "a pcie-root-port"
            elif model == "pci-bridge":
                fits = [bus for bus in self.buses[:index] if bus.model in TAKES_PCI_BRIDGE]
                below = "a pcie-to-pci-bridge, pci-bridge or dmi-to-pci-bridge"
            else:
                continue  # root ports plug into pcie-root, whose slots no NIC takes unasked
            if not any(bus.take_free_slot() is not None for bus in fits):
                return index, f"the {model} at index {index} needs {below} with a free slot and a lower index"
        return None


