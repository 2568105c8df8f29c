"""Property tests: hostile values (quotes, parentheses, backslashes, newlines, commas, shell
metacharacters) either survive render → parse-back as the same field, or the renderer reports
a problem for that NIC. Plus: the XML itself round-trips any value, the shown shell text
splits back into the exact argv, and the source-preserving lexer agrees with libxml2.

Parsers used to read back: xend's reader (`vifconf.render.sxpr.parse`, backslash escapes on,
as ``xen/xend/sxp.py``), QEMU's key=value rule (``,,`` is a literal comma; written here), the
QEMU JSON syntax (`json.loads`), xl's `parse_vif_line`, and `shlex.split` for shown argv.
"""

from __future__ import annotations

import ast
import importlib
import json
import shlex
import warnings
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import need
from vifconf.model.domain import Domain
from vifconf.problems import Problem
from vifconf.render import LIBVIRT_ERAS, Rendering, RenderOptions

EXAMPLES = 300
PROPS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HOSTILE_CHARS = [*"'\"()\\\n\t\r,;$`|&<>*?=#{}[]: ~!%^", "é", "€", "\u200b", "$(id)", "`id`", ",,", "\\'"]
hostile_text = st.lists(
    st.one_of(st.sampled_from(HOSTILE_CHARS), st.sampled_from(list("abcxyz019-_./"))), min_size=1, max_size=12
).map("".join)
xml_text = st.text(
    st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters="\x00\ufffe\uffff",
        min_codepoint=0x9,
    ).filter(lambda c: c in "\t\n\r" or ord(c) >= 0x20),
    max_size=20,
)




def _domain(kind: str = "bridge", hvm: bool = True, hypervisor: str = "xen") -> Domain:
    os_type = "hvm" if hvm else "linux"
    return Domain.from_string(
        f"<domain type='{hypervisor}'>\n  <name>g</name>\n  <os>\n    <type>{os_type}</type>\n  </os>\n"
        f"  <devices>\n    <interface type='{kind}'>\n      <mac address='00:16:3e:00:00:01'/>\n"
        "    </interface>\n  </devices>\n</domain>\n",
        "p.xml",
    )


def _flagged(rendering: Rendering, field: str | None = None) -> bool:
    return any(_about(p, field) for p in rendering.problems)


def _nic_has_error(rendering: Rendering) -> bool:
    """An error on the NIC marks the whole entry as not carried (one bad value can corrupt
    the fields after it, e.g. a quote ending an xl entry early)."""
    return any(p.severity == "error" and p.nic in (1, None) for p in rendering.problems)


def _about(problem: Problem, field: str | None) -> bool:
    return problem.nic in (1, None) and (field is None or problem.field in (field, None))


# -- the XML itself -------------------------------------------------------------------------


@PROPS
@given(value=xml_text, quote=st.sampled_from(["'", '"']))
def test_any_value_survives_xml_save_and_reload(value: str, quote: str) -> None:
    domain = Domain.from_string(
        f"<domain type={quote}xen{quote}><devices><interface type={quote}bridge{quote}>"
        f"<source bridge={quote}x{quote}/></interface></devices></domain>",
        "p.xml",
    )
    domain.nic(1).set("source", value or None)
    domain.nic(1).set("script", value or None)
    again = Domain.from_bytes(domain.to_bytes(), "p.xml")
    assert again.nic(1).source == (value or None)
    assert again.nic(1).script == (value or None)


# -- xend sxpr ------------------------------------------------------------------------------


@PROPS
@given(
    bridge=hostile_text,
    script=hostile_text,
    vifname=hostile_text,
    era=st.sampled_from(LIBVIRT_ERAS),
    version=st.integers(1, 4),
    hvm=st.booleans(),
)
def test_xend_sxpr_round_trip_or_problem(
    bridge: str, script: str, vifname: str, era: str, version: int, hvm: bool
) -> None:
    from vifconf.render import sxpr, xend_sxpr

    domain = _domain(hvm=hvm)
    nic = domain.nic(1)
    nic.set("source", bridge)
    nic.set("script", script)
    nic.set("target", vifname)
    rendering = xend_sxpr.render(domain, RenderOptions(libvirt_era=era, xend_config_version=version))
    if not rendering.items:
        assert rendering.problems or rendering.notes
        return
    try:
        fields = sxpr.vif_fields(sxpr.parse_one(rendering.items[0], backslash_escapes=True))
    except ValueError:
        assert _flagged(rendering), rendering.items[0]
        return
    for key, value, field in (
        ("bridge", bridge, "source"),
        ("script", script, "script"),
        ("vifname", vifname, "target"),
    ):
        if key in fields and fields[key] != value:
            assert _flagged(rendering, field) or _nic_has_error(rendering), (key, fields[key], value, era)
        if key not in fields and key == "bridge":
            assert _flagged(rendering, field) or rendering.notes


# -- qemu-dm ------------------------------------------------------------------------------


def _qemu_dm_items(argv: list[str]) -> list[dict[str, str]]:
    """qemu-dm's (QEMU 0.9/0.10 ``get_param_value``) reading of ``-net`` values: items split on
    commas, each on its first ``=``; it has no comma escape."""
    out = []
    for flag, value in zip(argv[::2], argv[1::2], strict=False):
        if flag == "-net":
            kind, _, rest = value.partition(",")
            items = {"_": kind}
            for part in rest.split(","):
                key, _, val = part.partition("=")
                items[key] = val
            out.append(items)
    return out


@PROPS
@given(bridge=hostile_text, xen=st.sampled_from(["xend-3.2", "xend-3.3", "xend-4.0", "xend-4.2"]))
def test_qemu_dm_round_trip_or_problem(bridge: str, xen: str) -> None:
    from vifconf.render import qemu_dm

    domain = _domain()
    domain.nic(1).set("source", bridge)
    rendering = qemu_dm.render(domain, RenderOptions(libvirt_era="0.8.6", xen=xen))
    # the text shown for copy/paste splits back into exactly the argv
    assert shlex.split(rendering.text) == rendering.items
    if "," in bridge:
        assert _flagged(rendering, "source"), rendering.items
        return
    taps = [items for items in _qemu_dm_items(rendering.items) if items["_"] == "tap"]
    for tap in taps:
        if "bridge" in tap:
            assert tap["bridge"] == bridge or _flagged(rendering, "source")


@PROPS
@given(
    bridge=hostile_text,
    script=hostile_text,
    era=st.sampled_from(["xl-4.2-traditional", "xl-4.2-upstream", "xl-4.15-upstream"]),
)
def test_qemu_dm_xl_eras_shell_text_is_exact(bridge: str, script: str, era: str) -> None:
    from vifconf.render import qemu_dm

    domain = _domain()
    domain.nic(1).set("source", bridge)
    domain.nic(1).set("script", script)
    rendering = qemu_dm.render(domain, RenderOptions(xen=era))
    assert shlex.split(rendering.text) == rendering.items


# -- xl -------------------------------------------------------------------------------------


@PROPS
@given(
    bridge=hostile_text, script=hostile_text, vifname=hostile_text, fmt=st.sampled_from(["xl", "xm"]), hvm=st.booleans()
)
def test_xl_round_trip_or_problem(bridge: str, script: str, vifname: str, fmt: str, hvm: bool) -> None:
    from vifconf.render import xl

    domain = _domain(hvm=hvm)
    nic = domain.nic(1)
    nic.set("source", bridge)
    nic.set("script", script)
    nic.set("target", vifname)
    rendering = xl.render(domain, RenderOptions(xl_format=fmt))
    try:
        [entry] = xl.parse_vif_line(rendering.text) if fmt == "xl" else _xm_entries(rendering.text)
    except (ValueError, SyntaxError):
        assert _flagged(rendering), rendering.text
        return
    for key, value, field in (
        ("bridge", bridge, "source"),
        ("script", script, "script"),
        ("vifname", vifname, "target"),
    ):
        if entry.get(key) != value:
            assert _flagged(rendering, field) or _nic_has_error(rendering), (key, entry.get(key), value)


def _xm_entries(text: str) -> list[dict[str, str]]:
    """xm's reading of a vif line: the config is Python (the list literal), and xm's create.py
    splits each entry on commas and strips each item, its key and its value."""
    entries = []
    with warnings.catch_warnings():  # "invalid escape sequence": Python reads it anyway, as xm did
        warnings.simplefilter("ignore")
        literal = ast.literal_eval(text.partition("=")[2].strip())
    for entry in literal:
        items = {}
        for item in entry.split(","):
            key, _, value = item.strip().partition("=")
            items[key.strip()] = value.strip()
        entries.append(items)
    return entries


def test_xl_edge_whitespace_is_flagged() -> None:
    from vifconf.render import xl

    domain = _domain()
    domain.nic(1).set("source", "br0 ")
    rendering = xl.render(domain, RenderOptions())
    [entry] = xl.parse_vif_line(rendering.text)
    assert entry["bridge"] == "br0 " or _flagged(rendering, "source")


# -- qemu (libvirt's QEMU driver) -----------------------------------------------------------


def _qemu_keyval(text: str) -> dict[str, str]:
    """QEMU's QemuOpts reading: ``,,`` is a literal comma; items split on single commas."""
    items: dict[str, str] = {}
    parts: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == ",":
            if text[i + 1 : i + 2] == ",":
                current.append(",")
                i += 2
                continue
            parts.append("".join(current))
            current = []
        else:
            current.append(text[i])
        i += 1
    parts.append("".join(current))
    for position, part in enumerate(parts):
        key, eq, value = part.partition("=")
        items[key if eq else f"_{position}"] = value if eq else key
    return items


def _qemu_values(argv: list[str]) -> list[Any]:
    values: list[Any] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for item in node.values():
                walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        else:
            values.append(node)

    for item in argv:
        if item.startswith("{"):
            walk(json.loads(item))  # must be valid JSON, whatever the values
        elif not item.startswith("-"):
            walk(_qemu_keyval(item))
    return values


def _qemu_module() -> Any:
    try:
        return importlib.import_module("vifconf.render.qemu")
    except ImportError:
        need(False, "vifconf/render/qemu.py has not landed yet")


@pytest.mark.parametrize(("kind", "field"), [("ethernet", "target"), ("vhostuser", "source"), ("bridge", "target")])
@PROPS
@given(value=hostile_text)
def test_qemu_round_trip_or_problem(kind: str, field: str, value: str) -> None:
    qemu = _qemu_module()
    domain = _domain(kind=kind, hypervisor="kvm")
    nic = domain.nic(1)
    nic.set("model", "virtio")
    if kind == "vhostuser":
        domain.set_child_attr(nic.element, "source", "type", "unix")
        domain.set_child_attr(nic.element, "source", "mode", "client")
    elif kind == "bridge":
        nic.set("source", "br0")
    nic.set(field, value)
    rendering = qemu.render(domain, RenderOptions())
    assert shlex.split(rendering.text) == rendering.items if rendering.text else True
    values = _qemu_values(rendering.items)
    if value not in values:
        assert _flagged(rendering) or rendering.notes, (value, rendering.items)


# -- the lexer that maps source spans agrees with libxml2 -------------------------------------

_names = st.sampled_from(["a", "b", "interface", "source", "x-y", "n.1", "q_"])
_attr_value = st.lists(st.sampled_from([*"ab '\"<>&()\\\n\t,=/", "&amp;", "&lt;", "&#10;"]), max_size=8).map("".join)


@st.composite
def _documents(draw: st.DrawFn) -> str:
    def attrs() -> str:
        out = []
        for name in draw(st.lists(_names, unique=True, max_size=3)):
            value = draw(_attr_value).replace("&", "&amp;").replace("<", "&lt;")
            quote = draw(st.sampled_from(["'", '"']))
            value = value.replace(quote, "&quot;" if quote == '"' else "&apos;")
            space = draw(st.sampled_from([" ", "  ", "\n", "\t"]))
            equals = draw(st.sampled_from(["=", " = "]))
            out.append(f"{space}{name}{equals}{quote}{value}{quote}")
        return "".join(out)

    def node(depth: int) -> str:
        kind = draw(
            st.sampled_from(["el", "el", "empty", "comment", "pi", "cdata", "text"])
            if depth < 4
            else st.sampled_from(["empty", "comment", "text"])
        )
        if kind == "comment":
            return "<!--" + draw(st.sampled_from(["", " x ", "<a>", "'\"", "- a"])) + "-->"
        if kind == "pi":
            return "<?app " + draw(st.sampled_from(["", "x", "<b/>", "?"])) + "?>"
        if kind == "cdata":
            return "<![CDATA[" + draw(st.sampled_from(["", "<a>", "]]", "&"])) + "]]>"
        if kind == "text":
            return draw(st.sampled_from(["\n  ", "x", "&amp;", "&gt;", ">"]))
        name = draw(_names)
        if kind == "empty":
            return f"<{name}{attrs()}{draw(st.sampled_from(['/', ' /']))}>"
        children = "".join(node(depth + 1) for _ in range(draw(st.integers(0, 3))))
        return f"<{name}{attrs()}>{children}</{name}{draw(st.sampled_from(['', ' ']))}>"

    prolog = draw(st.sampled_from(["", "<?xml version='1.0'?>\n", "<!-- top -->\n", "<?pi x?>"]))
    body = "".join(node(1) for _ in range(draw(st.integers(0, 4))))
    return f"{prolog}<domain{attrs()}>{body}</domain>{draw(st.sampled_from(['', chr(10), '<!-- end -->']))}"


@PROPS
@given(document=_documents(), data=st.data())
def test_span_map_matches_libxml2_and_edits_stay_local(document: str, data: st.DataObject) -> None:
    domain = Domain.from_string(document, "p.xml")
    assert domain.to_text() == document
    elements = [el for el in domain.root.iter() if isinstance(el.tag, str)]
    spans = domain.spans
    for element in elements:  # every element's span text starts with its own tag
        span = spans[element]
        assert document[span.start :].startswith(f"<{element.tag}")
    target = data.draw(st.sampled_from(elements))
    domain.set_attr(target, "vifconf-edit", "v'\"<&>")
    saved = domain.to_text()
    again = Domain.from_string(saved, "p.xml")
    assert [el.get("vifconf-edit") for el in again.root.iter() if isinstance(el.tag, str)] == [
        "v'\"<&>" if el is target else el.get("vifconf-edit") for el in elements
    ]
    # only the edited start tag changed
    span = spans[target]
    assert saved[: span.start] == document[: span.start]
    assert saved.endswith(document[span.head_end :])
