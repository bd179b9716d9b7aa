"""EM's query service: filters (``_filters``, pure), the query as a lazy async
iterator (``_query``), its typed overloads on the client (``_methods``), and the
change feed of ended runs built on it (``_feed``)."""

from ._feed import FEED_INTERVAL, FEED_PAGE_SIZE, SessionFeed
from ._filters import F, Filter, one_of
from ._query import PREFETCH, Query

__all__ = [
    "FEED_INTERVAL", "FEED_PAGE_SIZE", "PREFETCH", "F", "Filter", "Query", "SessionFeed", "one_of",
]  # fmt: skip
