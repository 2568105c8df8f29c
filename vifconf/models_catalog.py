"""The NIC models the form offers, per hypervisor, with one-line descriptions.

UI-independent (no Textual import): the TUI's model picker, the CLI and tests read the same
lists. The KVM list is QEMU 7.2's, checked one by one (``shared/spec/libvirt-qemu.md``); the
Xen lists follow what xend/qemu-dm and libxl accept.
"""

from __future__ import annotations

from dataclasses import dataclass
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

    def matches(self, query: str) -> bool:
        query = query.strip().lower()
        return not query or query in self.label.lower() or query in self.description.lower()


_NETFRONT = ModelChoice(
    "netfront",
    "Xen paravirtual NIC (netfront/netback): libvirt's name for the seed's proposed 'netback' model",
)

XEN_HVM_MODELS: tuple[ModelChoice, ...] = (
    ModelChoice(DEFAULT, "no <model>: qemu-dm emulates an rtl8139 (and a PV vif is offered too)"),
    ModelChoice("rtl8139", "Realtek RTL8139, emulated by qemu-dm (the default)"),
    ModelChoice("e1000", "Intel PRO/1000 (82540EM), emulated by qemu-dm"),
    ModelChoice("ne2k_pci", "NE2000 PCI, emulated; very old guests"),
    ModelChoice("pcnet", "AMD PCnet32, emulated"),
    ModelChoice("i82551", "Intel 82551 (eepro100 family), emulated"),
    ModelChoice("i82557b", "Intel 82557B (eepro100 family), emulated"),
    ModelChoice("i82559er", "Intel 82559ER (eepro100 family), emulated"),
    _NETFRONT,
)

XEN_PV_MODELS: tuple[ModelChoice, ...] = (
    ModelChoice(DEFAULT, "no <model>: a PV guest always gets a netfront vif"),
    _NETFRONT,
)

KVM_MODELS: tuple[ModelChoice, ...] = (
    ModelChoice(DEFAULT, "no <model>: libvirt gives QEMU an rtl8139"),
    ModelChoice("virtio", "virtio-net-pci: paravirtual, fastest; needs guest virtio drivers"),
    ModelChoice("virtio-transitional", "virtio-net-pci-transitional: legacy + modern virtio"),
    ModelChoice("virtio-non-transitional", "virtio-net-pci-non-transitional: modern virtio only"),
    ModelChoice("e1000", "Intel PRO/1000 (82540EM): drivers in almost every guest"),
    ModelChoice("e1000e", "Intel 82574L, PCIe: for q35 guests"),
    ModelChoice("rtl8139", "Realtek RTL8139 (what QEMU gets with no model)"),
    ModelChoice("vmxnet3", "VMware paravirtual NIC (guests moved from VMware)"),
    ModelChoice("ne2k_pci", "NE2000 PCI: very old guests"),
    ModelChoice("pcnet", "AMD PCnet32"),
    ModelChoice("tulip", "DEC 21143 Tulip"),
    ModelChoice("i82551", "Intel 82551 (eepro100 family)"),
    ModelChoice("i82557b", "Intel 82557B (eepro100 family)"),
    ModelChoice("i82559er", "Intel 82559ER (eepro100 family)"),
    ModelChoice("e1000-82544gc", "Intel 82544GC (e1000 variant)"),
    ModelChoice("e1000-82545em", "Intel 82545EM (e1000 variant)"),
)

CATALOG: dict[Family, tuple[ModelChoice, ...]] = {
    "xen-hvm": XEN_HVM_MODELS,
    "xen-pv": XEN_PV_MODELS,
    "kvm": KVM_MODELS,
}


def family(hypervisor: str | None, os_type: str | None) -> Family:
    """Which list fits a domain: ``<domain type>`` plus ``<os><type>``."""
    if (hypervisor or "").lower() == "xen":
        return "xen-hvm" if os_type == "hvm" else "xen-pv"
    return "kvm"


def models_for(hypervisor: str | None, os_type: str | None) -> tuple[ModelChoice, ...]:
    return CATALOG[family(hypervisor, os_type)]


def find(choices: tuple[ModelChoice, ...], query: str) -> list[ModelChoice]:
    """The choices whose name or description contains ``query`` (``netback`` finds netfront)."""
    return [choice for choice in choices if choice.matches(query)]


def is_offered(choices: tuple[ModelChoice, ...], model: str | None) -> bool:
    return any(choice.name == (model or "") for choice in choices)
