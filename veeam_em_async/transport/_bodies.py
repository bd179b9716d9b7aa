"""Response bodies with a hard bound on memory, compressed or not.

aiohttp decompresses gzip and deflate by itself, but inflates each network
chunk without an output bound (up to 32 MiB per chunk on recent versions,
unbounded on 3.9), so twenty concurrent gzip bombs cost gigabytes before any
size check of ours could run. The client therefore asks aiohttp for the raw
bytes (``auto_decompress=False``, on every version the dependency floor
allows), advertises only the encodings decoded here, and inflates with
``zlib``'s ``max_length`` so that no step ever produces more than the bytes
still allowed. The body grows in one ``bytearray`` that is handed on as is:
no second copy of it is made. (The read loop itself is in ``_sender``,
the one module that touches aiohttp.)

The bound per body is not a bound per process: twenty bodies read at once
may each grow to it, and a service that talks to several EMs multiplies
that. A `BodyBudget` bounds the bytes of every body being read at once,
across one client or every client that shares it (a fleet): a body that
would take the total past it fails, typed, and gives its bytes back.
"""

from __future__ import annotations

import zlib

from ..errors import BodyBudgetExceededError, ResponseParseError, ResponseTooLargeError

__all__ = ["ACCEPT_ENCODING", "CHUNK_BYTES", "MAX_TOTAL_BODY_BYTES", "BodyBudget", "BodyDecoder"]

#: What the client advertises: exactly what `BodyDecoder` decodes.
ACCEPT_ENCODING = "gzip, deflate"
CHUNK_BYTES = 64 * 1024
#: The default `BodyBudget`: four bodies of the default per-body bound at once.
MAX_TOTAL_BODY_BYTES = 128 * 1024 * 1024


class BodyBudget:
    """The bytes of response bodies being read at once, across every client given it.

    ``EnterpriseManager(..., body_budget=budget)`` with one budget for several
    clients bounds them together. Bytes are taken as a body grows and given
    back once it is read (or failed): what a caller keeps after that is its own.
    Single-threaded, like the event loop it serves.
    """

    __slots__ = ("held", "limit", "peak")

    def __init__(self, limit: int = MAX_TOTAL_BODY_BYTES) -> None:
        if limit < 1:
            raise ValueError("a body budget must be positive")
        self.limit = limit
        self.held = 0
        #: The most bytes held at once (for tests and monitoring).
        self.peak = 0

    def __repr__(self) -> str:
        return f"<BodyBudget {self.held}/{self.limit} bytes held (peak {self.peak})>"

    def take(self, size: int, url: str | None = None) -> None:
        """Hold ``size`` more bytes, or raise `BodyBudgetExceededError`."""
        if self.held + size > self.limit:
            raise BodyBudgetExceededError(self.limit, self.held, url)
        self.held += size
        self.peak = max(self.peak, self.held)

    def give_back(self, size: int) -> None:
        self.held -= size


class BodyDecoder:
    """Decode one ``Content-Encoding`` incrementally into at most ``limit`` bytes.

    Pure: fed bytes, it never does I/O, so its bounds are tested without a server.
    """

    __slots__ = ("_inflate", "_raw_deflate_check", "body", "budget", "held", "limit", "url")

    def __init__(
        self,
        content_encoding: str | None,
        limit: int,
        url: str | None = None,
        budget: BodyBudget | None = None,
    ) -> None:
        encoding = (content_encoding or "identity").strip().lower()
        self.limit = limit
        self.url = url
        self.budget = budget
        self.held = 0  # bytes taken from the budget
        self.body = bytearray()
        self._raw_deflate_check = False
        self._inflate: zlib._Decompress | None
        if encoding in ("", "identity"):
            self._inflate = None
        elif encoding in ("gzip", "x-gzip"):
            self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            # RFC 9110 says zlib-wrapped; some servers send raw deflate. Decide on byte one.
            self._inflate = zlib.decompressobj(zlib.MAX_WBITS)
            self._raw_deflate_check = True
        else:
            raise ResponseParseError(f"unsupported Content-Encoding {content_encoding!r}")

    @property
    def compressed(self) -> bool:
        return self._inflate is not None

    def reserve(self, size: int) -> None:
        """Count ``size`` bytes of this body against the budget (for a body read
        whole, of a length announced within ``limit``)."""
        if self.budget is not None:
            self.budget.take(size, self.url)
            self.held += size

    def release(self) -> None:
        """Give this body's bytes back to the budget: it is read, or failed."""
        if self.budget is not None and self.held:
            self.budget.give_back(self.held)
            self.held = 0

    def _append(self, data: bytes) -> None:
        if len(self.body) + len(data) > self.limit:
            raise ResponseTooLargeError(self.limit, self.url)
        self.reserve(len(data))
        self.body += data

    def feed(self, chunk: bytes) -> None:
        """Take the next bytes off the wire."""
        if self._inflate is None:
            self._append(chunk)
            return
        if self._raw_deflate_check and chunk:
            self._raw_deflate_check = False
            if chunk[0] & 0x0F != 8:  # no zlib header: raw deflate
                self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
        data = chunk
        try:
            while data and not self._inflate.eof:
                room = min(self.limit - len(self.body) + 1, CHUNK_BYTES)  # +1 tells "too large"
                self._append(self._inflate.decompress(data, room))
                data = self._inflate.unconsumed_tail
        except zlib.error as exc:
            raise ResponseParseError(f"corrupt compressed body: {exc}") from None

    def finish(self) -> bytearray:
        """The whole decoded body, once the wire is done."""
        if self._inflate is not None and not self._inflate.eof:
            try:
                self._append(self._inflate.flush(CHUNK_BYTES))
            except zlib.error as exc:  # pragma: no cover - flush after bounded feeds
                raise ResponseParseError(f"corrupt compressed body: {exc}") from None
            if not self._inflate.eof and (self.body or self._inflate.unconsumed_tail):
                raise ResponseParseError("compressed body ends early")
        return self.body
