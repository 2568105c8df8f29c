"""Just enough S-expression to print what libvirt sent xend, and to read it back.

Writing: libvirt's Xen driver quoted values in single quotes. From 2010-11 (libvirt commit
3afe5d402b, first released in 0.8.6) it put a backslash before each ``\\`` and ``'`` in a value
(``virBufferEscapeSexpr``); before that, values were pasted in raw, so a quote or backslash in a
value broke xend's reader. ``mac`` and ``rate`` were never escaped (libvirt formats them itself).

Reading: xend's own reader (``xen/xend/sxp.py``) takes bare symbols and ``'…'``/``"…"`` strings,
and always honours backslash escapes inside strings. ``parse`` does the same by default; with
``backslash_escapes=False`` it reads a string raw up to the next quote, as the pre-0.8.6 writer
meant it. xend itself wrote a value that is not a bare atom with Python 2's ``repr()``, so a
byte outside printable ASCII comes back as ``\\xNN``; a value is Python 2 bytes, UTF-8 in
xend's records, and ``parse`` decodes each run of such bytes as UTF-8 (`SxprEscapeError`
when they are not). Everything here is a pure function over strings and nested lists.
"""

from __future__ import annotations

from typing import TypeAlias

Node: TypeAlias = "str | list[Node]"
"""A parsed expression: an atom (symbol or unquoted string value) or a list of nodes."""

ESCAPING_ERAS = frozenset({"0.8.6", "0.9.12", "1.3.1"})
"""The libvirt eras that escape quoted values (3afe5d402b)."""

UNSAFE_RAW = ("'", "\\")
"""Characters that a raw (pre-0.8.6) quoted value cannot carry."""

# xend's sxp reader maps these escapes, and ``\xNN`` to the byte NN (`_read_string`); anything
# else after a backslash stands for itself.
_READ_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v"}
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_DELIMITERS = "()'\""


class SxprError(ValueError):
    """Text that is not a well-formed S-expression (with the offset where reading failed)."""

    def __init__(self, message: str, offset: int):
        super().__init__(f"{message} at offset {offset}")
        self.reason = message
        self.offset = offset


class SxprEscapeError(SxprError):
    """A ``\\x`` escape in a string that does not give text: not two hex digits, or bytes
    that are not UTF-8. ``item``: the name of the innermost list around the string (the
    field, ``bridge`` for ``(bridge 'br\\xff')``), None when no list around it has one."""

    item: str | None = None


def escapes(era: str) -> bool:
    """Whether libvirt ``era`` escaped quoted values."""
    return era in ESCAPING_ERAS


def unsafe_raw(value: str) -> bool:
    """True when a raw (unescaped) quoted value would mis-parse in xend."""
    return any(ch in value for ch in UNSAFE_RAW)


def escape(value: str) -> str:
    """libvirt's ``virBufferEscapeSexpr``: a backslash before each backslash and quote."""
    return value.replace("\\", "\\\\").replace("'", "\\'")


def quote(value: str, *, escaped: bool) -> str:
    return "'" + (escape(value) if escaped else value) + "'"


def item(key: str, value: str, *, quoted: bool = True, escaped: bool = False) -> str:
    """One ``(key 'value')`` item; ``quoted=False`` gives a bare ``(key value)``."""
    return f"({key} {quote(value, escaped=escaped) if quoted else value})"


MAX_DEPTH = 64
"""Nesting deeper than any xend record (a domain's is about five levels): refused, so the
walks over the result never run out of stack."""
COMMENT_STARTS = ";#"
"""A token starting with one of these runs to the end of the line and is a comment (xend's
own files have none; pasted ones do, and a commented-out vif must not be imported)."""


def parse(text: str, *, backslash_escapes: bool = True,
          undecodable: list[SxprEscapeError] | None = None) -> list[Node]:  # fmt: skip
    """Every top-level expression in ``text``, as nested lists of strings.

    Quoted and bare atoms both come back as plain strings (quotes removed, escapes applied),
    which is how xend stored them.
    """
    stack: list[list[Node]] = [[]]
    i, length = 0, len(text)
    while i < length:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in COMMENT_STARTS:
            newline = text.find("\n", i)
            i = length if newline < 0 else newline + 1
        elif ch == "(":
            if len(stack) > MAX_DEPTH:
                raise SxprError(f"nested deeper than {MAX_DEPTH} levels", i)
            stack.append([])
            i += 1
        elif ch == ")":
            if len(stack) == 1:
                raise SxprError("unbalanced ')'", i)
            done = stack.pop()
            stack[-1].append(done)
            i += 1
        elif ch in "'\"":
            item = next((node[0] for node in reversed(stack) if node and isinstance(node[0], str)), None)
            bad: list[SxprEscapeError] | None = [] if undecodable is not None else None
            try:
                value, i = _read_string(text, i, backslash_escapes, bad)
            except SxprEscapeError as exc:
                exc.item = item
                raise
            if undecodable is not None and bad:
                for error in bad:
                    error.item = item
                undecodable += bad
            stack[-1].append(value)
        else:
            start = i
            while i < length and not text[i].isspace() and text[i] not in _DELIMITERS:
                i += 1
            stack[-1].append(text[start:i])
    if len(stack) != 1:
        raise SxprError("missing ')'", length)
    return stack[0]


def _read_string(text: str, start: int, backslash_escapes: bool,
                 bad: list[SxprEscapeError] | None = None) -> tuple[str, int]:  # fmt: skip
    """The string that starts with the quote at ``start``, and the offset after it; with a
    ``bad`` list, bytes that are not UTF-8 are kept as lone surrogates (``surrogateescape``)
    and their error appended there instead of raised.

    ``\\xNN`` (two hex digits, either case) is the byte NN, as in xend's reader; the bytes of
    consecutive ``\\xNN`` are decoded together, as UTF-8. ``\\x`` without two hex digits is an
    error rather than a guess: Python 2's ``repr()``, xend's writer, always wrote two digits,
    and xend's reader did not take it as a plain ``x`` either (it went into its hex state),
    so reading it as ``x`` (what this reader did before) would silently import another value.
    """
    closing = text[start]
    out: list[str] = []
    run = bytearray()  # the bytes of the current run of \xNN escapes
    run_start = 0
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and backslash_escapes and text.startswith("x", i + 1):
            digits = text[i + 2 : i + 4]
            if len(digits) < 2 or not _HEX_DIGITS.issuperset(digits):
                raise SxprEscapeError("\\x not followed by two hex digits (xend wrote a byte as \\xNN)", i)
            if not run:
                run_start = i
            run.append(int(digits, 16))
            i += 4
            continue
        if run:
            out.append(_utf8(run, run_start, bad))
            run.clear()
        if ch == closing:
            return "".join(out), i + 1
        if ch == "\\" and backslash_escapes:
            if i + 1 >= len(text):
                break
            following = text[i + 1]
            out.append(_READ_ESCAPES.get(following, following))
            i += 2
            continue
        out.append(ch)
        i += 1
    raise SxprError("unterminated string", start)


def _utf8(run: bytearray, offset: int, bad: list[SxprEscapeError] | None = None) -> str:
    """A run of ``\\xNN`` bytes (the first escape at ``offset``, each four characters) as UTF-8."""
    try:
        return run.decode("utf-8")
    except UnicodeDecodeError as exc:
        shown = "".join(f"\\x{byte:02x}" for byte in run[exc.start : exc.end])
        error = SxprEscapeError(f"{shown} is not UTF-8 (xend's values were UTF-8 bytes)", offset + 4 * exc.start)
        if bad is None:
            raise error from None
        bad.append(error)
        return run.decode("utf-8", "surrogateescape")


def parse_one(text: str, *, backslash_escapes: bool = True) -> Node:
    """The single expression in ``text`` (an error when there is none or more than one)."""
    nodes = parse(text, backslash_escapes=backslash_escapes)
    if len(nodes) != 1:
        raise SxprError(f"expected one expression, found {len(nodes)}", 0)
    return nodes[0]


def vif_fields(node: Node) -> dict[str, str]:
    """The key→value items of a ``(device (vif …))`` or ``(vif …)`` expression, in order."""
    if isinstance(node, list) and len(node) == 2 and node[0] == "device":
        node = node[1]
    if not isinstance(node, list) or not node or node[0] != "vif":
        raise ValueError("not a (vif …) expression")
    fields: dict[str, str] = {}
    for entry in node[1:]:
        if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str) and isinstance(entry[1], str):
            fields[entry[0]] = entry[1]
        else:
            raise ValueError(f"unexpected vif item {entry!r}")
    return fields


def tree(node: Node, *, escaped: bool = True, indent: str = "  ") -> str:
    """An indented, one-item-per-line view of a parsed expression (the "sxpr tree" output).

    A list whose items are all atoms stays on one line; deeper lists open a new level.
    """
    lines: list[str] = []
    _tree_lines(node, 0, indent, escaped, lines)
    return "\n".join(lines)


def _atom(value: str, escaped: bool) -> str:
    bare = value and value[0] not in COMMENT_STARTS  # a bare ";x" would read back as a comment
    if bare and not any(ch.isspace() or ch in _DELIMITERS or ch == "\\" for ch in value):
        return value
    return quote(value, escaped=escaped)


def _tree_lines(node: Node, depth: int, indent: str, escaped: bool, lines: list[str]) -> None:
    pad = indent * depth
    if isinstance(node, str):
        lines.append(pad + _atom(node, escaped))
        return
    if all(isinstance(child, str) for child in node):
        lines.append(pad + "(" + " ".join(_atom(child, escaped) for child in node if isinstance(child, str)) + ")")
        return
    head = node[0] if node and isinstance(node[0], str) else None
    lines.append(pad + "(" + (_atom(head, escaped) if head is not None else ""))
    for child in node[1 if head is not None else 0 :]:
        _tree_lines(child, depth + 1, indent, escaped, lines)
    lines[-1] += ")"
