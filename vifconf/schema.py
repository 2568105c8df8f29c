"""libvirt's own RelaxNG schema, applied the way libvirt applies it, with findings per NIC.

libxml2's RelaxNG errors on a whole domain are vague ("Extra element devices in
interleave" at line 0). To tell the user *which* NIC is wrong we validate each interface inside
a minimal domain of the same type, then the domain with its interfaces taken out. The seed's
``type='none'`` interfaces are left out entirely: libvirt's schema has no such type, and
vifconf reports them once as ``type-none`` instead.
"""

from __future__ import annotations

import copy
import os
from functools import cache
from pathlib import Path

from lxml import etree

from vifconf.model import Domain
from vifconf.model.domain import line_of
from vifconf.problems import Problem

SCHEMA_DIRS = ("/usr/share/libvirt/schemas", "/usr/local/share/libvirt/schemas")


def schema_path() -> Path | None:
    """domain.rng from ``$VIFCONF_LIBVIRT_SCHEMAS`` or the system's libvirt, if installed."""
    candidates = [os.environ["VIFCONF_LIBVIRT_SCHEMAS"]] if os.environ.get("VIFCONF_LIBVIRT_SCHEMAS") else []
    for directory in [*candidates, *SCHEMA_DIRS]:
        path = Path(directory) / "domain.rng"
        if path.is_file():
            return path
    return None


@cache
def _relaxng(path: Path) -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(path)))


def available() -> bool:
    return schema_path() is not None


def _shell(domain_type: str, os_type: str) -> etree._Element:
    """The smallest domain libvirt's schema accepts, to host one interface."""
    root = etree.Element("domain", type=domain_type)
    etree.SubElement(root, "name").text = "vifconf-schema-probe"
    etree.SubElement(root, "memory").text = "1024"
    os_el = etree.SubElement(root, "os")
    etree.SubElement(os_el, "type").text = os_type
    etree.SubElement(root, "devices")
    return root


def _first_error(log: etree._ListErrorLog) -> str:
    for entry in log:
        if entry.message and entry.line:
            where = f"{entry.path}: " if entry.path else ""
            return where + str(entry.message).strip()
    messages = [e.message.strip() for e in log if e.message]
    return messages[0] if messages else "does not validate"


def _culprit(rng: etree.RelaxNG, shell: etree._Element, interface: etree._Element) -> etree._Element | None:
    """The child whose removal makes the interface valid: the thing to show the user."""
    for child in list(interface):
        if not isinstance(child.tag, str):
            continue
        position = interface.index(child)
        interface.remove(child)
        fixed = rng.validate(shell)
        interface.insert(position, child)
        if fixed:
            return child
    return None


def _markup(element: etree._Element) -> str:
    text = etree.tostring(element, encoding="unicode", with_tail=False)
    return text if len(text) <= 120 else text[:117] + "..."


def schema_problems(domain: Domain) -> list[Problem]:
    """Schema findings (code ``schema``); empty when the schema is absent.

    Warnings, not errors: libvirt's parser (plain ``virsh define``, and starting the guest)
    does not apply the RelaxNG schema — measured: libvirt 9.0 starts a guest on bridge
    ``br,0``. What the parser itself refuses is checked as errors in `vifconf.validate`."""
    path = schema_path()
    if path is None:
        return []
    rng = _relaxng(path)
    facts = domain.facts
    problems: list[Problem] = []

    for nic in domain.nics:
        if nic.type == "none":
            continue
        shell = _shell(facts.hypervisor or "kvm", facts.os_type or "hvm")
        devices = shell.find("devices")
        assert devices is not None
        probe = copy.deepcopy(nic.element)
        if probe.get("type") is None:  # type-missing names that fault; check the rest as meant
            probe.set("type", nic.type_its_source_names or "user")
        devices.append(probe)
        if not rng.validate(shell):
            detail = _first_error(rng.error_log)
            culprit = _culprit(rng, shell, probe)
            if culprit is not None:
                field: str | None = str(culprit.tag)
                line = line_of(culprit) or nic.line
                message = f"libvirt's schema rejects {_markup(culprit)}"
            else:
                field, line = None, nic.line
                message = f"libvirt's schema rejects <interface type='{probe.get('type')}'> ({detail})"
            problems.append(
                Problem(
                    code="schema",
                    severity="warning",
                    nic=nic.index,
                    field=field,
                    line=line,
                    message=message,
                    hint="`virsh define --validate` and `virsh edit` refuse this; plain `virsh define` "
                    "(libvirt's parser) accepts it. See libvirt's formatdomain.html, Network interfaces",
                )
            )

    stripped = copy.deepcopy(domain.root)
    for interface in stripped.findall("devices/interface"):
        parent = interface.getparent()
        assert parent is not None
        parent.remove(interface)
    if not rng.validate(stripped):
        error = next((e for e in rng.error_log if e.line), None)
        problems.append(
            Problem(
                code="schema",
                severity="warning",
                nic=None,
                field=None,
                line=int(error.line) if error is not None else line_of(domain.root),
                message=f"libvirt's schema rejects the domain outside its NICs: {_first_error(rng.error_log)}",
                hint="vifconf edits NICs only; fix the rest with virsh edit",
            )
        )
    return problems
