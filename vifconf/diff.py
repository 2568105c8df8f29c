"""The XML diff shown before saving: on-disk bytes vs what would be written (no Textual)."""

from __future__ import annotations

import difflib
import re

_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")


def lines_with_ends(text: str) -> list[str]:
    """The lines as ``patch`` counts them, each with its ``\n``: `str.splitlines` also ends a
    line at a lone CR, a form feed, U+2028 …, and a diff of such a file applies nowhere."""
    return _LINE.findall(text)


def diff_lines(diff: str) -> list[str]:
    """The lines of a diff (or any text) without their ``\n``, split as `lines_with_ends`."""
    return [line[:-1] if line.endswith("\n") else line for line in lines_with_ends(diff)]


def _lines(data: bytes) -> list[str]:
    """Decoded the way the model reads the file (BOM, XML declaration), so a UTF-16 or
    Latin-1 domain diffs as text; undecodable bytes fall back to UTF-8 with replacements."""
    from vifconf.model.source import InputError, decode

    try:
        text, _ = decode(data, "diff")
    except InputError:
        text = data.decode("utf-8", errors="replace")
    return lines_with_ends(text)


def xml_diff(before: bytes, after: bytes, name: str = "domain.xml", headers: tuple[str, str] | None = None) -> str:
    """A unified diff (3 lines of context) that ``patch`` applies, a missing final newline
    marked; ``""`` when the two are byte-identical. ``headers``: the two file names shown
    (``a/NAME`` and ``b/NAME`` by default)."""
    if before == after:
        return ""
    from_name, to_name = headers or (f"a/{name}", f"b/{name}")
    lines = difflib.unified_diff(_lines(before), _lines(after), from_name, to_name, n=3)
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def diff_stats(diff: str) -> tuple[int, int]:
    """(lines added, lines removed) of a unified diff."""
    added = removed = 0
    for line in diff_lines(diff):
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return added, removed


def nic_line_ranges(data: bytes) -> dict[int, tuple[int, int]]:
    """Where each ``<interface>`` of the document ``data`` sits: NIC index (from 1, document
    order) → (first line, last line), 1-based and inclusive, counted the way `xml_diff`
    splits lines. ``{}`` when ``data`` does not parse (the diff is then shown unmarked)."""
    from bisect import bisect_right

    from vifconf.model import Domain
    from vifconf.model.source import InputError

    try:
        domain = Domain.from_bytes(data, "<edited>")
        nics = domain.nics
        spans = domain.spans
    except (InputError, ValueError):
        return {}
    starts = [0]  # offset where each line begins, split as the diff splits them
    for line in lines_with_ends(domain.text):
        starts.append(starts[-1] + len(line))
    ranges: dict[int, tuple[int, int]] = {}
    for nic in nics:
        span = spans.get(nic.element)
        if span is not None:
            ranges[nic.index] = (bisect_right(starts, span.start), bisect_right(starts, max(span.end - 1, span.start)))
    return ranges


def diff_lines_within(diff: str, first: int, last: int) -> set[int]:
    """Which lines of ``diff`` (indices into `diff_lines`) fall inside lines
    ``first``..``last`` of the new file: context and added lines by their new line number;
    removed lines when they sit between two lines of the range, or replace its first line."""
    inside: set[int] = set()
    lines = diff_lines(diff)
    new = 0  # the new-file number of the next context or added line
    pending: list[int] = []  # removed lines just before line ``first``: ours if a replacement follows
    for index, line in enumerate(lines):
        if line.startswith("@@"):
            pending = []
            try:
                new = int(line.split("+", 1)[1].split(",", 1)[0].split(" ", 1)[0])
            except (IndexError, ValueError):
                new = 0
            new = max(new, 1)  # "+0,0": an empty new file
            continue
        if line.startswith(("---", "+++")) and new == 0:
            continue  # file headers (before the first hunk)
        if line.startswith("\\"):  # "\ No newline at end of file" belongs to the line above
            if index - 1 in inside:
                inside.add(index)
            continue
        if line.startswith("-"):
            if first < new <= last:
                inside.add(index)
            elif new == first:
                pending.append(index)
            continue
        if line.startswith("+") and new == first:
            inside.update(pending)
        pending = []
        if first <= new <= last:
            inside.add(index)
        new += 1
    return inside
