"""The pure parts job runs stand on: filter text, ``<QueryResult>`` pages, the
simulator's filter language, and how a run recognises its session. No server."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta, timezone

import pytest

from veeam_em_async import BackupJobSession, ReplicaJobSession, TaskInfo
from veeam_em_async.errors import InvalidIdentifierError, ResponseParseError
from veeam_em_async.models import EntityRef, Link
from veeam_em_async.models.query import PagingInfo, QueryPage, parse_query_page
from veeam_em_async.query._filters import condition, quote, utc_text
from veeam_em_async.runs._context import is_newer, related_session
from veeam_em_async.runs._sessions import session_kind
from veeam_em_async.simulator.filters import FilterError, compile_filter

NS = 'xmlns="http://www.veeam.com/ent/v1.0"'
UTC = timezone.utc


def test_filter_values_are_quoted_only_when_they_must_be() -> None:
    assert quote("urn:veeam:Job:5658281f-625e-4627-89dd-d2a0c48be99e") == (
        "urn:veeam:Job:5658281f-625e-4627-89dd-d2a0c48be99e"
    )
    assert quote("SQL Backup; prod, (eu)") == '"SQL Backup; prod, (eu)"'
    assert quote('say "hi" \\ bye') == '"say ""hi"" \\ bye"'
    assert quote("Zürich") == '"Zürich"'
    assert quote(True) == "true"
    moment = datetime(2025, 8, 15, 8, 0, 30, 999_000, tzinfo=timezone(timedelta(hours=2)))
    assert quote(moment) == '"2025-08-15T06:00:30Z"'
    assert condition("CreationTime", ">=", moment) == 'CreationTime>="2025-08-15T06:00:30Z"'


def test_filter_text_refuses_what_em_would_misread() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        utc_text(datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="operator"):
        condition("Name", "=", "x")
    with pytest.raises(ValueError, match="field name"):
        condition("Name;Result", "==", "x")


SESSION = (
    '<BackupJobSession Type="BackupJobSession" Href="https://em:9398/api/backupSessions/{id}'
    '?format=Entity" Name="Job 1@2025-08-15" UID="urn:veeam:BackupJobSession:{id}"><Links />'
    "<JobUid>urn:veeam:Job:dce85686-59c8-42c4-8766-f1c00a5b8067</JobUid><JobName>Job 1</JobName>"
    "<JobType>Backup</JobType><CreationTimeUTC>2025-08-15T06:00:00.7Z</CreationTimeUTC>"
    "<EndTimeUTC>2025-08-15T06:10:00Z</EndTimeUTC><State>Stopped</State><Result>{result}</Result>"
    "<Progress>100</Progress><IsRetry>false</IsRetry></BackupJobSession>"
)
ID_1 = "d46e39e0-1131-4585-91a7-e828ce7eafae"
ID_2 = "88b395e2-81ff-439c-558c-188d97274c15"


def test_a_query_page_of_entities_with_paging_links() -> None:
    items = SESSION.format(id=ID_1, result="Success") + SESSION.format(id=ID_2, result="None")
    body = (
        f"<QueryResult {NS}><Entities><BackupJobSessions>{items}</BackupJobSessions></Entities>"
        '<PagingInfo PageNum="1" PageSize="2" PagesCount="3"><Links>'
        '<Link Rel="First" Href="https://em:9398/api/query?type=BackupJobSession'
        '&amp;pageSize=2&amp;page=1" />'
        '<Link Rel="Next" Href="https://em:9398/api/query?type=BackupJobSession'
        '&amp;pageSize=2&amp;page=2" />'
        "</Links></PagingInfo></QueryResult>"
    )  # fmt: skip
    page = parse_query_page(body, BackupJobSession)
    assert [s.id for s in page.items] == [ID_1, ID_2]
    assert [s.result for s in page.items] == ["Success", None]  # EM's word "None"
    assert page.items[0].creation_time == datetime(2025, 8, 15, 6, 0, 0, 700_000, tzinfo=UTC)
    assert page.paging is not None and page.paging.pages_count == 3
    assert page.next_href == "https://em:9398/api/query?type=BackupJobSession&pageSize=2&page=2"
    assert page.next_page == 2


def test_a_query_page_of_references_and_an_empty_one() -> None:
    body = (
        f'<QueryResult {NS}><Refs><Ref Type="BackupServerReference" Href="https://em:9398/api/'
        'backupServers/e42211aa-321d-4f91-9c13-2342cf9557eb" Name="172.17.53.47" '
        'UID="urn:veeam:BackupServer:e42211aa-321d-4f91-9c13-2342cf9557eb" /></Refs>'
        '<PagingInfo PageNum="2" PageSize="1" PagesCount="2"><Links>'
        '<Link Rel="Next" Href="https://em:9398/api/query?page=3" /></Links></PagingInfo>'
        "</QueryResult>"
    )
    page = parse_query_page(body, None)
    assert page.items == [
        EntityRef(
            href="https://em:9398/api/backupServers/e42211aa-321d-4f91-9c13-2342cf9557eb",
            uid="urn:veeam:BackupServer:e42211aa-321d-4f91-9c13-2342cf9557eb",
            name="172.17.53.47",
            type="BackupServerReference",
        )
    ]
    assert page.next_href is None  # page 2 of 2: a stray Next link is not followed
    assert page.next_page is None
    empty = parse_query_page(f"<QueryResult {NS}><Entities /></QueryResult>", BackupJobSession)
    assert empty.items == [] and empty.next_href is None
    with pytest.raises(ResponseParseError, match="expected <QueryResult>"):
        parse_query_page(f"<EntityReferences {NS} />", None)


def test_the_simulators_filter_language() -> None:
    row = {
        "name": "SQL Backup",
        "result": "Warning",
        "state": "Stopped",
        "jobuid": "urn:veeam:Job:dce85686",
        "isretry": False,
        "creationtime": datetime(2025, 8, 15, 6, 0, tzinfo=UTC),
    }
    cases = {
        'Name=="SQL Backup"': True,
        "name==sql*": True,
        "Result>Success;Result<Failed": True,
        "Result==Failed,Result==Warning": True,
        "(Result==Failed,Result==Success);State==Stopped": False,
        'State!=Stopped,CreationTime>="2025-08-15T06:00:00Z"': True,
        'CreationTime>"2025-08-15T06:00:00Z"': False,
        "JobUid==dce85686": True,
        "IsRetry==false": True,
        "Missing==x": False,
        "Missing!=x": True,
    }
    assert {text: compile_filter(text)(row) for text in cases} == cases
    for broken in ("(Result==Failed", "Result==Failed;", ";", "Result"):
        with pytest.raises(FilterError):
            compile_filter(broken)


def _session(uid: str, minute: int, cls: type = BackupJobSession) -> BackupJobSession:
    return cls(uid=uid, creation_time=datetime(2025, 1, 1, 0, minute, tzinfo=UTC))  # type: ignore[no-any-return]


def test_a_run_never_takes_the_baseline_or_an_older_session() -> None:
    baseline = _session(f"urn:veeam:BackupJobSession:{ID_1}", 30)
    assert is_newer(_session(f"urn:veeam:BackupJobSession:{ID_2}", 31), baseline)
    assert not is_newer(baseline, baseline)
    assert not is_newer(_session(f"urn:veeam:BackupJobSession:{ID_2}", 29), baseline)
    assert is_newer(baseline, None)  # the job never ran before
    # A server-wide baseline (run_many): a session of the same instant is an older run.
    same_instant = _session(f"urn:veeam:BackupJobSession:{ID_2}", 30)
    assert is_newer(same_instant, baseline) and not is_newer(same_instant, baseline, strict=True)
    assert is_newer(_session(f"urn:veeam:BackupJobSession:{ID_2}", 31), baseline, strict=True)


def test_the_related_link_of_a_finished_start_task() -> None:
    def task(*links: Link) -> TaskInfo:
        return TaskInfo(id="task-1", state="Finished", links=list(links))

    backup = Link(
        f"https://em:9398/api/backupSessions/{ID_1}?format=Entity", "Related", "BackupJobSession"
    )
    replica = Link(
        f"https://em:9398/api/replicaSessions/{ID_2}", "Related", "ReplicaJobSessionReference"
    )
    job = Link(f"https://em:9398/api/jobs/{ID_2}?format=Entity", "Related", "Job")
    assert related_session(task(backup)) == f"urn:veeam:BackupJobSession:{ID_1}"
    assert related_session(task(job, replica)) == f"urn:veeam:ReplicaJobSession:{ID_2}"
    assert related_session(task(job)) is None and related_session(task()) is None
    assert session_kind(f"urn:veeam:ReplicaJobSession:{ID_2}") == "ReplicaJobSession"
    for bad in (f"urn:veeam:Job:{ID_1}", "urn:veeam:BackupJobSession:", ID_1):
        with pytest.raises(InvalidIdentifierError):
            session_kind(bad)
    assert ReplicaJobSession(uid=f"urn:veeam:ReplicaJobSession:{ID_2}").id == ID_2


async def test_pages_reads_ahead_in_order_and_cancels_what_was_asked_for_when_left() -> None:
    """Query.pages: the next two pages are asked for while one is worked on; leaving
    the loop cancels those, and nothing more is asked for."""
    from veeam_em_async.query import Query

    asked: list[int] = []
    cancelled: list[int] = []
    never = asyncio.Event()

    class Paged(Query[str]):
        async def fetch_page(self, page=None, page_size=None, keep=None):  # type: ignore[no-untyped-def,override]
            number = page or 1
            asked.append(number)
            if number > 3:
                try:
                    await never.wait()  # the pages still on their way when the loop is left
                except asyncio.CancelledError:
                    cancelled.append(number)
                    raise
            links = [Link(href=f"https://em/api/query?page={number + 1}", rel="Next")]
            paging = PagingInfo(page_num=number, page_size=2, pages_count=9, links=links)
            return QueryPage([f"{number}a", f"{number}b"], paging, 2)

    query = Paged.__new__(Paged)
    seen: list[str] = []
    async with contextlib.aclosing(query.pages(read_ahead=2)) as pages:
        async for page in pages:
            await asyncio.sleep(0)  # the caller's work: the pages asked for ahead start
            if page.items == ["1a", "1b"]:
                assert asked == [1, 2, 3]
            seen.extend(page.items)
            if len(seen) == 6:
                break
    assert seen == ["1a", "1b", "2a", "2b", "3a", "3b"]
    assert asked == [1, 2, 3, 4, 5] and sorted(cancelled) == [4, 5]
    await asyncio.sleep(0)
    assert asked == [1, 2, 3, 4, 5]
