"""Agent jobs, repositories, job includes and API versions against mocked EM
answers (aioresponses) built from the vendor's bodies."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from xml.etree.ElementTree import canonicalize

import pytest
from aioresponses import aioresponses

from tests.conftest import (
    API,
    BASE,
    LOGON_SESSION_ID,
    PASSWORD,
    USER,
    add_logon,
    fixture_bytes,
    requests_to,
)
from tests.fakes import FakeClock
from veeam_em_async import (
    AgentBackupJob,
    EnterpriseManager,
    EntityRef,
    InvalidIdentifierError,
    ObjectInJob,
    Repository,
    RetryPolicy,
    UnsupportedVersionError,
)

AGENT_ID = "a6deb158-b26c-4140-8b26-5a3cc344e8ec"
REPO_ID = "bffeb9f5-1bdd-4bbd-9299-6fcb7c37bdf6"
JOB_ID = "f365fbd8-fbd2-43ad-9f7a-c87cd390a0d9"
INCLUDE_ID = "83071dc0-44f2-49b6-b431-1cb79ed66639"
TASK_RUNNING = fixture_bytes("task_add_include_running.xml")


def canonical(xml: bytes | str) -> str:
    text = xml.decode() if isinstance(xml, bytes) else xml
    return canonicalize(xml_data=text, strip_text=True)


@pytest.fixture
async def em(mock: aioresponses) -> AsyncIterator[EnterpriseManager]:
    add_logon(mock)
    mock.delete(f"{API}/logonSessions/{LOGON_SESSION_ID}", status=204)
    async with EnterpriseManager(
        BASE, USER, PASSWORD, retry_policy=RetryPolicy(backoff_base=0, jitter=0), clock=FakeClock()
    ) as client:
        yield client


# --- agent jobs --------------------------------------------------------------------


async def test_agent_jobs_list_and_get(em: EnterpriseManager, mock: aioresponses) -> None:
    mock.get(f"{API}/agents/jobs", body=fixture_bytes("agent_job_references.xml"))
    mock.get(f"{API}/agents/jobs/{AGENT_ID}?format=Entity", body=fixture_bytes("agent_job.xml"))
    refs = await em.agent_jobs.list()
    assert [r.name for r in refs] == [
        "Agent Backup Job 1", "Agent Backup rhel72 lvm", "Agent Backup Job SQL",
    ]  # fmt: skip
    assert all(isinstance(r, EntityRef) and r.type == "AgentBackupJobReference" for r in refs)
    job = await em.agent_jobs.get(f"urn:veeam:AgentBackupJob:{AGENT_ID}")
    assert isinstance(job, AgentBackupJob) and job.name == "Server Backup"


@pytest.mark.parametrize(
    ("method", "action"),
    [("start", "start"), ("stop", "stop"), ("retry", "retry"),
     ("toggle_schedule_enabled", "toggleScheduleEnabled")],
)  # fmt: skip
async def test_agent_job_actions_post_once_to_the_agents_url(
    em: EnterpriseManager, mock: aioresponses, method: str, action: str
) -> None:
    url = f"{API}/agents/jobs/{AGENT_ID}?action={action}"
    mock.post(url, status=202, body=TASK_RUNNING)
    task = await getattr(em.agent_jobs, method)(AGENT_ID)
    assert task.id == "task-1"
    assert len(requests_to(mock, "POST", url)) == 1


async def test_agent_job_start_many_reports_each_job(
    em: EnterpriseManager, mock: aioresponses
) -> None:
    refs = [r for r in (await _agent_refs(em, mock))]
    for ref in refs:
        mock.post(f"{API}/agents/jobs/{ref.id}?action=start", status=202, body=TASK_RUNNING)
    outcomes = await em.agent_jobs.start_many(refs, wait=False)
    assert [o.ok for o in outcomes] == [True, True, True]
    for ref in refs:
        assert len(requests_to(mock, "POST", f"{API}/agents/jobs/{ref.id}?action=start")) == 1


async def _agent_refs(em: EnterpriseManager, mock: aioresponses) -> list[EntityRef]:
    mock.get(f"{API}/agents/jobs", body=fixture_bytes("agent_job_references.xml"))
    return await em.agent_jobs.list()


async def test_an_agent_job_id_of_another_kind_is_refused_before_sending(
    em: EnterpriseManager,
) -> None:
    with pytest.raises(InvalidIdentifierError, match="names a NasJob"):
        await em.agent_jobs.start(f"urn:veeam:NasJob:{AGENT_ID}")


# --- repositories ------------------------------------------------------------------


async def test_repositories_get_and_entities(em: EnterpriseManager, mock: aioresponses) -> None:
    mock.get(f"{API}/repositories/{REPO_ID}?format=Entity", body=fixture_bytes("repository.xml"))
    mock.get(
        re.compile(rf"^{re.escape(API)}/query\?.*type=Repository.*"),
        body=fixture_bytes("query_repositories.xml"),
    )
    repo = await em.repositories.get(REPO_ID)
    assert isinstance(repo, Repository) and repo.kind == "WindowsLocal"
    assert repo.capacity == 1079639011328
    repos = await em.repositories.list(entities=True)
    assert [r.free_space for r in repos] == [9223929856, 88319569920]
    full = [r for r in repos if r.free_ratio is not None and r.free_ratio < 0.15]
    assert [r.id for r in full] == ["425b6739-5082-4f7a-99fb-1ae13ef87d9f"]  # 8.6 % free


# --- job includes ------------------------------------------------------------------


async def test_includes_lists_objects_in_job(em: EnterpriseManager, mock: aioresponses) -> None:
    mock.get(f"{API}/jobs/{JOB_ID}/includes", body=fixture_bytes("job_includes.xml"))
    (item,) = await em.jobs.includes(JOB_ID)
    assert isinstance(item, ObjectInJob)
    assert (item.name, item.id) == ("oracle", INCLUDE_ID)


async def test_add_include_sends_the_vendor_body_in_schema_order(
    em: EnterpriseManager, mock: aioresponses
) -> None:
    url = f"{API}/jobs/{JOB_ID}/includes"
    mock.post(url, status=202, body=TASK_RUNNING)
    task = await em.jobs.add_include(
        JOB_ID,
        "urn:VMware:VM:00000000-0000-0000-0000-000000000000.vm-10266",
        "exch02",
        guest_processing={  # given in another order than the schema's
            "CredentialsId": "",
            "ExcludedIndexingFolders": {"Path": ["%windir%", "%ProgramFiles%", "%TEMP%"]},
            "IncludedIndexingFolders": "",
            "FileSystemIndexingMode": "ExceptSpecifiedFolders",
            "AppAwareProcessingMode": "RequireSuccess",
        },
    )
    assert task.id == "task-1"
    (call,) = requests_to(mock, "POST", url)
    assert canonical(call.kwargs["data"]) == canonical(fixture_bytes("add_include_request.xml"))


async def test_remove_include_deletes_once(em: EnterpriseManager, mock: aioresponses) -> None:
    mock.get(f"{API}/jobs/{JOB_ID}/includes", body=fixture_bytes("job_includes.xml"))
    url = f"{API}/jobs/{JOB_ID}/includes/{INCLUDE_ID}"
    mock.delete(url, status=202, body=fixture_bytes("task_delete_job_finished.xml"))
    (item,) = await em.jobs.includes(JOB_ID)
    task = await em.jobs.remove_include(JOB_ID, item)
    assert task.info.state == "Finished"
    assert len(requests_to(mock, "DELETE", url)) == 1
    with pytest.raises(InvalidIdentifierError):
        await em.jobs.remove_include(JOB_ID, "../../logonSessions")


# --- API versions ------------------------------------------------------------------


def _api_root(*names: str) -> bytes:
    """The vendor's GET /api/ body, offering ``names`` instead of v1_5..v1_7."""
    body = fixture_bytes("api_versions.xml").decode()
    head, _, rest = body.partition("<SupportedVersions>")
    _, _, tail = rest.partition("</SupportedVersions>")
    versions = "".join(
        f'<SupportedVersion Name="{n}"><Links><Link Href="https://em/api/sessionMngr/?v={n}" '
        'Type="LogonSession" Rel="Create"/></Links></SupportedVersion>'
        for n in names
    )
    return f"{head}<SupportedVersions>{versions}</SupportedVersions>{tail}".encode()


async def test_api_versions_lists_what_em_offers(em: EnterpriseManager, mock: aioresponses) -> None:
    mock.get(f"{API}/", body=fixture_bytes("api_versions.xml"))
    versions = await em.api_versions()
    assert [v.name for v in versions] == ["v1_5", "v1_6", "v1_7"]
    assert await em.api_versions() == versions
    assert len(requests_to(mock, "GET", f"{API}/")) == 1  # asked once


async def test_a_version_em_does_not_offer_fails_without_sending_the_password(
    mock: aioresponses,
) -> None:
    mock.get(f"{API}/", body=_api_root("v1_4", "v1_5"), repeat=True)
    client = EnterpriseManager(BASE, USER, PASSWORD, api_version="v1_7", clock=FakeClock())
    with pytest.raises(UnsupportedVersionError) as caught:
        async with client:
            pass
    assert caught.value.offered == ["v1_4", "v1_5"]
    assert "v1_7" in str(caught.value) and "v1_4, v1_5" in str(caught.value)
    assert PASSWORD not in str(caught.value)
    logons = [key for key in mock.requests if key[0] == "POST"]
    assert logons == []  # no logon was sent


async def test_an_offered_version_logs_on_with_it(mock: aioresponses) -> None:
    mock.get(f"{API}/", body=_api_root("v1_4", "v1_5"))
    mock.post(
        f"{API}/sessionMngr/?v=v1_5",
        status=201,
        body=fixture_bytes("logon_session.xml"),
        headers={"X-RestSvcSessionId": "token-1"},
    )
    mock.delete(f"{API}/logonSessions/{LOGON_SESSION_ID}", status=204)
    async with EnterpriseManager(BASE, USER, PASSWORD, api_version="v1_5", clock=FakeClock()):
        pass
    assert len(requests_to(mock, "POST", f"{API}/sessionMngr/?v=v1_5")) == 1
    assert len(requests_to(mock, "GET", f"{API}/")) == 1


async def test_latest_logs_on_without_asking_for_versions(
    em: EnterpriseManager, mock: aioresponses
) -> None:
    assert requests_to(mock, "GET", f"{API}/") == []
    assert em.logon_session is not None


@pytest.mark.parametrize("bad", ["1.7", "v1.7", "", "latest "])
def test_a_malformed_version_is_refused_at_construction(bad: str) -> None:
    with pytest.raises(ValueError, match="api_version"):
        EnterpriseManager(BASE, USER, PASSWORD, api_version=bad)
