"""Flat cost (issue 11): one poll tick's parsing follows the P awaited tasks, not the
K tasks of the logon session's history. Counted, never timed."""

from __future__ import annotations

import asyncio
from itertools import pairwise
from typing import Any

import pytest
from aioresponses import CallbackResult, aioresponses
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import API, BASE, FIXTURES, LOGOFF_URL, PASSWORD, USER, add_logon
from tests.fakes import FakeClock
from veeam_em_async import EnterpriseManager, PollPolicy
from veeam_em_async.models import TASK, TASKS, TaskInfo
from veeam_em_async.resources._task_items import answered, split, without_parsing
from veeam_em_async.xmlio import ListItemScanner, parse_fragment

NS = 'xmlns="http://www.veeam.com/ent/v1.0"'
POLICY = PollPolicy(initial_delay=1, min_interval=1, max_interval=1, jitter=0)


def item(task_id: str, state: str) -> str:
    result = '<Result Success="true"><Message>Ok</Message></Result>' if state == "Finished" else ""
    return (
        f'<Task Type="Task" Href="{API}/tasks/{task_id}"><Links><Link Rel="Delete" '
        f'Href="{API}/tasks/{task_id}" /></Links><TaskId>{task_id}</TaskId>'
        f"<State>{state}</State><Operation>StartJob</Operation>{result}</Task>"
    )


def task_list(history: int, awaited: list[str], state: str) -> str:
    old = "".join(item(f"task-{i}", "Finished") for i in range(1, history + 1))
    return f"<Tasks {NS}>{old}{''.join(item(t, state) for t in awaited)}</Tasks>"


async def parsed_per_tick(
    mock: aioresponses,
    history: int,
    awaited: int,
    known: bool = False,
    states: tuple[str, ...] = ("Running", "Running", "Finished"),
) -> list[int]:
    """Items parsed in each tick (the awaited tasks listed in ``states``, one a tick).
    ``known``: the handles hold the Running `TaskInfo` an action's answer gave."""
    ids = [f"task-{history + n}" for n in range(1, awaited + 1)]
    bodies = [task_list(history, ids, state) for state in states]
    add_logon(mock)
    mock.delete(LOGOFF_URL, status=204)
    em = EnterpriseManager(BASE, USER, PASSWORD, poll_policy=POLICY, clock=FakeClock())
    snapshots: list[int] = []  # items parsed so far, as each tick sends its GET /tasks

    def answer(url: Any, **kwargs: Any) -> CallbackResult:
        snapshots.append(em.task_watcher.source.items_parsed)  # type: ignore[attr-defined]
        return CallbackResult(body=bodies[len(snapshots) - 1])

    mock.get(f"{API}/tasks", callback=answer, repeat=True)
    async with em:
        given = TASKS.parse(task_list(0, ids, "Running").encode()) if known else ids
        infos = await asyncio.gather(*(em.tasks.handle(t).wait() for t in given))
        snapshots.append(em.task_watcher.source.items_parsed)  # type: ignore[attr-defined]
    assert all(i.state == "Finished" and i.result is not None for i in infos)
    return [after - before for before, after in pairwise(snapshots)]


@pytest.mark.parametrize("history", [10, 5000])
@pytest.mark.parametrize("awaited", [5, 40])
async def test_a_ticks_parsing_follows_the_awaited_tasks_not_the_history(
    mock: aioresponses, history: int, awaited: int
) -> None:
    # The same counts with 10 or 5,000 old tasks in the session: O(P), not O(K); an
    # item whose bytes did not change is not parsed again, and one that only ended
    # (its state changed, a result added) has only its <Result> parsed.
    assert await parsed_per_tick(mock, history, awaited) == [awaited, 0, 0]


async def test_a_task_listed_as_the_actions_answer_said_is_not_parsed_again(
    mock: aioresponses,
) -> None:
    # Handles made from an action's answer (Running, no result): the first listing,
    # still Running, is taken as it is, and the end is the listing before with a result.
    assert await parsed_per_tick(mock, 10, 40, known=True) == [0, 0, 0]


async def test_a_task_whose_listings_change_only_state_links_and_result_is_never_parsed_whole(
    mock: aioresponses,
) -> None:
    # Running (as the answer said), OperationFinished (the listing before, with
    # another state), Finished (and a result, parsed alone): the values are EM's.
    states = ("Running", "OperationFinished", "Finished")
    assert await parsed_per_tick(mock, 10, 40, known=True, states=states) == [0, 0, 0]


async def test_a_result_seen_before_is_not_parsed_again(
    mock: aioresponses, monkeypatch: pytest.MonkeyPatch
) -> None:
    from veeam_em_async.resources import _task_items

    monkeypatch.setattr(_task_items, "_RESULTS", {})
    alone: list[bytes] = []

    def counted(data: bytes) -> tuple[str, dict[str, Any]]:
        alone.append(bytes(data))
        return parse_fragment(data)

    monkeypatch.setattr(_task_items, "parse_fragment", counted)
    states = ("Running", "OperationFinished", "Finished")
    assert await parsed_per_tick(mock, 10, 40, known=True, states=states) == [0, 0, 0]
    # The 40 tasks end with the same <Result>: parsed once, not 40 times.
    results = [data for data in alone if data.startswith(b"<Result")]
    assert results == [b'<Result Success="true"><Message>Ok</Message></Result>']


def test_the_results_kept_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from veeam_em_async.resources import _task_items

    monkeypatch.setattr(_task_items, "_RESULTS", {})
    for n in range(600):  # messages that name a job, say: none repeats
        element = f'<Result Success="true"><Message>job {n}</Message></Result>'.encode()
        found = _task_items._result(element)
        assert found is not None and found.message == f"job {n}"
        assert len(_task_items._RESULTS) <= _task_items.KEPT_ITEMS


RUNNING = item("task-1", "Running")
FINISHED = item("task-1", "Finished")
RELATED = '<Link Rel="Related" Href="h/backupSessions/s-1?format=Entity" Type="BackupJobSession" />'
LINKED = FINISHED.replace("</Links>", RELATED + "</Links>")  # as EM ends a job's start


def known(last: TaskInfo, listed: str, before: str | None) -> TaskInfo | None:
    """What `TaskSource` does with an item: split it (and the listing before, which
    it kept split), and take it without a whole parse if it can."""
    now, base = split(listed.encode()), None if before is None else split(before.encode())
    if now is None or (before is not None and base is None):
        return None
    return without_parsing(last, now, base)


@pytest.mark.parametrize(
    ("last_state", "listed", "before", "state"),
    [
        ("Running", RUNNING, None, "Running"),  # the answer's state: as it is
        ("Running", FINISHED, None, None),  # a result, no listing before: parsed
        ("Running", item("task-1", "OperationFinished"), None, None),  # no listing before
        ("Running", item("task-1", "OperationFinished"), RUNNING, "OperationFinished"),
        ("Running", FINISHED, RUNNING, "Finished"),  # the result parsed alone
        ("OperationFinished", FINISHED, item("task-1", "OperationFinished"), "Finished"),
        ("Running", LINKED, RUNNING, "Finished"),  # the links parsed alone too
        # A result with no message, as one empty element: parsed alone.
        (
            "Running",
            RUNNING.replace("</Task>", '<Result Success="true"/></Task>'),
            RUNNING,
            "Running",
        ),
        ("Running", RUNNING.replace("<State>", '<State x="1">'), RUNNING, None),
        ("Running", FINISHED.replace("Result", "Results"), RUNNING, None),  # another name
        ("Running", LINKED.replace("<Links>", "<Links><Links/>"), RUNNING, None),  # nested
        ("Running", RUNNING.replace("<Links>", "<Links>" + RELATED), RUNNING, "Running"),
        # Something else changed too (the operation): parsed.
        (
            "Running",
            item("task-1", "OperationFinished").replace("StartJob", "StopJob"),
            RUNNING,
            None,
        ),
        ("Running", FINISHED.replace("StartJob", "StopJob"), RUNNING, None),
        ("Running", FINISHED.replace("</Task>", "<Result/></Task>"), RUNNING, None),  # two
        (
            "Running",
            item("task-1", "Finished").replace("<Result", "<Result "),
            RUNNING,
            "Finished",
        ),
        # An end with no result is parsed, as EM wrote it.
        ("Running", RUNNING.replace("Running", "Finished"), RUNNING, None),
        ("Finished", RUNNING, None, None),  # an ended task is never taken back
        # A second <State> (in a message, say): not trusted, parsed.
        ("Running", RUNNING.replace("</Task>", "<State>x</State></Task>"), None, None),
    ],
)
def test_without_parsing_trusts_only_a_change_of_state_links_and_result(
    last_state: str, listed: str, before: str | None, state: str | None
) -> None:
    last = TASKS.parse(task_list(0, ["task-1"], last_state).encode())[0]
    found = known(last, listed, before)
    assert (found.state if found else None) == state
    if found is not None:  # what a whole parse of the item gives
        assert found == TASKS.structure(parse_fragment(listed.encode())[1])


@settings(max_examples=150, deadline=None)
@given(
    text=st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30
    ),
    cdata=st.booleans(),
    success=st.booleans(),
    end=st.sampled_from(["Finished", "OperationFinished", "Failed"]),
    linked=st.booleans(),
)
def test_a_result_parsed_alone_is_what_a_whole_parse_gives(
    text: str, cdata: bool, success: bool, end: str, linked: bool
) -> None:
    """Whatever the message holds ("</Result>" or "<Result" in a CDATA section, markup
    characters), the value without a whole parse is the whole parse's, or none."""
    from xml.sax.saxutils import escape

    message = f"<![CDATA[{text}]]>" if cdata else escape(text)
    listed = RUNNING.replace("Running", end).replace(
        "</Task>",
        f'<Result Success="{str(success).lower()}"><Message>{message}</Message></Result></Task>',
    )
    if linked:
        listed = listed.replace("</Links>", RELATED + "</Links>")
    last = TASKS.parse(task_list(0, ["task-1"], "Running").encode())[0]
    found = known(last, listed, RUNNING)
    try:
        whole = TASKS.structure(parse_fragment(listed.encode())[1])
    except Exception:
        assert found is None  # not well-formed: the whole parse reports it
        return
    assert found is None or found == whole
    if found is not None and linked:
        assert [link.rel for link in found.links] == ["Delete", "Related"]


ANSWER = (FIXTURES / "task_running.xml").read_bytes().strip()  # EM's 202 to a job start


@pytest.mark.parametrize(
    "body",
    [ANSWER, b'<?xml version="1.0" encoding="utf-8"?>\r\n' + ANSWER + b"\r\n"],
)
def test_an_actions_answer_reads_as_its_list_item(body: bytes) -> None:
    info = TASK.parse(body)
    listing = answered(body, info)
    assert listing is not None and listing.value is info
    # As GET /tasks lists it (the vendor's pages): the namespace is on the list's root.
    assert listing.fragment == ANSWER.replace(b' xmlns="http://www.veeam.com/ent/v1.0"', b"")
    assert listing.parts is not None and listing.parts.state == "Running"
    assert TASKS.structure(parse_fragment(listing.fragment)[1]) == info


@pytest.mark.parametrize(
    "body",
    [
        ANSWER.replace(
            b'xmlns="http://www.veeam.com/ent/v1.0" Type="Task"',
            b'Type="Task" xmlns="http://www.veeam.com/ent/v1.0"',
        ),
        ANSWER.replace(b"<Task xmlns=", b"<em:Task xmlns:em=").replace(b"</Task>", b"</em:Task>"),
        ANSWER.replace(b"http://www.veeam.com/ent/v1.0", b"urn:other"),
        ANSWER.replace(b"<Task xmlns", b"<Tasks xmlns").replace(b"</Task>", b"</Tasks>"),
        ANSWER.replace(b"</Task>", b""),  # cut short
    ],
)
def test_an_answer_of_another_shape_is_no_listing(body: bytes) -> None:
    assert answered(body, TASK.parse(ANSWER)) is None


def test_the_scanner_finds_exactly_the_wanted_items() -> None:
    body = task_list(300, ["task-301", "task-302"], "Running").encode()
    scanner = ListItemScanner("Tasks", "Task", "TaskId")
    found = scanner.find(body, {"task-7", "task-302", "task-999"})
    assert found is not None and sorted(found) == ["task-302", "task-7"]
    assert found["task-7"].startswith(b'<Task Type="Task"') and found["task-7"].endswith(b"</Task>")
    assert b"<TaskId>task-7</TaskId>" in found["task-7"] and b"task-8" not in found["task-7"]


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0" encoding="utf-16"?><Tasks xmlns="http://www.veeam.com/ent/v1.0"/>',
        b"<Tasks>" + item("task-1", "Running").encode() + b"</Tasks>",  # no EM namespace
        b'<Jobs xmlns="http://www.veeam.com/ent/v1.0"></Jobs>',
        b"<Tasks " + NS.encode() + b"><Task><TaskId>task-1</TaskId><Task><TaskId>task-1"
        b"</TaskId></Task></Task></Tasks>",  # nested: not the plain shape
    ],
)
def test_the_scanner_declines_what_it_does_not_understand(body: bytes) -> None:
    assert ListItemScanner("Tasks", "Task", "TaskId").find(body, {"task-1"}) is None


async def test_an_answer_the_scanner_declines_is_parsed_whole_and_still_right(
    mock: aioresponses,
) -> None:
    """A list in another declared encoding is not the plain shape the byte scan reads:
    the watcher still gets every awaited task, from a whole-document parse."""
    body = task_list(50, ["task-51", "task-52", "task-53", "task-54"], "Finished")
    body = body.replace("<Tasks ", '<?xml version="1.0" encoding="ISO-8859-1"?>\n<Tasks ', 1)
    mock.get(f"{API}/tasks", body=body.encode("latin-1"))
    add_logon(mock)
    mock.delete(LOGOFF_URL, status=204)
    async with EnterpriseManager(BASE, USER, PASSWORD, poll_policy=POLICY, clock=FakeClock()) as em:
        ids = ["task-51", "task-52", "task-53", "task-54"]
        infos = await asyncio.gather(*(em.tasks.handle(t).wait() for t in ids))
        assert [i.id for i in infos] == ids and all(i.state == "Finished" for i in infos)
        # parsed whole: all 54 items went through xmltodict
        assert em.task_watcher.source.items_parsed == 54  # type: ignore[attr-defined]
    assert len(TASKS.parse(body.encode("latin-1"))) == 54


messages = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30
)


@settings(max_examples=150, deadline=None)
@given(
    states=st.lists(
        st.sampled_from(["Running", "OperationFinished", "Finished"]), min_size=1, max_size=30
    ),
    texts=st.lists(messages, min_size=30, max_size=30),
    cdata=st.booleans(),
    wanted=st.sets(st.integers(min_value=0, max_value=35), max_size=10),
)
def test_the_scan_and_the_whole_parse_agree_on_every_list(
    states: list[str], texts: list[str], cdata: bool, wanted: set[int]
) -> None:
    """Whatever the messages hold (markup characters, "</Task>" in a CDATA section),
    the scan either declines or finds exactly what a whole parse finds."""
    from xml.sax.saxutils import escape

    from veeam_em_async.xmlio import parse_fragment

    items = []
    for n, (state, text) in enumerate(zip(states, texts, strict=False)):
        message = f"<![CDATA[{text}</Task>]]>" if cdata and n % 3 == 0 else escape(text)
        items.append(
            f'<Task Type="Task" Href="h"><TaskId>task-{n}</TaskId><State>{state}</State>'
            f'<Result Success="true"><Message>{message}</Message></Result></Task>'
        )
    body = f"<Tasks {NS}>{''.join(items)}</Tasks>".encode()
    keys = {f"task-{n}" for n in wanted}
    whole = {t.id: t for t in TASKS.parse(body) if t.id in keys}
    found = ListItemScanner("Tasks", "Task", "TaskId").find(body, keys)
    if found is None:
        return  # declined: the caller parses the document whole
    assert set(found) == set(whole)
    for key, fragment in found.items():
        try:
            _, content = parse_fragment(fragment)
        except Exception:
            assert cdata  # only a CDATA "</Task>" can cut an item short
            continue
        assert TASKS.structure(content) == whole[key]


async def test_an_item_the_scan_cuts_short_is_read_from_the_whole_parse(
    mock: aioresponses,
) -> None:
    tricky = item("task-3", "Finished").replace(
        "<Message>Ok</Message>", "<Message><![CDATA[a </Task> inside]]></Message>"
    )
    body = f"<Tasks {NS}>{item('task-1', 'Finished')}{item('task-2', 'Finished')}{tricky}"
    body += f"{item('task-4', 'Finished')}</Tasks>"
    mock.get(f"{API}/tasks", body=body)
    add_logon(mock)
    mock.delete(LOGOFF_URL, status=204)
    async with EnterpriseManager(BASE, USER, PASSWORD, poll_policy=POLICY, clock=FakeClock()) as em:
        ids = ["task-1", "task-2", "task-3", "task-4"]
        infos = await asyncio.gather(*(em.tasks.handle(t).wait() for t in ids))
    assert infos[2].result is not None and infos[2].result.message == "a </Task> inside"
    assert [i.id for i in infos] == ids


async def test_a_large_list_item_is_not_kept_for_the_next_poll() -> None:
    from types import SimpleNamespace

    from veeam_em_async.resources._task_items import KEPT_BYTES
    from veeam_em_async.resources.tasks import TaskSource
    from veeam_em_async.waiting import Entry

    big = "x" * KEPT_BYTES
    body = task_list(0, ["task-1", "task-2"], "Finished").replace(
        "<Message>Ok</Message>", f"<Message>Ok{big}</Message>", 1
    )

    class Transport:
        async def request(self, method: str, path: str) -> Any:
            return SimpleNamespace(body=body.encode(), headers={})

    source = TaskSource(Transport())  # type: ignore[arg-type]
    entries: dict[str, Entry[str, TaskInfo]] = {k: Entry(k, None) for k in ("task-1", "task-2")}
    listed, _ = await source.fetch_many(entries)
    assert listed["task-1"].result is not None and listed["task-1"].result.message == "Ok" + big
    assert entries["task-1"].memo is None  # over KEPT_BYTES: parsed, not held
    assert entries["task-2"].memo is not None and entries["task-2"].memo.value is listed["task-2"]
