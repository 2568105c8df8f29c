"""The NIC models the form offers, per hypervisor, with one-line descriptions.

UI-independent (no Textual import): the TUI's model picker, the CLI and tests read the same
lists. *Which* models are offered is not decided here: the names come from the engine, the
one source of truth — KVM from `vifconf.render.qemu.kvm_models` (QEMU 7.2's drivers, checked
one by one), Xen HVM from `vifconf.render.qemu_dm.TRADITIONAL_NIC_MODELS` (what qemu-dm
emulates) plus netfront. This module only adds the prose and the order (common models first).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Literal

Family = Literal["xen-hvm", "xen-pv", "kvm"]

DEFAULT = ""
"""The value meaning "no <model> element": the hypervisor's default NIC."""


@dataclass(frozen=True)
class ModelChoice:
    name: str
    """What goes into ``<model type=…>`` (``""`` for none: the default)."""
    description: str

    @property
    def label(self) -> str:
        return self.name or "default"


PASSTHROUGH_TYPES = frozenset({"hostdev"})
"""Interface types whose guest sees the host's own device (an SR-IOV VF): no model is emulated."""
PASSTHROUGH_MODEL_HELP = "hostdev: the guest gets the host's own device (a VF passed through); no model is emulated"
TYPE_NONE_MODEL_HELP = "type none: the guest gets no NIC from this interface, so its model is not used"

NETFRONT_DESCRIPTION = "Xen PV NIC; libvirt's name for the seed's 'netback' model"

_XEN_HVM_PROSE: dict[str, str] = {
    DEFAULT: "no <model>: qemu-dm's rtl8139 (plus a PV vif)",
    "rtl8139": "Realtek RTL8139, emulated by qemu-dm (the default)",
    "e1000": "Intel PRO/1000 (82540EM), emulated by qemu-dm",
    "ne2k_pci": "NE2000 PCI, emulated; very old guests",
    "ne2k_isa": "NE2000 ISA, emulated; very old guests",
    "pcnet": "AMD PCnet32, emulated",
    "i82551": "Intel 82551 (eepro100 family), emulated",
    "i82557b": "Intel 82557B (eepro100 family), emulated",
    "i82559er": "Intel 82559ER (eepro100 family), emulated",
    "netfront": NETFRONT_DESCRIPTION,
}

_XEN_PV_PROSE: dict[str, str] = {
    DEFAULT: "no <model>: a PV guest always gets a netfront vif",
    "netfront": NETFRONT_DESCRIPTION,
}

_KVM_PROSE: dict[str, str] = {
    DEFAULT: "no <model>: libvirt gives QEMU an rtl8139",
    "virtio": "virtio-net-pci: paravirtual, fastest; needs guest virtio drivers",
    "e1000": "Intel PRO/1000 (82540EM): drivers in almost every guest",
    "e1000e": "Intel 82574L, PCIe: for q35 guests",
    "rtl8139": "Realtek RTL8139 (what QEMU gets with no model)",
    "virtio-transitional": "virtio-net-pci-transitional: legacy + modern virtio",
    "virtio-non-transitional": "virtio-net-pci-non-transitional: modern virtio only",
    "vmxnet3": "VMware paravirtual NIC (guests moved from VMware)",
    "ne2k_pci": "NE2000 PCI: very old guests",
    "ne2k_isa": "NE2000 ISA: very old guests; needs <address type='isa'>",
    "pcnet": "AMD PCnet32",
    "tulip": "DEC 21143 Tulip",
    "e1000-82540em": "Intel 82540EM (what e1000 is)",
    "e1000-82544gc": "Intel 82544GC (e1000 variant)",
    "e1000-82545em": "Intel 82545EM (e1000 variant)",
    "virtio-net": "QEMU's virtio-net device by its QEMU name (libvirt passes it verbatim; prefer virtio)",
    "virtio-net-pci-transitional": "the QEMU driver name; libvirt's own name is virtio-transitional",
    "virtio-net-pci-non-transitional": "the QEMU driver name; libvirt's own name is virtio-non-transitional",
}


def _choices(names: tuple[str, ...], prose: dict[str, str], fallback: str) -> tuple[ModelChoice, ...]:
    """Default first, then the described models in the prose's order, then the engine's rest;
    a described name the engine does not list is not offered."""
    offered = set(names)
    ordered = [DEFAULT, *(name for name in prose if name in offered), *(n for n in names if n not in prose)]
    return tuple(ModelChoice(name, prose.get(name) or fallback.format(name=name)) for name in ordered)


def _kvm_choices() -> tuple[ModelChoice, ...]:
    from vifconf.render.qemu import kvm_models

    names = kvm_models()
    prose = dict(_KVM_PROSE)
    for name in names:
        if name.startswith("i8") and name not in prose:
            prose[name] = f"Intel {name[1:].upper()} (eepro100 family)"
    return _choices(names, prose, "QEMU 7.2 NIC device {name}")


def _xen_hvm_choices() -> tuple[ModelChoice, ...]:
    from vifconf.render.qemu_dm import TRADITIONAL_NIC_MODELS

    return _choices((*TRADITIONAL_NIC_MODELS, "netfront"), _XEN_HVM_PROSE, "emulated by qemu-dm")


def _xen_pv_choices() -> tuple[ModelChoice, ...]:
    return _choices(("netfront",), _XEN_PV_PROSE, "")


_BUILDERS: dict[Family, Callable[[], tuple[ModelChoice, ...]]] = {
    "xen-hvm": _xen_hvm_choices,
    "xen-pv": _xen_pv_choices,
    "kvm": _kvm_choices,
}
_NAMES: dict[str, Family] = {"XEN_HVM_MODELS": "xen-hvm", "XEN_PV_MODELS": "xen-pv", "KVM_MODELS": "kvm"}


@cache
def catalog(which: Family) -> tuple[ModelChoice, ...]:
    """One family's list, built on first use (the KVM one imports the QEMU renderer)."""
    return _BUILDERS[which]()


def __getattr__(name: str) -> tuple[ModelChoice, ...]:
    """``XEN_HVM_MODELS``, ``XEN_PV_MODELS``, ``KVM_MODELS``: the lists, built when first read."""
    if name in _NAMES:
        return catalog(_NAMES[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def family(hypervisor: str | None, os_type: str | None) -> Family:
    """Which list fits a domain: ``<domain type>`` plus ``<os><type>``."""
    if (hypervisor or "").lower() == "xen":
        return "xen-hvm" if os_type == "hvm" else "xen-pv"
    return "kvm"


def models_for(hypervisor: str | None, os_type: str | None) -> tuple[ModelChoice, ...]:
    return catalog(family(hypervisor, os_type))


def is_offered(choices: tuple[ModelChoice, ...], model: str | None) -> bool:
    return any(choice.name == (model or "") for choice in choices)
