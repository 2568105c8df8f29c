"""The command line: ``vifconf [FILE|DIR|-]`` (the TUI), ``render``, ``check`` and ``set``.

Thin by design: parse arguments, load inputs, call the core, print. The contract it keeps
(options, exit codes, the ``--json`` shape) is ``shared/spec/cli-json.md``; outside checks
call it, so any change here is a change to a public interface.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import re
import sys
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeVar

from vifconf import __version__, batch

if TYPE_CHECKING:
    from textual.app import App
from vifconf.batch import Loaded, attach_cross_guest_problems, load_input
from vifconf.model import SETTABLE_FIELDS, Domain, InputError
from vifconf.problems import Problem, has_errors, sort_problems
from vifconf.render import (
    DOMAIN_HEADING,
    HOST_OSES,
    LIBVIRT_ERAS,
    TARGET_HEADING,
    TARGETS,
    XEN_ERA_ALIASES,
    XEN_ERAS,
    XL_FORMATS,
    Rendering,
    RenderOptions,
    is_bridge_name,
)

R = TypeVar("R")

COMMANDS = ("render", "check", "set", "import")

EXIT_OK, EXIT_PROBLEMS, EXIT_INPUT = 0, 1, 2

EXAMPLES = """\
examples:
  vifconf                                   open the bundled example (a Xen HVM guest)
  vifconf guest.xml                         edit a domain XML in the terminal UI
  vifconf /etc/libvirt/qemu                 review every guest of a directory
  vifconf render guest.xml --target xend-sxpr --libvirt-era 0.5
  vifconf render guest.xml --xen xend-3.2 --domid 7 --json
  vifconf check /etc/libvirt/qemu --json    problems of every guest, as JSON
  vifconf check /etc/libvirt/qemu --csv     every NIC of every guest with its problems, as CSV
  vifconf set guest.xml --nic 1 type=none
  vifconf set guest.xml --nic 2 model=e1000,mac=RANDOM --dry-run
  vifconf set guest.xml --nic new 'type=bridge,source="br,0"' --force
  vifconf import /var/lib/xend/domains/UUID/config.sxp          its vifs as <interface> XML
  vifconf import config.sxp --into guest.xml --dry-run          … appended to a domain XML
  vifconf import /etc/xen/guest.cfg                             the vif = [ … ] of an xm/xl config
"""


class UsageError(Exception):
    """Bad arguments that argparse could not catch; exit 2 with one line."""


class OutputError(Exception):
    """Standard output could not be written (a full disk, a closed descriptor); exit 2 with
    one line, never the success status nor a traceback."""


# -- arguments ----------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument gets the one line every other bad input gets, not the
    usage block (subcommand parsers are made of this class too)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_INPUT, f"vifconf: {message.translate(_CONTROL_ESCAPES)} (see {self.prog} --help)\n")


def _render_options_parser(reads_libvirt: bool = True) -> _Parser:
    """The options every command shares; ``reads_libvirt`` False: ``--connect`` is accepted
    only to be refused with a pointer to what does read libvirt (``set`` and ``import``)."""
    parent = _Parser(add_help=False)
    group = parent.add_argument_group("render options")
    group.add_argument("--libvirt-era", choices=LIBVIRT_ERAS, default="0.5",
                       help="libvirt release whose Xen driver wrote the sxpr (default: %(default)s, the seed's)")
    group.add_argument("--xend-config-version", type=int, choices=range(1, 5), default=4, metavar="{1-4}",
                       help="xend config version (default: %(default)s = Xen 3.1+)")
    group.add_argument("--xen", choices=[*XEN_ERAS, *XEN_ERA_ALIASES], default="xend-3.3", metavar="ERA",
                       help="Xen toolstack era for qemu-dm: " + ", ".join(XEN_ERAS) + " (default: %(default)s; "
                       + ", ".join(XEN_ERA_ALIASES) + " are accepted as the era they share rules with)")
    group.add_argument("--domid", type=_nonnegative, default=1, help="Xen domain id for tap names (default: 1)")
    group.add_argument("--host-os", choices=HOST_OSES, default="linux", help="dom0 OS (default: linux)")
    group.add_argument("--xl-format", choices=XL_FORMATS, default="xl",
                       help="xl.cfg or the older xm format (default: %(default)s)")
    group.add_argument("--default-bridge", metavar="BRIDGE", default="xenbr0", type=_bridge_name,
                       help="xl.conf's defaultbridge=, for a vif without a bridge (xl eras; default: %(default)s)")
    group.add_argument("--connect", metavar="URI", action="append",
                       help="read domains from libvirt (INPUTs are then domain names, none: every domain; "
                       "repeatable)" if reads_libvirt else argparse.SUPPRESS)  # fmt: skip
    return parent


def _bridge_name(text: str) -> str:
    if not is_bridge_name(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a bridge name (1-15 bytes, no spaces, '/', ',' or ':')"
        )
    return text


def _nonnegative(text: str) -> int:
    """Plain decimal digits: Python's int() would also take ' 7', '1_0' and '٣'."""
    if re.fullmatch("-?[0-9]+", text) is None:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}")
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def _path(text: str) -> str:
    """A file name; an empty one (an unset ``$OUT`` in a script) is refused, never taken for
    "the input file" by a later ``args.output or path``."""
    if not text:
        raise argparse.ArgumentTypeError("an empty path (give a file name, or -)")
    return text


def _nic_number(text: str) -> str:
    """``new`` or plain decimal digits, as for --domid (int() would take ' 1', '+1', '1_0')."""
    if text != "new" and re.fullmatch("[0-9]+", text) is None:
        raise argparse.ArgumentTypeError(f"a NIC number from 1 or 'new', not {text!r}")
    return text


def build_parser() -> argparse.ArgumentParser:
    options = _render_options_parser()
    file_options = _render_options_parser(reads_libvirt=False)
    parser = _Parser(
        prog="vifconf",
        description="Keyboard-driven configurator for the NICs of libvirt guests: see what xend, "
        "qemu-dm, QEMU and xl make of each <interface>, validate, and save safely.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"vifconf {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    render = commands.add_parser("render", parents=[options], help="print what each target sees",
                                 epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    render.add_argument("inputs", nargs="*", metavar="INPUT", help="file, directory (*.xml) or - for stdin")
    render.add_argument("--target", choices=[*TARGETS, "all"], default="all",
                        help="the one target to print (default: all)")
    render.add_argument("--json", action="store_true", help="the JSON array of cli-json.md")

    check = commands.add_parser("check", parents=[options], help="validate; exit 1 on error problems",
                                epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    check.add_argument("inputs", nargs="*", metavar="INPUT", help="file, directory (*.xml) or - for stdin")
    check_format = check.add_mutually_exclusive_group()
    check_format.add_argument("--json", action="store_true", help="the JSON array of cli-json.md")
    check_format.add_argument("--csv", action="store_true",
                              help="one CSV table, a row per NIC of every input (the fleet view's export)")

    set_ = commands.add_parser("set", parents=[file_options], help="change one NIC and save atomically",
                               epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    set_.add_argument("file", metavar="FILE", help="domain XML to change (- reads stdin, writes stdout)")
    set_.add_argument("assignments", nargs="+", metavar="KEY=VALUE[,KEY=VALUE…]",
                      help="keys: " + ", ".join(SETTABLE_FIELDS) + " (mac=RANDOM generates one)")
    set_.add_argument("--nic", required=True, type=_nic_number, help="NIC number from 1 in document order, or 'new'")
    set_.add_argument("--dry-run", action="store_true", help="show the diff, write nothing")
    set_.add_argument("--force", action="store_true", help="write even when the result has error problems")
    set_.add_argument("--output", metavar="PATH", type=_path, help="write here instead of FILE")
    set_.add_argument("--json", action="store_true",
                      help="print the resulting domain as cli-json.md's object (also when refused)")

    import_ = commands.add_parser(
        "import", parents=[file_options], help="old Xen vifs (xend S-expressions, xm/xl configs) back to <interface> "
        "elements",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    import_.add_argument("sxpr", metavar="VIFS", help="xend S-expression (config.sxp, `xm list -l`, (vif …) lines) or "
                         "an xm/xl config with vif = [ … ]; - reads stdin")  # fmt: skip
    import_.add_argument("--into", metavar="FILE", type=_path,
                         help="append the NICs to this domain XML (saved as set saves); without it, print them")
    import_.add_argument("--dry-run", action="store_true", help="with --into: show the diff, write nothing")
    import_.add_argument("--force", action="store_true", help="with --into: write even with error problems")
    import_.add_argument("--output", metavar="PATH", type=_path, help="with --into: write here instead of FILE")
    import_.add_argument("--json", action="store_true", help="with --into: print the result as cli-json.md's object")
    return parser


def _tui_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="vifconf",
        parents=[_render_options_parser()],
        usage="vifconf [FILE|DIR|-] [--connect URI [DOMAIN]] [options]\n"
              "       vifconf {render,check,set,import} …   (see vifconf COMMAND --help)",
        description="Open the terminal UI on a domain XML, a directory of them, stdin, or a live libvirt "
        "domain. Without an argument: the bundled example domain.",
        epilog="commands:\n  render   print what each target sees\n  check    validate; exit 1 on error "
        "problems\n  set      change one NIC and save atomically\n  import   old Xen vifs back to "
        "<interface> elements\n\n" + EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"vifconf {__version__}")
    parser.add_argument("inputs", nargs="*", metavar="FILE|DIR|-|DOMAIN")
    parser.add_argument("--output", metavar="PATH", type=_path,
                        help="where to save (without it, saving what came from stdin asks for a path)")
    return parser


def options_from(args: argparse.Namespace) -> RenderOptions:
    return RenderOptions(
        libvirt_era=args.libvirt_era,
        xend_config_version=args.xend_config_version,
        xen=args.xen,
        domid=args.domid,
        host_os=args.host_os,
        xl_format=args.xl_format,
        default_bridge=args.default_bridge,
    )


# -- inputs -------------------------------------------------------------------------------
def input_names(inputs: Sequence[str]) -> list[str]:
    """The inputs as files (directories expanded), ``-`` when none is given and stdin is piped."""
    if not inputs and (sys.stdin is None or sys.stdin.isatty()):
        raise UsageError("no INPUT given (a file, a directory, or - for stdin); see vifconf --help")
    from vifconf import fileio

    return fileio.expand_inputs(inputs or ["-"])


def load_all(inputs: Sequence[str], connect: Sequence[str] | None) -> list[Loaded]:
    if connect:
        from vifconf.live import command_line_loading, load_many

        loaded: list[Loaded] = []
        with command_line_loading():
            hosts = load_many(list(connect), list(inputs) or None)
        for per_host in hosts:
            for item in per_host:
                if isinstance(item, Domain):
                    loaded.append(Loaded(item.source, domain=item))
                else:
                    loaded.append(Loaded(item.source, error=item))
        return loaded
    return [load_input(name) for name in input_names(inputs)]


def each_input(args: argparse.Namespace, work: Callable[[Loaded], R],
               prepare: Callable[[Loaded], object]) -> Iterator[R]:  # fmt: skip
    """``work`` on every input of a ``render``/``check``, in order, with its cross-guest
    problems attached and ``prepare``'s result in ``item.prepared`` (see `batch.run`); files
    go through `batch.run` (worker processes for a big fleet)."""
    if args.connect:
        loaded = load_all(args.inputs, args.connect)
        attach_cross_guest_problems(loaded)
        for item in loaded:
            item.prepared = prepare(item)
        return (work(item) for item in loaded)
    from vifconf.fileio import stream_alias

    # a stream (`<(…)`, /dev/stdin) is read once: never handed to a worker whose share a
    # failure would make this process read again (stdin itself, "-", batch.run keeps here)
    streams = any(stream_alias(name) is not None for name in args.inputs)
    return batch.run(input_names(args.inputs), work, prepare=prepare, workers=1 if streams else None)


# -- output -------------------------------------------------------------------------------
def domain_json(item: Loaded, renderings: dict[str, Rendering] | None, problems: list[Problem],
                counted: Collection[str] = ()) -> dict[str, object]:  # fmt: skip
    """cli-json.md's object. ``counted``: the targets whose refusals are in ``problems``;
    another target's refusals go into its notes (`Rendering.notes_and_refusals`)."""
    if item.domain is None:
        return {"file": item.name, "error": str(item.error), "domain": None, "hypervisor": None, "hvm": None,
                "nics": None, "targets": None, "problems": None}
    facts = item.domain.facts
    return {
        "file": item.name,
        "error": None,
        "domain": facts.name,
        "hypervisor": facts.hypervisor,
        "hvm": facts.hvm_known,
        "nics": [nic.summary() for nic in item.domain.nics],
        "targets": {name: r.as_json(refusals_as_notes=name not in counted) for name, r in (renderings or {}).items()},
        "problems": [p.as_json() for p in problems],
    }


def format_problem(source: str, problem: Problem) -> str:
    """One line (and a hint line): file names and messages quote the user's values, which
    may hold a newline that would forge a line of output, or an escape sequence."""
    where = f"{source}:{problem.line}" if problem.line else source
    nic = f"NIC {problem.nic}" if problem.nic is not None else "domain"
    what = f"{nic} {problem.field}" if problem.field else nic
    text = printable(f"{where}: {problem.severity}: {what}: {problem.message} [{problem.code}]")
    return text + (f"\n    hint: {printable(problem.hint)}" if problem.hint else "")


def printable(text: str) -> str:
    """``text`` on one line, with control characters escaped (`_CONTROL_ESCAPES`)."""
    return text.translate(_CONTROL_ESCAPES)


def printable_rendering(rendering: Rendering) -> str:
    """A target's text with each item made `printable`; the layout's own line breaks stay."""
    text, end = rendering.text, 0
    pieces: list[str] = []
    for start, stop in rendering.spans:
        pieces += (text[end:start], printable(text[start:stop]))
        end = stop
    pieces.append(printable(text[end:]) if not rendering.spans else text[end:])
    return "".join(pieces)


def human_render(item: Loaded, renderings: dict[str, Rendering], problems: list[Problem],
                 counted: Collection[str] = ()) -> str:  # fmt: skip
    assert item.domain is not None
    facts = item.domain.facts
    kind = "HVM" if facts.hvm else "PV" if facts.is_xen else (facts.os_type or "")
    lines = [printable(f"{DOMAIN_HEADING}{item.name}: {facts.name} ({facts.hypervisor}, {kind}, "
                       f"{len(item.domain.nics)} NICs)")]
    for name, rendering in renderings.items():
        heading = TARGET_HEADING + name
        lines.append(f"{heading}  [{rendering.rule}]" if rendering.rule else heading)
        if rendering.text:
            lines.append(printable_rendering(rendering))
        lines.extend(f"   note: {printable(note)}" for note in rendering.notes_and_refusals(name not in counted))
    lines.extend(format_problem(item.name, problem) for problem in problems)
    return "\n".join(lines)


def print_json(documents: list[dict[str, object]]) -> None:
    print("[" + ", ".join(map(encode, documents)) + "]")


_CONTROL_ESCAPES = {code: f"\\x{code:02x}" for code in [*range(0x20), *range(0x7F, 0xA0)]} | {
    0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}  # fmt: skip
"""A file name is the user's text: a newline in it must not break the error's one line, nor
an escape sequence reach the terminal."""


def error_line(error: Exception | str) -> None:
    if sys.stderr is not None:  # started with stderr closed: print(file=None) would write to stdout
        print(f"vifconf: {printable(str(error))}", file=sys.stderr)


# -- commands -----------------------------------------------------------------------------
Outcome = tuple[str | None, str, bool]
"""What one input of ``render``/``check`` yields: the one-line error when it was unreadable,
its output (a JSON document, or text), and whether it has error problems."""


def print_outcomes(outcomes: Iterable[Outcome], as_json: bool) -> int:
    """Errors to stderr and output to stdout, in input order, as each input is done; the
    ``render``/``check`` status (`EXIT_PROBLEMS` only matters to ``check``: ``render`` never
    reports problems as failure)."""
    unreadable = errors = False
    separator = "["  # the JSON array is written as json.dumps(list) lays it out, item by item
    for error, text, has_error_problems in outcomes:
        unreadable = unreadable or error is not None
        errors = errors or has_error_problems
        if error is not None:
            error_line(error)
        if as_json:
            print(separator + text, end="")
            separator = ", "
        elif error is None and text:
            print(text)
    if as_json:
        print("[]" if separator == "[" else "]")
    if unreadable:
        return EXIT_INPUT
    return EXIT_PROBLEMS if errors else EXIT_OK


_ENCODER = json.JSONEncoder(ensure_ascii=False, check_circular=False)
"""``json.dumps(…, ensure_ascii=False)`` without building an encoder per document (and
without the reference-cycle check: a document is fresh dicts and lists, never a cycle)."""


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def encode(document: dict[str, object]) -> str:
    """One JSON document, valid UTF-8 however the inputs were named: a file name that is not
    UTF-8 reaches Python with lone surrogates (PEP 383), which are written as ``\\udcff``
    escapes, so a reader gets the name back as Python spells it."""
    text = _ENCODER.encode(document)
    try:
        text.encode()  # only a surrogate fails, and this is faster than searching for one
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)
    return text


def cmd_render(args: argparse.Namespace) -> int:
    from vifconf.render import qemu, render_all
    from vifconf.validate import check, counted_targets

    qemu.set_nic_cache(False)  # one render per domain: the per-NIC cache only costs here
    options = options_from(args)
    targets = TARGETS if args.target == "all" else (args.target,)

    def prepare(item: Loaded) -> tuple[dict[str, Rendering], list[Problem], tuple[str, ...]] | None:
        if item.domain is None:
            return None
        also = targets if args.target != "all" else ()  # the one target asked for: its refusals too
        problems = check(item.domain, options, schema=False, also=also)
        return render_all(item.domain, options, targets), problems, counted_targets(item.domain, options, also)

    def work(item: Loaded) -> Outcome:
        if item.domain is None:
            return str(item.error), encode(domain_json(item, None, [])), False
        renderings, own, counted = item.prepared
        problems = sort_problems(own + item.cross_problems)
        if args.json:
            return None, encode(domain_json(item, renderings, problems, counted)), False
        return None, human_render(item, renderings, problems, counted), False

    return print_outcomes(each_input(args, work, prepare), args.json)


def cmd_check(args: argparse.Namespace) -> int:
    from vifconf.render import qemu
    from vifconf.validate import check

    qemu.set_nic_cache(False)  # one render per domain: the per-NIC cache only costs here
    options = options_from(args)
    if args.csv:
        return check_csv(args, options)

    def prepare(item: Loaded) -> list[Problem] | None:
        return None if item.domain is None else check(item.domain, options)

    def work(item: Loaded) -> Outcome:
        if item.domain is None:
            return str(item.error), encode(domain_json(item, None, [])), False
        problems = sort_problems(item.prepared + item.cross_problems)
        if args.json:
            return None, encode(domain_json(item, {}, problems)), has_errors(problems)
        lines = [format_problem(item.name, problem) for problem in problems]
        text = "\n".join(lines) if lines else printable(f"{item.name}: ok ({len(item.domain.nics)} NICs)")
        return None, text, has_errors(problems)

    return print_outcomes(each_input(args, work, prepare), args.json)


def check_csv(args: argparse.Namespace, options: RenderOptions) -> int:
    from vifconf.validate import check

    loaded = load_all(args.inputs, args.connect)
    attach_cross_guest_problems(loaded)
    own: dict[int, list[Problem]] = {}
    for position, item in enumerate(loaded):
        if item.domain is None:
            error_line(str(item.error))
        else:
            own[position] = check(item.domain, options)
    sys.stdout.write(fleet_csv(loaded, own, args.connect))
    if len(own) < len(loaded):
        return EXIT_INPUT
    errors = any(has_errors(own[position] + item.cross_problems) for position, item in enumerate(loaded))
    return EXIT_PROBLEMS if errors else EXIT_OK


def fleet_csv(loaded: list[Loaded], own: dict[int, list[Problem]], connect: Sequence[str] | None) -> str:
    """``check --csv``: the fleet view's own export (`Fleet.to_csv`) of these inputs, one row
    per NIC; ``own`` = each readable input's problems by position, cross-guest ones are added."""
    from vifconf.fleet import Fleet

    fleet = Fleet()
    for position, item in enumerate(loaded):
        if item.domain is None:
            assert item.error is not None
            host = item.name if connect and item.name in connect else None  # an unreachable URI
            fleet.add(item.error, host=host)
        else:
            fleet.add(item.domain, own=own[position])
    fleet.analyse()
    return fleet.to_csv()


def parse_assignments(items: Sequence[str]) -> list[tuple[str, str]]:
    """``KEY=VALUE[,KEY=VALUE…]``. A value with a comma is double-quoted, ``source="br,0"``;
    inside quotes ``\\"`` is a quote and ``\\\\`` a backslash. Unquoted values are trimmed."""
    pairs: list[tuple[str, str]] = []
    for item in items:
        position = 0
        while position < len(item):
            equals = item.find("=", position)
            comma = item.find(",", position)
            if equals < 0 or (0 <= comma < equals):
                part = item[position : comma if comma >= 0 else len(item)]
                if part.strip():
                    raise UsageError(f"expected KEY=VALUE, got {part!r}")
                position = comma + 1 if comma >= 0 else len(item)
                continue
            key = item[position:equals].strip()
            if key not in SETTABLE_FIELDS:
                raise UsageError(f"unknown key {key!r}; keys: {', '.join(SETTABLE_FIELDS)}")
            value, position = _read_value(item, equals + 1)
            pairs.append((key, value))
    if not pairs:
        raise UsageError("no KEY=VALUE to set; keys: " + ", ".join(SETTABLE_FIELDS))
    keys = [key for key, _ in pairs]
    twice = next((key for position, key in enumerate(keys) if key in keys[:position]), None)
    if twice is not None:
        raise UsageError(f"{twice} is given more than once; say which value you mean")
    # type first: it decides where source goes
    return sorted(pairs, key=lambda kv: kv[0] != "type")


def _read_value(item: str, start: int) -> tuple[str, int]:
    """One value from ``start``; returns it and the position after its separating comma."""
    if item[start : start + 1] != '"':
        end = item.find(",", start)
        end = len(item) if end < 0 else end
        return item[start:end].strip(), end + 1
    value: list[str] = []
    position = start + 1
    while position < len(item):
        char = item[position]
        if char == "\\" and item[position + 1 : position + 2] in ('"', "\\"):
            value.append(item[position + 1])
            position += 2
        elif char == '"':
            after = position + 1
            if after < len(item) and item[after] != ",":
                raise UsageError(f"expected a comma after the quoted value in {item!r}")
            return "".join(value), after + 1
        else:
            value.append(char)
            position += 1
    raise UsageError(f"unbalanced double quote in {item!r}")


def apply_assignments(domain: Domain, nic_spec: str, pairs: list[tuple[str, str]]) -> int:
    """Apply to NIC ``nic_spec`` (a number or ``new``); returns the NIC's index."""
    from vifconf.model.mac import generate_mac

    with domain.transaction():
        if nic_spec == "new":
            kind = next((v for k, v in pairs if k == "type"), "bridge")
            nic = domain.add_nic(kind)
        else:
            try:
                index = int(nic_spec)
            except ValueError:
                raise UsageError(f"--nic takes a number from 1 or 'new', not {nic_spec!r}") from None
            try:
                nic = domain.nic(index)
            except IndexError as exc:
                raise UsageError(f"{domain.source}: {exc}") from None
        for key, value in pairs:
            if key == "mac" and value.upper() == "RANDOM":
                taken = [n.mac or "" for n in domain.nics if n.index != nic.index]
                value = generate_mac(domain.facts.hypervisor, taken)
            try:
                nic.set(key, value)
            except ValueError as exc:
                raise UsageError(f"NIC {nic.index}: {exc}") from None
        return nic.index


def cmd_set(args: argparse.Namespace) -> int:
    pairs = parse_assignments(args.assignments)
    return edit_file(args, args.file, lambda domain: apply_assignments(domain, args.nic, pairs), "set")


def cmd_import(args: argparse.Namespace) -> int:
    from vifconf.fileio import stream_alias
    from vifconf.importer import add_to, interfaces_xml, read_vifs_file

    if args.sxpr != "-" and stream_alias(args.sxpr) == 0:
        args.sxpr = "-"
    if args.into is not None:
        args.into = _stream_or_file(args.into, 0, "stdin", "import")
    if args.sxpr == "-" and args.into == "-":
        raise UsageError("the vifs and the domain cannot both come from stdin")
    if args.connect:
        raise UsageError("import reads old Xen vifs from a file; --connect does not apply")
    if args.into is None:
        given = [option for option, value in (("--dry-run", args.dry_run), ("--force", args.force),
                 ("--output", args.output), ("--json", args.json)) if value]  # fmt: skip
        if given:
            raise UsageError(f"{' and '.join(given)} {'goes' if len(given) == 1 else 'go'} with --into FILE only "
                             "(without it, import prints the XML)")
    try:
        nics = read_vifs_file(args.sxpr)
    except InputError as exc:
        return unreadable(Loaded(args.sxpr, error=exc), args.json)
    for position, nic in enumerate(nics, start=1):
        for note in nic.notes:
            print(printable(f"{args.sxpr}: vif {position}: {note}"), file=sys.stderr)
    if args.into is None:
        sys.stdout.write(interfaces_xml(nics))
        return EXIT_OK
    return edit_file(args, args.into, lambda domain: add_to(domain, nics), "import")


def edit_file(args: argparse.Namespace, path: str, edit: Callable[[Domain], object], command: str) -> int:
    """Load ``path``, ``edit`` it, and save it the way ``set`` does: only what parses back and
    renders, with its problems on stderr, refused on error problems unless ``--force``,
    atomically, with a ``.bak`` (or the diff with ``--dry-run``, or to ``--output``)."""
    from vifconf.diff import xml_diff
    from vifconf.fileio import SaveConflict, SaveError, os_error_text, save_atomic
    from vifconf.render import render_all
    from vifconf.validate import check, counted_targets

    options = options_from(args)
    if args.connect:
        raise UsageError(f"{command} edits files; for a live domain use: vifconf --connect URI DOMAIN")
    path = _stream_or_file(path, 0, "stdin", command)
    output = _stream_or_file(args.output, 1, "stdout", command) if args.output is not None else path
    if path != "-" and os.path.isdir(path or "."):
        error_line(f"{path}: is a directory; {command} changes one domain XML file")
        return EXIT_INPUT
    if args.json and not args.dry_run and output == "-":
        raise UsageError("--json and the edited XML would both go to stdout; give --output FILE (or --dry-run)")
    item = load_input(path)
    if item.domain is None:
        return unreadable(item, args.json)
    domain = item.domain
    edit(domain)
    result = domain.to_bytes()

    # never write what we could not read back and render
    try:
        reread = Domain.from_bytes(result, domain.source)
        render_all(reread, options)
    except InputError as exc:
        error_line(f"{path}: internal error, the edit does not parse back ({exc.message}); nothing written")
        return EXIT_INPUT
    problems = check(reread, options)
    refused = has_errors(problems) and not args.force
    same_file = output != "-" and path != "-" and os.path.realpath(output) == os.path.realpath(path)

    def on_disk() -> list[Problem]:
        """The problems with lines of the input as it still is on disk: a problem's line is a
        line of the file named with it, and the unwritten result's numbers would mislead."""
        line_before = lines_before_edit(domain.raw, result, domain.encoding.codec)
        return [replace(p, line=line_before(p.line)) for p in problems]

    def report(name: str, shown: list[Problem]) -> None:
        for problem in shown:
            print(format_problem(name, problem), file=sys.stderr)

    def print_result_json(shown: list[Problem]) -> None:
        renderings = render_all(reread, options)
        print_json([domain_json(Loaded(path, domain=reread), renderings, shown, counted_targets(reread, options))])

    if args.dry_run or refused:
        shown = on_disk()
        report(path, shown)
        if refused:
            error_line(f"{path}: not written: the result has error problems (above); use --force to write anyway")
        if args.json:  # with --dry-run, or the problems for a script to read when refused
            print_result_json(shown)
        elif args.dry_run:
            sys.stdout.write(xml_diff(domain.raw, result, headers=(path, f"{path} (edited)")))
        return EXIT_PROBLEMS if refused else EXIT_OK

    # write first, report after: a closed stdout must never cost the user their edit
    warnings: list[str] = []
    if output == "-":
        report(path, on_disk())
        try:
            sys.stdout.buffer.write(result)
            sys.stdout.flush()
        except OSError as exc:
            raise OutputError(f"cannot write the edited XML to stdout: {os_error_text(exc)}; nothing written") from None
        return EXIT_OK
    if not (same_file and result is domain.raw):  # nothing changed: leave the file (and its .bak) alone
        try:
            save_atomic(output, result, expected=item.fingerprint if same_file else None, backup=same_file,
                        warnings=warnings)  # fmt: skip
        except (SaveConflict, SaveError) as exc:
            report(path, on_disk())
            error_line(f"{exc}; nothing written")
            return EXIT_INPUT
    report(output, problems)
    for warning in warnings:
        error_line(f"{output}: {warning}")
    if args.json:
        try:
            print_result_json(problems if same_file else on_disk())
            sys.stdout.flush()  # here: a buffered failure would otherwise surface later, unexplained
        except OSError as exc:
            raise OutputError(f"{output} is saved, but the JSON could not be written to stdout: "
                              f"{os_error_text(exc)}") from None  # fmt: skip
    return EXIT_OK


def unreadable(item: Loaded, as_json: bool) -> int:
    """An input ``set`` or ``import`` could not read: its one-line error on stderr and, with
    ``--json``, the contract's error object on stdout (as render and check give it)."""
    assert item.error is not None
    error_line(item.error)
    if as_json:
        print_json([domain_json(item, None, [])])
    return EXIT_INPUT


def _stream_or_file(name: str, stream: int, called: str, command: str) -> str:
    """``-`` for a name of the standard stream ``stream`` (``/dev/stdin``, ``/dev/fd/0``),
    which is what the user meant; any other descriptor name is refused (see `stream_alias`)."""
    from vifconf.fileio import stream_alias

    if name == "-":
        return name
    alias = stream_alias(name)
    if alias == stream:
        return "-"
    if alias is not None:
        raise UsageError(f"{name} names an open file descriptor, not a file {command} can replace; "
                         f"give the file's own name, or - for {called}")  # fmt: skip
    return name


def lines_before_edit(before: bytes, after: bytes, codec: str) -> Callable[[int | None], int | None]:
    """Line n of ``after`` → the line of ``before`` it came from; a line the edit added maps
    to where it was added. An edit changes one stretch of the file (``set`` one NIC,
    ``import`` appends), so the common head and tail are matched and the stretch between
    them maps line by line as far as it goes: linear, where a diff of a 4096-NIC file's
    repetitive lines is not."""
    if before is after:
        return lambda line: line
    old = _text_lines(before, codec)
    new = _text_lines(after, codec)
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    old_stretch, new_end = len(old) - tail - head, len(new) - tail

    def line_before(line: int | None) -> int | None:
        if line is None or line <= head:
            return line
        if line > new_end:
            return line - (len(new) - len(old))
        return head + min(line - head, max(old_stretch, 1))

    return line_before


def _text_lines(data: bytes, codec: str) -> list[str]:
    """Lines as the parser counts them (decoded first: in UTF-16 a byte 0x0A may be half of
    a character; a lone CR counts, as `vifconf.model.source.parse` makes it)."""
    return data.decode(codec, errors="replace").replace("\r\n", "\n").replace("\r", "\n").split("\n")


def run_tui(argv: Sequence[str]) -> int:
    args = _tui_parser().parse_args(argv)
    options = options_from(args)
    inputs: list[str] = list(args.inputs)
    first = inputs[0] if inputs else ""
    if first and not args.connect and not os.path.lexists(first) and not {".", "/"} & set(first):
        import difflib

        close = difflib.get_close_matches(first, COMMANDS, n=1)
        if close:  # `vifconf rendr x.xml` opened the fleet table on a file named rendr
            raise UsageError(f"{first}: no such file, and not a command (did you mean {close[0]}?)")
    if not ui_has_a_terminal():  # before loading: a --connect would log in to a host first
        raise UsageError("the terminal UI needs a terminal on stderr, where it draws; to print, use vifconf "
                         "render or vifconf check")
    from vifconf.tui.app import make_app, make_fleet_app

    if args.connect:
        if len(args.connect) == 1 and len(inputs) == 1:
            loaded = load_all(inputs, args.connect)
            if loaded[0].domain is None:
                error_line(loaded[0].error or "cannot load the domain")
                return EXIT_INPUT
            return ran(make_app(loaded[0].domain, None, args.output, options, connect=args.connect[0]))
        return ran(make_fleet_app(inputs, options, connect=args.connect))
    if len(inputs) > 1 or (len(inputs) == 1 and inputs[0] != "-" and Path(inputs[0]).is_dir()):
        return ran(make_fleet_app(inputs, options))
    if not inputs:
        from vifconf.examples import EXAMPLE_DOMAIN

        item = load_input(str(EXAMPLE_DOMAIN))
        path: str | None = str(EXAMPLE_DOMAIN)
    else:
        item = load_input(inputs[0])
        path = editor_path(inputs[0])
    if item.domain is None:
        error_line(item.error or "cannot load the domain")
        return EXIT_INPUT
    return ran(make_app(item.domain, path, args.output, options))


def ran(app: App[None]) -> int:
    """Run the UI; its exit status is Textual's (non-zero after a crash, whose traceback
    Textual has printed: a crash is not a success)."""
    app.run()
    return app.return_code or EXIT_OK


def ui_has_a_terminal() -> bool:
    """Textual draws on the process's stderr (its Linux driver writes to ``sys.__stderr__``):
    into a pipe or a file it would write escape codes, and wait for keys, until killed."""
    try:
        return sys.__stderr__ is not None and sys.__stderr__.isatty()
    except (OSError, ValueError):
        return False


def editor_path(name: str) -> str | None:
    """Where the editor saves what it opened: None for stdin or another stream (``<(…)``, whose
    name is a descriptor, not a file): saving then asks for a file, and nothing is journaled
    or remembered under a name that cannot be reopened."""
    from vifconf.fileio import stream_alias

    return None if name == "-" or stream_alias(name) is not None else name


_VALUE_OPTIONS = frozenset({"--libvirt-era", "--xend-config-version", "--xen", "--domid", "--host-os", "--xl-format",
                            "--default-bridge", "--connect", "--target", "--nic", "--output", "--into"})  # fmt: skip


def _command_first(argv: list[str]) -> list[str]:
    """Move a command named after options (``vifconf --domid 3 render x.xml``) to the front,
    so it is never mistaken for a file to open in the terminal UI."""
    position = 0
    while position < len(argv):
        token = argv[position]
        if token == "--":
            break
        if token.startswith("-") and token != "-":
            position += 2 if token in _VALUE_OPTIONS else 1
            continue
        if token in COMMANDS and position > 0:
            return [token, *argv[:position], *argv[position + 1 :]]
        break
    return argv


def main(argv: Sequence[str] | None = None) -> int:
    argv = _command_first(list(sys.argv[1:] if argv is None else argv))
    if sys.stdout is None:  # started with stdout closed (`>&-`): print() would drop the output silently
        sys.stdout = _ClosedOutput()
    try:
        if argv and argv[0] in COMMANDS:
            args = build_parser().parse_args(argv)
            handler = {"render": cmd_render, "check": cmd_check, "set": cmd_set, "import": cmd_import}[args.command]
            code = handler(args)
            sys.stdout.flush()  # here, where a full disk is still ours to report, not at exit
            return code
        if argv and argv[0] in ("-h", "--help"):
            _tui_parser().print_help()  # the terminal UI's usage first, then the commands
            return EXIT_OK
        return run_tui(argv)
    except (UsageError, InputError, OutputError) as exc:
        error_line(exc)
        _silence_stdout()
        return EXIT_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader went away (`vifconf check … | head`): say so the way Unix tools do, never
        # with a success status that could hide an error
        _silence_stdout()
        return 128 + 13  # SIGPIPE
    except OSError as exc:
        from vifconf.fileio import os_error_text

        # a failed write to stdout carries no file name (reading and saving report their own)
        where = "cannot write the output" if exc.filename is None else str(exc.filename)
        error_line(f"{where}: {os_error_text(exc)}")
        _silence_stdout()
        return EXIT_INPUT


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the flush at exit neither fails again nor prints
    "Exception ignored" (the output is lost either way; the status says so)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


class _ClosedOutput:
    """Stands in for a closed stdout: writing fails as writing to a closed descriptor does."""

    def write(self, text: object) -> int:
        raise OSError(errno.EBADF, "standard output is closed")

    def writelines(self, lines: object) -> None:
        raise OSError(errno.EBADF, "standard output is closed")

    def flush(self) -> None:
        pass

    @property
    def buffer(self) -> _ClosedOutput:
        return self

    def fileno(self) -> int:
        raise OSError(errno.EBADF, "standard output is closed")
