"""Hostile and broken input: every case is a one-line `InputError` naming the file (and line
and column where known) — or, for valid-but-extreme input, it loads and saves back unchanged.

Three layers are exercised: the model (`Domain.from_path`, in-process), a child process with
an address-space limit and a timeout (bounded memory, no hang), and the CLI (`vifconf check`
→ exit 2, one line on stderr, no traceback). No test asserts wall-clock time; the timeouts
only stop a hang. Measured figures are in ``bench/bench_big_domain.py`` and the report.
"""

from __future__ import annotations

import json
import os
import resource
import shlex
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import REPO, need
from vifconf.fileio import read_input
from vifconf.model.domain import Domain
from vifconf.model.source import MAX_INPUT_BYTES, MAX_INTERFACES, InputError

CHILD_TIMEOUT = 60  # seconds; only there so a regression hangs no CI job
CHILD_MEMORY = 1536 * 1024 * 1024  # address-space limit for the child (bounded memory)



SEED = (REPO / "vifconf" / "examples" / "xen-hvm-seed.xml").read_bytes()


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


# --------------------------------------------------------------------------------------
# the cases


@dataclass(frozen=True)
class Case:
    name: str
    data: Callable[[], bytes]
    message: str
    """A fragment of the expected message."""
    line: int | None = None
    column: int | None = None


def _domain(body: bytes) -> bytes:
    return b"<domain type='xen'>\n  <name>g</name>\n" + body + b"\n</domain>\n"


HOSTILE: list[Case] = [
    Case(
        "xxe-file",
        lambda: (
            b'<?xml version="1.0"?>\n<!DOCTYPE domain [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
            b"<domain><name>&x;</name></domain>\n"
        ),
        "DOCTYPE/ENTITY declarations are not allowed",
        2,
        1,
    ),
    Case(
        "xxe-network",
        lambda: b'<!DOCTYPE domain [<!ENTITY x SYSTEM "http://127.0.0.1:9/evil.dtd">]>\n<domain>&x;</domain>\n',
        "DOCTYPE/ENTITY declarations are not allowed",
        1,
        1,
    ),
    Case(
        "xxe-parameter-entity",
        lambda: b'<!DOCTYPE d [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]>\n<domain/>\n',
        "DOCTYPE/ENTITY declarations are not allowed",
        1,
        1,
    ),
    Case(
        "external-dtd",
        lambda: b'<?xml version="1.0"?>\n<!DOCTYPE domain SYSTEM "http://127.0.0.1:9/domain.dtd">\n<domain/>\n',
        "DOCTYPE/ENTITY declarations are not allowed",
        2,
        1,
    ),
    Case(
        "billion-laughs",
        lambda: (
            b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
            + b"".join(
                b' <!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                for i in range(1, 10)
            )
            + b"]>\n<domain><name>&lol9;</name></domain>\n"
        ),
        "DOCTYPE/ENTITY declarations are not allowed",
        2,
        1,
    ),
    Case(
        "quadratic-blowup",
        lambda: b'<!DOCTYPE d [<!ENTITY a "' + b"x" * 100_000 + b'">]>\n<domain>' + b"&a;" * 100_000 + b"</domain>",
        "DOCTYPE/ENTITY declarations are not allowed",
        1,
        1,
    ),
    Case(
        "doctype-after-comments-and-pi",
        lambda: b"<?xml version='1.0'?>\n<!-- hi -->\n<?pi x?>\n<!DOCTYPE domain>\n<domain/>\n",
        "DOCTYPE/ENTITY declarations are not allowed",
        4,
        1,
    ),
    Case(
        "undeclared-entity",
        lambda: _domain(b"<description>&xxe;</description>"),
        "Entity 'xxe' not defined",
        3,
    ),
    Case(
        "deep-nesting-100k",
        lambda: b"<domain>" + b"<a>" * 100_000 + b"</a>" * 100_000 + b"</domain>",
        "nested deeper than",
        1,
    ),
    Case("deep-nesting-unclosed", lambda: b"<domain>" + b"<a>" * 100_000, "nested deeper than", 1),
    Case("huge-attribute", lambda: b"<domain name='" + b"a" * 12_000_000 + b"'/>", "longer than 10 MB", 1),
    Case("huge-text", lambda: b"<domain><name>" + b"a" * 12_000_000 + b"</name></domain>", "longer than 10 MB", 1),
    Case("binary", lambda: bytes(range(256)) * 64, "binary data (NUL byte)", 1, 1),
    Case("binary-no-nul", lambda: bytes(range(1, 256)) * 64, "invalid UTF-8 byte sequence", 2, 118),
    Case("random-bytes", lambda: bytes((i * 7919 + 13) % 256 for i in range(4096)), "", None),
    Case("gzip", lambda: b"\x1f\x8b\x08\x00" + bytes(200), "binary data (NUL byte)", 1),
    Case("invalid-utf8", lambda: _domain(b"<description>caf\xc3\x28 \xff</description>"), "invalid UTF-8", 3, 17),
    Case("overlong-utf8", lambda: _domain(b"<name>\xc0\xbc</name>"), "invalid UTF-8", 3, 7),
    Case("surrogate-utf8", lambda: _domain(b"<name>\xed\xa0\x80</name>"), "invalid UTF-8", 3, 7),
    Case("nul-inside", lambda: _domain(b"<name>a\x00b</name>"), "binary data (NUL byte)", 3, 8),
    Case("control-char", lambda: _domain(b"<name>a\x01b</name>"), "malformed XML", 3),
    Case("empty", lambda: b"", "empty file", 1, 1),
    Case("whitespace-only", lambda: b" \n\t\n", "empty file", 3, 1),
    Case("bom-only", lambda: b"\xef\xbb\xbf", "empty file", 1, 1),
    Case("truncated-in-tag", lambda: SEED[: SEED.rindex(b"<interface") + 20], "truncated", None),
    Case("truncated-in-element", lambda: SEED[: SEED.rindex(b"</devices>")], "truncated", None),
    Case("truncated-declaration", lambda: b'<?xml version="1.0" encoding="UTF-8"', "malformed XML", 1),
    Case("not-a-domain-network", lambda: b"<network><name>default</name></network>\n",
         "not a libvirt domain XML", 1, 1),
    Case("not-a-domain-after-prolog", lambda: b"<?xml version='1.0'?>\n<!-- <domain> -->  <network/>\n",
         "the root element is <network>", 2, 20),
    Case("not-a-domain-html", lambda: b"<html><body>hi</body></html>\n", "the root element is <html>", 1),
    Case("not-xml-json", lambda: b'{"domain": "x"}\n', "malformed XML", 1, 1),
    Case("not-xml-sxpr", lambda: b"(domain (name g))\n", "malformed XML", 1, 1),
    Case("two-roots", lambda: b"<domain/>\n<domain/>\n", "Extra content", 2),
    Case("unknown-encoding", lambda: b"<?xml version='1.0' encoding='klingon'?><domain/>", "unknown encoding", 1, 1),
    # Python decodes these, libxml2 (so libvirt) refuses them, and saving would rewrite every line
    *(Case(f"pseudo-encoding-{name}", lambda name=name: f"<?xml version='1.0' encoding='{name}'?>\n<domain/>".encode(),
           "not a character set libvirt reads", 1, 1) for name in ("unicode_escape", "idna", "utf_8_sig")),
    Case("not-text-encoding", lambda: b"<?xml version='1.0' encoding='rot13'?><domain/>", "not a character set", 1, 1),
    Case(
        "declared-utf16-but-ascii",
        lambda: b"<?xml version='1.0' encoding='UTF-16'?><domain/>",
        "not encoded in it",
        1,
    ),
    Case("utf16-broken-surrogate", lambda: b"\xff\xfe<\x00d\x00\x00\xd8a\x00", "invalid UTF-16", 1),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in HOSTILE])
def test_hostile_file_is_a_one_line_input_error(case: Case, tmp_path: Path) -> None:
    path = tmp_path / f"{case.name}.xml"
    path.write_bytes(case.data())
    with pytest.raises(InputError) as caught:
        Domain.from_path(path)
    error = caught.value
    text = str(error)
    assert "\n" not in text and "\r" not in text
    assert text.startswith(str(path))
    assert case.message in error.message
    assert "XML_PARSE_HUGE" not in text
    if case.line is not None:
        assert error.line == case.line
    if case.column is not None:
        assert error.column == case.column


# --------------------------------------------------------------------------------------
# nothing is resolved, nothing is fetched


def test_xxe_never_reads_the_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    xml = f'<!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]><domain><name>&x;</name></domain>'
    with pytest.raises(InputError) as caught:
        Domain.from_bytes(xml.encode(), "x.xml")
    assert "TOP-SECRET-VALUE" not in str(caught.value)


def test_xinclude_is_never_processed(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    xml = (
        '<domain xmlns:xi="http://www.w3.org/2001/XInclude"><name>g</name>'
        f'<xi:include href="{secret}" parse="text"/></domain>'
    )
    domain = Domain.from_bytes(xml.encode(), "x.xml")
    assert "TOP-SECRET-VALUE" not in domain.to_text()
    assert b"TOP-SECRET-VALUE" not in domain.to_bytes()


def test_xxe_network_is_never_fetched() -> None:
    """A listening socket that counts connections: the refused document never connects."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.5)
    port = server.getsockname()[1]
    xml = f'<!DOCTYPE d SYSTEM "http://127.0.0.1:{port}/d.dtd"><domain/>'
    with pytest.raises(InputError):
        Domain.from_bytes(xml.encode(), "x.xml")
    xml2 = f'<!DOCTYPE d [<!ENTITY x SYSTEM "http://127.0.0.1:{port}/x">]><domain>&x;</domain>'
    with pytest.raises(InputError):
        Domain.from_bytes(xml2.encode(), "x.xml")
    with pytest.raises(TimeoutError):
        server.accept()
    server.close()


def test_doctype_text_inside_comment_or_cdata_is_just_text() -> None:
    xml = b"<domain><!-- <!DOCTYPE x> <!ENTITY y 'z'> --><description><![CDATA[<!DOCTYPE q>]]></description></domain>"
    domain = Domain.from_bytes(xml, "x.xml")
    assert domain.to_bytes() == xml


# --------------------------------------------------------------------------------------
# things that are not regular files, and permissions


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.xml"
    os.mkfifo(fifo)
    rc, out, err = _load_in_child(str(fifo))
    assert rc == 2, err
    assert "not a regular file" in out


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_device_file_is_refused(device: str) -> None:
    if not os.path.exists(device):
        pytest.skip(f"{device} missing")
    with pytest.raises(InputError, match="not a regular file"):
        read_input(device)
    rc, out, err = _load_in_child(device)
    assert rc == 2, err
    assert "not a regular file" in out


def test_symlink_to_device_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "zero.xml"
    link.symlink_to("/dev/zero")
    with pytest.raises(InputError, match="not a regular file"):
        read_input(str(link))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file") as caught:
        Domain.from_path(tmp_path / "nope.xml")
    assert str(caught.value) == f"{tmp_path / 'nope.xml'}: no such file"


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        read_input(str(tmp_path))


def test_socket_is_refused(tmp_path: Path) -> None:
    import socket

    path = tmp_path / "s.xml"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    try:
        with pytest.raises(InputError, match="not a regular file"):  # not "no such device or address"
            read_input(str(path))
    finally:
        sock.close()


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    with open(path, "wb") as handle:
        handle.truncate(MAX_INPUT_BYTES + 1)  # sparse: no real disk or memory use
    with pytest.raises(InputError, match=r"MiB; vifconf reads domain XML up to"):
        read_input(str(path))


def _unprivileged() -> list[str]:
    """argv prefix that runs a command as ``nobody`` (we are often root in CI)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    need(setpriv is not None, "running as root and `setpriv` is missing: cannot drop privileges")
    assert setpriv is not None
    return [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


def _world_dir(tmp_path: Path) -> Path:
    """A directory ``nobody`` can traverse (pytest's tmp dirs are 0700)."""
    import tempfile

    directory = Path(tempfile.mkdtemp(prefix="vifconf-perm-"))
    directory.chmod(0o755)
    return directory


def test_unreadable_file(tmp_path: Path) -> None:
    directory = _world_dir(tmp_path)
    try:
        path = directory / "secret.xml"
        path.write_bytes(SEED)
        path.chmod(0o000 if os.geteuid() != 0 else 0o600)  # root-owned 0600: nobody cannot read
        rc, out, err = _load_in_child(str(path), prefix=_unprivileged())
        assert rc == 2, err
        assert out.strip() == f"{path}: permission denied (cannot read the file)"
    finally:
        shutil.rmtree(directory)


# --------------------------------------------------------------------------------------
# bounded memory, no hang: the worst cases in a child with an address-space limit

_CHILD = textwrap.dedent(
    """
    import resource, sys
    limit = int(sys.argv[2])
    if limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from vifconf.model.domain import Domain
    from vifconf.model.source import InputError
    try:
        Domain.from_path(sys.argv[1])
    except InputError as exc:
        print(exc)
        sys.exit(2)
    print("loaded")
    """
)


def _load_in_child(path: str, prefix: list[str] | None = None, memory: int = CHILD_MEMORY) -> tuple[int, str, str]:
    done = subprocess.run(
        [*(prefix or []), sys.executable, "-c", _CHILD, path, str(memory)],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        env=_env(),
        cwd="/",
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize(
    "name", ["billion-laughs", "quadratic-blowup", "deep-nesting-100k", "huge-attribute", "huge-text"]
)
def test_bombs_are_refused_in_bounded_memory(name: str, tmp_path: Path) -> None:
    case = next(c for c in HOSTILE if c.name == name)
    path = tmp_path / f"{name}.xml"
    path.write_bytes(case.data())
    rc, out, err = _load_in_child(str(path))
    assert rc == 2, (out, err)
    assert case.message in out


def test_max_rss_of_a_bomb_load_stays_small(tmp_path: Path) -> None:
    """The child's peak RSS while refusing the 100k-deep document stays under 512 MiB."""
    case = next(c for c in HOSTILE if c.name == "deep-nesting-100k")
    path = tmp_path / "deep.xml"
    path.write_bytes(case.data())
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    rc, _, _ = _load_in_child(str(path), memory=0)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert rc == 2
    assert max(before, after) < 512 * 1024  # KiB


# --------------------------------------------------------------------------------------
# valid but extreme input: handled, not refused


def _roundtrip(data: bytes) -> Domain:
    domain = Domain.from_bytes(data, "x.xml")
    assert domain.to_bytes() == data
    return domain


def test_utf16_with_bom_loads_and_saves_back_identically() -> None:
    text = '<?xml version="1.0" encoding="UTF-16"?>\n<domain type=\'xen\'>\n  <name>gäst</name>\n</domain>\n'
    for codec, bom in (("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")):
        data = bom + text.encode(codec)
        domain = _roundtrip(data)
        assert domain.facts.name == "gäst"
        assert domain.encoding.codec == codec


def test_utf16_bom_survives_an_edit() -> None:
    text = "<domain type='xen'>\n  <devices>\n    <interface type='bridge'>\n      <source bridge='xenbr0'/>\n"
    text += "    </interface>\n  </devices>\n</domain>\n"
    data = b"\xff\xfe" + text.encode("utf-16-le")
    domain = Domain.from_bytes(data, "x.xml")
    domain.nic(1).set("source", "brü")
    saved = domain.to_bytes()
    assert saved.startswith(b"\xff\xfe")
    assert saved == b"\xff\xfe" + text.replace("xenbr0", "brü").encode("utf-16-le")


def test_utf16_without_bom_is_detected() -> None:
    data = "<?xml version='1.0' encoding='UTF-16'?><domain><name>x</name></domain>".encode("utf-16-le")
    assert _roundtrip(data).facts.name == "x"


def test_utf8_bom_and_latin1_declaration_round_trip() -> None:
    _roundtrip(b"\xef\xbb\xbf<domain><name>x</name></domain>\n")
    latin = "<?xml version='1.0' encoding='ISO-8859-1'?>\n<domain><name>café</name></domain>\n".encode("latin-1")
    assert _roundtrip(latin).facts.name == "café"


def test_crlf_line_endings_round_trip() -> None:
    _roundtrip(SEED.replace(b"\n", b"\r\n"))


def test_domain_without_devices_loads_with_no_nics() -> None:
    domain = _roundtrip(b"<domain type='kvm'><name>bare</name></domain>")
    assert domain.nics == []
    domain2 = _roundtrip(b"<domain type='kvm'><name>bare</name><devices/></domain>")
    assert domain2.nics == []


PI_COMMENTS = b"""<?xml version="1.0"?>
<!-- before the root -->
<?xml-stylesheet href="x.xsl"?>
<domain type='xen'><!-- right after the start tag --><?app one?>
  <name>g</name><!-- after name -->
  <devices>
    <?app inside devices?>
    <interface type='bridge'><!-- in the interface -->
      <source bridge='xenbr0'/><?app in-iface?>
      <mac address='00:16:3e:00:00:01'/>
    </interface>
    <!-- between --><interface type='network'><source network='default'/></interface>
  </devices>
</domain>
<!-- after the root -->
<?trailing pi?>
"""


def test_pis_and_comments_anywhere_load_and_are_kept_on_save() -> None:
    domain = _roundtrip(PI_COMMENTS)
    assert len(domain.nics) == 2
    domain.nic(1).set("source", "br1")
    domain.nic(2).set("model", "virtio")
    saved = domain.to_bytes()
    for fragment in (
        b"<!-- before the root -->",
        b'<?xml-stylesheet href="x.xsl"?>',
        b"<!-- right after the start tag --><?app one?>",
        b"<?app inside devices?>",
        b"<!-- in the interface -->",
        b"<?app in-iface?>",
        b"<!-- between -->",
        b"<!-- after the root -->\n<?trailing pi?>",
    ):
        assert fragment in saved, fragment
    assert b"<source bridge='br1'/>" in saved
    again = Domain.from_bytes(saved, "x.xml")
    assert again.nic(1).source == "br1"
    assert again.nic(2).model == "virtio"


def _bench() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_big_domain", REPO / "bench" / "bench_big_domain.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def test_big_domain_300k_interfaces_is_refused_with_a_size_message(tmp_path: Path) -> None:
    """50 MB, 300k interfaces: refused before parsing, with the count and the limit.

    Timing is measured by bench/bench_big_domain.py; here only a hang guard applies."""
    data = _bench().build(300_000)
    assert len(data) > 45 * 1024 * 1024
    path = tmp_path / "big.xml"
    path.write_bytes(data)
    rc, out, err = _load_in_child(str(path))
    assert rc == 2, err
    assert f"too large: 300000 <interface> elements; vifconf handles up to {MAX_INTERFACES}" in out
    assert out.startswith(f"{path}:")


def test_interface_tags_in_comments_do_not_count_towards_the_limit() -> None:
    data = _bench().build(MAX_INTERFACES).replace(b"<devices>", b"<devices><!-- <interface type='x'/> -->", 1)
    data = data.replace(b"</devices>", b"<![CDATA[<interface>]]></devices>", 1)
    assert len(Domain.from_bytes(data, "big.xml").nics) == MAX_INTERFACES
    one_more = data.replace(b"<devices>", b"<devices><interface type='user'/>", 1)
    with pytest.raises(InputError, match=f"too large: {MAX_INTERFACES + 1} <interface> elements"):
        Domain.from_bytes(one_more, "big.xml")


def test_domain_at_the_interface_limit_loads_and_edits() -> None:
    data = _bench().build(MAX_INTERFACES)
    domain = Domain.from_bytes(data, "big.xml")
    assert len(domain.nics) == MAX_INTERFACES
    domain.nics[-1].set("source", "br-last")
    assert len(domain.to_bytes()) == len(data) + len("br-last") - len("xenbr0")


# --------------------------------------------------------------------------------------
# the CLI: exit 2, one line on stderr, no traceback, nothing written


def _cli(*args: str, timeout: int = CHILD_TIMEOUT) -> subprocess.CompletedProcess[str]:
    need((REPO / "vifconf" / "cli.py").exists(), "vifconf/cli.py has not landed yet")
    return subprocess.run(
        [sys.executable, "-m", "vifconf", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_env(),
        cwd=str(REPO),
    )


def _assert_cli_refuses(path: str, fragment: str) -> None:
    done = _cli("check", path)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"vifconf: {path}"), lines[0]
    assert fragment in lines[0], lines[0]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in HOSTILE])
def test_cli_check_refuses_hostile_file(case: Case, tmp_path: Path) -> None:
    path = tmp_path / f"{case.name}.xml"
    path.write_bytes(case.data())
    before = sorted(p.name for p in tmp_path.iterdir())
    _assert_cli_refuses(str(path), case.message)
    if case.line is not None:
        where = f"vifconf: {path}:{case.line}" + (f":{case.column}:" if case.column is not None else ":")
        assert _cli("check", str(path)).stderr.startswith(where)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_cli_check_refuses_device(device: str) -> None:
    _assert_cli_refuses(device, "not a regular file")


def test_cli_check_refuses_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.xml"
    os.mkfifo(fifo)
    _assert_cli_refuses(str(fifo), "not a regular file")


def test_cli_reads_the_callers_own_pipes(tmp_path: Path) -> None:
    """`render <(…)` and `check /dev/stdin` name the caller's own descriptors: a pipe there is
    read like stdin (a named FIFO, which anyone could leave in a fleet directory, is not)."""
    source = tmp_path / "seed.xml"
    source.write_bytes(SEED)
    command = f"{shlex.quote(sys.executable)} -m vifconf render --target xl --json <(cat {shlex.quote(str(source))})"
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=CHILD_TIMEOUT,
                          env=_env(), cwd=REPO)
    assert done.returncode == 0, done.stderr
    [document] = json.loads(done.stdout)
    assert document["file"].startswith("/dev/fd/") and document["error"] is None and document["nics"]
    done = subprocess.run([sys.executable, "-m", "vifconf", "check", "/dev/stdin"], input=SEED, capture_output=True,
                          timeout=CHILD_TIMEOUT, env=_env(), cwd=REPO)
    assert done.returncode in (0, 1) and b"not a regular file" not in done.stderr
    # a write end (`>(…)`, or /dev/stdout into a pipe) reopened for reading is our own pipe: refused, not a hang
    for command in (f"{shlex.quote(sys.executable)} -m vifconf check >(cat >/dev/null)",
                    f"{shlex.quote(sys.executable)} -m vifconf check /dev/stdout | cat"):
        done = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True,
                              timeout=CHILD_TIMEOUT, env=_env(), cwd=REPO)
        assert done.returncode == 2 and "not a regular file" in done.stderr, command


@pytest.mark.parametrize("argv", ["render - --json", "check", "set - --nic 1 model=e1000", "import -", "render --json"])
def test_a_closed_stdin_is_a_one_line_error(argv: str) -> None:
    """From a contract audit: `vifconf render - <&-` ended in a traceback (stdin is None)."""
    command = f"{shlex.quote(sys.executable)} -m vifconf {argv} <&-"
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=CHILD_TIMEOUT,
                          env=_env(), cwd=REPO)  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("vifconf: ")
    if "--json" in argv and "-" in argv.split():
        assert json.loads(done.stdout)[0]["error"] == "-: stdin is closed: nothing to read"


def test_cli_check_refuses_missing(tmp_path: Path) -> None:
    _assert_cli_refuses(str(tmp_path / "missing.xml"), "no such file")


def test_cli_check_refuses_unreadable(tmp_path: Path) -> None:
    need((REPO / "vifconf" / "cli.py").exists(), "vifconf/cli.py has not landed yet")
    directory = _world_dir(tmp_path)
    try:
        path = directory / "secret.xml"
        path.write_bytes(SEED)
        path.chmod(0o000 if os.geteuid() != 0 else 0o600)
        done = subprocess.run(
            [*_unprivileged(), sys.executable, "-m", "vifconf", "check", str(path)],
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT,
            env=_env(),
            cwd="/",
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr.strip() == f"vifconf: {path}: permission denied (cannot read the file)"
    finally:
        shutil.rmtree(directory)


def test_cli_set_on_hostile_file_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "laughs.xml"
    data = next(c for c in HOSTILE if c.name == "billion-laughs").data()
    path.write_bytes(data)
    done = _cli("set", str(path), "--nic", "1", "source=br1")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert path.read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["laughs.xml"]


def test_cli_check_domain_without_devices_exits_0(tmp_path: Path) -> None:
    path = tmp_path / "bare.xml"
    path.write_bytes(b"<domain type='xen'><name>bare</name><os><type>hvm</type></os></domain>\n")
    done = _cli("render", str(path), "--json")
    assert done.returncode == 0, done.stderr
    import json

    [item] = json.loads(done.stdout)
    assert item["nics"] == []
    assert item["error"] is None


def test_cli_check_utf16_file_exits_0_or_1(tmp_path: Path) -> None:
    path = tmp_path / "u16.xml"
    path.write_bytes(b"\xff\xfe" + SEED.decode().encode("utf-16-le"))
    done = _cli("check", str(path))
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr


def test_every_truncation_of_the_seed_is_refused() -> None:
    """Cut the bundled example after every byte: each prefix is a one-line InputError."""
    located = 0
    for end in range(len(SEED.rstrip()) - 1):
        with pytest.raises(InputError) as caught:
            Domain.from_bytes(SEED[:end], "cut.xml")
        assert "\n" not in str(caught.value)
        located += caught.value.line is not None
    assert located >= len(SEED) * 0.95
