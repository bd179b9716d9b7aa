"""The pure parts: URLs, identifiers, policies, request rendering (no server)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from tests.conftest import fixture_bytes
from veeam_em_async import InvalidIdentifierError, PollPolicy, RetryPolicy, from_xml
from veeam_em_async.ids import entity_id, task_id
from veeam_em_async.models import EntityRef, Job
from veeam_em_async.policies import parse_retry_after
from veeam_em_async.transport._sansio import api_root, basic_auth
from veeam_em_async.xmlio import parse_document, render_document

UUID = "5658281f-625e-4627-89dd-d2a0c48be99e"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://em:9398", "https://em:9398/api"),
        ("https://em:9398/", "https://em:9398/api"),
        ("https://em:9398/api", "https://em:9398/api"),
        ("https://em:9398/api/", "https://em:9398/api"),
        ("http://10.0.0.5/proxy/api", "http://10.0.0.5/proxy/api"),
        ("https://em:9398/api?x=1#f", "https://em:9398/api"),
    ],
)
def test_api_root(given: str, expected: str) -> None:
    assert api_root(given) == expected


@pytest.mark.parametrize("bad", ["em:9398", "ftp://em/api", "https://", "https://u:p@em/api"])
def test_api_root_refuses(bad: str) -> None:
    with pytest.raises(ValueError):
        api_root(bad)


def test_basic_auth_header() -> None:
    assert basic_auth("User", "Password") == "Basic VXNlcjpQYXNzd29yZA=="  # EM's docs
    with pytest.raises(ValueError):
        basic_auth("a:b", "x")


def test_entity_id_forms() -> None:
    job = from_xml(fixture_bytes("backup_job.xml"))
    assert isinstance(job, Job)
    ref = EntityRef(href="https://elsewhere/api/agents/jobs/x", uid=f"urn:veeam:Job:{UUID}")
    for form in (UUID, UUID.upper(), f"urn:veeam:Job:{UUID}", f" {UUID} ", ref, job):
        assert entity_id(form, "Job").lower() == UUID
    nas_ref = EntityRef(href="https://srv/api/agents/jobs/1", uid=f"urn:veeam:NasJob:{UUID}")
    assert entity_id(nas_ref, "NasJob") == UUID  # the Href (agents/jobs) is never used
    for bad in ("", "42", f"urn:veeam:NasJob:{UUID}", f"urn:other:Job:{UUID}", "../x", 7):
        with pytest.raises(InvalidIdentifierError):
            entity_id(bad, "Job")  # type: ignore[arg-type]
    with pytest.raises(InvalidIdentifierError, match="no UID"):
        entity_id(EntityRef(href="h"), "Job")
    with pytest.raises(InvalidIdentifierError, match="got object"):
        entity_id(object(), "Job")  # type: ignore[arg-type]

    class OddUid:
        uid = 42  # a uid that is not text is no id either

    with pytest.raises(InvalidIdentifierError, match="not a Job id"):
        entity_id(OddUid(), "Job")  # type: ignore[arg-type]


def test_task_id() -> None:
    assert task_id("task-12") == "task-12"
    for bad in ("", "task/1", "../tasks", "a" * 200):
        with pytest.raises(InvalidIdentifierError):
            task_id(bad)


def test_retry_policy_delays() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_factor=2, backoff_max=3, jitter=0)
    assert [policy.delay(n) for n in range(4)] == [0.5, 1.0, 2.0, 3.0]
    assert policy.delay(0, retry_after=5) == 5
    assert policy.delay(0, retry_after=600) == 60  # clamped to max_retry_after
    jittered = RetryPolicy(backoff_base=1, jitter=0.5)
    assert all(0.5 <= jittered.delay(0) <= 1.0 for _ in range(100))


def test_poll_policy_intervals() -> None:
    policy = PollPolicy(initial_delay=2, min_interval=1, max_interval=10, factor=2, jitter=0)
    assert [policy.interval(n) for n in range(5)] == [2, 2, 4, 8, 10]
    assert policy.interval(3, retry_after=0.1) == 1
    assert policy.interval(3, retry_after=99) == 10
    assert policy.interval(3, retry_after=5) == 5


def test_parse_retry_after() -> None:
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_render_document_escapes_and_keeps_order() -> None:
    body = render_document(
        "JobCloneSpec",
        {"ReplicaJobCloneInfo": {"JobName": 'A & <B> "c"', "VmSuffix": "_r", "Description": None}},
    )
    root, content = parse_document(body)
    assert root == "JobCloneSpec"
    info = content["ReplicaJobCloneInfo"]
    assert list(info) == ["JobName", "VmSuffix"]
    assert info["JobName"] == 'A & <B> "c"'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # EM sends fractions of any length; Python 3.10's fromisoformat takes only 3 or 6.
        ("2020-02-05T01:00:20.7Z", datetime(2020, 2, 5, 1, 0, 20, 700000, timezone.utc)),
        ("2020-02-05T01:00:20.68Z", datetime(2020, 2, 5, 1, 0, 20, 680000, timezone.utc)),
        ("2020-02-05T01:00:20.607Z", datetime(2020, 2, 5, 1, 0, 20, 607000, timezone.utc)),
        ("2020-02-05T01:00:20.6071Z", datetime(2020, 2, 5, 1, 0, 20, 607100, timezone.utc)),
        ("2020-02-05T01:00:20.60712Z", datetime(2020, 2, 5, 1, 0, 20, 607120, timezone.utc)),
        ("2020-02-05T01:00:20.607123Z", datetime(2020, 2, 5, 1, 0, 20, 607123, timezone.utc)),
        ("2019-12-04T09:02:57.6070000Z", datetime(2019, 12, 4, 9, 2, 57, 607000, timezone.utc)),
        ("2020-02-05T01:00:20", datetime(2020, 2, 5, 1, 0, 20, tzinfo=timezone.utc)),
        ("2020-02-05T03:00:20.5+02:00", datetime(2020, 2, 5, 1, 0, 20, 500000, timezone.utc)),
        ("2020-02-04T23:30:20-01:30", datetime(2020, 2, 5, 1, 0, 20, tzinfo=timezone.utc)),
    ],
)
def test_every_fraction_length_parses_on_every_python(text: str, expected: datetime) -> None:
    from veeam_em_async.models.datetimes import parse_datetime

    parsed = parse_datetime(text)
    assert parsed == expected and parsed.tzinfo == timezone.utc


def test_a_job_whose_next_run_has_a_two_digit_fraction_parses() -> None:
    body = fixture_bytes("backup_job.xml")
    start = body.index(b"<NextRun>") + len(b"<NextRun>")
    end = body.index(b"</NextRun>")
    job = from_xml(body[:start] + b"2020-02-05T01:00:20.68Z" + body[end:])
    assert isinstance(job, Job)
    assert job.next_run == datetime(2020, 2, 5, 1, 0, 20, 680000, timezone.utc)


@pytest.mark.parametrize(
    "bad", ["tomorrow", "2020-02-05", "2020-13-05T01:00:00Z", "2020-02-05T01:00:20.Z"]
)
def test_malformed_datetimes_are_refused(bad: str) -> None:
    from veeam_em_async.models.datetimes import parse_datetime

    with pytest.raises(ValueError):
        parse_datetime(bad)


def test_retry_policy_logon_pause_doubles_after_refusals_up_to_its_cap() -> None:
    policy = RetryPolicy(logon_retry_interval=30, logon_retry_max_interval=100)
    assert [policy.logon_pause(n) for n in range(5)] == [30, 30, 60, 100, 100]
    assert policy.resends(503, idempotent=True) and not policy.resends(503, idempotent=False)
    assert RetryPolicy(retry_refused_actions=True).resends(429, idempotent=False)
    assert not RetryPolicy(retry_refused_actions=True).resends(502, idempotent=False)


def test_text_meant_as_an_id_is_told_from_a_name() -> None:
    from veeam_em_async.ids import looks_like_id

    assert looks_like_id("5658281f-625e-4627-89dd-d2a0c48be99e")
    assert looks_like_id("urn:veeam:Job:not-a-uuid")  # meant as an id; entity_id refuses it
    assert not looks_like_id("SQL Backup") and not looks_like_id("5658281f")


async def test_all_or_nothing_retrieves_every_error_when_all_fail_at_once() -> None:
    """EM down: every read fails in the same loop iteration, nothing is pending,
    and each error must still be retrieved (the strict loop reports one that is not)."""
    from veeam_em_async.group import all_or_nothing

    async def fail(n: int) -> int:
        raise ValueError(f"read {n}")

    with pytest.raises(ValueError, match="read 0"):
        await all_or_nothing([fail(n) for n in range(5)])


async def test_a_group_holds_one_done_callback_for_all_its_tasks() -> None:
    """A bulk call's waiting jobs are tasks of one group; each held a bound method of
    its own for the collector to walk (ten thousand at K = 50)."""
    import asyncio
    import gc
    import inspect

    from veeam_em_async.group import TaskGroup

    group, release = TaskGroup(), asyncio.Event()
    for _ in range(50):
        group.spawn(release.wait())
    await asyncio.sleep(0)
    callbacks = [
        o for o in gc.get_objects()
        if inspect.ismethod(o) and o.__func__ is TaskGroup._on_done and o.__self__ is group
    ]  # fmt: skip
    release.set()
    await group.wait()
    assert len(callbacks) == 1
