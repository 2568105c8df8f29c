"""The xl.cfg ``vif = [ … ]`` line, as libvirt's xen-xl (and older xen-xm) converter writes it.

Source of truth: libvirt ``src/libxl/xen_common.c`` — ``xenFormatNet`` builds one entry per
``<interface>``, ``xenFormatVif`` joins them into the list, ``xenParseVif`` reads them back.
The rules are restated in ``shared/spec/xl.md``. Pure functions only: a `Domain` goes in, a
`Rendering` (or the entries as dicts, for the qemu-dm ``xl-*`` eras) comes out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vifconf.model import mac as macs
from vifconf.model.domain import XEN_NET_PREFIX, Domain, Nic
from vifconf.model.libvirt9 import Vlan, guest_ips, read_vlan
from vifconf.problems import Problem, Severity
from vifconf.render import AS_XEN_NOTE, Rendering, RenderOptions, TextLayout, positions_by_nic, unresolved_network

TARGET = "xl"

SUPPORTED_TYPES = ("bridge", "ethernet", "network")
"""The interface types xenFormatNet writes; every other one is "Unsupported net type"."""

DEFAULT_BRIDGE_SCRIPT = "vif-bridge"
"""xen_common.c ``DEFAULT_VIF_SCRIPT``: the script of a bridge or network entry without one."""
OPENVSWITCH_SCRIPT = "vif-openvswitch"

PV_ONLY_TYPENAME = {"xl": "vif", "xm": "netfront"}
"""What an HVM guest's ``<model type='netfront'/>`` becomes: ``type=<vif_typename>``, where
libvirt passes ``vif`` for the xl format and ``netfront`` for the older xm format."""


UNSAFE_CHARACTERS = {
    ",": "a comma (xl splits an entry into items on commas)",
    "\n": "a newline (libvirt then writes the entry in triple quotes, which xl cannot read)",
    "\r": "a carriage return (a quoted xl.cfg string cannot span lines)",
    "\\": "a backslash (xl.cfg strings treat it as an escape)",
}
"""Characters an entry value cannot carry through xl's config parser (libxlu_cfg + xl's
``parse_nic_config``), with why. A double quote is fine unless the entry also has a single
quote (see `quote_entry`)."""
BOTH_QUOTES = "a double quote in an entry with a single quote too (libvirt then writes it in triple quotes, \
which xl cannot read)"

ITEM_FIELDS = {"mac": "mac", "bridge": "source", "ip": "ip", "script": "script", "model": "model",
               "type": "model", "vifname": "target", "rate": "bandwidth"}  # fmt: skip
"""Which NIC field an entry item comes from, for the ``field`` of a problem."""


@dataclass
class _Entries:
    """What formatting the domain's interfaces produced: each kept entry with its NIC index."""

    entries: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def render(domain: Domain, options: RenderOptions) -> Rendering:
    """The ``vif = [ "…", "…" ]`` line (xenFormatVif): entries quoted, joined by ``, ``,
    ``[ `` and `` ]`` padded with one space; no interfaces (or none xl can carry) → no line."""
    formatted = _format_domain(domain, options)
    items = [format_entry(entry) for _, entry in formatted.entries]
    layout = vif_line_layout(items)
    notes = list(formatted.notes)
    if not domain.facts.is_xen:
        notes.insert(0, AS_XEN_NOTE)
    return Rendering(
        target=TARGET,
        kind="line",
        items=items,
        text=layout.text,
        spans=layout.spans,
        notes=notes,
        problems=list(formatted.problems),
        nic_items=positions_by_nic(domain, ((index, [i]) for i, (index, _) in enumerate(formatted.entries))),
        rule=_rule(domain, options),
    )


def vif_entries(domain: Domain, options: RenderOptions) -> list[dict[str, str]]:
    """Each entry of the vif line as an ordered key → value dict, in line order.

    The qemu-dm renderer's ``xl-*`` eras read these: ``type=vif`` means PV only, no ``type``
    means the HVM guest also gets an emulated NIC.
    """
    return [dict(entry) for _, entry in indexed_entries(domain, options)]


def format_entry(entry: dict[str, str]) -> str:
    """``key=value`` items joined by ``,`` with no spaces (xenFormatNet's buffer)."""
    return ",".join(f"{key}={value}" for key, value in entry.items())


def vif_line_layout(items: list[str]) -> TextLayout:
    layout = TextLayout()
    if not items:
        return layout
    layout.add("vif = [ ")
    for position, item in enumerate(items):
        quote = entry_quote(item)
        layout.add(", " + quote if position else quote)
        layout.add(item, item=True)
        layout.add(quote)
    layout.add(" ]")
    return layout


def entry_quote(item: str) -> str:
    """The quotes libvirt puts around a string (virConfWriteValue): double, single when the
    string has a double quote, triple double quotes when it has both or a newline."""
    if "\n" in item or ('"' in item and "'" in item):
        return '"""'
    return "'" if '"' in item else '"'


# -- formatting ------------------------------------------------------------------------------
def _rule(domain: Domain, options: RenderOptions) -> str:
    stack = "xl.cfg (libvirt xen-xl)" if options.xl_format == "xl" else "xm.cfg (libvirt xen-xm)"
    return f"{stack}, {'HVM' if domain.facts.hvm else 'PV'}"


def _format_domain(domain: Domain, options: RenderOptions) -> _Entries:
    """Computed once per edit and shared with qemu-dm's xl eras; read-only for callers."""
    return domain.memo((TARGET, options.xl_format), lambda: _format_entries(domain, options))


def indexed_entries(domain: Domain, options: RenderOptions) -> list[tuple[int, dict[str, str]]]:
    """Each entry with the index of the NIC that produced it."""
    return list(_format_domain(domain, options).entries)


def _format_entries(domain: Domain, options: RenderOptions) -> _Entries:
    out = _Entries()
    for nic in domain.nics:
        entry = _format_nic(nic, domain.facts.hvm, options, out)
        if entry is not None:
            out.problems.extend(_unsafe_value_problems(nic, entry, options.xl_format))
            out.entries.append((nic.index, entry))
    return out


def _format_nic(nic: Nic, hvm: bool, options: RenderOptions, out: _Entries) -> dict[str, str] | None:
    """One entry in xenFormatNet's order: mac, the type's items, model/type, vifname, rate.
    ``None`` when the interface is left out of the line."""
    kind = nic.libvirt_type
    if kind == "none":
        out.notes.append(_type_none_note(nic, hvm, options.xl_format))
        return None
    if kind not in SUPPORTED_TYPES:
        out.problems.append(_unsupported_type_problem(nic, kind))
        return None
    entry: dict[str, str] = {"mac": _mac(nic, out)}
    if kind == "bridge":
        _bridge_items(nic, entry, out)
    elif kind == "ethernet":
        _ethernet_items(nic, entry)
    else:
        _network_items(nic, entry, out)
    _model_items(nic, hvm, options, entry)
    vifname = _vifname(nic)
    if vifname is not None:
        entry["vifname"] = vifname
    rate = _rate(nic, out)
    if rate is not None:
        entry["rate"] = rate
    return entry


def _vifname(nic: Nic) -> str | None:
    """The target dev libvirt's Xen driver keeps (not one it generated); an empty one too,
    written as an empty ``vifname=``."""
    return None if nic.target_generated_by(XEN_NET_PREFIX) else nic.target


def _unsupported_type_problem(nic: Nic, kind: str) -> Problem:
    return _problem(
        "xl-unsupported-type",
        "error",
        nic,
        "type",
        f"Unsupported net type '{kind}': libvirt's xl converter refuses it, so NIC {nic.index} "
        "is left out of the vif line",
        "xl carries bridge, ethernet and network interfaces",
    )


def _mac(nic: Nic, out: _Entries) -> str:
    """``mac=`` always comes first, lowercase and zero-padded (virMacAddrFormat); libvirt's
    parser gave a NIC without one a random MAC under the libxl driver's prefix before
    xenFormatNet ran, shown as `GENERATED_XEN_MAC`."""
    if nic.mac is None:
        out.notes.append(
            f"NIC {nic.index} has no MAC: libvirt generates a random one ({macs.GENERATED_XEN_MAC}) when it "
            "reads the XML, and the converted line carries that one"
        )
        return macs.GENERATED_XEN_MAC
    # an unparsable MAC is validation's `mac-invalid`: shown as written, as every other target shows it
    return macs.normalize_mac(nic.mac) or nic.mac


def _bridge_items(nic: Nic, entry: dict[str, str], out: _Entries) -> None:
    """``bridge=B[.TAG|:T1:T2…]``, ``ip=…`` if any, then always ``script=`` (xenFormatNet,
    VIR_DOMAIN_NET_TYPE_BRIDGE; libxl's extended bridge syntax BRIDGE[.VLAN][:TRUNK:TRUNK])."""
    bridge = nic.source
    if bridge is None:
        out.problems.append(
            _problem(
                "xl-bridge-missing",
                "error",
                nic,
                "source",
                "a bridge interface without <source bridge=…/>: libvirt refuses the XML "
                "before converting it (xl alone would use xenbr0)",
                "set the source to the host bridge, e.g. xenbr0",
            )
        )
        bridge = ""
    script = nic.script
    if nic.virtualport_type == "openvswitch":
        script = script or OPENVSWITCH_SCRIPT
        vlan = read_vlan(nic.element)  # a refused one: validation says so
        if isinstance(vlan, Vlan) and vlan.trunk:
            bridge += "".join(f":{tag}" for tag in vlan.tags)
        elif isinstance(vlan, Vlan):
            bridge += f".{vlan.tags[0]}"
    entry["bridge"] = bridge
    if ips := _ip_list(nic):
        entry["ip"] = ips
    entry["script"] = script or DEFAULT_BRIDGE_SCRIPT


def _ethernet_items(nic: Nic, entry: dict[str, str]) -> None:
    """``script=`` if set, then ``ip=…`` if any — script before ip, unlike bridge, and no
    default script (xenFormatNet, VIR_DOMAIN_NET_TYPE_ETHERNET)."""
    if nic.script:
        entry["script"] = nic.script
    if ips := _ip_list(nic):
        entry["ip"] = ips


NETWORK_PLACEHOLDER = "<network:{}>"
"""The bridge shown for a network NIC when no live libvirt can name the network's bridge."""


def _network_items(nic: Nic, entry: dict[str, str], out: _Entries) -> None:
    """``bridge=<the network's bridge>,script=vif-bridge``: libvirt asks the network for its
    bridge (virNetworkGetBridgeName); a domain loaded from a file shows a placeholder."""
    network = nic.source or ""
    bridge = nic.network_bridge
    entry["bridge"] = bridge or NETWORK_PLACEHOLDER.format(network)
    entry["script"] = DEFAULT_BRIDGE_SCRIPT
    if bridge is None:
        severity, message, hint = unresolved_network(nic)
        out.problems.append(_problem("xl-network-unresolved", severity, nic, "source",
                                     f"{message} ({NETWORK_PLACEHOLDER.format(network)})", hint))  # fmt: skip


def _model_items(nic: Nic, hvm: bool, options: RenderOptions, entry: dict[str, str]) -> None:
    """PV guests: ``model=M`` verbatim. HVM: netfront → ``type=vif`` (xm: ``type=netfront``),
    anything else → ``model=M``. ``type=ioemu`` is never written."""
    model = nic.libvirt_model
    if not model:
        return
    if hvm and model == "netfront":
        entry["type"] = PV_ONLY_TYPENAME[options.xl_format]
    else:
        entry["model"] = model


def _ip_list(nic: Nic) -> str:
    """All addresses, space-separated, without prefixes (xenMakeIPList via virSocketAddrFormat,
    which prints each in its canonical form, `guest_ip`)."""
    return " ".join(ip.address for ip in guest_ips(nic.element) if not isinstance(ip, str))


def _rate(nic: Nic, out: _Entries) -> str | None:
    """``rate=NKB/s`` from ``<bandwidth><outbound average='N'/>``, only when N is not 0."""
    average = nic.outbound_average_kbs  # None: absent, or not a number (validation says so)
    return f"{average}KB/s" if average else None


def _type_none_note(nic: Nic, hvm: bool, xl_format: str) -> str:
    """What the seed's type none becomes, and what to write instead, for this guest and format."""
    instead = (f'Remove the interface, or for "PV only, no emulated NIC" use model netfront '
               f"(type={PV_ONLY_TYPENAME[xl_format]})." if hvm else
               "Remove the interface: a PV guest's NICs are netfront anyway, no emulated NIC to hide.")  # fmt: skip
    return (
        f"NIC {nic.index} (type none) is left out of the vif line, so the guest gets no NIC from it. "
        "xl has no such type: libvirt's converter refuses it, and since Xen 4.6 `xl create` ignores "
        f"an unknown type= and gives the guest an emulated NIC anyway. {instead}"
    )


def _unsafe_value_problems(nic: Nic, entry: dict[str, str], xl_format: str) -> list[Problem]:
    """A value the toolstack's parser would split or misread: libvirt writes it anyway, and xl
    (or xm) gets it wrong. xm's config is Python: triple quotes are fine there, but its vif
    parser strips each item (xl keeps a value's blanks as written: Xen 4.17's xl_parse.c)."""
    problems = []
    text = format_entry(entry)
    both_quotes = "'" in text
    # libvirt's triple quotes end early in Python at a """ inside, or at a " that ends the entry
    python_cut = xl_format == "xm" and ("\n" in text or ('"' in text and both_quotes)) and (
        '"""' in text or text.endswith('"'))
    for key, value in entry.items():
        if key == "bridge" and nic.bridge_is_placeholder:
            continue  # vifconf's stand-in: libvirt writes the running network's bridge, not its name
        found = [why for character, why in UNSAFE_CHARACTERS.items()
                 if character in value and (xl_format == "xl" or character != "\n")]  # fmt: skip
        if '"' in value and both_quotes and xl_format == "xl":
            found.append(BOTH_QUOTES)
        if python_cut and '"' in value:
            found.append("a double quote where libvirt's triple quotes end (Python reads the string short)")
        if value != value.strip() and xl_format == "xm":
            found.append("leading or trailing whitespace (xm strips it)")
        if found:
            problems.append(
                _problem(
                    "xl-unsafe-value",
                    "error",
                    nic,
                    ITEM_FIELDS.get(key),
                    f"{key}={value!r} contains {' and '.join(found)}: {xl_format} cannot carry it",
                    f"choose a {key} value without , \\ or line breaks (and not both kinds of quote)",
                )
            )
    return problems


def _problem(code: str, severity: Severity, nic: Nic, field_name: str | None, message: str, hint: str) -> Problem:
    return Problem(
        code=code,
        severity=severity,
        message=message,
        nic=nic.index,
        field=field_name,
        hint=hint,
        line=nic.line_for(field_name),
        target=TARGET,
    )


# -- parsing ---------------------------------------------------------------------------------
class VifListError(ValueError):
    """Text that is no readable ``vif = [ … ]`` list; ``offset``: where reading stopped."""

    def __init__(self, reason: str, offset: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.offset = offset


def parse_vif_line(text: str) -> list[dict[str, str]]:
    """The entries of a ``vif = [ … ]`` assignment (alone or inside a whole xl.cfg) as ordered
    key → value dicts, like xenParseVif: entries split on ``,``, each item on its first ``=``.

    Empty text → ``[]``. Raises `VifListError` when there is text but no readable vif list.
    """
    if not text.strip():
        return []
    return [parse_entry(entry) for entry in vif_list_strings(text)]


def parse_entry(entry: str) -> dict[str, str]:
    """One entry's items as xl reads them too (xl_parse.c: strtok on ``,``, spaces before
    each item skipped, then ``key=value`` with the value as written; a later key wins), so
    a value with a comma is cut there, and one with blanks keeps them."""
    parsed: dict[str, str] = {}
    for item in entry.split(","):
        item = item.lstrip(" ")
        if not item:
            continue
        key, _, value = item.partition("=")
        parsed[key] = value
    return parsed


def vif_list_strings(text: str, start: int | None = None) -> list[str]:
    """The quoted strings of the vif list (double or single quotes, ``#`` comments allowed
    between them, a trailing comma allowed), each as written. ``start``: the offset just after
    its ``[`` (default: the first ``vif = [`` line's)."""
    position = _find_vif_list(text) if start is None else start
    strings: list[str] = []
    while True:
        position = _skip_blanks(text, position)
        if position >= len(text):
            raise VifListError("the vif list has no closing ]", len(text))
        character = text[position]
        if character == "]":
            return strings
        if character == "," and strings:
            position += 1
            continue
        if character not in "\"'":
            raise VifListError(f"unexpected {character!r} in the vif list (entries are quoted strings)", position)
        value, position = _read_quoted(text, position)
        strings.append(value)


def _find_vif_list(text: str) -> int:
    """The offset just after the ``[`` of the first line ``vif = [``."""
    found = vif_list_starts(text)
    if not found:
        raise VifListError("no `vif = [ … ]` assignment found", 0)
    return found[0]


def vif_list_starts(text: str) -> list[int]:
    """Where each ``vif = [`` line's list starts (the offset just after its ``[``)."""
    starts = []
    for offset, line in _lines_with_offsets(text):
        stripped = line.lstrip()
        key, equals, rest = stripped.partition("=")
        if equals and key.strip() == "vif" and rest.lstrip().startswith("["):
            starts.append(offset + (len(line) - len(rest.lstrip())) + 1)
    return starts


def _lines_with_offsets(text: str) -> list[tuple[int, str]]:
    out, offset = [], 0
    for line in text.splitlines(keepends=True):
        out.append((offset, line))
        offset += len(line)
    return out


def _skip_blanks(text: str, position: int) -> int:
    while position < len(text):
        if text[position].isspace():
            position += 1
        elif text[position] == "#":
            newline = text.find("\n", position)
            position = len(text) if newline < 0 else newline + 1
        else:
            break
    return position


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'"}


def _read_quoted(text: str, position: int) -> tuple[str, int]:
    """One quoted string starting at ``position``; returns its value and the offset after it."""
    quote = text[position]
    chars: list[str] = []
    position += 1
    while position < len(text):
        character = text[position]
        if character == quote:
            return "".join(chars), position + 1
        if character == "\n":
            break
        if character == "\\" and position + 1 < len(text):
            chars.append(_ESCAPES.get(text[position + 1], text[position + 1]))
            position += 2
            continue
        chars.append(character)
        position += 1
    raise VifListError("unterminated string in the vif list", position)
