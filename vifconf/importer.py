"""Old xend configs back to ``<interface>``: the reverse of the xend-sxpr renderer.

People moving guests off xend hold their NICs as S-expressions: ``xm list -l`` output, the
``config.sxp`` files under ``/var/lib/xend/domains/``, or the ``(device (vif …))`` lines
vifconf itself prints (``vifconf render`` output as a whole: its xend-sxpr section is read).
The rules are libvirt's (``xenParseSxprNets``), restated in ``shared/spec/xend-sxpr.md``
("The reverse direction"):

* ``(bridge …)`` present, or the ``vif-bridge`` script (by name or path) → type bridge; otherwise ethernet
  (type network only from vifconf's own ``<network NAME>`` placeholder: xend only ever saw
  the network's bridge);
* ``(vifname …)`` → target dev, unless it is a generated name (``vif3.0``, ``vnet0``);
  ``(model X)`` → model X; ``(type netfront)`` with no model →
  model netfront; ``(type ioemu)`` is ignored; the seed's ``(type none)`` → type none;
* an item is its first value, as xend's ``sxp.child_value`` read it (``(bridge 'br0' x)`` is
  bridge ``br0``, with a note); values are xend's text, its ``\\xNN`` escapes decoded as UTF-8.

Pure functions over text, plus `add_to`, which appends the NICs to a `Domain` as ordinary edits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from vifconf.model import Domain, InputError
from vifconf.model.domain import GENERATED_TARGET_PREFIXES, XEN_NET_PREFIX
from vifconf.model.mac import normalize_mac
from vifconf.model.source import byte_line_col, lone_cr_as_lf
from vifconf.render import DOMAIN_HEADING, TARGET_HEADING, sxpr
from vifconf.render.xend_sxpr import DEFAULT_BRIDGE_SCRIPT

CARRIED = frozenset({"mac", "bridge", "script", "vifname", "model", "type", "ip", "rate"})
"""The vif items that become part of the interface."""
MAX_VIFS = 256
"""More than a guest ever had (xend's default limit was 8): a bigger file is not one guest."""
MAX_SXPR_BYTES = 4 * 1024 * 1024
"""A whole host's ``xm list -l`` is a few hundred KB; parsing tens of MB takes GBs."""
XEND_BOOKKEEPING = frozenset({"uuid", "backend", "devid", "frontend", "state", "online", "handle"})
"""Items xend adds to its own records (``xm list -l``): they describe one run, not the NIC."""


@dataclass
class ImportedNic:
    """One vif as interface fields (``Nic.set`` keys), in the order xend listed it."""

    kind: str
    fields: dict[str, str] = field(default_factory=dict)
    ip: str | None = None
    rate_kbs: int | None = None
    """``(rate …)`` as ``<bandwidth><outbound average>``, in KB/s."""
    notes: list[str] = field(default_factory=list)
    """What the interface does not carry over (``rate``, ``accel``, a second ip …)."""


def read_vifs(text: str, source: str) -> list[ImportedNic]:
    """Every ``(vif …)`` in ``text``, at any depth, in document order."""
    text = lone_cr_as_lf(text)  # a lone CR ends a line too
    if text.startswith(DOMAIN_HEADING):
        text = _xend_sxpr_of_render_output(text, source)
    undecodable: list[sxpr.SxprEscapeError] = []  # bytes that are not UTF-8: only an error where imported
    try:
        nodes = sxpr.parse(text, undecodable=undecodable)
    except sxpr.SxprError as exc:
        raise _located(source, text, exc) from None
    domains = [node for node in nodes if isinstance(node, list) and node[:1] == ["domain"]]
    if len(domains) > 1:  # `xm list -l` of a whole host: one guest's NICs, not everyone's
        names = ", ".join(_domain_name(domain) for domain in domains)
        raise InputError(source, f"{len(domains)} domains in it ({names}): import one guest's "
                         "(its own config.sxp, or `xm list -l NAME`)")  # fmt: skip
    found = _vif_items(nodes)
    if not found:
        raise InputError(source, "no (vif …) device in it: expected xend's S-expression of a domain or its vifs")
    if len(found) > MAX_VIFS:
        raise InputError(source, f"{len(found)} vifs: more than the {MAX_VIFS} one import takes (one guest's)")
    nics: list[ImportedNic] = []
    for position, items in enumerate(found, start=1):
        try:
            nics.append(nic_from_vif(items))
        except UnfitValue as exc:
            where = next((bad for bad in undecodable if bad.item == exc.key), None) if exc.undecodable else None
            if where is not None:  # say where the bytes are, as for any reading error
                raise _located(source, text, where) from None
            raise InputError(source, f"vif {position}: {exc}") from None
    return nics


def _xend_sxpr_of_render_output(text: str, source: str) -> str:
    """``vifconf render``'s plain output with only its xend-sxpr lines kept: the rest is
    prose, whose quotes and parentheses are no S-expression. The other lines are emptied,
    not dropped, so an error's line and column are still those of the input."""
    domains = 0
    section = ""
    kept: list[str] = []
    for line in text.split("\n"):
        if line.startswith(DOMAIN_HEADING):
            domains += 1
            section = ""
        elif line.startswith(TARGET_HEADING):
            section = line[len(TARGET_HEADING) :].split("  [", 1)[0]
        kept.append(line if section == "xend-sxpr" and line.startswith("(") else "")
    if domains > 1:
        raise InputError(source, f"vifconf render output of {domains} domains: import one guest's "
                         "(render one file)")  # fmt: skip
    if not any(kept):
        raise InputError(source, "vifconf render output without a xend-sxpr section: "
                         "render with --target xend-sxpr (or all)")  # fmt: skip
    return "\n".join(kept)


def _located(source: str, text: str, exc: sxpr.SxprError) -> InputError:
    line = text.count("\n", 0, exc.offset) + 1
    column = exc.offset - (text.rfind("\n", 0, exc.offset) + 1) + 1
    if isinstance(exc, sxpr.SxprEscapeError):  # well-formed, but a value that is no text
        message = f"({exc.item} …): {exc.reason}" if exc.item else exc.reason
    else:
        message = f"not an S-expression: {exc.reason}"
    return InputError(source, message, line, column)


def read_vifs_file(path: str) -> list[ImportedNic]:
    """`read_vifs` of a file (``-`` is stdin), read with vifconf's safe reader: UTF-8 (xend
    wrote ASCII, non-ASCII as escapes), never with bytes silently replaced."""
    from vifconf.fileio import read_input

    data = read_input(path)
    if len(data) > MAX_SXPR_BYTES:
        raise InputError(path, f"file is {len(data) // (1024 * 1024)} MiB; xend's records of a guest are a few KB "
                         f"(refused above {MAX_SXPR_BYTES // (1024 * 1024)} MiB)")  # fmt: skip
    if b"\x00" in data:
        raise InputError(path, "binary data (NUL byte): not an S-expression", *byte_line_col(data, data.index(b"\x00")))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        where = byte_line_col(data, exc.start)
        raise InputError(path, "invalid UTF-8 byte sequence: not xend's text", *where) from None
    return read_vifs(text, path)


def _domain_name(domain: list[sxpr.Node]) -> str:
    return next((str(item[1]) for item in domain if isinstance(item, list) and len(item) == 2
                 and item[0] == "name" and isinstance(item[1], str)), "?")  # fmt: skip


def _vif_items(nodes: list[sxpr.Node]) -> list[list[sxpr.Node]]:
    """Every ``(vif …)`` at any depth, in document order."""
    found: list[list[sxpr.Node]] = []
    pending: list[sxpr.Node] = list(reversed(nodes))
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            if node and node[0] == "vif":
                found.append(node[1:])
            else:
                pending.extend(reversed(node))
    return found


class UnfitValue(ValueError):
    """A vif value the interface would carry that XML cannot hold (a control character, or
    escaped bytes that are not UTF-8, kept by the reader as lone surrogates)."""

    def __init__(self, message: str, key: str, undecodable: bool):
        super().__init__(message)
        self.key = key
        self.undecodable = undecodable


_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""The characters XML 1.0 has no way to write, not even as a character reference."""
TO_XML = ("mac", "bridge", "script", "model", "vifname")
"""The vif items whose first value goes into the interface's XML as it is (every ip does too)."""


def nic_from_vif(items: list[sxpr.Node]) -> ImportedNic:
    """One vif's items as an interface (`UnfitValue` when XML cannot hold one of them).

    An item is read as xend's ``sxp.child_value`` read it: the first value after the name
    (extra values are ignored, with a note); one whose value is a list gives nothing."""
    values: dict[str, list[str]] = {}
    whole: dict[str, list[sxpr.Node]] = {}  # the first (name value …) item of each name, as written
    odd: list[str] = []  # notes on items that are not a plain (name value)
    for entry in items:
        if not (isinstance(entry, list) and entry and isinstance(entry[0], str)):
            odd.append(f"{_shown(entry)} is not carried over")
            continue
        key = entry[0]
        if key in XEND_BOOKKEEPING:
            continue
        if len(entry) < 2:
            odd.append(f"{_shown(entry)} is not carried over")
        elif not isinstance(entry[1], str):
            odd.append(f"{_shown(entry)} is not carried over" + (": its value is a list, not a name or a number"
                                                                   if key in CARRIED else ""))  # fmt: skip
        else:
            if len(entry) > 2 and key in CARRIED and (key == "ip" or key not in values):
                odd.append(f"{_shown(entry)}: more than one value; only the first, {entry[1]!r}, is imported "
                           "(the one xend read)")  # fmt: skip
            values.setdefault(key, []).append(entry[1])
            whole.setdefault(key, entry)
    ips = [ip for found in values.get("ip", []) for ip in found.split()]  # xend kept several space-separated
    for key, value in [(key, values[key][0]) for key in TO_XML if key in values] + [("ip", ip) for ip in ips]:
        unfit = _NOT_XML.search(value)
        if unfit is not None:
            undecodable = "\udc80" <= unfit.group() <= "\udcff"
            raise UnfitValue(f"({key} {value!r}) holds {unfit.group()!r}, a character XML cannot carry", key,
                             undecodable)  # fmt: skip
    first = {key: found[0] for key, found in values.items()}
    bridge, script = first.get("bridge"), first.get("script")
    vif_type = first.get("type")
    if vif_type == "none":
        kind = "none"
    elif bridge is not None or (script is not None and script.rpartition("/")[2] == DEFAULT_BRIDGE_SCRIPT):
        kind = "bridge"
    else:
        kind = "ethernet"
    network = _NETWORK_PLACEHOLDER.fullmatch(bridge or "")
    if kind == "bridge" and network is not None:  # vifconf's own stand-in for the network's bridge
        kind = "network"
    nic = ImportedNic(kind)
    mac = first.get("mac")
    if mac is not None:
        normalized = normalize_mac(mac)
        nic.fields["mac"] = normalized or mac
        if normalized is None:
            nic.notes.append(f"(mac {mac!r}) is not a MAC address: libvirt refuses it (set mac=RANDOM for a fresh one)")
    if network is not None and kind == "network":
        nic.fields["source"] = network.group(1)
        nic.notes.append(f"(bridge {bridge!r}) is vifconf's placeholder for the bridge of network "
                         f"{network.group(1)!r}: imported as type network")  # fmt: skip
    elif bridge is not None and kind == "bridge":
        nic.fields["source"] = bridge
    elif bridge is not None:
        nic.notes.append(f"(bridge {bridge!r}) is not carried over: type none attaches to nothing")
    elif kind == "bridge":
        nic.notes.append("no (bridge …): xend's vif-bridge script took the host's first bridge; "
                         "set the <source bridge> (vifconf set … source=BRIDGE) before libvirt can use it")
    if script is not None and not (kind in ("bridge", "network") and script == DEFAULT_BRIDGE_SCRIPT):
        nic.fields["script"] = script  # vif-bridge is what a bridge (and a network's bridge) gets anyway
    model = first.get("model")
    if model is not None:
        nic.fields["model"] = model
    elif vif_type == "netfront":
        nic.fields["model"] = "netfront"
    if "vifname" in first:
        vifname = first["vifname"]
        if vifname.startswith(GENERATED_NAME_PREFIXES):
            nic.notes.append(f"(vifname {vifname!r}) is not carried over: a name of that form is one the "
                             "toolstack generates, and libvirt drops it when it reads the XML")  # fmt: skip
        else:
            nic.fields["target"] = vifname
    if "rate" in first:
        nic.rate_kbs = rate_kbs(first["rate"])
        if nic.rate_kbs is None:
            nic.notes.append(f"(rate {first['rate']!r}) is not carried over: not a rate xend reads")
        elif nic.rate_kbs == 0:
            nic.rate_kbs = None
            nic.notes.append(f"(rate {first['rate']!r}) is not carried over: under 1 KB/s, libvirt's unit "
                             "(an average of 0 would mean no limit)")  # fmt: skip
    if ips:
        nic.ip = ips[0]
    nic.notes += [f"a second ip {ip!r} is dropped: an interface carries one" for ip in ips[1:]]
    nic.notes += [f"{_shown(entry)} is not carried over" for key, entry in whole.items() if key not in CARRIED]
    nic.notes += odd
    if vif_type not in (None, "ioemu", "netfront", "none"):
        nic.notes.append(f"(type {vif_type}) is not carried over: libvirt reads only netfront")
    if mac is None:
        nic.notes.append("no MAC in the vif: a fresh one is generated")
    return nic


def _shown(node: sxpr.Node) -> str:
    """A vif item on one line, as the notes quote it: ``(name 'value' …)``, each value as a
    Python literal (so a control character in it stays escaped)."""
    if isinstance(node, str):
        return repr(node)
    head = node[:1] if node and isinstance(node[0], str) else []
    return "(" + " ".join([*(str(name) for name in head), *map(_shown, node[len(head) :])]) + ")"


_NETWORK_PLACEHOLDER = re.compile(r"<network (.+)>")
"""What vifconf's xend-sxpr target shows for a network NIC's bridge (libvirt looked it up)."""
GENERATED_NAME_PREFIXES = (*GENERATED_TARGET_PREFIXES, XEN_NET_PREFIX)
"""The target devs libvirt drops as generated (`Nic.target_generated_by`), the Xen drivers' too."""

_RATE = re.compile(r"([0-9]+)([GMK]?)([Bb])/s(@[0-9]+[mu]?s)?")
"""xend's vif rate, ``10MB/s`` or ``100Mb/s@20ms`` (the window does not survive into libvirt)."""


def rate_kbs(rate: str) -> int | None:
    """libvirt's ``xenParseSxprVifRate``: the rate in KB/s (bits count an eighth); None for
    what libvirt refuses as "Invalid rate"."""
    match = _RATE.fullmatch(rate)
    if match is None:
        return None
    # as libvirt reads it: no prefix counts as K too
    amount = int(match.group(1)) * {"G": 1024 * 1024, "M": 1024, "K": 1, "": 1}[match.group(2)]
    return amount // 8 if match.group(3) == "b" else amount


def add_to(domain: Domain, nics: list[ImportedNic]) -> list[int]:
    """Append the NICs (one undo step); the indexes they got."""
    added: list[int] = []
    with domain.transaction():
        for imported in nics:
            nic = domain.add_nic(imported.kind, mac=imported.fields.get("mac"))
            for key, value in imported.fields.items():
                if key != "mac":
                    nic.set(key, value)
            if imported.ip is not None:
                domain.set_child_attr(nic.element, "ip", "address", imported.ip)
            if imported.rate_kbs is not None:
                bandwidth = domain.insert_element(nic.element, "bandwidth")
                domain.set_child_attr(bandwidth, "outbound", "average", str(imported.rate_kbs))
            added.append(nic.index)
    return added


EMPTY_DOMAIN = "<domain type='xen'>\n  <devices>\n  </devices>\n</domain>\n"


def interfaces_xml(nics: list[ImportedNic]) -> str:
    """The ``<interface>`` elements alone, indented for a domain's ``<devices>``, to paste."""
    domain = Domain.from_string(EMPTY_DOMAIN, "<import>")
    add_to(domain, nics)
    text = domain.to_text()
    start, end = text.index("  <devices>\n") + len("  <devices>\n"), text.rindex("  </devices>")
    return text[start:end]
