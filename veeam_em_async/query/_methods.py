"""``em.query(type, …)``, typed: the overloads that give each known query type
its model (``Query[Job]`` for ``"Job"``), apart from the client's facade."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, overload

from ..models import (
    AgentBackupJob,
    BackupJobSession,
    EntityRef,
    Job,
    NasJob,
    ReplicaJobSession,
    Repository,
)
from ._filters import FilterLike
from ._query import Query

if TYPE_CHECKING:
    from ..transport import Transport


class QueryMethods:
    """The query entry point of `EnterpriseManager`."""

    _transport: Transport

    # fmt: off
    @overload
    def query(self, type: str, *, filter: FilterLike | None = ..., sort_asc: str | None = ...,
              sort_desc: str | None = ..., page_size: int | None = ...,
              entities: Literal[False]) -> Query[EntityRef]: ...
    @overload
    def query(self, type: Literal["Job"], *, filter: FilterLike | None = ...,
              sort_asc: str | None = ..., sort_desc: str | None = ...,
              page_size: int | None = ..., entities: Literal[True] = ...) -> Query[Job]: ...
    @overload
    def query(self, type: Literal["NasJob"], *, filter: FilterLike | None = ...,
              sort_asc: str | None = ..., sort_desc: str | None = ...,
              page_size: int | None = ..., entities: Literal[True] = ...) -> Query[NasJob]: ...
    @overload
    def query(self, type: Literal["BackupJobSession"], *, filter: FilterLike | None = ...,
              sort_asc: str | None = ..., sort_desc: str | None = ..., page_size: int | None = ...,
              entities: Literal[True] = ...) -> Query[BackupJobSession]: ...
    @overload
    def query(self, type: Literal["ReplicaJobSession"], *, filter: FilterLike | None = ...,
              sort_asc: str | None = ..., sort_desc: str | None = ..., page_size: int | None = ...,
              entities: Literal[True] = ...) -> Query[ReplicaJobSession]: ...
    @overload
    def query(self, type: Literal["Repository"], *, filter: FilterLike | None = ...,
              sort_asc: str | None = ..., sort_desc: str | None = ..., page_size: int | None = ...,
              entities: Literal[True] = ...) -> Query[Repository]: ...
    @overload
    def query(self, type: Literal["AgentBackupJob"], *, filter: FilterLike | None = ...,
              sort_asc: str | None = ..., sort_desc: str | None = ..., page_size: int | None = ...,
              entities: Literal[True] = ...) -> Query[AgentBackupJob]: ...
    @overload
    def query(self, type: str, *, filter: FilterLike | None = ..., sort_asc: str | None = ...,
              sort_desc: str | None = ..., page_size: int | None = ...,
              entities: bool = ...) -> Query[Any]: ...
    # fmt: on
    def query(
        self,
        type: str,
        *,
        filter: FilterLike | None = None,
        sort_asc: str | None = None,
        sort_desc: str | None = None,
        page_size: int | None = None,
        entities: bool = True,
    ) -> Query[Any]:
        """EM's query service (``GET /query?type=…``) as an async iterator.

        ``type`` is EM's type name (``"Job"``, ``"BackupJobSession"``, ``"Task"``,
        …); ``filter`` an `F` expression or EM's filter text. Items are
        models for the types the client knows (``format=Entities``) and
        `EntityRef` for the others or with ``entities=False``. Pages
        are fetched as iteration reaches them; ``.all()`` and ``.first()``
        are shortcuts. Nothing is sent until iteration starts.
        """
        return Query(
            self._transport, type, filter=filter, sort_asc=sort_asc, sort_desc=sort_desc,
            page_size=page_size, entities=entities,
        )  # fmt: skip
