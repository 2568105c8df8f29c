"""The lossless document model: one libvirt domain, its NICs, MAC helpers."""

from vifconf.model.domain import INTERFACE_TYPES, SETTABLE_FIELDS, Domain, DomainFacts, Nic
from vifconf.model.source import InputError

__all__ = ["INTERFACE_TYPES", "SETTABLE_FIELDS", "Domain", "DomainFacts", "InputError", "Nic"]
