"""The query service's answer, ``<QueryResult>``: one page of entities or
references, and ``PagingInfo`` to the others.

``format=Entities`` nests the items twice (``<Entities><BackupJobSessions>
<BackupJobSession/>…``); references come as ``<Refs><Ref/>…``. EM escapes
the ``&`` of ``PagingInfo`` links as ``&amp;`` and the XML parser unescapes
it, so a link is a URL ready to use.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import attrs

from .common import EntityRef, HasLinks, Link, xml
from .docs import Body, _content, _structure

T = TypeVar("T")

__all__ = ["PagingInfo", "QueryPage", "parse_query_page"]


@attrs.frozen
class PagingInfo(HasLinks):
    """Which page this is, of how many (present when ``pageSize`` was sent)."""

    page_num: int | None = xml("@PageNum", default=None)
    page_size: int | None = xml("@PageSize", default=None)
    pages_count: int | None = xml("@PagesCount", default=None)
    links: list[Link] = xml("Links/Link", factory=list)


@attrs.frozen
class QueryPage(Generic[T]):
    """One page of a query: its items, and where the next page is (``None``: last)."""

    items: list[T]
    paging: PagingInfo | None = None

    @property
    def next_href(self) -> str | None:
        if self.paging is None:
            return None
        link = self.paging.link("Next")
        if link is None:
            return None
        if self.paging.page_num is not None and self.paging.pages_count is not None:
            if self.paging.page_num >= self.paging.pages_count:
                return None
        return link.href


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def parse_query_page(data: Body, model: type[T] | None, item: str | None = None) -> QueryPage[Any]:
    """Parse a ``<QueryResult>``. With ``model`` and ``item`` (``"BackupJobSession"``)
    the items are ``format=Entities`` entities; without, ``EntityRef``s."""
    content = _content(data, "QueryResult")
    if model is not None and item is not None:
        entities = content.get("Entities") or {}
        group = entities.get(f"{item}s") if isinstance(entities, dict) else None
        raw = _as_list(group.get(item) if isinstance(group, dict) else None)
        items: list[Any] = _structure("QueryResult", raw, list[model], data)  # type: ignore[valid-type]
    else:
        refs = content.get("Refs") or {}
        raw = _as_list(refs.get("Ref") if isinstance(refs, dict) else None)
        items = _structure("QueryResult", raw, list[EntityRef], data)
    paging_raw = content.get("PagingInfo")
    paging = (
        _structure("QueryResult", paging_raw, PagingInfo, data)
        if isinstance(paging_raw, dict)
        else None
    )
    return QueryPage(items, paging)
