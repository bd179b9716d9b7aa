"""EM XML bytes <-> plain dicts, with the safety checks in one place.

Parsing goes through xmltodict (expat underneath) with entity declarations and
any DOCTYPE refused outright: EM never sends a DTD, so a body that has one is
hostile or not from EM, and refusing it makes entity expansion (billion laughs,
external entities) impossible rather than merely limited.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any
from xml.parsers import expat
from xml.sax.saxutils import escape, quoteattr

import xmltodict

from .errors import ResponseParseError

EM_NAMESPACE = "http://www.veeam.com/ent/v1.0"
XSD_NAMESPACE = "http://www.w3.org/2001/XMLSchema"
XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance"

#: Bodies larger than this are refused before parsing (EM's largest documents,
#: task lists of a busy session, stay far below it).
MAX_BODY_BYTES = 32 * 1024 * 1024

__all__ = [
    "EM_NAMESPACE",
    "MAX_BODY_BYTES",
    "ListItemScanner",
    "key_pattern",
    "parse_document",
    "parse_fragment",
    "render_document",
]


def _refuse_doctype(*_args: object) -> None:
    raise ValueError("a DOCTYPE is not allowed in an EM document")


class _HardenedExpat:
    """Stands in for the ``expat`` module xmltodict calls ``ParserCreate`` on."""

    @staticmethod
    def ParserCreate(*args: Any, **kwargs: Any) -> Any:  # noqa: N802 - expat's name
        parser = expat.ParserCreate(*args, **kwargs)
        parser.StartDoctypeDeclHandler = _refuse_doctype
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        return parser


def _parse_element(data: bytes | bytearray, where: str) -> tuple[str, Any]:
    """The one call of xmltodict: hardened expat, entities refused, every parser
    failure a `ResponseParseError`; one root element or an error."""
    try:
        # expat reads any bytes-like object: the body is parsed where it lies.
        parsed = xmltodict.parse(data, expat=_HardenedExpat, disable_entities=True)
    except (expat.ExpatError, ValueError, LookupError, RecursionError, MemoryError) as exc:
        # LookupError: an unknown encoding in the XML declaration
        raise ResponseParseError(f"not well-formed XML{where}: {exc}", data) from None
    if not isinstance(parsed, dict) or len(parsed) != 1:
        raise ResponseParseError(f"no root element{where}", data)
    ((root, content),) = parsed.items()
    return root, content


def parse_document(data: bytes | bytearray | str) -> tuple[str, dict[str, Any]]:
    """Parse one EM document into ``(root element name, root content)``.

    The root must be in EM's namespace. The content is xmltodict's shape:
    attributes as ``@Name``, text beside attributes as ``#text``, an empty
    element as ``None``; the converter deals with lists of one and the rest.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, (bytes, bytearray)):
        raise ResponseParseError(f"expected bytes or str, got {type(data).__name__}")
    if len(data) > MAX_BODY_BYTES:
        raise ResponseParseError(f"body of {len(data)} bytes exceeds {MAX_BODY_BYTES}", data)
    if not data or data.isspace():  # (no stripped copy of a large body)
        raise ResponseParseError("empty body where an EM document was expected")
    root, content = _parse_element(data, "")
    if content is None:
        content = {}
    if not isinstance(content, dict):
        # A root holding only text, e.g. <Job>oops</Job>: no namespace either.
        raise ResponseParseError(f"root element <{root}> has no EM content", data)
    namespace = content.get("@xmlns")
    if namespace != EM_NAMESPACE:
        raise ResponseParseError(
            f"root element <{root}> is not in the EM namespace (xmlns={namespace!r})", data
        )
    return root, content


def parse_fragment(data: bytes | bytearray) -> tuple[str, dict[str, Any]]:
    """Parse one element cut out of an EM list document (see `ListItemScanner`).

    The same hardened parser as `parse_document`; only the namespace
    check is left out, because the list's root, which carries it, was checked.
    """
    root, content = _parse_element(data, " in a list item")
    if not isinstance(content, dict):
        raise ResponseParseError(f"list item <{root}> has no content", data)
    return root, content


_PROLOGUE = re.compile(rb"\s*(?:<\?xml\s[^>]*\?>\s*)?<([A-Za-z][\w.-]*)([^>]*)>")
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([^"']*)["']""")
_UTF8 = frozenset({b"utf-8", b"utf8", b"us-ascii", b"ascii"})
_ITEM_WINDOW = 64 * 1024  # how far before its key an item's start tag may be


def key_pattern(key: str) -> re.Pattern[bytes]:
    """``<key>text</key>`` with plain text (an id: letters, digits, ``.``, ``_``, ``-``)."""
    return re.compile(f"<{key}>([A-Za-z0-9._-]{{1,128}})</{key}>".encode())


class ListItemScanner:
    """Finds the ``<item>`` elements of a big EM list document by the text of
    their ``<key>`` child, with a byte scan instead of a parse.

    EM's ``GET /tasks`` lists every task of the logon session, so a service
    that stays logged on for days gets an ever longer answer for the few tasks
    it awaits. Parsing all of it with xmltodict costs O(history) per poll;
    finding the awaited items by bytes and parsing only those costs a regular
    expression over the body (C speed) plus O(awaited) parsing.

    `find` answers ``None`` whenever the body is not in the plain shape
    it understands (another encoding, another root, a namespace prefix…): the
    caller then parses the document whole, so an odd body costs time, never
    correctness. Fragments are parsed with `parse_fragment`, hardened
    like everything else here.
    """

    def __init__(self, root: str, item: str, key: str) -> None:
        self.root = root.encode()
        self.item_open = (f"<{item} ".encode(), f"<{item}>".encode())
        self.item_close = f"</{item}>".encode()
        self.key_open = f"<{key}>".encode()
        self.key_pattern = key_pattern(key)

    def find(self, data: bytes | bytearray, wanted: Collection[str]) -> dict[str, bytes] | None:
        """``{key: fragment}`` for the wanted keys present in ``data``, or ``None``."""
        prologue = _PROLOGUE.match(data, 0, 4096)
        if prologue is None or prologue.group(1) != self.root:
            return None
        declaration = data[: prologue.start(1)]
        encoding = _ENCODING.search(declaration)
        if encoding is not None and encoding.group(1).lower() not in _UTF8:
            return None
        if f'xmlns="{EM_NAMESPACE}"'.encode() not in prologue.group(2):
            return None
        wanted_bytes = {k.encode() for k in wanted}
        found: dict[str, bytes] = {}
        open_space, open_bare = self.item_open
        for match in self.key_pattern.finditer(data, prologue.end()):
            key = match.group(1)
            if key not in wanted_bytes:
                continue
            # The item's start tag is near its key: search back a bounded window, or a
            # missing "<Task>" form would make each search run to the body's start.
            window = max(prologue.end(), match.start() - _ITEM_WINDOW)
            start = data.rfind(open_space, window, match.start())
            bare = data.rfind(open_bare, max(start, window), match.start())  # only after it
            start = max(start, bare)
            end = data.find(self.item_close, match.end())
            if start < 0 or end < 0:
                return None
            fragment = bytes(data[start : end + len(self.item_close)])
            if fragment.count(self.key_open) != 1 or key.decode() in found:
                return None  # nested or repeated keys: not the plain shape
            found[key.decode()] = fragment
        return found


def render_document(root: str, content: Mapping[str, Any]) -> bytes:
    """Serialise ``content`` as an EM request body, keeping the given order.

    ``content`` maps element names to text, nested mappings, lists (repeated
    elements) or ``None`` (left out). Keys starting with ``@`` are attributes.
    EM checks element order against its XSD, so callers build the mapping in
    the schema's order; this function never reorders.
    """
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n']
    attrs = {
        "@xmlns": EM_NAMESPACE,
        "@xmlns:xsd": XSD_NAMESPACE,
        "@xmlns:xsi": XSI_NAMESPACE,
        **{k: v for k, v in content.items() if k.startswith("@")},
    }
    _render(parts, root, {**attrs, **content}, 0)
    return "".join(parts).encode("utf-8")


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _render(parts: list[str], name: str, value: object, depth: int) -> None:
    indent = "  " * depth
    if value is None:
        return
    if isinstance(value, Sequence) and not isinstance(value, str):
        for item in value:
            _render(parts, name, item, depth)
        return
    if not isinstance(value, Mapping):
        parts.append(f"{indent}<{name}>{escape(_text(value))}</{name}>\n")
        return
    attributes = "".join(
        f" {key[1:]}={quoteattr(_text(v))}"
        for key, v in value.items()
        if key.startswith("@") and v is not None
    )
    text = value.get("#text")
    children = [(k, v) for k, v in value.items() if k[0] not in "@#" and v is not None]
    if text is not None and not children:
        parts.append(f"{indent}<{name}{attributes}>{escape(_text(text))}</{name}>\n")
        return
    if not children:
        parts.append(f"{indent}<{name}{attributes} />\n")
        return
    parts.append(f"{indent}<{name}{attributes}>\n")
    for key, child in children:
        _render(parts, key, child, depth + 1)
    parts.append(f"{indent}</{name}>\n")
