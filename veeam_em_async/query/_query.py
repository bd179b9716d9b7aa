"""``em.query(...)``: the query service as an async iterator of pages fetched lazily.

A page is requested only when the caller reaches it, so ``break`` after the
first item has cost one request. Pages are counted, never assumed: the
vendor pages say results come on one page by default, yet captured EM
answers hold ``PagingInfo`` with a page of 100, so every answer's
``PagingInfo`` is read and followed.

The next page is asked for by number (``page=N``, with the same ``type``,
``filter``, sort and page size as the first request), the number being the
one EM's ``Next`` link names. The link itself is not sent back: it names the
host as EM knows itself (often ``localhost``), it would take the session
token wherever a body points, and it is already URL-encoded, where our
parameters are encoded exactly once by the HTTP layer.

EM pages by offset: items created or deleted between two page requests can
shift an item across a page boundary. Sort on something stable
(``sort_asc="CreationTime"``) when that matters, as the change feed does.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, Callable
from typing import Any, Generic, TypeVar

from ..models.query import QueryPage, parse_query_page, query_model
from ..transport import Transport
from ._filters import FilterLike, filter_text

__all__ = ["PREFETCH", "Query"]

#: Pages ``Query.all()`` asks for at once after the first: enough to overlap EM's
#: work with the network and our parsing, few enough that a server claiming a
#: billion pages costs a bounded amount at a time.
PREFETCH = 8

T = TypeVar("T")


class Query(Generic[T]):
    """One query: ``async for item in query``, ``await query.all()``, ``await query.first()``.

    Iterating twice sends the requests twice; ``requests`` counts the pages fetched.
    """

    def __init__(
        self,
        transport: Transport,
        query_type: str,
        *,
        filter: FilterLike | None = None,
        sort_asc: str | None = None,
        sort_desc: str | None = None,
        page_size: int | None = None,
        entities: bool = True,
    ) -> None:
        if not query_type or not query_type.isalnum():
            raise ValueError(f"not a query type: {query_type!r}")
        if sort_asc and sort_desc:
            raise ValueError("sort by sort_asc or sort_desc, not both")
        if page_size is not None and page_size < 1:
            raise ValueError("page_size must be at least 1")
        self._transport = transport
        self.query_type = query_type
        self.model: type[Any] | None = query_model(query_type) if entities else None
        params = {"type": query_type}
        if self.model is not None:
            params["format"] = "Entities"
        text = filter_text(filter)
        if text:
            params["filter"] = text
        if sort_asc:
            params["sortAsc"] = sort_asc
        if sort_desc:
            params["sortDesc"] = sort_desc
        if page_size is not None:
            params["pageSize"] = str(page_size)
        self.params: dict[str, str] = params
        self.requests = 0

    def __repr__(self) -> str:
        return f"<Query {self.params!r}>"

    async def fetch_page(
        self,
        page: int | None = None,
        page_size: int | None = None,
        keep: Callable[[Any], bool] | None = None,
    ) -> QueryPage[T]:
        """One page (the first without ``page``); ``keep`` as for `parse_query_page`.

        A body larger than the client's ``parse_offload_bytes`` is parsed in a worker
        thread (without ``keep``, which is not thread-safe): the parse takes as long,
        but the event loop runs between the interpreter's switches instead of
        waiting for it (a 1 MB page blocks the loop about 100 ms otherwise)."""
        params = dict(self.params)
        if page is not None:
            params["page"] = str(page)
        if page_size is not None and "pageSize" not in params:
            params["pageSize"] = str(page_size)
        self.requests += 1
        attributes = {"veeam_em.query.type": self.query_type, "veeam_em.query.page": page or 1}
        with self._transport.telemetry.span("veeam_em.query", attributes):
            response = await self._transport.request("GET", "query", params=params)
            limit = self._transport.parse_offload_bytes
            if limit is not None and keep is None and len(response.body) > limit:
                return await asyncio.to_thread(parse_query_page, response.body, self.model)
            return parse_query_page(response.body, self.model, keep)

    def __aiter__(self) -> _Items[T]:
        return _Items(self)

    async def all(self) -> list[T]:
        """Every item of every page. Once the first page says how many there are,
        the others are fetched `PREFETCH` at a time (within the client's
        connection cap), in order; an empty page ends the reading. Its pages'
        ``veeam_em.query`` spans are under one ``veeam_em.query.all``."""
        with self._transport.telemetry.span("veeam_em.query.all", {"veeam_em.query.type":
                                                                   self.query_type}):  # fmt: skip
            return await self._all()

    async def _all(self) -> list[T]:
        first = await self.fetch_page()
        paging = first.paging
        if not first.items or first.next_page != 2 or paging is None or not paging.pages_count:
            return [item async for item in _Items(self, first)]
        items = list(first.items)
        size = paging.page_size
        for start in range(2, paging.pages_count + 1, PREFETCH):
            numbers = range(start, min(start + PREFETCH, paging.pages_count + 1))
            pages = await asyncio.gather(*(self.fetch_page(n, size) for n in numbers))
            for page in pages:
                items.extend(page.items)
            if any(not page.items for page in pages):
                break
        return items

    async def pages(
        self, read_ahead: int = 2, keep: Callable[[Any], bool] | None = None
    ) -> AsyncGenerator[QueryPage[T], None]:
        """The pages in order, the next ``read_ahead`` asked for while the caller
        works on one (once the first says how many there are), so that EM's work
        and the network overlap this process's parsing; at most ``read_ahead + 1``
        pages are held at a time. An empty page ends the reading. Leaving the
        loop early cancels the pages asked for ahead when the iterator is closed
        (at once inside ``contextlib.aclosing(query.pages())``). ``keep`` as for
        `parse_query_page` (a page whose items were all left out is not empty)."""
        page = await self.fetch_page(keep=keep)
        paging = page.paging
        if page.empty or page.next_page != 2 or paging is None or not paging.pages_count:
            yield page
            while not page.empty and (number := page.next_page) is not None:  # no count: one by one
                page = await self.fetch_page(number, paging.page_size if paging else None, keep)
                yield page
            return
        numbers = iter(range(2, paging.pages_count + 1))
        ahead: deque[asyncio.Future[QueryPage[T]]] = deque()

        def ask() -> None:
            number = next(numbers, None)
            if number is not None:
                future = asyncio.ensure_future(self.fetch_page(number, paging.page_size, keep))
                ahead.append(future)

        try:
            for _ in range(max(1, read_ahead)):  # asked for before the first is worked on
                ask()
            yield page
            while ahead:
                page = await ahead.popleft()
                ask()
                yield page
                if page.empty:
                    return
        finally:
            for future in ahead:
                future.cancel()
            await asyncio.gather(*ahead, return_exceptions=True)

    async def first(self) -> T | None:
        """The first item, or ``None``; asks EM for a page of one unless a page size was set."""
        query = self if "pageSize" in self.params else self._with(pageSize="1")
        async for item in query:
            return item
        return None

    def _with(self, **params: str) -> Query[T]:
        clone: Query[T] = Query.__new__(Query)
        clone.__dict__.update(self.__dict__, params={**self.params, **params}, requests=0)
        return clone


class _Items(Generic[T]):
    """The item iterator: a plain object, so ``break`` leaves nothing to finalise."""

    def __init__(self, query: Query[T], first: QueryPage[T] | None = None) -> None:
        self._query = query
        self._page: QueryPage[T] | None = first
        self._size = first.paging.page_size if first and first.paging else None
        self._index = 0

    def __aiter__(self) -> _Items[T]:
        return self

    async def __anext__(self) -> T:
        while self._page is None or self._index >= len(self._page.items):
            if self._page is None:
                self._page = await self._query.fetch_page()
                self._size = self._page.paging.page_size if self._page.paging else None
            elif (number := self._page.next_page) is not None and self._page.items:
                self._page = await self._query.fetch_page(number, self._size)
            else:
                raise StopAsyncIteration
            self._index = 0
        item = self._page.items[self._index]
        self._index += 1
        return item
