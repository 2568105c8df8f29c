"""The XML diff shown before saving decodes the file the way the model does."""

from __future__ import annotations

from vifconf.diff import xml_diff
from vifconf.model import Domain


def test_utf16_domain_diffs_as_text() -> None:
    text = "<?xml version='1.0' encoding='UTF-16'?>\n<domain type='kvm'>\n  <devices>\n" \
           "    <interface type='user'>\n      <model type='virtio'/>\n    </interface>\n  </devices>\n</domain>\n"
    domain = Domain.from_bytes(b"\xff\xfe" + text.encode("utf-16-le"), "u16.xml")
    domain.nic(1).set("model", "e1000")
    diff = xml_diff(domain.raw, domain.to_bytes())
    assert "\x00" not in diff
    assert "-      <model type='virtio'/>\n+      <model type='e1000'/>\n" in diff


def test_identical_bytes_have_no_diff() -> None:
    assert xml_diff(b"<domain/>", b"<domain/>") == ""
