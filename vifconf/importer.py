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

xm/xl domain configs (``/etc/xen/NAME.cfg``, or a pasted ``vif = [ … ]`` list or entry) are
read by libvirt's other reverse rules, ``xenParseVif`` (libvirt 9.0's ``xen_common.c``, the
reader beside the ``xenFormatNet`` that ``shared/spec/xl.md`` restates; see `read_xl_vifs`).

Pure functions over text, plus `add_to`, which appends the NICs to a `Domain` as ordinary edits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from vifconf.model import Domain, InputError
from vifconf.model.domain import GENERATED_TARGET_PREFIXES, XEN_NET_PREFIX
from vifconf.model.mac import normalize_mac
from vifconf.model.source import byte_line_col, lone_cr_as_lf
from vifconf.render import DOMAIN_HEADING, TARGET_HEADING, sxpr
from vifconf.render.xend_sxpr import DEFAULT_BRIDGE_SCRIPT
from vifconf.render.xl import NETWORK_PLACEHOLDER, VifListError, vif_list_starts, vif_list_strings

V = TypeVar("V")

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
    ips: list[str] = field(default_factory=list)
    rate_kbs: int | None = None
    """``(rate …)`` as ``<bandwidth><outbound average>``, in KB/s."""
    vlan_tags: list[int] = field(default_factory=list)
    """An xl ``bridge=B.TAG`` or ``B:T1:T2`` (Open vSwitch, a trunk when ``:``)."""
    trunk: bool = False
    notes: list[str] = field(default_factory=list)
    """What the interface does not carry over (``rate``, ``accel``, a second ip …)."""


def read_vifs(text: str, source: str) -> list[ImportedNic]:
    """Every ``(vif …)`` in ``text``, at any depth, in document order; or, when the text is
    no S-expression, the entries of an xm/xl config's ``vif = [ … ]`` (`read_xl_vifs`)."""
    text = lone_cr_as_lf(text)  # a lone CR ends a line too
    # vifconf's render output holds an xl line beside its xend-sxpr section: xl only without one
    if _xl_only_render_output(text, source) if text.startswith(DOMAIN_HEADING) else is_xl(text):
        return read_xl_vifs(text, source)
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
        raise InputError(source, "no (vif …) device in it: expected xend's S-expression of a domain or its vifs, "
                         "or an xm/xl config's vif = [ … ]")  # fmt: skip

    def located(exc: UnfitValue) -> InputError | None:
        """Where the bytes are, as for any reading error."""
        where = next((bad for bad in undecodable if bad.item == exc.key), None) if exc.undecodable else None
        return _located(source, text, where) if where is not None else None

    return _each_vif(source, found, nic_from_vif, located)


def _each_vif(source: str, vifs: Sequence[V], read: Callable[[V], ImportedNic],
              located: Callable[[UnfitValue], InputError | None] = lambda exc: None) -> list[ImportedNic]:  # fmt: skip
    """``read`` of each vif, within `MAX_VIFS`; a value XML cannot carry is an error naming
    the vif (or, where ``located`` can say, the line and column)."""
    if len(vifs) > MAX_VIFS:
        raise InputError(source, f"{len(vifs)} vifs: more than the {MAX_VIFS} one import takes (one guest's)")
    nics: list[ImportedNic] = []
    for position, vif in enumerate(vifs, start=1):
        try:
            nics.append(read(vif))
        except UnfitValue as exc:
            raise (located(exc) or InputError(source, f"vif {position}: {exc}")) from None
    return nics


def _xl_only_render_output(text: str, source: str) -> bool:
    """``vifconf render`` output with an xl section and no xend-sxpr one (``--target xl``)."""
    targets = {line[len(TARGET_HEADING):].split("  [", 1)[0] for line in text.split("\n")
               if line.startswith(TARGET_HEADING)}  # fmt: skip
    if "xend-sxpr" in targets or "xl" not in targets:
        return False
    domains = sum(line.startswith(DOMAIN_HEADING) for line in text.split("\n"))
    if domains > 1:
        raise InputError(source, f"vifconf render output of {domains} domains: import one guest's (render one file)")
    return True


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


def _line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based, of a character offset."""
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _located(source: str, text: str, exc: sxpr.SxprError) -> InputError:
    line, column = _line_column(text, exc.offset)
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
        raise InputError(path, "binary data (NUL byte): not a Xen config", *byte_line_col(data, data.index(b"\x00")))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        where = byte_line_col(data, exc.start)
        raise InputError(path, "invalid UTF-8 byte sequence: not a Xen config as vifconf reads it (xend wrote "
                         "ASCII; save an xm config as UTF-8)", *where) from None  # fmt: skip
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
    _mac_into(nic, mac, f"(mac {mac!r})")
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
        _vifname_into(nic, first["vifname"], f"(vifname {first['vifname']!r})")
    if "rate" in first:
        _rate_into(nic, first["rate"], f"(rate {first['rate']!r})")
    if ips:
        nic.ips = ips[:1]
    nic.notes += [f"a second ip {ip!r} is dropped: an interface carries one" for ip in ips[1:]]
    nic.notes += [f"{_shown(entry)} is not carried over" for key, entry in whole.items() if key not in CARRIED]
    nic.notes += odd
    if vif_type not in (None, "ioemu", "netfront", "none"):
        nic.notes.append(f"(type {vif_type}) is not carried over: libvirt reads only netfront")
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
            for ip in imported.ips:
                domain.set_attr(domain.insert_element(nic.element, "ip"), "address", ip)
            if imported.vlan_tags:
                domain.set_child_attr(nic.element, "virtualport", "type", "openvswitch")
                vlan = domain.insert_element(nic.element, "vlan")
                if imported.trunk:
                    domain.set_attr(vlan, "trunk", "yes")
                for tag in imported.vlan_tags:
                    domain.set_attr(domain.insert_element(vlan, "tag"), "id", str(tag))
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


# -- xm/xl configs -------------------------------------------------------------------------------
XL_BRIDGE_SCRIPTS = ("vif-bridge", "vif-vnic")
"""Scripts that make an xl vif without ``bridge=`` a bridge (xenParseVif compares the whole value)."""
XL_NETFRONT_TYPES = ("vif", "netfront")
"""``type=`` values that mean model netfront when there is no ``model=``: xl writes ``vif``, the
older xm format ``netfront`` (libvirt reads each only in its own format; a config file does
not say which it is, and no other reading of either makes sense)."""
XL_IGNORED_TYPES = ("ioemu",)
XL_CARRIED = frozenset({"mac", "bridge", "script", "model", "type", "vifname", "ip", "rate"})
_COMMENT_OR_BLANK = re.compile(r"(?:\s+|[#;][^\n]*)*")
_VIF_ASSIGNMENT = re.compile(r"^[ \t]*vif[ \t]*=[ \t]*\[", re.MULTILINE)
_BARE_ENTRY = re.compile(r"[ \t]*[A-Za-z_]+=")
_QUOTED_ENTRY = re.compile(r"""(['"])[ \t]*[A-Za-z_]+=""")


def is_xl(text: str) -> bool:
    """Text in xm/xl's shape rather than xend's: a ``vif = [`` line, or (first, after blanks
    and comments) a list ``[``, a quoted entry ``'mac=…'``, or a bare one ``mac=…,bridge=…``."""
    if _VIF_ASSIGNMENT.search(text) is not None:
        return True
    start = _COMMENT_OR_BLANK.match(text).end()  # type: ignore[union-attr]
    return (text.startswith("[", start) or _QUOTED_ENTRY.match(text, start) is not None
            or _BARE_ENTRY.match(text, start) is not None)  # fmt: skip


def looks_like_vifs(text: str) -> bool:
    """Pasted vifs rather than a path: an S-expression or xm/xl's shape (`is_xl`)."""
    return text.lstrip().startswith("(") or is_xl(text)


def read_xl_vifs(text: str, source: str) -> list[ImportedNic]:
    """The NICs of an xm/xl config: its ``vif = [ "…", … ]`` (the rest of the file is not
    read; of several, the last, which is the one Python's xm kept), or a pasted list
    (``[ … ]``), quoted entry, or bare entry (``mac=…,bridge=…``)."""
    start = _COMMENT_OR_BLANK.match(text).end()  # type: ignore[union-attr]
    notes: list[str] = []
    starts = vif_list_starts(text)
    if starts:
        wrapped, shift, list_start = text, 0, starts[-1]
        if len(starts) > 1:
            line, _ = _line_column(text, list_start)
            notes.append(f"{len(starts)} `vif = [` settings: the last (line {line}) is imported, the one xm used "
                         "(libvirt's converter reads the first)")
    elif text[start:start + 1] in ("[", "'", '"'):
        opening = "vif = " if text[start] == "[" else "vif = [ "
        wrapped = opening + text[start:] + ("" if text[start] == "[" else "\n]")
        shift, list_start = len(opening) - start, len(opening) + 1 if text[start] == "[" else len(opening)
    elif _BARE_ENTRY.match(text, start) is not None and "\n" not in text.strip():
        return _xl_nics([text.strip()], source, notes)
    else:
        raise InputError(source, "neither xend's S-expression (config.sxp, `xm list -l`, (vif …)) nor an "
                         "xm/xl config with a `vif = [ … ]` list")  # fmt: skip
    try:
        entries = vif_list_strings(wrapped, list_start)
    except VifListError as exc:
        offset = max(0, min(len(text), exc.offset - shift))
        raise InputError(source, f"vif list: {exc.reason}", *_line_column(text, offset)) from None
    return _xl_nics(entries, source, notes)


def _xl_nics(entries: list[str], source: str, notes: list[str]) -> list[ImportedNic]:
    if not entries:
        raise InputError(source, "the vif list is empty: no NIC to import")
    nics = _each_vif(source, entries, nic_from_xl_entry)
    nics[0].notes[:0] = notes
    return nics


def xl_items(entry: str) -> tuple[dict[str, str], list[str]]:
    """One entry's ``key=value`` items as xenParseVif reads them (split on ``,``, blanks and
    tabs before an item skipped, a later key winning), and notes on what it skips. A value's
    surrounding blanks are dropped, as xm did (xl keeps them: a bridge ``'xenbr0 '`` exists
    nowhere)."""
    items: dict[str, str] = {}
    notes: list[str] = []
    for raw in entry.split(","):
        item = raw.lstrip(" \t")
        if not item.strip():
            notes.append("an empty item (two commas, or one at the end) is skipped")
            continue
        key, equals, value = item.partition("=")
        key, stripped = key.strip(), value.strip()
        if not equals:
            notes.append(f"{item.strip()!r} has no value (no '='): not carried over")
            continue
        if stripped != value:
            notes.append(f"{key}={value!r}: the blanks around the value are dropped (xm dropped them; xl keeps them)")
        if key in items:
            notes.append(f"{key} is given twice: the last, {stripped!r}, is used, as libvirt and xl read it")
        items[key] = stripped
    return items, notes


def nic_from_xl_entry(entry: str) -> ImportedNic:
    """One xl/xm vif entry as an interface, by libvirt's ``xenParseVif``: ``bridge=`` or a
    bridge script makes a bridge, else ethernet; ``bridge=B.TAG`` / ``B:T1:T2`` is an Open
    vSwitch bridge with a VLAN tag / trunk; every ``ip=`` address is kept; the script is kept
    as written (in a config the admin wrote it; xend's records always carried one). vifconf's
    own ``<network:NAME>`` stand-in for a network's bridge is a network again."""
    parsed, notes = xl_items(entry)
    items: dict[str, str] = {}
    for key, value in parsed.items():
        if key not in XL_CARRIED:
            notes.append(f"{key}={value} is not carried over")
            continue
        unfit = _NOT_XML.search(value)
        if unfit is not None:
            raise UnfitValue(f"{key}={value!r} holds {unfit.group()!r}, a character XML cannot carry", key, False)
        items[key] = value
    bridge, script, vif_type = items.get("bridge", ""), items.get("script", ""), items.get("type", "")
    network = _XL_NETWORK_PLACEHOLDER.fullmatch(bridge)
    nic = ImportedNic("network" if network else "bridge" if bridge or script in XL_BRIDGE_SCRIPTS else "ethernet")
    _mac_into(nic, items.get("mac"), f"mac={items.get('mac')}")
    if network is not None:
        nic.fields["source"] = network.group(1)
        nic.notes.append(f"bridge={bridge} is vifconf's placeholder for the bridge of network "
                         f"{network.group(1)!r}: imported as type network")  # fmt: skip
    elif bridge:
        nic.fields["source"] = _ovs_bridge_into(nic, bridge)
    elif nic.kind == "bridge":
        nic.notes.append(f"no bridge=: the {script} script takes the host's first bridge; set the <source bridge> "
                         "(vifconf set … source=BRIDGE) before libvirt can use it")  # fmt: skip
    if script and not (network is not None and script == DEFAULT_BRIDGE_SCRIPT):  # what xl writes for any network
        nic.fields["script"] = script
    if items.get("model"):
        nic.fields["model"] = items["model"]
    elif vif_type in XL_NETFRONT_TYPES:
        nic.fields["model"] = "netfront"
    if vif_type and vif_type not in XL_NETFRONT_TYPES + XL_IGNORED_TYPES:
        nic.notes.append(f"type={vif_type} is not carried over: libvirt reads only {' or '.join(XL_NETFRONT_TYPES)}")
    if items.get("vifname"):
        _vifname_into(nic, items["vifname"], f"vifname={items['vifname']}")
    nic.ips = items.get("ip", "").split()
    if items.get("rate"):
        _rate_into(nic, items["rate"], f"rate={items['rate']}")
    nic.notes += notes
    return nic


_XL_NETWORK_PLACEHOLDER = re.compile(re.escape(NETWORK_PLACEHOLDER).replace(r"\{\}", "(.+)"))


# -- what both readers share -------------------------------------------------------------------
def _mac_into(nic: ImportedNic, mac: str | None, shown: str) -> None:
    """``shown``: the item as the file wrote it, for the note."""
    if not mac:
        nic.notes.append("no MAC in the vif: a fresh one is generated")
        return
    normalized = normalize_mac(mac)
    nic.fields["mac"] = normalized or mac
    if normalized is None:
        nic.notes.append(f"{shown} is not a MAC address: libvirt refuses it (set mac=RANDOM for a fresh one)")


def _vifname_into(nic: ImportedNic, vifname: str, shown: str) -> None:
    if vifname.startswith(GENERATED_NAME_PREFIXES):
        nic.notes.append(f"{shown} is not carried over: a name of that form is one the toolstack generates, "
                         "and libvirt drops it when it reads the XML")  # fmt: skip
    else:
        nic.fields["target"] = vifname


def _rate_into(nic: ImportedNic, rate: str, shown: str) -> None:
    nic.rate_kbs = rate_kbs(rate)
    if nic.rate_kbs is None:
        nic.notes.append(f"{shown} is not carried over: not a rate xend reads")
    elif nic.rate_kbs == 0:
        nic.rate_kbs = None
        nic.notes.append(f"{shown} is not carried over: under 1 KB/s, libvirt's unit (an average of 0 would mean "
                         "no limit)")  # fmt: skip


UINT_MAX = 2**32 - 1
"""virStrToLong_ui's limit: a bigger tag is no number to libvirt."""


def _ovs_bridge_into(nic: ImportedNic, bridge: str) -> str:
    """The bridge's name; its VLAN tags, when libvirt reads it as Open vSwitch's (xenParseVifBridge)."""
    separator = "." if "." in bridge else ":" if ":" in bridge else None
    if separator is None:
        return bridge
    name, *tags = bridge.split(separator) if separator == ":" else bridge.split(".", 1)
    if not all(tag.isascii() and tag.isdigit() and int(tag) <= UINT_MAX for tag in tags):
        what = "tags" if separator == ":" else "tag"
        raise UnfitValue(f"bridge={bridge}: libvirt reads it as Open vSwitch bridge {name!r} with VLAN {what} "
                         f"{separator.join(tags)!r}, which is not a number", "bridge", False)  # fmt: skip
    nic.vlan_tags = [int(tag) for tag in tags]
    nic.trunk = separator == ":"
    nic.notes.append(f"bridge={bridge}: read as libvirt does, Open vSwitch bridge {name!r} with VLAN "
                     f"{'trunk' if nic.trunk else 'tag'} {', '.join(tags)}")  # fmt: skip
    return name
