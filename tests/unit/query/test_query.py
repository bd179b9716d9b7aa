"""``em.query`` on mocked EM answers: the vendor's ``<QueryResult>`` bodies, paging
by the ``Next`` link's page number, and pages a hostile server links badly."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from aioresponses import aioresponses

from tests.conftest import API, BASE, PASSWORD, USER, add_logon, fixture_bytes
from veeam_em_async import BackupJobSession, EnterpriseManager, EntityRef, F

QUERY = re.compile(r"^https://em\.test:9398/api/query\?.*$")
NS = 'xmlns="http://www.veeam.com/ent/v1.0"'


def sent(mock: aioresponses) -> list[dict[str, list[str]]]:
    """The query parameters of every GET /query, in order."""
    return [
        parse_qs(urlsplit(str(url)).query)
        for (method, url), calls in mock.requests.items()
        if method == "GET" and str(url).startswith(f"{API}/query")
        for _ in calls
    ]


def page(num: int, count: int, names: list[str], next_href: str | None) -> str:
    refs = "".join(
        f'<Ref Type="JobReference" Href="{API}/jobs/{n}" Name="{n}" UID="urn:veeam:Job:{n}" />'
        for n in names
    )
    links = f'<Link Rel="Next" Href="{escape(next_href)}" />' if next_href else ""
    return (
        f'<QueryResult {NS}><Refs>{refs}</Refs><PagingInfo PageNum="{num}" PageSize="2" '
        f'PagesCount="{count}"><Links>{links}</Links></PagingInfo></QueryResult>'
    )


async def test_the_vendors_entities_answer(mock: aioresponses) -> None:
    add_logon(mock)
    mock.get(QUERY, body=fixture_bytes("query_backup_job_sessions.xml"))
    since = datetime(2025, 8, 15, 6, tzinfo=timezone.utc)
    async with EnterpriseManager(BASE, USER, PASSWORD) as em:
        q = (F.Result == "Failed") & (F.CreationTime >= since)
        sessions = await em.query("BackupJobSession", filter=q).all()
    assert [type(s) for s in sessions] == [BackupJobSession, BackupJobSession]
    first, second = sessions
    assert first.id == "07fb4019-dc8c-45ba-a36f-d15f2e7fe41b"
    assert first.job_name == "Periodic Backup Copy Job\\Backup Job 1"
    assert (first.job_type, first.result, first.is_retry) == (
        "ImmediateBackupCopyWorker", "Failed", True,
    )  # fmt: skip
    assert first.end_time == datetime(2025, 8, 16, 5, 25, 1, 879599, tzinfo=timezone.utc)
    assert (second.job_name, second.result, second.is_retry) == ("Backup Job 2", "Success", False)
    (params,) = sent(mock)  # PagesCount="1": no second request
    assert params == {
        "type": ["BackupJobSession"],
        "format": ["Entities"],
        "filter": ['Result==Failed;CreationTime>="2025-08-15T06:00:00Z"'],
    }


async def test_the_next_page_is_asked_for_by_its_number(mock: aioresponses) -> None:
    """The vendor's pageSize example (page 1 of 2, ``&amp;`` links), then page 2;
    the second request keeps our parameters and never goes to the link's host."""
    add_logon(mock)
    mock.get(QUERY, body=fixture_bytes("query_backup_servers_page.xml"))
    last = page(2, 2, ["b"], None).replace("JobReference", "BackupServerReference")
    mock.get(QUERY, body=last)
    async with EnterpriseManager(BASE, USER, PASSWORD) as em:
        refs = await em.query("BackupServer", filter=F.Name != "x", entities=False).all()
    assert [r.name for r in refs] == ["172.17.53.47", "b"]
    assert all(isinstance(r, EntityRef) for r in refs)
    first, second = sent(mock)
    assert first == {"type": ["BackupServer"], "filter": ["Name!=x"]}
    assert second == {**first, "page": ["2"], "pageSize": ["1"]}
    assert all(url.host == "em.test" for (_, url) in mock.requests)  # not localhost


async def test_a_hostile_server_cannot_make_paging_loop(mock: aioresponses) -> None:
    add_logon(mock)
    looping = page(1, 5, ["a", "b"], f"{API}/query?type=Job&page=1")  # Next: itself
    mock.get(QUERY, body=looping)
    past = page(2, 2, ["c"], f"{API}/query?type=Job&page=9")  # Next beyond PagesCount
    empty = page(1, 9, [], f"{API}/query?type=Job&page=2")  # more pages, no items
    mock.get(QUERY, body=past)
    mock.get(QUERY, body=empty)
    async with EnterpriseManager(BASE, USER, PASSWORD) as em:
        assert [r.name for r in await em.query("Job", entities=False).all()] == ["a", "b"]
        assert len(sent(mock)) == 1
        assert [r.name async for r in em.query("Job", entities=False)] == ["c"]
        assert len(sent(mock)) == 2
        assert await em.query("Job", entities=False).all() == []
        assert len(sent(mock)) == 3
