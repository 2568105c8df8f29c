"""Many guests at once: cross-guest problems, the fleet table, review state, export.

Pure core (no Textual, no libvirt): the fleet screen and the CLI both call it.

``cross_guest_problems`` finds what no single domain can show on its own:
  - ``mac-duplicate-across-guests`` (error): one MAC on NICs of two guests, the classic
    cloned-VM bug; reported in every affected guest, naming the others.
  - ``target-duplicate-across-guests`` (warning): one ``<target dev>`` in two guests of the
    same host; whichever starts second cannot create its tap device.
  - ``source-likely-typo`` (warning): a bridge or network only one guest uses whose name is
    one edit away from one that several guests use (``xenbr0``/``xnbr0``, ``br0``/``bro``).
    Names that differ only in digits (``br0``/``br1``) are deliberate and never flagged.
  - ``mac-prefix-mismatch`` (warning): a Xen guest with QEMU's 52:54:00 prefix, or a KVM/QEMU
    guest with Xen's 00:16:3e (a guest moved between hypervisors keeps its MAC, and the
    other hypervisor's generator may hand the same one out again).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

from vifconf.model.domain import Domain
from vifconf.model.mac import QEMU_PREFIX, XEN_PREFIX, normalize_mac
from vifconf.model.source import InputError
from vifconf.problems import SEVERITY_ORDER, Problem, Severity

TYPO_SOURCE_TYPES = ("bridge", "network")
_MAX_NAMED = 3


# -- who is who ---------------------------------------------------------------------------
def host_of(source: str) -> str | None:
    """The connection URI of a live domain (``URI#DOMAIN``); ``None`` for files."""
    uri, sep, _ = source.rpartition("#")
    return uri if sep and "://" in uri else None


def _labels(guests: Sequence[GuestKeys]) -> list[str]:
    """How messages name each guest: its name, disambiguated by host or file when shared."""
    names = [g.name or g.source for g in guests]
    counts: dict[str, int] = defaultdict(int)
    for name in names:
        counts[name] += 1
    labels = []
    for guest, name in zip(guests, names, strict=True):
        if counts[name] > 1:
            host = host_of(guest.source)
            labels.append(f"'{name}' on {host}" if host else f"'{name}' ({guest.source})")
        else:
            labels.append(f"'{name}'")
    return labels


def _join(items: list[str]) -> str:
    shown = items[:_MAX_NAMED]
    rest = len(items) - len(shown)
    text = ", ".join(shown)
    return text + (f" and {rest} more" if rest > 0 else "")


# -- cross-guest analysis -----------------------------------------------------------------
class NicKeys(NamedTuple):
    """What cross-guest analysis needs of one NIC. Plain data: the CLI's worker processes
    send these to the main process instead of whole documents (a NamedTuple pickles about
    four times faster than a dataclass, and a fleet sends thousands)."""

    number: int
    """The NIC's index, from 1 (``index`` is taken: a tuple method)."""
    type: str | None
    source: str | None
    mac: str | None
    """Normalised; None when absent or invalid (validation reports those per guest)."""
    target: str | None
    """The target dev libvirt keeps: None for one it generates (`Nic.target_is_generated`)."""


class GuestKeys(NamedTuple):
    """What cross-guest analysis needs of one guest."""

    source: str
    name: str | None
    hypervisor: str | None
    nics: tuple[NicKeys, ...]


def guest_keys(domain: Domain) -> GuestKeys:
    nics = tuple(
        NicKeys(
            number=nic.index,
            type=nic.type,
            source=nic.source,
            mac=normalize_mac(nic.mac) if nic.mac else None,
            target=None if nic.target_is_generated else nic.target,
        )
        for nic in domain.nics
    )
    return GuestKeys(domain.source, domain.facts.name, domain.facts.hypervisor, nics)


def _digitless(name: str) -> str:
    return re.sub(r"\d", "", name)


def one_edit_apart(a: str, b: str) -> bool:
    """Damerau distance exactly 1: one substitution, insertion, deletion or swap."""
    if a == b:
        return False
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diffs = [i for i in range(la) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        if len(diffs) != 2 or diffs[1] != diffs[0] + 1:
            return False
        i, j = diffs
        return a[i] == b[j] and a[j] == b[i]
    short, long_ = (a, b) if la < lb else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]


def _report_shared(
    groups: dict[Any, list[tuple[int, NicKeys]]],
    out: list[list[Problem]],
    labels: list[str],
    code: str,
    severity: Severity,
    field_name: str,
    message: Callable[[Any, str], str],
    hint: str,
) -> None:
    """One problem per NIC whose value (the group key) another guest uses too."""
    for key, users in groups.items():
        if len({g for g, _ in users}) < 2:
            continue
        for g, nic in users:
            others = _join([f"{labels[o]} (NIC {other.number})" for o, other in users if o != g])
            out[g].append(Problem(code, severity, message(key, others), nic=nic.number, field=field_name,
                                  hint=hint))


def cross_guest_problems(domains: Sequence[Domain]) -> list[list[Problem]]:
    """Problems that need the whole fleet to see, one list per input domain, in input order."""
    found = cross_guest_problems_of([guest_keys(domain) for domain in domains])
    return [with_lines(domain, problems) for domain, problems in zip(domains, found, strict=True)]


def with_lines(domain: Domain, problems: list[Problem]) -> list[Problem]:
    """``problems`` pointing at the lines of ``domain`` their NIC field sits on."""
    nics = domain.nics
    return [replace(p, line=nics[p.nic - 1].line_for(p.field)) if p.nic else p for p in problems]


def cross_guest_problems_of(guests: Sequence[GuestKeys]) -> list[list[Problem]]:
    """`cross_guest_problems` from each guest's `guest_keys`, without line numbers (only the
    process holding a guest's document knows them: `with_lines`)."""
    out: list[list[Problem]] = [[] for _ in guests]
    labels = _labels(guests)
    nics = [g.nics for g in guests]
    hosts = [host_of(g.source) for g in guests]

    # MAC duplicates across guests (a duplicate inside one guest is validate's mac-duplicate)
    by_mac: dict[object, list[tuple[int, NicKeys]]] = defaultdict(list)
    for g, guest_nics in enumerate(nics):
        for nic in guest_nics:
            if nic.mac:
                by_mac[nic.mac].append((g, nic))
    _report_shared(
        by_mac, out, labels, "mac-duplicate-across-guests", "error", "mac",
        lambda mac, others: f"MAC {mac} is also used by guest {others}",
        "a cloned guest kept its MAC: give one of them a new one (set mac=RANDOM)",
    )  # fmt: skip

    # target dev duplicates among guests of one host
    by_target: dict[object, list[tuple[int, NicKeys]]] = defaultdict(list)
    for g, guest_nics in enumerate(nics):
        for nic in guest_nics:
            target = nic.target
            if target:
                by_target[(hosts[g], target)].append((g, nic))
    _report_shared(
        by_target, out, labels, "target-duplicate-across-guests", "warning", "target",
        lambda key, others: f"target dev '{key[1]}' is also used by guest {others}; they cannot run at the same time",
        "remove the target (libvirt then picks a free vnetN) or give each guest its own name",
    )  # fmt: skip

    # a source used by one guest, one edit away from a common one
    for kind in TYPO_SOURCE_TYPES:
        users_of: dict[str, set[int]] = defaultdict(set)
        for g, guest_nics in enumerate(nics):
            for nic in guest_nics:
                if nic.type == kind and nic.source:
                    users_of[nic.source].add(g)
        common = {name: len(gs) for name, gs in users_of.items() if len(gs) >= 2}
        if not common:
            continue
        for name, gs in users_of.items():
            if len(gs) != 1:
                continue
            near = sorted(
                (c for c in common if one_edit_apart(name, c) and _digitless(name) != _digitless(c)),
                key=lambda c: (-common[c], c),
            )
            if not near:
                continue
            best = near[0]
            (g,) = gs
            for nic in nics[g]:
                if nic.type == kind and nic.source == name:
                    out[g].append(
                        Problem(
                            "source-likely-typo",
                            "warning",
                            f"{kind} '{name}' is used by this guest only; '{best}', one edit away, "
                            f"is used by {common[best]} guests — a typo?",
                            nic=nic.number,
                            field="source",
                            hint=f"set source={best} if that was meant",
                        )
                    )

    # Xen and QEMU MAC prefixes mixed up
    for g, guest in enumerate(guests):
        hypervisor = (guest.hypervisor or "").lower()
        if hypervisor == "xen":
            wrong, own = QEMU_PREFIX, XEN_PREFIX
            what = "QEMU/KVM's"
        elif hypervisor in ("kvm", "qemu"):
            wrong, own = XEN_PREFIX, QEMU_PREFIX
            what = "Xen's"
        else:
            continue
        for nic in nics[g]:
            mac = nic.mac
            if mac and mac.startswith(wrong):
                out[g].append(
                    Problem(
                        "mac-prefix-mismatch",
                        "warning",
                        f"MAC {mac} has {what} prefix {wrong} on a {hypervisor} guest (expected {own})",
                        nic=nic.number,
                        field="mac",
                        hint=f"a guest moved between hypervisors keeps its MAC; set mac=RANDOM for a {own} one",
                    )
                )
    return out


# -- loading ------------------------------------------------------------------------------
def load_path(path: str | Path) -> Domain | InputError:
    try:
        return Domain.from_path(path)
    except InputError as exc:
        return exc


def iter_load(paths: Iterable[str | Path]) -> Iterator[Domain | InputError]:
    """Lazily, one by one, so a caller can show progress and stay responsive."""
    for path in paths:
        yield load_path(path)


# -- the fleet table ----------------------------------------------------------------------
COLUMNS: tuple[str, ...] = ("host", "domain", "nic", "problems", "type", "source", "model", "mac")
"""The table's columns, in the order shown: which NIC and what is wrong with it first, so an
80-column terminal shows the problems and cuts (or scrolls) the NIC's own fields."""
CSV_COLUMNS = ("host", "file", "domain", "nic", "type", "source", "model", "mac", "reviewed", "problems", "messages")
Checker = Callable[[Domain], list[Problem]]


@dataclass
class Entry:
    """One input: a loaded domain or the error that kept it from loading."""

    source: str
    domain: Domain | None = None
    error: str | None = None
    host: str | None = None
    own: list[Problem] = field(default_factory=list)
    cross: list[Problem] = field(default_factory=list)
    expected_xml: bytes | None = None
    """For live domains: the XML as loaded, to refuse a save when the domain changed since."""

    @property
    def name(self) -> str:
        if self.domain is not None and self.domain.facts.name:
            return self.domain.facts.name
        return self.source.rpartition("#")[2] if self.host else Path(self.source).name

    @property
    def problems(self) -> list[Problem]:
        merged = [*self.own, *self.cross]
        return sorted(merged, key=lambda p: (p.nic or 0, SEVERITY_ORDER[p.severity]))


@dataclass
class Row:
    """One line of the table: a NIC (or a domain with none, or an unreadable input)."""

    key: tuple[int, int]
    """(entry position, NIC index; 0 for a row without a NIC): stable across re-analysis."""
    host: str
    domain: str
    nic: int | None
    type: str
    source: str
    model: str
    mac: str
    problems: list[Problem]
    file: str

    @property
    def reviewed_as(self) -> tuple[object, ...]:
        """What a review mark vouches for: the NIC as shown and its problems. When a NIC is
        deleted, the next takes its index; when an edit adds a problem, the row changes: in
        both cases the mark no longer applies."""
        problems = tuple((p.code, p.field, p.message) for p in self.problems)  # not lines: edits above move them
        return (self.domain, self.type, self.source, self.model, self.mac, problems)

    def cell(self, column: str) -> str:
        if column == "nic":
            return "" if self.nic is None else str(self.nic)
        if column == "problems":
            return problems_text(self.problems)
        value = getattr(self, column)
        return str(value)

    @property
    def worst(self) -> str | None:
        if not self.problems:
            return None
        return min((p.severity for p in self.problems), key=lambda s: SEVERITY_ORDER[s])

    def search_text(self) -> str:
        """What the filter finds: every column, the file, and each problem as the table and
        its pane show it ("error mac-duplicate…", the message)."""
        parts = [self.cell(c) for c in COLUMNS] + [self.file]
        parts += [f"{p.severity} {p.code} {p.message}" for p in self.problems]
        return "\n".join(parts).casefold()


def problems_text(problems: Sequence[Problem]) -> str:
    return ", ".join(p.code for p in problems)


class Fleet:
    """All entries, their problems, the review marks; sorting/filtering/export over rows."""

    def __init__(self, checker: Checker | None = None):
        self.entries: list[Entry] = []
        self.checker = checker
        self.reviewed: dict[tuple[int, int], tuple[object, ...]] = {}
        """Row key → what the row showed when marked (`Row.reviewed_as`)."""
        self._rows: list[Row] | None = None

    # -- building
    def add(self, result: Domain | InputError, *, host: str | None = None, expected_xml: bytes | None = None,
            own: list[Problem] | None = None) -> Entry:
        """Append one input; ``own`` = its checker problems when already computed (off-thread)."""
        if isinstance(result, InputError):
            entry = Entry(source=result.source, error=str(result), host=host or host_of(result.source))
        else:
            entry = Entry(source=result.source, domain=result, host=host or host_of(result.source))
            entry.expected_xml = expected_xml
            entry.own = self.check(result) if own is None else own
        self.entries.append(entry)
        if self._rows is not None:  # rows of earlier entries stay valid until analyse()
            self._rows.extend(self._build_rows(len(self.entries) - 1))
        return entry

    def check(self, domain: Domain) -> list[Problem]:
        """The per-guest checker's problems (thread-safe: pure function of the domain)."""
        return self._check(domain)

    def rows_since(self, position: int) -> list[Row]:
        """The rows of the entries from ``position`` on (the ones a loader just added)."""
        return [r for r in self.rows if r.key[0] >= position]

    def _check(self, domain: Domain) -> list[Problem]:
        if self.checker is None:
            return []
        try:
            return list(self.checker(domain))
        except Exception as exc:  # a checker bug must not take the whole fleet down
            return [Problem("check-failed", "error", f"checking this guest failed: {exc}")]

    def recheck(self, position: int) -> None:
        """After an edit in the editor: the guest's own problems, then the fleet's."""
        entry = self.entries[position]
        if entry.domain is not None:
            entry.own = self._check(entry.domain)
        self.analyse()

    def analyse(self) -> None:
        loaded = [e for e in self.entries if e.domain is not None]
        for entry, problems in zip(loaded, cross_guest_problems([e.domain for e in loaded if e.domain]), strict=True):
            entry.cross = problems
        self._rows = None

    # -- the table
    @property
    def multi_host(self) -> bool:
        return len({e.host for e in self.entries}) > 1

    @property
    def rows(self) -> list[Row]:
        if self._rows is None:
            self._rows = list(self._build_rows())
        return self._rows

    def _build_rows(self, start: int = 0) -> Iterator[Row]:
        for position, entry in enumerate(self.entries[start:], start):
            host = entry.host or ""
            if entry.domain is None:
                error = Problem("input-error", "error", entry.error or "unreadable")
                yield Row((position, 0), host, entry.name, None, "", "", "", "", [error], entry.source)
                continue
            problems = entry.problems
            general = [p for p in problems if p.nic is None]
            nics = entry.domain.nics
            if not nics:
                yield Row((position, 0), host, entry.name, None, "", "", "", "", general, entry.source)
            for nic in nics:
                mine = general + [p for p in problems if p.nic == nic.index]
                yield Row(
                    (position, nic.index),
                    host,
                    entry.name,
                    nic.index,
                    nic.type or "",
                    nic.source or "",
                    nic.model or "",
                    nic.mac or "",
                    mine,
                    entry.source,
                )

    def view(self, text: str = "", sort: str | None = None, reverse: bool = False) -> list[Row]:
        """The rows matching a filter (case-insensitive, any column or problem message), sorted."""
        return sort_rows(filter_rows(self.rows, text), sort, reverse)

    # -- review
    def toggle_reviewed(self, row: Row) -> bool:
        if self.is_reviewed(row):
            del self.reviewed[row.key]
            return False
        self.reviewed[row.key] = row.reviewed_as
        return True

    def is_reviewed(self, row: Row) -> bool:
        return self.reviewed.get(row.key) == row.reviewed_as

    def progress(self) -> tuple[int, int, int]:
        """(reviewed rows, rows, rows with a problem not yet reviewed)."""
        rows = self.rows
        done = sum(1 for r in rows if self.is_reviewed(r))
        todo = sum(1 for r in rows if r.problems and not self.is_reviewed(r))
        return done, len(rows), todo

    def next_unreviewed(self, rows: Sequence[Row], after: int) -> int | None:
        """The position in ``rows`` of the next unreviewed row with a problem, wrapping."""
        count = len(rows)
        for step in range(1, count + 1):
            i = (after + step) % count
            if rows[i].problems and not self.is_reviewed(rows[i]):
                return i
        return None

    # -- export
    def export_rows(self, rows: Sequence[Row] | None = None) -> list[dict[str, object]]:
        return [
            {
                "host": r.host or None,
                "file": r.file,
                "domain": r.domain,
                "nic": r.nic,
                "type": r.type or None,
                "source": r.source or None,
                "model": r.model or None,
                "mac": r.mac or None,
                "reviewed": self.is_reviewed(r),
                "problems": [p.as_json() for p in r.problems],
            }
            for r in (self.rows if rows is None else rows)
        ]

    def to_json(self, rows: Sequence[Row] | None = None) -> str:
        return json.dumps(self.export_rows(rows), indent=2, ensure_ascii=False) + "\n"

    def to_csv(self, rows: Sequence[Row] | None = None) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for r in self.rows if rows is None else rows:
            writer.writerow(
                [
                    r.host,
                    r.file,
                    r.domain,
                    "" if r.nic is None else r.nic,
                    r.type,
                    r.source,
                    r.model,
                    r.mac,
                    "yes" if self.is_reviewed(r) else "no",
                    " ".join(p.code for p in r.problems),
                    " | ".join(f"{p.severity}: {p.message}" for p in r.problems),
                ]
            )
        return buffer.getvalue()


def filter_rows(rows: Sequence[Row], text: str) -> list[Row]:
    needle = text.strip().casefold()
    if not needle:
        return list(rows)
    return [r for r in rows if needle in r.search_text()]


def _natural(value: str) -> tuple[tuple[int, int | str], ...]:
    parts = re.split(r"(\d+)", value.casefold())
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in parts if part)


def sort_rows(rows: Sequence[Row], column: str | None, reverse: bool = False) -> list[Row]:
    if column is None:
        return list(rows)
    if column == "problems":

        def key(r: Row) -> tuple[object, ...]:
            worst = SEVERITY_ORDER[r.worst] if r.worst else 9
            return (worst, -len(r.problems), r.key)
    elif column == "mac":

        def key(r: Row) -> tuple[object, ...]:
            return (normalize_mac(r.mac) or r.mac.casefold(), r.key)
    else:

        def key(r: Row) -> tuple[object, ...]:
            return (_natural(r.cell(column)), r.key)

    return sorted(rows, key=key, reverse=reverse)

