"""The query service's answer, ``<QueryResult>``: one page of entities or
references, and ``PagingInfo`` to the others.

``format=Entities`` nests the items twice (``<Entities><BackupJobSessions>
<BackupJobSession/>…``, and ``<NASJobs><NASJob/>`` for ``type=NasJob``: the
element names are not always the type's), so the items are whatever single
group ``<Entities>`` holds. EM's non-key resources come in ``<Resources>``
instead (``<Resources><Tasks><Task/>…`` for ``type=Task``, the vendor's whole
13.1 example), read the same way; references come as ``<Refs><Ref/>…``. EM escapes
the ``&`` of ``PagingInfo`` links as ``&amp;``; the XML parser unescapes it.
Both shapes are the vendor's (``tests/fixtures/query_*.xml``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qs, urlsplit

import attrs

from .agents import AgentBackupJob
from .backup_servers import BackupServer
from .common import EntityRef, HasLinks, Link, Model, xml
from .docs import Body, _content, _structure
from .hierarchy import HierarchyRoot
from .jobs import Job, ObjectInJob
from .nas import NasJob
from .repositories import Repository
from .restore_points import Backup, RestorePoint, VmRestorePoint
from .sessions import BackupJobSession, BackupTaskSession, ReplicaJobSession, ReplicaTaskSession
from .tasks import TaskInfo

T = TypeVar("T")

__all__ = ["QUERY_MODELS", "PagingInfo", "QueryPage", "parse_query_page", "query_model"]

#: Query type (lower case, as EM compares it) -> the model its entities become.
QUERY_MODELS: dict[str, type[Any]] = {
    "job": Job,
    "nasjob": NasJob,
    "backupjobsession": BackupJobSession,
    "replicajobsession": ReplicaJobSession,
    "backuptasksession": BackupTaskSession,
    "replicatasksession": ReplicaTaskSession,
    "task": TaskInfo,
    "repository": Repository,
    "backupserver": BackupServer,
    "agentbackupjob": AgentBackupJob,
    "objectinjob": ObjectInJob,
    "backup": Backup,
    "restorepoint": RestorePoint,
    "vmrestorepoint": VmRestorePoint,
    "hierarchyroot": HierarchyRoot,
}


def query_model(query_type: str) -> type[Any] | None:
    """The model ``type=<query_type>&format=Entities`` items become, or ``None``
    (a type the client has no model for: its items are read as references)."""
    return QUERY_MODELS.get(query_type.lower())


@attrs.frozen
class PagingInfo(Model, HasLinks):
    """Which page this is, of how many (present when ``pageSize`` was sent)."""

    page_num: int | None = xml("@PageNum", default=None)
    page_size: int | None = xml("@PageSize", default=None)
    pages_count: int | None = xml("@PagesCount", default=None)
    links: list[Link] = xml("Links/Link", factory=list)


@attrs.frozen
class QueryPage(Generic[T]):
    """One page of a query: its items, and which page comes next (``None``: last)."""

    items: list[T]
    paging: PagingInfo | None = None
    #: The items EM sent (``items`` may hold fewer: those a ``keep`` took).
    sent: int | None = None

    @property
    def empty(self) -> bool:
        """Whether EM sent no item: the end of a reading."""
        return (len(self.items) if self.sent is None else self.sent) == 0

    @property
    def next_href(self) -> str | None:
        """The ``Next`` link as EM wrote it (``&amp;`` already unescaped)."""
        link = self.paging.link("Next") if self.paging is not None else None
        return link.href if link is not None and self.next_page is not None else None

    @property
    def next_page(self) -> int | None:
        """The number of the next page, read from the ``Next`` link's ``page``
        (or this page's number + 1), only if it moves forward and stays within
        ``PagesCount``: a server that links a page to itself or past its own
        count does not make a caller loop."""
        paging = self.paging
        if paging is None or paging.page_num is None:
            return None
        link = paging.link("Next")
        number: int | None = None
        if link is not None and link.href:
            values = parse_qs(urlsplit(link.href).query).get("page")
            number = int(values[0]) if values and values[0].isdigit() else paging.page_num + 1
        elif paging.pages_count is not None:
            number = paging.page_num + 1
        if number is None or number <= paging.page_num:
            return None
        if paging.pages_count is not None and number > paging.pages_count:
            return None
        return number


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _children(node: Any) -> list[Any]:
    """The element children of ``node`` (attributes and text left out)."""
    if not isinstance(node, dict):
        return []
    return [v for k, v in node.items() if not k.startswith(("@", "#"))]


def parse_query_page(
    data: Body, model: type[T] | None, keep: Callable[[Any], bool] | None = None
) -> QueryPage[Any]:
    """Parse a ``<QueryResult>``: ``format=Entities`` items (in ``<Entities>`` or
    ``<Resources>``) as ``model``, or with ``model=None`` the ``<Refs>`` as
    `EntityRef`. ``keep``, given xmltodict's dict of an entity, says whether to
    structure it at all (a reader that needs only some items skips the others'
    models)."""
    content = _content(data, "QueryResult")
    raw: list[Any] = []
    if model is not None:
        for container in ("Entities", "Resources"):
            for group in _children(content.get(container)):
                for items in _children(group):
                    raw.extend(_as_list(items))
        sent = len(raw)
        if keep is not None:
            raw = [item for item in raw if keep(item)]
        items_out: list[Any] = _structure("QueryResult", raw, list[model], data)  # type: ignore[valid-type]
    else:
        refs = content.get("Refs") or {}
        raw = _as_list(refs.get("Ref") if isinstance(refs, dict) else None)
        items_out = _structure("QueryResult", raw, list[EntityRef], data)
        sent = len(raw)
        sent = len(raw)
    paging_raw = content.get("PagingInfo")
    paging = (
        _structure("QueryResult", paging_raw, PagingInfo, data)
        if isinstance(paging_raw, dict)
        else None
    )
    return QueryPage(items_out, paging, sent)
