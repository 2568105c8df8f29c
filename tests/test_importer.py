"""Old xend vifs back to <interface>: the spec's reverse rules, libvirt's own vectors read
backwards, a round trip through the renderer, and the ``vifconf import`` command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support import vector_params
from vifconf.cli import main
from vifconf.importer import add_to, interfaces_xml, rate_kbs, read_vifs
from vifconf.model import Domain, InputError, Nic
from vifconf.model.mac import normalize_mac
from vifconf.render import RenderOptions, sxpr, xend_sxpr

GUEST = """<domain type='xen'>
  <name>g</name>
  <os>
    <type>hvm</type>
  </os>
  <devices>
    <interface type='bridge'>
      <source bridge='xenbr0'/>
      <mac address='00:16:3e:00:00:01'/>
    </interface>
  </devices>
</domain>
"""

XM_LIST_L = """(domain
    (domid 3)
    (name oldguest)
    (device
        (vif
            (bridge xenbr1)
            (mac 00:16:3E:5D:C7:9E)
            (script vif-bridge)
            (uuid 6b1e4d3e-0000-0000-0000-000000000001)
            (backend 0)
            (rate 10MB/s@20ms)
            (type ioemu)
            (model e1000)
        )
    )
    (device (vif (mac 00:16:3e:00:00:02) (script /etc/xen/scripts/vif-route) (ip 10.0.0.2) (vifname web0)))
)
"""


def one(vif: str) -> Any:
    [nic] = read_vifs(vif, "t.sxp")
    return nic


# -- the spec's rules --------------------------------------------------------------------------
@pytest.mark.parametrize(("vif", "kind", "fields"), [
    ("(vif (mac '00:16:3e:00:00:01')(bridge 'br0'))", "bridge", {"source": "br0"}),
    ("(vif (mac '00:16:3e:00:00:01')(script 'vif-bridge'))", "bridge", {}),
    ("(vif (mac '00:16:3e:00:00:01')(script '/etc/xen/scripts/vif-bridge'))", "bridge",
     {"script": "/etc/xen/scripts/vif-bridge"}),
    ("(vif (mac '00:16:3e:00:00:01')(script 'vif-route'))", "ethernet", {"script": "vif-route"}),
    ("(vif (mac '00:16:3e:00:00:01'))", "ethernet", {}),
    ("(vif (mac '00:16:3e:00:00:01')(bridge 'br0')(script 'my-bridge'))", "bridge",
     {"source": "br0", "script": "my-bridge"}),
    ("(vif (mac '00:16:3e:00:00:01')(vifname 'web0'))", "ethernet", {"target": "web0"}),
    ("(vif (mac '00:16:3e:00:00:01')(model 'e1000')(type ioemu))", "ethernet", {"model": "e1000"}),
    ("(vif (mac '00:16:3e:00:00:01')(type netfront))", "ethernet", {"model": "netfront"}),
    ("(vif (mac '00:16:3e:00:00:01')(model 'ne2k_pci')(type netfront))", "ethernet", {"model": "ne2k_pci"}),
    ("(vif (mac '00:16:3e:00:00:01')(model 'virtio')(type none))", "none", {"model": "virtio"}),
    ("(device (vif (mac '00:16:3E:0:a:B')(bridge 'xenbr0')))", "bridge", {"source": "xenbr0"}),
])  # fmt: skip
def test_reverse_rules(vif: str, kind: str, fields: dict[str, str]) -> None:
    nic = one(vif)
    assert nic.kind == kind
    assert {k: v for k, v in nic.fields.items() if k != "mac"} == fields
    assert nic.fields["mac"] == normalize_mac(nic.fields["mac"])


def test_a_full_xend_domain_keeps_what_the_nic_is_and_says_what_it_drops() -> None:
    first, second = read_vifs(XM_LIST_L, "x.sxp")
    assert (first.kind, first.fields, first.rate_kbs) == (
        "bridge", {"mac": "00:16:3e:5d:c7:9e", "source": "xenbr1", "model": "e1000"}, 10240
    )
    assert first.notes == []  # uuid and backend are xend's bookkeeping, (type ioemu) is implied
    assert (second.kind, second.ips) == ("ethernet", ["10.0.0.2"])
    assert second.fields == {"mac": "00:16:3e:00:00:02", "script": "/etc/xen/scripts/vif-route", "target": "web0"}
    odd = one("(vif (mac '00:16:3e:00:00:01')(accel 'x')(ip '10.0.0.1')(ip '10.0.0.2')(type foo)(weird))")
    assert odd.notes == [
        "a second ip '10.0.0.2' is dropped: an interface carries one",
        "(accel 'x') is not carried over",
        "(weird) is not carried over",
        "(type foo) is not carried over: libvirt reads only netfront",
    ]
    assert one("(vif (bridge 'br0'))").notes == ["no MAC in the vif: a fresh one is generated"]
    no_bridge = one("(vif (mac '00:16:3e:00:00:01')(script 'vif-bridge'))")
    assert no_bridge.kind == "bridge" and "source" not in no_bridge.fields
    assert no_bridge.notes and "set the <source bridge>" in no_bridge.notes[0]
    listed = one("(vif (mac '00:16:3e:00:00:01')(ip '10.0.0.1 10.0.0.2'))")  # xend's space-separated list
    assert listed.ips == ["10.0.0.1"]
    assert listed.notes == ["a second ip '10.0.0.2' is dropped: an interface carries one"]


@pytest.mark.parametrize(("rate", "kbs"), [
    ("10KB/s", 10), ("10MB/s", 10240), ("10MB/s@20ms", 10240), ("2GB/s", 2 * 1024 * 1024),
    ("100Mb/s", 12800), ("80Kb/s", 10), ("7B/s", 7), ("fast", None), ("10 MB/s", None), ("10MB", None),
])  # fmt: skip
def test_rate_as_libvirt_reads_it(rate: str, kbs: int | None) -> None:
    assert rate_kbs(rate) == kbs


@pytest.mark.parametrize(("text", "message", "line", "column"), [
    ("(domain\n  (device (vif (mac 'x')", "missing ')'", 2, 25),
    ("(vif (mac 'x))", "unterminated string", 1, 11),
    ("(domain (name x))", "no (vif …) device", None, None),
    ("", "no (vif …) device", None, None),
    ("(vif (mac 'x'))" * 257, "257 vifs: more than the 256", None, None),
])  # fmt: skip
def test_unreadable_input_is_a_located_error(text: str, message: str, line: int | None, column: int | None) -> None:
    with pytest.raises(InputError) as raised:
        read_vifs(text, "bad.sxp")
    assert message in raised.value.message and (raised.value.line, raised.value.column) == (line, column)


# -- libvirt's own vectors, read backwards -----------------------------------------------------
def _back(nic: Nic, era: str) -> dict[str, Any]:
    """What reading a vector's expected vifs must give for ``nic``: its fields, less what the
    forward direction loses (the spec's rules: a vif* target, the default bridge script, era
    0.5's custom script and bridge ip)."""
    script = nic.script
    if nic.type == "bridge" and (era == "0.5" or script == "vif-bridge"):
        script = None
    kind = nic.type
    if kind == "ethernet" and script == "vif-bridge":
        kind, script = "bridge", None
    ips = nic.ip_addresses
    if nic.type == "bridge" and era == "0.5":
        ips = []
    target = nic.target if nic.target and not nic.target.startswith("vif") else None
    return {"kind": kind, "source": nic.source, "mac": normalize_mac(nic.mac or ""), "model": nic.model,
            "target": target, "script": script, "ip": ips[0] if ips else None}  # fmt: skip


@pytest.mark.parametrize("case", vector_params("xend-sxpr"))
def test_vector_reads_back_to_its_xml(case: dict[str, Any]) -> None:
    domain = Domain.from_string(case["xml"])
    imported = read_vifs("\n".join(case["expected_vifs"]), case["_file"])
    got = [
        {"kind": n.kind, "source": n.fields.get("source"), "mac": n.fields.get("mac"), "model": n.fields.get("model"),
         "target": n.fields.get("target"), "script": n.fields.get("script"), "ip": (n.ips or [None])[0]}
        for n in imported
    ]  # fmt: skip
    assert got == [_back(nic, case["era"]) for nic in domain.nics]


# -- a round trip through the renderer ---------------------------------------------------------
NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.", min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(
    kind=st.sampled_from(["bridge", "ethernet"]),
    bridge=NAME,
    mac=st.integers(0, 0xFFFFFF).map(lambda n: f"00:16:3e:{n >> 16 & 0x7F:02x}:{n >> 8 & 0xFF:02x}:{n & 0xFF:02x}"),
    model=st.none() | st.sampled_from(["e1000", "rtl8139", "netfront", "ne2k_pci"]),
    target=st.none() | NAME.filter(lambda t: not t.startswith("vif")),
    script=st.none() | NAME.map(lambda s: "/etc/xen/scripts/" + s),
    ip=st.none() | st.ip_addresses(v=4).map(str),
    rate=st.none() | st.integers(1, 10**6),
    hvm=st.booleans(),
)
def test_what_libvirt_1_3_1_sent_imports_as_the_same_nic(kind: str, bridge: str, mac: str, model: str | None,
                                                         target: str | None, script: str | None, ip: str | None,
                                                         rate: int | None, hvm: bool) -> None:  # fmt: skip
    parts = [f"<mac address='{mac}'/>"]
    if kind == "bridge":
        parts.append(f"<source bridge='{bridge}'/>")
    parts += [f"<model type='{model}'/>"] if model else []
    parts += [f"<target dev='{target}'/>"] if target else []
    parts += [f"<script path='{script}'/>"] if script else []
    parts += [f"<ip address='{ip}'/>"] if ip else []
    parts += [f"<bandwidth><outbound average='{rate}'/></bandwidth>"] if rate else []
    os_type = "hvm" if hvm else "linux"
    original = Domain.from_string(
        f"<domain type='xen'><name>g</name><os><type>{os_type}</type></os><devices>"
        f"<interface type='{kind}'>{''.join(parts)}</interface></devices></domain>"
    )
    options = RenderOptions(libvirt_era="1.3.1")
    printed = xend_sxpr.render(original, options).text
    copy = Domain.from_string(GUEST.replace("<type>hvm</type>", f"<type>{os_type}</type>"))
    add_to(copy, read_vifs(printed, "round-trip"))
    assert xend_sxpr.render(copy, options).items[1:] == xend_sxpr.render(original, options).items


# -- writing -----------------------------------------------------------------------------------
def test_add_to_appends_in_the_files_style_as_one_undo_step() -> None:
    domain = Domain.from_string(GUEST)
    assert add_to(domain, read_vifs(XM_LIST_L, "x.sxp")) == [2, 3]
    text = domain.to_text()
    assert "    <interface type='ethernet'>\n      <mac address='00:16:3e:00:00:02'/>" in text
    assert "      <bandwidth>\n        <outbound average='10240'/>\n      </bandwidth>\n" in text
    assert domain.undo() and domain.to_text() == GUEST


def test_interfaces_xml_is_ready_to_paste_into_devices() -> None:
    snippet = interfaces_xml(read_vifs("(vif (mac '00:16:3e:00:00:09')(bridge 'br0'))", "s"))
    assert snippet == (
        "    <interface type='bridge'>\n      <mac address='00:16:3e:00:00:09'/>\n"
        "      <source bridge='br0'/>\n    </interface>\n"
    )
    pasted = GUEST.replace("  </devices>", snippet + "  </devices>")
    assert [nic.source for nic in Domain.from_string(pasted).nics] == ["xenbr0", "br0"]


# -- the command -------------------------------------------------------------------------------
def test_import_prints_the_interfaces(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = tmp_path / "config.sxp"
    source.write_text(XM_LIST_L)
    assert main(["import", str(source)]) == 0
    out, err = capsys.readouterr()
    assert out == interfaces_xml(read_vifs(XM_LIST_L, str(source))) and err == ""


def test_import_into_saves_like_set(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source, guest = tmp_path / "config.sxp", tmp_path / "guest.xml"
    source.write_text(XM_LIST_L)
    guest.write_text(GUEST)
    assert main(["import", str(source), "--into", str(guest), "--dry-run"]) == 0
    assert "+    <interface type='ethernet'>" in capsys.readouterr().out and guest.read_text() == GUEST
    assert main(["import", str(source), "--into", str(guest), "--libvirt-era", "1.3.1"]) == 0
    saved = Domain.from_string(guest.read_text())
    assert [(n.type, n.source) for n in saved.nics] == [("bridge", "xenbr0"), ("bridge", "xenbr1"), ("ethernet", None)]
    assert (tmp_path / "guest.xml.bak").read_text() == GUEST


def test_import_refuses_error_problems_without_force(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source, guest = tmp_path / "dup.sxp", tmp_path / "guest.xml"
    source.write_text("(vif (mac '00:16:3e:00:00:01')(bridge 'xenbr0'))")  # the guest's own MAC again
    guest.write_text(GUEST)
    assert main(["import", str(source), "--into", str(guest)]) == 1
    err = capsys.readouterr().err
    assert "[mac-duplicate]" in err and "use --force" in err and guest.read_text() == GUEST
    assert main(["import", str(source), "--into", str(guest), "--force"]) == 0
    assert len(Domain.from_string(guest.read_text()).nics) == 2


@pytest.mark.parametrize(("argv", "stdin", "message"), [
    (["import", "-"], "(domain\n (vif", "vifconf: -:2:6: not an S-expression: missing ')'\n"),
    (["import", "-", "--into", "-"], "", "vifconf: the vifs and the domain cannot both come from stdin\n"),
    (["import", "-", "--json", "--force"], "(vif (mac '00:16:3e:00:00:01'))",
     "vifconf: --force and --json go with --into FILE only (without it, import prints the XML)\n"),
    (["import", "-", "--connect", "test:///default"], "", "vifconf: import reads old Xen vifs from a file; "
     "--connect does not apply\n"),
])  # fmt: skip
def test_import_bad_input_is_one_line_exit_2(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                             argv: list[str], stdin: str, message: str) -> None:  # fmt: skip
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    assert main(argv) == 2
    assert capsys.readouterr().err == message


# -- from an audit of the command --------------------------------------------------------------
def test_xm_list_of_a_whole_host_is_refused_naming_its_domains() -> None:
    """Every domain's vifs were merged into one guest's NICs (dom0's too)."""
    host = "\n".join(f"(domain (domid {i}) (name {name}) (device (vif (mac 00:16:3e:00:00:0{i}) (bridge xenbr0))))"
                     for i, name in enumerate(("Domain-0", "web", "db")))  # fmt: skip
    with pytest.raises(InputError, match=r"3 domains in it \(Domain-0, web, db\): import one guest's"):
        read_vifs(host, "xm-list.sxp")
    assert len(read_vifs(host.splitlines()[1], "one.sxp")) == 1


def test_deep_nesting_is_a_located_error_not_a_traceback() -> None:
    with pytest.raises(InputError, match="nested deeper than 64 levels"):
        read_vifs("(" * 995 + "(vif (mac 00:16:3e:00:00:01))" + ")" * 995, "deep.sxp")
    with pytest.raises(InputError, match="nested deeper"):
        read_vifs("(vif (mac 00:16:3e:00:00:01)(extra " + "(" * 1000 + ")" * 1001, "deep.sxp")


def test_vifconfs_network_placeholder_comes_back_as_a_network() -> None:
    [nic] = read_vifs("(device (vif (mac '00:16:3e:00:00:01')(bridge '<network default>')(script 'vif-bridge')))",
                      "x.sxp")  # fmt: skip
    assert nic.kind == "network" and nic.fields["source"] == "default"
    assert any("placeholder" in note for note in nic.notes)


def test_bytes_that_are_not_utf8_are_a_located_error(tmp_path: Path) -> None:
    from vifconf.importer import read_vifs_file

    path = tmp_path / "latin.sxp"
    path.write_bytes(b"(vif (mac 00:16:3e:00:00:01)\n (bridge br\xe90))")
    with pytest.raises(InputError) as caught:
        read_vifs_file(str(path))
    assert (caught.value.line, caught.value.column) == (2, 12) and "UTF-8" in caught.value.message
    path.write_bytes(b"\x00\x01(vif)\xff")
    with pytest.raises(InputError, match="binary data"):
        read_vifs_file(str(path))


@pytest.mark.parametrize("name", ["vif3.0", "vnet0", "macvtap1", "macvlan2"])
def test_a_generated_interface_name_is_not_imported_as_a_target(name: str) -> None:
    [nic] = read_vifs(f"(vif (mac 00:16:3e:00:00:01)(bridge br0)(vifname {name}))", "x.sxp")
    assert "target" not in nic.fields and any(name in note and "generates" in note for note in nic.notes)
    [kept] = read_vifs("(vif (mac 00:16:3e:00:00:01)(bridge br0)(vifname web-eth0))", "x.sxp")
    assert kept.fields["target"] == "web-eth0"


def test_comments_are_not_read_as_vifs() -> None:
    text = ("; saved by hand\n# removed: (vif (mac 00:16:3e:00:00:07)(bridge br9))\n"
            "(vif (mac 00:16:3e:00:00:01)(bridge br0))")
    assert [nic.fields["source"] for nic in read_vifs(text, "x.sxp")] == ["br0"]


def test_what_libvirt_would_refuse_is_said_in_print_mode() -> None:
    [bad_mac] = read_vifs("(vif (mac zz:zz)(bridge br0))", "x.sxp")
    assert any("not a MAC address" in note for note in bad_mac.notes)
    [slow] = read_vifs("(vif (mac 00:16:3e:00:00:01)(bridge br0)(rate 1Kb/s))", "x.sxp")
    assert slow.rate_kbs is None and any("under 1 KB/s" in note for note in slow.notes)


def test_lone_cr_lines_are_counted() -> None:
    with pytest.raises(InputError) as caught:
        read_vifs("(domain\r(vif (mac 00:16:3e:00:00:01)\r(bridge 'x)\r", "mac.sxp")
    assert caught.value.line == 3


def test_stdin_named_twice_for_import_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["/dev/stdin", "--into", "-"], ["-", "--into", "/dev/stdin"], ["/dev/fd/0", "--into", "/dev/stdin"]):
        assert main(["import", *argv]) == 2
        assert "cannot both come from stdin" in capsys.readouterr().err


def test_an_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    from vifconf.importer import MAX_SXPR_BYTES, read_vifs_file

    path = tmp_path / "huge.sxp"
    path.write_bytes(b"(vif (mac 00:16:3e:00:00:01))\n" * (MAX_SXPR_BYTES // 30 + 1))
    with pytest.raises(InputError, match="refused above 4 MiB"):
        read_vifs_file(str(path))


# -- xend's own escapes: Python 2 repr() of UTF-8 bytes ----------------------------------------
def py2_repr(data: bytes) -> str:
    """What xend's ``sxp.show`` wrote for a value that is not a bare atom: Python 2's
    ``repr()`` of the byte string. Python 3's ``bytes`` repr is that very function (2's
    ``string_repr``, renamed ``bytes_repr``: same quote choice, same escapes), less the ``b``."""
    return repr(data)[1:]


def test_py2_repr_is_what_xend_wrote() -> None:
    assert py2_repr("café".encode()) == r"'caf\xc3\xa9'"
    assert py2_repr(b"a\x07b\tc\x7f\\") == r"'a\x07b\tc\x7f\\'"
    assert py2_repr(b"it's") == '"it\'s"' and py2_repr(b"\"'") == r"""'"\''"""


@pytest.mark.parametrize(("written", "value"), [
    (r"'caf\xc3\xa9'", "café"),
    (r"'CAF\xC3\x89\xc3\xA9'", "CAFÉé"),               # either case of hex digit
    (r"'\xe2\x82\xac\xc3\xa9x'", "€éx"),             # a run of escapes is one UTF-8 sequence
    (r"'\xc3\xa9\n\xc3\xa9'", "é\né"),              # runs either side of a named escape
    (r"'a\x07b'", "a\x07b"),
    (r"'\x41\x00'", "A\x00"),
    (r'"caf\xc3\xa9"', "café"),
    (r"'\\xc3'", "\\xc3"),                           # an escaped backslash: no byte escape
    (r"'\n\t\r\b\f\v\\\'\"\q'", "\n\t\r\b\f\v\\'\"q"),  # the other escapes, as before
])  # fmt: skip
def test_xends_byte_escapes_are_decoded_as_utf8(written: str, value: str) -> None:
    assert sxpr.parse(f"(bridge {written})") == [["bridge", value]]


def test_without_backslash_escapes_a_byte_escape_stays_as_written() -> None:
    assert sxpr.parse(r"(bridge 'caf\xc3\xa9\xzz')", backslash_escapes=False) == [["bridge", r"caf\xc3\xa9\xzz"]]


@settings(max_examples=300)
@given(st.text(st.characters(blacklist_categories=("Cs",))))
def test_every_value_xend_wrote_reads_back(value: str) -> None:
    assert sxpr.parse(f"(vif (bridge {py2_repr(value.encode())}))") == [["vif", ["bridge", value]]]


@settings(max_examples=200)
@given(st.binary(min_size=1).filter(lambda data: not _is_utf8(data)))
def test_bytes_that_are_not_utf8_are_refused(data: bytes) -> None:
    with pytest.raises(sxpr.SxprEscapeError) as raised:
        sxpr.parse(f"(vif (bridge {py2_repr(data)}))")
    assert raised.value.item == "bridge" and "is not UTF-8" in raised.value.reason


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode()
    except UnicodeDecodeError:
        return False
    return True


@pytest.mark.parametrize(("text", "message", "column"), [
    (r"(vif (bridge 'br\xe90'))", r"(bridge …): \xe9 is not UTF-8", 17),
    (r"(vif (bridge 'caf\xc3\xa9\xff'))", r"(bridge …): \xff is not UTF-8", 26),
    (r"(vif (bridge '\xc3'))", r"(bridge …): \xc3 is not UTF-8", 15),         # cut short by the quote
    (r"(vif (script '\xed\xa0\x80'))", r"(script …): \xed is not UTF-8", 15),       # a surrogate
    (r"(vif (bridge 'br\xg0'))", r"(bridge …): \x not followed by two hex digits", 17),
    (r"(vif (bridge 'br\x4'))", r"(bridge …): \x not followed by two hex digits", 17),
    (r"(vif (bridge 'br\x'))", r"(bridge …): \x not followed by two hex digits", 17),
    (r"(vif (bridge 'br\x+f'))", r"(bridge …): \x not followed by two hex digits", 17),
])  # fmt: skip
def test_an_escape_that_gives_no_text_is_a_located_error_naming_the_field(text: str, message: str,
                                                                          column: int) -> None:  # fmt: skip
    """Before: ``\\xe9`` read as the text ``xe9`` (``br\\xe90`` imported as bridge ``brxe90``)."""
    with pytest.raises(InputError) as raised:
        read_vifs("(domain\n  (name g)\n  (device " + text + "))", "c.sxp")
    assert raised.value.message.startswith(message) and (raised.value.line, raised.value.column) == (3, column + 10)


@pytest.mark.parametrize("text", [
    r"(domain (name 'caf\xe9') (description 'h\xe9llo') (device (vif (mac 00:16:3e:00:00:01) (bridge xenbr0))))",
    r"'\xff' (vif (bridge xenbr0))",                      # no list around it
    r"(vif (bridge xenbr0) (accel 'br\xff'))",            # an item import does not carry
    r"(vif (bridge xenbr0 'br\xff'))",                    # a value after the first
])  # fmt: skip
def test_bytes_that_are_not_utf8_only_matter_where_they_are_imported(text: str) -> None:
    """A Latin-1 description made the whole import fail, though no NIC carries it."""
    [nic] = read_vifs(text, "c.sxp")
    assert (nic.kind, nic.fields.get("source")) == ("bridge", "xenbr0")


def test_import_decodes_xends_escapes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = tmp_path / "config.sxp"
    source.write_text("(device (vif (mac 00:16:3e:00:00:01) (bridge 'caf\\xc3\\xa9') (vifname 'w\\x65b0')))\n")
    assert main(["import", str(source)]) == 0
    out, err = capsys.readouterr()
    assert "<source bridge='café'/>" in out and "<target dev='web0'/>" in out and err == ""


def test_import_of_escaped_bytes_that_are_not_utf8_is_one_line_exit_2(capsys: pytest.CaptureFixture[str],
                                                                      tmp_path: Path) -> None:  # fmt: skip
    source, guest = tmp_path / "config.sxp", tmp_path / "guest.xml"
    source.write_text("(device (vif (mac 00:16:3e:00:00:01)\n  (bridge 'br\\xe90')))\n")
    guest.write_text(GUEST)
    for into in ([], ["--into", str(guest)]):
        assert main(["import", str(source), *into]) == 2
        assert capsys.readouterr() == (
            "", f"vifconf: {source}:2:14: (bridge …): \\xe9 is not UTF-8 (xend's values were UTF-8 bytes)\n"
        )
    assert guest.read_text() == GUEST


@pytest.mark.parametrize("written", ["'a\\x07b'", "'a\x07b'", "'a\\x1b[31mb'", "'a\\xef\\xbf\\xbeb'"])
def test_a_value_xml_cannot_hold_is_refused_not_a_traceback(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                            written: str) -> None:  # fmt: skip
    """Before: lxml's ValueError as a traceback (a raw control character), or the escape
    read as text (``\\x07`` as ``x07``)."""
    source = tmp_path / "config.sxp"
    source.write_text(f"(vif (mac 00:16:3e:00:00:01)(bridge br0))\n(vif (mac 00:16:3e:00:00:02)(bridge {written}))")
    assert main(["import", str(source)]) == 2
    out, err = capsys.readouterr()
    [value] = sxpr.parse(written)  # "a", one character XML has no way to write, "b"
    assert out == ""
    assert err == f"vifconf: {source}: vif 2: (bridge {value!r}) holds {value[1]!r}, a character XML cannot carry\n"


# -- items with more than one value (xend's sxp.child_value: the first) ------------------------
def test_an_item_with_extra_values_keeps_its_first_like_xend(capsys: pytest.CaptureFixture[str],
                                                             tmp_path: Path) -> None:  # fmt: skip
    """Before: ``(bridge 'br0' extra)`` was dropped whole, and the NIC came out as ethernet."""
    source = tmp_path / "config.sxp"
    source.write_text("(vif (mac 00:16:3e:00:00:01 00:16:3e:00:00:09)(bridge 'br0' extra)(ip 10.0.0.1 10.0.0.2)"
                      "(uuid a b))")  # fmt: skip
    assert main(["import", str(source)]) == 0
    out, err = capsys.readouterr()
    assert out == ("    <interface type='bridge'>\n      <mac address='00:16:3e:00:00:01'/>\n"
                   "      <source bridge='br0'/>\n      <ip address='10.0.0.1'/>\n    </interface>\n")  # fmt: skip
    assert err.splitlines() == [
        f"{source}: vif 1: (mac '00:16:3e:00:00:01' '00:16:3e:00:00:09'): more than one value; only the first, "
        "'00:16:3e:00:00:01', is imported (the one xend read)",
        f"{source}: vif 1: (bridge 'br0' 'extra'): more than one value; only the first, 'br0', is imported "
        "(the one xend read)",
        f"{source}: vif 1: (ip '10.0.0.1' '10.0.0.2'): more than one value; only the first, '10.0.0.1', is "
        "imported (the one xend read)",
    ]  # uuid is xend's bookkeeping: silent however many values


@pytest.mark.parametrize(("vif", "kind", "fields", "notes"), [
    ("(bridge (x))", "ethernet", {}, ["(bridge (x)) is not carried over: its value is a list, not a name or a number"]),
    ("(bridge (x) br0)", "ethernet", {},
     ["(bridge (x) 'br0') is not carried over: its value is a list, not a name or a number"]),
    ("(bridge 'br0' (x (y)))", "bridge", {"source": "br0"},
     ["(bridge 'br0' (x (y))): more than one value; only the first, 'br0', is imported (the one xend read)"]),
    ("(bridge br0)(bridge br1 br2)", "bridge", {"source": "br0"}, []),  # a second (bridge) is not read at all
    ("(bridge br0)(accel (x (y)) z)", "bridge", {"source": "br0"}, ["(accel (x (y)) 'z') is not carried over"]),
    ("(bridge br0)(accel 'a' 'b')", "bridge", {"source": "br0"}, ["(accel 'a' 'b') is not carried over"]),
    ("(bridge br0)(bridge)", "bridge", {"source": "br0"}, ["(bridge) is not carried over"]),
])  # fmt: skip
def test_nested_values_are_noted_on_one_line(vif: str, kind: str, fields: dict[str, str], notes: list[str]) -> None:
    nic = one(f"(vif (mac 00:16:3e:00:00:01){vif})")
    assert (nic.kind, {k: v for k, v in nic.fields.items() if k != "mac"}, nic.notes) == (kind, fields, notes)


def test_notes_print_on_one_line_with_control_characters_escaped(capsys: pytest.CaptureFixture[str],
                                                                 tmp_path: Path) -> None:  # fmt: skip
    source = tmp_path / "config.sxp"
    source.write_text("(vif (mac 00:16:3e:00:00:01)(bridge br0)(\x1b]0;owned\x07 (x\n(y)) 'a\\nb'))")
    assert main(["import", str(source)]) == 0
    assert capsys.readouterr().err == f"{source}: vif 1: (\\x1b]0;owned\\x07 (x (y)) 'a\\nb') is not carried over\n"


# -- import --into --json on an unreadable SXPR: set's error object ----------------------------
@pytest.mark.parametrize(("content", "error"), [
    ("(domain\n (vif", ":2:6: not an S-expression: missing ')'"),
    ("(vif (mac 00:16:3e:00:00:01)(bridge 'br\\xe90'))", ":1:40: (bridge …): \\xe9 is not UTF-8 (xend's values were "
     "UTF-8 bytes)"),
    (b"(vif (bridge br\xe9))", ":1:16: invalid UTF-8 byte sequence: not a Xen config as vifconf reads it (xend "
     "wrote ASCII; save an xm config as UTF-8)"),
    (None, ": no such file"),
])  # fmt: skip
def test_import_json_on_an_unreadable_sxpr_prints_sets_error_object(capsys: pytest.CaptureFixture[str],
                                                                    tmp_path: Path, content: str | bytes | None,
                                                                    error: str) -> None:  # fmt: skip
    """Before: the error line and exit 2, but nothing on stdout for the script that asked for JSON."""
    source, guest = tmp_path / "config.sxp", tmp_path / "guest.xml"
    if isinstance(content, str):
        source.write_text(content)
    elif content is not None:
        source.write_bytes(content)
    guest.write_text(GUEST)
    assert main(["import", str(source), "--into", str(guest), "--json"]) == 2
    out, err = capsys.readouterr()
    assert err == f"vifconf: {source}{error}\n" and guest.read_text() == GUEST
    assert json.loads(out) == [{"file": str(source), "error": f"{source}{error}", "domain": None, "hypervisor": None,
                                "hvm": None, "nics": None, "targets": None, "problems": None}]  # fmt: skip
    # the very object set --json prints for its own unreadable input
    assert main(["set", str(source), "--nic", "1", "model=e1000", "--json"]) == 2
    set_out = json.loads(capsys.readouterr().out)
    assert set_out[0].keys() == json.loads(out)[0].keys() and set_out[0]["error"] and set_out[0]["nics"] is None


def test_vifconfs_own_render_output_imports_from_its_xend_sxpr_section(capsys: pytest.CaptureFixture[str],
                                                                       tmp_path: Path) -> None:  # fmt: skip
    """`vifconf render g.xml | vifconf import -`: the prose around the S-expressions (notes,
    problems, "libvirt's …", qemu-dm's argv) was read as S-expression and failed."""
    guest = tmp_path / "g.xml"
    guest.write_text(GUEST.replace("<source bridge='xenbr0'/>", "<source bridge='xenbr0'/><model type='e1000'/>"
                                   "<script path='vif-bridge'/>"))
    assert main(["render", str(guest)]) == 0
    rendered = capsys.readouterr().out
    assert "libvirt's QEMU driver" in rendered and "-net nic" in rendered  # prose and other targets are in it
    nics = read_vifs(rendered, "-")
    assert [(nic.kind, nic.fields) for nic in nics] == [
        ("bridge", {"mac": "00:16:3e:00:00:01", "source": "xenbr0", "model": "e1000"})]


def test_render_output_errors_keep_their_line_and_the_guest_count() -> None:
    header = "== g.xml: g (xen, HVM, 1 NICs)\n-- xend-sxpr  [libvirt 0.5 · xend config 4 · HVM]\n"
    with pytest.raises(InputError) as bad:
        read_vifs(header + "   note: it's (prose\n(device (vif (mac '00:16:3e:00:00:01'))))\n", "-")
    assert (bad.value.line, bad.value.column, "not an S-expression" in str(bad.value)) == (4, 41, True)
    with pytest.raises(InputError, match="render output of 2 domains"):
        read_vifs(header + "(device (vif (bridge 'br0')))\n" + header + "(device (vif (bridge 'br1')))\n", "-")
    with pytest.raises(InputError, match="without a xend-sxpr section"):
        read_vifs("== g.xml: g (kvm, hvm, 1 NICs)\n-- qemu  [libvirt 9.0]\n-netdev '(x'\n", "-")


def test_a_network_nic_comes_back_from_render_as_it_was() -> None:
    """From a review: the placeholder's (script 'vif-bridge') came back as a <script> on a type
    network NIC, which libvirt's Xen driver refuses (xend-network-script)."""
    [nic] = read_vifs("(device (vif (mac '00:16:3e:00:00:01')(bridge '<network default>')(script 'vif-bridge')))", "-")
    assert (nic.kind, nic.fields) == ("network", {"mac": "00:16:3e:00:00:01", "source": "default"})
