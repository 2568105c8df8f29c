"""Fast tests for the UI-independent pieces: model catalog, diff, settings, session helpers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from vifconf.diff import diff_stats, xml_diff
from vifconf.models_catalog import KVM_MODELS, XEN_HVM_MODELS, XEN_PV_MODELS, models_for
from vifconf.settings import Settings
from vifconf.tui.session import mac_error


def test_catalog_per_hypervisor() -> None:
    assert models_for("xen", "hvm") is XEN_HVM_MODELS
    assert models_for("xen", "linux") is XEN_PV_MODELS
    assert models_for("kvm", "hvm") is KVM_MODELS
    assert [c.label for c in XEN_PV_MODELS] == ["default", "netfront"]
    assert {"default", "virtio", "e1000", "e1000e", "rtl8139"} <= {c.label for c in KVM_MODELS}
    assert "netfront" not in {c.name for c in KVM_MODELS}  # QEMU refuses it


def test_catalog_offers_exactly_the_engines_models() -> None:
    """One source of truth: the picker lists what the renderer/validator accept, no second copy."""
    from vifconf.render.qemu import kvm_models
    from vifconf.render.qemu_dm import TRADITIONAL_NIC_MODELS

    assert KVM_MODELS[0].name == "" and {c.name for c in KVM_MODELS} == {"", *kvm_models()}
    assert {c.name for c in XEN_HVM_MODELS} == {"", *TRADITIONAL_NIC_MODELS, "netfront"}
    assert [c.label for c in KVM_MODELS][:5] == ["default", "virtio", "e1000", "e1000e", "rtl8139"]
    assert all(c.description for c in (*KVM_MODELS, *XEN_HVM_MODELS, *XEN_PV_MODELS))


def test_only_netfront_is_described_as_the_seeds_netback() -> None:
    """What the picker's type-to-search reads (the Pilot test types it): netback → netfront."""
    for choices in (XEN_HVM_MODELS, XEN_PV_MODELS):
        assert [c.name for c in choices if "netback" in f"{c.label} {c.description}".lower()] == ["netfront"]


def test_diff() -> None:
    assert xml_diff(b"a\nb\n", b"a\nb\n") == ""
    diff = xml_diff(b"a\nb\n", b"a\nc\n", "x.xml")
    assert "--- a/x.xml" in diff and "-b\n" in diff and "+c\n" in diff
    assert diff_stats(diff) == (1, 1)


def test_settings_roundtrip_and_broken_file(tmp_path: Path, monkeypatch: object) -> None:
    import os

    os.environ["VIFCONF_CONFIG_DIR"] = str(tmp_path)
    settings = Settings.load()
    assert settings.last_tab == "xend-sxpr"
    settings.last_tab = "xl"
    settings.add_recent(str(tmp_path / "a.xml"))
    assert settings.save()
    assert Settings.load().last_tab == "xl"
    (tmp_path / "state.json").write_text("{not json")
    assert Settings.load().last_tab == "xend-sxpr"


def test_mac_error() -> None:
    assert mac_error("") is None
    assert mac_error("00:16:3e:00:a5:57") is None
    assert mac_error("00:16:3e:0G:a5:59")
    assert mac_error("01:00:5e:00:00:01")  # multicast


def test_ui_independent_modules_do_not_import_textual() -> None:
    code = (
        "import sys, vifconf.models_catalog, vifconf.diff, vifconf.settings, vifconf.tui.session\n"
        "print(any(m == 'textual' or m.startswith('textual.') for m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == "False"


def test_app_module_is_cheap_to_import() -> None:
    heavy = ("vifconf.render.xl", "vifconf.validate", "libvirt")
    code = f"import sys, vifconf.tui.app\nprint(sorted(m for m in {heavy!r} if m in sys.modules))\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == "[]"


def test_a_kvm_guest_opens_on_the_qemu_tab() -> None:
    """The remembered tab is kept when it shows the guest's own toolstack (or the diff)."""
    from vifconf.model import Domain
    from vifconf.tui.session import opening_tab

    kvm = Domain.from_string("<domain type='kvm'><os><type>hvm</type></os><devices/></domain>")
    xen = Domain.from_string("<domain type='xen'><os><type>hvm</type></os><devices/></domain>")
    assert [opening_tab(kvm, tab) for tab in ("xend-sxpr", "xl", "qemu", "diff")] == ["qemu", "qemu", "qemu", "diff"]
    assert [opening_tab(xen, tab) for tab in ("xend-sxpr", "xl", "qemu", "diff")] == ["xend-sxpr", "xl", "xend-sxpr",
                                                                                      "diff"]  # fmt: skip
