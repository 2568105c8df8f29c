"""Source-preserving XML: parse once with a hardened lxml parser, write back by splicing.

lxml re-serialises every attribute with double quotes and normalises empty tags, so a
"parse, edit, tostring" editor rewrites every line of a file that uses ``type='bridge'``.
Admins review diffs; a one-field edit must be a one-line diff. So we keep the original text,
record where each node starts and ends in it, and on save re-emit only the nodes that an edit
touched, copying everything else byte for byte.

Security: no DTD is accepted (libvirt never writes one), entities are never resolved, nothing
is fetched, libxml2's huge-tree limits stay on (depth, text size).
"""

from __future__ import annotations

import codecs
import re
import threading
from dataclasses import dataclass, field

from lxml import etree

MAX_INPUT_BYTES = 64 * 1024 * 1024
"""Above this we refuse with a size message rather than let the machine swap."""


MAX_INTERFACES = 4096
"""More ``<interface>`` elements than any real guest has (PCI and Xen vif limits are far
lower); above this we refuse with a size message instead of taking minutes to render."""



class InputError(Exception):
    """Unreadable or unacceptable input; ``str()`` is the one-line message users see."""

    def __init__(self, source: str, message: str, line: int | None = None, column: int | None = None):
        self.source = source
        self.message = message
        self.line = line
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


@dataclass
class Encoding:
    """How the input was encoded, so a save writes it back the same way."""

    codec: str = "utf-8"
    bom: bytes = b""


_DECL_RE = re.compile(r"""\A<\?xml\s[^>]*?\?>""")
_DECL_ENCODING_RE = re.compile(r"""encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")

# One token of XML markup. DOCTYPEs are refused before we get here.
_MARKUP_RE = re.compile(
    r"""<(?:
        (?P<comment>!--.*?-->)
      | (?P<cdata>!\[CDATA\[.*?\]\]>)
      | (?P<pi>\?.*?\?>)
      | /(?P<end>[^\s>]+)\s*>
      | (?P<start>[^\s/>!?]+)(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*(?P<empty>/?)>
    )""",
    re.DOTALL | re.VERBOSE,
)


@dataclass
class Span:
    """Where a node sits in the original text. For elements: [start, head_end) is the start
    tag, [tail_start, end) the end tag (empty for ``<x/>``)."""

    start: int
    head_end: int
    tail_start: int
    end: int

    @property
    def self_closing(self) -> bool:
        return self.tail_start == self.end == self.head_end


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def _empty(source: str, blank: str) -> InputError:
    """No document at all: located where the root element should have started (as libxml2's
    "Document is empty" is)."""
    line, column = _line_col(blank, len(blank))
    return InputError(source, "empty file: expected a libvirt <domain> XML document", line, column)


def root_position(text: str) -> tuple[int, int] | None:
    """Line and column of the document element's start tag (lxml records only its line)."""
    for match in _MARKUP_RE.finditer(text):
        if match.group("start") is not None:
            return _line_col(text, match.start())
    return None


NOT_CHARSETS = frozenset({"idna", "punycode", "unicode-escape", "raw-unicode-escape", "undefined", "utf-8-sig",
                          "charmap"})  # fmt: skip
"""Python codecs that are text transforms, not character sets: libxml2 (so libvirt) refuses
them, and a file decoded with one here would be saved in a form nothing else reads."""


def _is_charset(info: codecs.CodecInfo) -> bool:
    return bool(getattr(info, "_is_text_encoding", True)) and info.name not in NOT_CHARSETS


def decode(data: bytes, source: str) -> tuple[str, Encoding]:
    """Bytes to text, honouring a BOM or the XML declaration; strict, with a located error."""
    if not data.strip():
        raise _empty(source, data.decode("latin-1"))
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(
            source,
            f"file is {len(data) // (1024 * 1024)} MiB; vifconf reads domain XML up to "
            f"{MAX_INPUT_BYTES // (1024 * 1024)} MiB",
        )
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            body = data[len(bom) :]
            encoding = Encoding(codec, bom)
            blank = body.decode(codec, errors="replace")
            if not blank.strip():
                raise _empty(source, blank)
            break
    else:
        body = data
        # UTF-16 without a BOM, recognised by how "<?" is encoded (XML 1.0, appendix F)
        sniffed = {b"<\x00?\x00": "utf-16-le", b"\x00<\x00?": "utf-16-be"}.get(data[:4])
        encoding = Encoding(sniffed or "utf-8")
        if sniffed is None:
            head = data[:200].decode("latin-1")
            declared = _DECL_RE.match(head)
            if declared:
                name = _DECL_ENCODING_RE.search(declared.group(0))
                if name:
                    try:
                        info = codecs.lookup(name.group(1))
                    except LookupError:
                        info = None
                    if info is None or not _is_charset(info):
                        what = "unknown encoding" if info is None else "not a character set libvirt reads:"
                        raise InputError(source, f"{what} {name.group(1)!r} in the XML declaration", 1, 1) from None
                    encoding = Encoding(info.name)
                    if not _ascii_compatible(encoding.codec):
                        raise InputError(
                            source,
                            f"the XML declaration says encoding {name.group(1)!r}, but the file is not "
                            f"encoded in it (no byte order mark)",
                            1,
                            name.start(1) + 1,
                        )
    if _ascii_compatible(encoding.codec) and b"\x00" in body:
        line, col = byte_line_col(body, body.index(b"\x00"))
        raise InputError(source, "binary data (NUL byte): not an XML document", line, col)
    try:
        text = body.decode(encoding.codec)
    except UnicodeDecodeError as exc:
        if encoding.codec.startswith("utf-16"):
            before = body[: exc.start].decode(encoding.codec, errors="replace")
            line, col = _line_col(before, len(before))
        else:
            line, col = byte_line_col(body, exc.start)
        raise InputError(
            source, f"invalid {encoding.codec.upper()} byte sequence (a binary file, or the wrong encoding)", line, col
        ) from None
    return text, encoding


def byte_line_col(data: bytes, offset: int) -> tuple[int, int]:
    """Line and column (from 1) of a byte offset in ASCII-compatible bytes."""
    return data.count(b"\n", 0, offset) + 1, offset - (data.rfind(b"\n", 0, offset) + 1) + 1


def lone_cr_as_lf(text: str) -> str:
    """A lone CR (a classic Mac file) as LF, same length, so offsets stay true for a reader
    that counts lines at LF only (libxml2 does; XML reads a lone CR as LF anyway)."""
    return _LONE_CR.sub("\n", text) if "\r" in text else text


def _ascii_compatible(codec: str) -> bool:
    try:
        return "<?xml".encode(codec) == b"<?xml"
    except (LookupError, UnicodeError):
        return False


_parsers = threading.local()


def _hardened_parser() -> etree.XMLParser:
    """One parser per thread (an lxml parser must not parse in two threads at once); making
    one costs about as much as parsing a small domain."""
    parser: etree.XMLParser | None = getattr(_parsers, "parser", None)
    if parser is None:
        parser = _parsers.parser = _new_hardened_parser()
    return parser


def _new_hardened_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        remove_comments=False,
        remove_pis=False,
        strip_cdata=False,
    )


def parse(text: str, source: str) -> etree._Element:
    """Parse decoded text into an lxml tree; refuse DTDs; errors carry line and column."""
    # A DTD can only sit in the prolog; refuse it there before libxml2 sees it (entities,
    # external subsets). `<!DOCTYPE` inside a comment or CDATA section is just text.
    prolog = _PROLOG_RE.match(text)
    end = prolog.end() if prolog else 0
    if text.startswith(("<!DOCTYPE", "<!ENTITY"), end):
        line, col = _line_col(text, end)
        raise InputError(source, _DTD_REFUSED, line, col)
    # a cheap count first: only a file that may exceed the limit pays for the exact scan,
    # still before parsing (300k interfaces take seconds and a GB to parse)
    if text.count("<interface") > MAX_INTERFACES:
        starts = _interface_tags(text)
        if len(starts) > MAX_INTERFACES:
            line, col = _line_col(text, starts[MAX_INTERFACES])
            raise InputError(source, f"too large: {len(starts)} <interface> elements; vifconf handles up to "
                             f"{MAX_INTERFACES} per domain (refused)", line, col)  # fmt: skip
    # lxml refuses str input that carries an encoding declaration; blank it out in place so
    # line and column numbers stay true.
    declared = _DECL_RE.match(text)
    if declared:
        text = " " * len(declared.group(0)) + text[declared.end() :]
    text = lone_cr_as_lf(text)
    try:
        root = etree.fromstring(text, _hardened_parser())
    except etree.XMLSyntaxError as exc:
        line, col = exc.position if exc.position else (None, None)
        message = _clean_message(exc.msg)
        if line is not None and col is not None and "truncated" not in message:
            end_line, end_col = _line_col(text, len(text.rstrip()))
            if (line, col) >= (end_line, end_col):
                message += " (the file ends here: truncated?)"
        raise InputError(source, f"malformed XML: {message}", line, col) from None
    except (ValueError, MemoryError) as exc:  # lxml's own refusals; never a traceback
        raise InputError(source, f"malformed XML: {_clean_message(str(exc))}", 1, 1) from None
    # Belt and braces: whatever slipped past the prolog scan, a DTD in the result is refused.
    docinfo: etree.DocInfo = root.getroottree().docinfo
    doctype = str(getattr(docinfo, "doctype", "") or "")
    if doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise InputError(source, _DTD_REFUSED, 1, 1)
    return root


_INTERFACE_RE = re.compile(r"<interface[\s/>]")
_LONE_CR = re.compile(r"\r(?!\n)")
_NOT_MARKUP_RE = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>", re.DOTALL)


def _interface_tags(text: str) -> list[int]:
    """Where each ``<interface`` start tag is: not the text in a comment or CDATA section."""
    hidden = [match.span() for match in _NOT_MARKUP_RE.finditer(text)]
    starts, position = [], 0
    for match in _INTERFACE_RE.finditer(text):
        while position < len(hidden) and hidden[position][1] <= match.start():
            position += 1
        if position == len(hidden) or match.start() < hidden[position][0]:
            starts.append(match.start())
    return starts


_DTD_REFUSED = "DOCTYPE/ENTITY declarations are not allowed in domain XML (refused for safety)"

# Everything that may precede the root element (or a DOCTYPE): declaration, space,
# comments, processing instructions.
_PROLOG_RE = re.compile(r"(?:<\?.*?\?>|<!--.*?-->|\s+)*", re.DOTALL)

_LIBXML_JARGON = [  # patterns compiled on first use (re caches them): errors are rare
    (r"Excessive depth in document: (\d+).*", r"elements nested deeper than \1 levels (refused)"),
    (r"Resource limit exceeded: Buffer size limit exceeded.*", "a value longer than 10 MB (refused)"),
    (r"Resource limit exceeded: Text node too long.*", "a text node longer than 10 MB (refused)"),
    (r"Resource limit exceeded: (.*?),? try XML_PARSE_HUGE.*", r"\1 (refused)"),
    (r"(.*?),? (?:use|try) XML_PARSE_HUGE( option)?", r"\1 (refused)"),
    (r"Premature end of data in tag (\S+).*", r"file ends inside <\1> (truncated?)"),
    (r"EndTag: '</' not found", "file ends before the closing tag (truncated?)"),
    (r"Couldn't find end of Start Tag (\S+)(?: line \d+)?", r"unfinished start tag <\1> (truncated?)"),
    (r"Specification mandates value for attribute (\S+)", r"attribute \1 has no value"),
    (r"Comment not terminated.*", "comment not terminated (truncated?)"),
    (r"Document is empty", "no XML element found (empty document?)"),
    (r"Unicode strings with encoding declaration.*", "malformed XML declaration"),
]


def _clean_message(raw: object) -> str:
    """libxml2's message as one line, without advice meant for programmers."""
    message = " ".join(str(raw or "").split()) or "syntax error"
    message = re.sub(r",? line \d+, column \d+$", "", message)
    for pattern, replacement in _LIBXML_JARGON:
        if re.fullmatch(pattern, message):
            message = re.sub(pattern, replacement, message)
            break
    return message


def iter_nodes(root: etree._Element) -> list[etree._Element]:
    """Root and its descendants (elements, comments, PIs) in document order."""
    return [root, *root.iterdescendants()]


def map_spans(text: str, root: etree._Element) -> dict[etree._Element, Span]:
    """Pair every node under ``root`` with its byte range in ``text``.

    lxml and our lexer both walk the document in order, so the k-th start tag is the k-th
    element. A mismatch means the lexer disagrees with libxml2, which must never pass quietly.
    """
    nodes = iter(iter_nodes(root))
    spans: dict[etree._Element, Span] = {}
    stack: list[tuple[etree._Element, int, int]] = []
    started = False  # markup before the root (declaration, comments) is not under root
    for match in _MARKUP_RE.finditer(text):
        kind = match.lastgroup
        if not started:
            if match.group("start") is None:
                continue
            started = True
        if match.group("start") is not None:
            node = next(nodes)
            if not isinstance(node.tag, str):
                raise AssertionError(f"span map out of step at offset {match.start()}")
            if match.group("empty"):
                spans[node] = Span(match.start(), match.end(), match.end(), match.end())
                if not stack:
                    break
            else:
                stack.append((node, match.start(), match.end()))
        elif match.group("end") is not None:
            node, start, head_end = stack.pop()
            spans[node] = Span(start, head_end, match.start(), match.end())
            if not stack:
                break
        elif kind in ("comment", "pi"):
            node = next(nodes)
            spans[node] = Span(match.start(), match.end(), match.end(), match.end())
    return spans


@dataclass
class Style:
    """The conventions of the file, so new markup looks like the old."""

    quote: str = "'"
    indent: str = "  "
    newline: str = "\n"


def detect_style(text: str) -> Style:
    single = len(re.findall(r"""\s[\w:-]+='""", text))
    double = len(re.findall(r'''\s[\w:-]+="''', text))
    indents = re.findall(r"\n([ \t]+)<", text)
    unit = min(indents, key=len) if indents else "  "
    return Style(
        quote="'" if single >= double else '"',
        indent=unit,
        newline="\r\n" if "\r\n" in text else "\r" if "\r" in text and "\n" not in text else "\n",
    )


def escape_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_attr(value: str, quote: str) -> str:
    value = escape_text(value).replace("\n", "&#10;").replace("\t", "&#9;").replace("\r", "&#13;")
    return value.replace(quote, "&apos;" if quote == "'" else "&quot;")


def _content_state(element: etree._Element) -> tuple[object, ...]:
    return (element.text, *((child, child.tail) for child in element))


@dataclass
class Edits:
    """Which nodes an edit touched since load, with their state at load time.

    A touched node whose state is back to what it was (after undo, or an edit that set the
    old value again) counts as unchanged, so it is copied verbatim again.
    """

    _heads: dict[etree._Element, list[tuple[str | bytes, str | bytes]]] = field(default_factory=dict)
    _contents: dict[etree._Element, tuple[object, ...]] = field(default_factory=dict)

    def touch_head(self, element: etree._Element) -> None:
        self._heads.setdefault(element, list(element.attrib.items()))

    def touch_content(self, element: etree._Element) -> None:
        self._contents.setdefault(element, _content_state(element))

    @property
    def heads(self) -> set[etree._Element]:
        """Elements whose attributes differ from load time (start tag rewritten)."""
        return {el for el, attrs in self._heads.items() if list(el.attrib.items()) != attrs}

    @property
    def contents(self) -> set[etree._Element]:
        """Elements whose children or text differ (content rewritten, unchanged children copied)."""
        return {el for el, state in self._contents.items() if _content_state(el) != state}

    def __bool__(self) -> bool:
        return bool(self.heads or self.contents)


class Splicer:
    """Writes the tree back as text, copying unchanged regions from the original."""

    def __init__(self, text: str, root: etree._Element, spans: dict[etree._Element, Span], style: Style):
        self.text = text
        self.root = root
        self.spans = spans
        self.style = style

    def serialize(self, edits: Edits) -> str:
        frozen = _Frozen(edits.heads, edits.contents)
        touched: set[etree._Element] = set()
        for node in frozen.heads | frozen.contents:
            touched.update(node.iterancestors())
            touched.add(node)
        root_span = self.spans[self.root]
        return self.text[: root_span.start] + self._emit(self.root, frozen, touched) + self.text[root_span.end :]

    def _emit(self, node: etree._Element, edits: _Frozen, touched: set[etree._Element]) -> str:
        span = self.spans.get(node)
        if span is not None and node not in touched:
            return self.text[span.start : span.end]
        if not isinstance(node.tag, str):  # a new comment or PI
            return etree.tostring(node, encoding="unicode", with_tail=False)
        if span is None or node in edits.contents:
            return self._fresh(node, edits, touched)
        head = (
            self._head(node, close=span.self_closing) if node in edits.heads else self.text[span.start : span.head_end]
        )
        if span.self_closing:
            return head
        # children list unchanged: copy the gaps between children from the original
        out = [head]
        cursor = span.head_end
        for child in node:
            child_span = self.spans[child]
            out.append(self.text[cursor : child_span.start])
            out.append(self._emit(child, edits, touched))
            cursor = child_span.end
        out.append(self.text[cursor : span.end])
        return "".join(out)

    def _head(self, node: etree._Element, close: bool = False) -> str:
        q = self.style.quote
        parent = node.getparent()
        inherited = parent.nsmap if parent is not None else {}
        declarations = "".join(
            f" xmlns{':' + prefix if prefix else ''}={q}{escape_attr(uri, q)}{q}"
            for prefix, uri in node.nsmap.items()
            if inherited.get(prefix) != uri
        )
        attrs = "".join(
            f" {_qualified(node, k, attribute=True)}={q}{escape_attr(str(v), q)}{q}" for k, v in node.attrib.items()
        )
        return f"<{_qualified(node, node.tag)}{declarations}{attrs}{'/' if close else ''}>"

    def _text(self, value: str | None) -> str:
        """Character data for re-emitted content, with the file's line endings."""
        text = escape_text(value or "")
        if self.style.newline != "\n":
            text = text.replace("\r\n", "\n").replace("\n", self.style.newline)
        return text

    def _fresh(self, node: etree._Element, edits: _Frozen, touched: set[etree._Element]) -> str:
        span = self.spans.get(node)
        empty = len(node) == 0 and not node.text
        if empty:
            if span is not None and span.self_closing and node not in edits.heads:
                return self.text[span.start : span.head_end]
            return self._head(node, close=True)
        if span is not None and not span.self_closing and node not in edits.heads:
            head = self.text[span.start : span.head_end]
            end = self.text[span.tail_start : span.end]
        else:
            head = self._head(node)
            end = f"</{_qualified(node, node.tag)}>"
        out = [head, self._text(node.text)]
        for child in node:
            out.append(self._emit(child, edits, touched))
            out.append(self._text(child.tail))
        out.append(end)
        return "".join(out)


XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace"


def _qualified(node: etree._Element, qname: object, attribute: bool = False) -> str:
    """``prefix:local`` for a Clark-notation name, with the prefixes in scope at ``node``
    (a default namespace never applies to attributes)."""
    name = str(qname)
    if not name.startswith("{"):
        return name
    uri, local = name[1:].split("}", 1)
    if uri == XML_NAMESPACE:
        return f"xml:{local}"
    for prefix, known in node.nsmap.items():
        if known == uri and (prefix or not attribute):
            return f"{prefix}:{local}" if prefix else local
    return local


@dataclass(frozen=True)
class _Frozen:
    """The changed sets computed once per serialisation."""

    heads: set[etree._Element]
    contents: set[etree._Element]
