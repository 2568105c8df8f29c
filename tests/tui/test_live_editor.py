"""``vifconf --connect URI DOMAIN``: one live domain in the editor, saved through defineXML.

Against real libvirt: ``test:///default`` (ships the running domain ``test``) and
``qemu:///embed?root=TMP`` (prepared by scripts/prepare-live-libvirt). Locally a missing
part skips; under CI=true it fails (tests/support.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.support import guest_xml, need
from tests.tui.pilot_helpers import pick, until
from vifconf import live
from vifconf.model.domain import Domain
from vifconf.tui.app import VifconfApp
from vifconf.tui.dialogs.choice import ChoiceDialog
from vifconf.tui.dialogs.message import MessageDialog
from vifconf.tui.dialogs.save_dialog import SaveDialog
from vifconf.tui.fleet_screen import FleetEditorScreen

TEST_URI = "test:///default"


def _need_binding() -> None:
    need(live.available(), "libvirt-python is not installed (pip install '.[libvirt]')")


def open_like_the_cli(monkeypatch: pytest.MonkeyPatch, *argv: str) -> VifconfApp:
    """`vifconf ARGV` exactly as the command line builds it; the app is returned, not run."""
    from vifconf import cli
    from vifconf.cli import main

    built: list[VifconfApp] = []
    monkeypatch.setattr(VifconfApp, "run", lambda self, *a, **k: built.append(self))
    monkeypatch.setattr(cli, "ui_has_a_terminal", lambda: True)
    assert main(list(argv)) == 0
    [app] = built
    return app


@pytest.fixture
def test_domain() -> Iterator[bytes]:
    """test:///default's domain ``test``; its persistent config is put back afterwards."""
    _need_binding()
    original = live.current_xml(TEST_URI, "test")
    yield original
    live.connect(TEST_URI).defineXML(original.decode())


@contextlib.asynccontextmanager
async def live_editor(monkeypatch: pytest.MonkeyPatch, uri: str = TEST_URI,
                      name: str = "test") -> AsyncIterator[tuple[Any, FleetEditorScreen]]:  # fmt: skip
    """The editor ``vifconf --connect URI NAME`` opens, running at 140x36: (pilot, editor)."""
    app = open_like_the_cli(monkeypatch, "--connect", uri, name)
    async with app.run_test(size=(140, 36)) as pilot:
        await pilot.pause()
        editor = app.screen
        assert isinstance(editor, FleetEditorScreen)
        yield pilot, editor


async def save_and_confirm(pilot: Any) -> None:
    """ctrl+s → the diff confirm (titled with defineXML) → y."""
    await pilot.press("ctrl+s")
    await until(pilot, lambda: isinstance(pilot.app.screen, SaveDialog))
    dialog = pilot.app.screen
    assert isinstance(dialog, SaveDialog) and dialog.target.endswith("(defineXML)")
    await pilot.press("y")


def model_of(xml: bytes) -> str | None:
    return Domain.from_bytes(xml).nic(1).model


# -- test:///default ----------------------------------------------------------------------
@pytest.mark.live
async def test_connect_domain_opens_the_live_editor_and_saves_through_define(
    monkeypatch: pytest.MonkeyPatch, test_domain: bytes
) -> None:
    async with live_editor(monkeypatch) as (pilot, editor):
        assert editor.standalone
        assert editor.session.connect == TEST_URI and editor.session.path is None
        assert f"{TEST_URI}#test" in str(editor.query_one("#domain-header").render())
        assert editor.check_action("back", ()) is False  # nothing to go back to
        seen: list[str] = []
        monkeypatch.setattr(editor, "notify", lambda message, **_: seen.append(str(message)))
        editor.apply_edit(1, "model", "e1000")
        await pilot.pause()
        assert editor.dirty
        await save_and_confirm(pilot)
        await until(pilot, lambda: not editor.dirty)
        stored = live.current_xml(TEST_URI, "test")  # read back through libvirt
        assert model_of(stored) == "e1000" and model_of(test_domain) is None
        assert editor.session.on_disk == stored  # the next save compares against this
        assert isinstance(pilot.app.screen, FleetEditorScreen)  # model needs a power-off: no live offer
        assert f"defined {TEST_URI}#test" in seen
        assert "needs power-off (applies at the next start): NIC 1: model" in seen


@pytest.mark.live
async def test_what_libvirt_changes_on_define_is_said(monkeypatch: pytest.MonkeyPatch, test_domain: bytes) -> None:
    """libvirt lowercases a MAC and a model name on define: the editor then holds the host's
    version, and used to say only "defined"."""
    async with live_editor(monkeypatch) as (pilot, editor):
        seen: list[str] = []
        monkeypatch.setattr(editor, "notify", lambda message, **_: seen.append(str(message)))
        editor.apply_edit(1, "model", "E1000")
        editor.apply_edit(1, "mac", "52:54:00:AB:CD:EF")
        await pilot.pause()
        await save_and_confirm(pilot)
        await until(pilot, lambda: not editor.dirty)
        assert editor.session.domain.nic(1).mac == "52:54:00:ab:cd:ef"  # the host's version, shown
        notice = next(message for message in seen if message.startswith(f"defined {TEST_URI}#test"))
        assert "libvirt stored the NICs differently" in notice
        assert "NIC 1 mac: 52:54:00:AB:CD:EF → 52:54:00:ab:cd:ef" in notice
        assert "NIC 1 model: E1000 → e1000" in notice


@pytest.mark.live
async def test_running_guest_is_offered_the_live_apply(monkeypatch: pytest.MonkeyPatch, test_domain: bytes) -> None:
    async with live_editor(monkeypatch) as (pilot, editor):
        editor.apply_edit(1, "link", "down")  # can change on a running guest
        await save_and_confirm(pilot)
        await until(pilot, lambda: isinstance(pilot.app.screen, ChoiceDialog))
        offer = pilot.app.screen
        assert isinstance(offer, ChoiceDialog) and offer.id == "apply-live-dialog"
        assert "NIC 1: link: applies live" in offer.message
        await pilot.press("l")  # at the next start only
        await until(pilot, lambda: pilot.app.screen is editor)
        assert not editor.dirty
        assert Domain.from_bytes(live.current_xml(TEST_URI, "test")).nic(1).link == "down"


@pytest.mark.live
async def test_nothing_is_written_when_the_domain_changed_since_load(
    monkeypatch: pytest.MonkeyPatch, test_domain: bytes
) -> None:
    async with live_editor(monkeypatch) as (pilot, editor):
        # someone else redefines the domain after vifconf loaded it
        elsewhere = test_domain.replace(b"<source network='default'/>", b"<source network='other'/>")
        assert elsewhere != test_domain
        live.connect(TEST_URI).defineXML(elsewhere.decode())
        theirs = live.current_xml(TEST_URI, "test")
        editor.apply_edit(1, "model", "e1000")
        await save_and_confirm(pilot)
        await until(pilot, lambda: getattr(pilot.app.screen, "id", None) == "host-changed-dialog")
        refusal = pilot.app.screen
        assert isinstance(refusal, ChoiceDialog)
        assert refusal.message.startswith(f"{TEST_URI}#test: the domain changed on the host since it was loaded; "
                                          "nothing written")  # fmt: skip
        assert live.current_xml(TEST_URI, "test") == theirs  # their change stands, ours is not written
        await pilot.press("c")
        await until(pilot, lambda: pilot.app.screen is editor)
        assert editor.dirty  # the edit is still there
        # saving again offers the host's version: Reload shows it and drops the edit
        await save_and_confirm(pilot)
        await until(pilot, lambda: getattr(pilot.app.screen, "id", None) == "host-changed-dialog")
        await pilot.press("r")
        await until(pilot, lambda: pilot.app.screen is editor and not editor.dirty)
        assert editor.domain.nic(1).source == "other" and editor.domain.nic(1).model != "e1000"
        editor.apply_edit(1, "model", "e1000")  # and now a save goes through
        await save_and_confirm(pilot)
        await until(pilot, lambda: live.current_xml(TEST_URI, "test") != theirs)
        assert Domain.from_bytes(live.current_xml(TEST_URI, "test")).nic(1).model == "e1000"


@pytest.mark.live
async def test_error_problems_need_confirmation_before_define(
    monkeypatch: pytest.MonkeyPatch, test_domain: bytes
) -> None:
    async with live_editor(monkeypatch) as (pilot, editor):
        editor.apply_edit(1, "link", "sideways")  # neither up nor down: libvirt refuses it, an error problem
        await pilot.pause()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(pilot.app.screen, ChoiceDialog))
        await pilot.press("c")
        await until(pilot, lambda: pilot.app.screen is editor)
        assert editor.dirty and live.current_xml(TEST_URI, "test") == test_domain


@pytest.mark.live
async def test_libvirts_refusal_is_shown_verbatim(monkeypatch: pytest.MonkeyPatch, test_domain: bytes) -> None:
    async with live_editor(monkeypatch) as (pilot, editor):
        editor.apply_edit(1, "model", "e1000 fast")  # libvirt's parser refuses the space
        await pilot.pause()
        await pilot.press("ctrl+s")  # vifconf knows it too: an error problem, so it asks first
        await until(pilot, lambda: isinstance(pilot.app.screen, ChoiceDialog))
        await pilot.press("a")  # save anyway: libvirt then has its say
        await until(pilot, lambda: isinstance(pilot.app.screen, SaveDialog))
        await pilot.press("y")
        await until(pilot, lambda: isinstance(pilot.app.screen, MessageDialog))
        refusal = pilot.app.screen
        assert isinstance(refusal, MessageDialog)
        assert refusal.message == f"{TEST_URI}#test: invalid argument: Model name contains invalid characters"
        assert live.current_xml(TEST_URI, "test") == test_domain


@pytest.mark.live
async def test_quit_dialog_save_first_goes_through_define(
    monkeypatch: pytest.MonkeyPatch, test_domain: bytes
) -> None:
    async with live_editor(monkeypatch) as (pilot, editor):
        editor.apply_edit(1, "model", "rtl8139")
        await pilot.press("ctrl+q")
        await until(pilot, lambda: pilot.app.screen.id == "quit-dialog")
        await pilot.press("s")
        await until(pilot, lambda: isinstance(pilot.app.screen, SaveDialog))
        await pilot.press("y")
        await until(pilot, lambda: not pilot.app.is_running)
    assert model_of(live.current_xml(TEST_URI, "test")) == "rtl8139"


# -- qemu:///embed ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def embed(embed_uri: str) -> Iterator[str]:
    """The run's embedded QEMU driver root (tests/conftest.py: one per process) with one guest."""
    uri = embed_uri
    conn = live.connect(uri)
    conn.defineXML(guest_xml("solo", "52:54:00:00:0c:01", hypervisor="kvm"))
    yield uri
    conn.lookupByName("solo").undefine()
    live.close_all()


@pytest.mark.live
async def test_embed_pick_a_model_save_and_read_back(monkeypatch: pytest.MonkeyPatch, embed: str) -> None:
    async with live_editor(monkeypatch, embed, "solo") as (pilot, editor):
        assert editor.domain.nic(1).model == "virtio"
        await until(pilot, lambda: bool(editor.query("#field-model")))
        await pick(pilot, "field-model", "e1000")  # the keyboard, as a user would
        assert editor.domain.nic(1).model == "e1000"
        await save_and_confirm(pilot)
        await until(pilot, lambda: not editor.dirty)
    # read back with a fresh lookup, past vifconf
    import libvirt

    dom = live.connect(embed).lookupByName("solo")
    stored = str(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)).encode()
    assert model_of(stored) == "e1000"
    assert Domain.from_bytes(stored).nic(1).mac == "52:54:00:00:0c:01"


def test_make_app_with_connect_opens_the_live_editor() -> None:
    """No libvirt needed: the app factory alone picks the defineXML-saving editor, no file."""
    from vifconf.render import RenderOptions
    from vifconf.tui.app import make_app

    domain = Domain.from_string(guest_xml("x", "52:54:00:00:0c:01", hypervisor="kvm"), f"{TEST_URI}#x")
    app = make_app(domain, None, None, RenderOptions(), connect=TEST_URI, remember=False)
    assert app.session.path is None and app.session.fingerprint is None and app.session.connect == TEST_URI
    screen = app.get_default_screen()
    assert isinstance(screen, FleetEditorScreen) and screen.standalone
    plain = make_app(domain, None, None, RenderOptions(), remember=False).get_default_screen()
    assert not isinstance(plain, FleetEditorScreen)
