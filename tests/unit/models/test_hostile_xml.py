"""Hostile and random input: only ResponseParseError may escape, nothing is expanded."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from aioresponses import aioresponses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import (
    API,
    BACKUP_JOB_ID,
    BASE,
    FIXTURES,
    LOGON_SESSION_ID,
    PASSWORD,
    USER,
    add_logon,
)
from veeam_em_async import EnterpriseManager, ResponseParseError, from_xml

NS = 'xmlns="http://www.veeam.com/ent/v1.0"'
DOCUMENTS = sorted(p.read_bytes() for p in Path(FIXTURES).glob("*.xml") if "request" not in p.name)


def parses_or_refuses(data: bytes | str) -> None:
    try:
        from_xml(data)
    except ResponseParseError as exc:
        assert len(str(exc)) < 1000  # the excerpt is bounded


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes(data: bytes) -> None:
    parses_or_refuses(data)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(DOCUMENTS), st.data())
def test_truncated_and_mutated_documents(document: bytes, data: st.DataObject) -> None:
    cut = data.draw(st.integers(min_value=0, max_value=len(document)))
    parses_or_refuses(document[:cut])
    at = data.draw(st.integers(min_value=0, max_value=len(document) - 1))
    junk = data.draw(st.binary(min_size=1, max_size=8))
    parses_or_refuses(document[:at] + junk + document[at + len(junk) :])


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.text(alphabet="abcXYZ<>&;\"' =/", max_size=20),
        lambda children: st.builds(
            lambda name, kids: f"<{name}>{''.join(kids)}</{name}>",
            st.sampled_from(["Task", "TaskId", "State", "Result", "Links", "Link", "Job", "X"]),
            st.lists(children, max_size=3),
        ),
        max_leaves=20,
    )
)
def test_random_trees_under_em_roots(inner: str) -> None:
    for root in ("Task", "Job", "NASJob", "Tasks", "EntityReferences", "LogonSession"):
        parses_or_refuses(f'<{root} {NS} Href="h" UID="urn:veeam:Job:x">{inner}</{root}>')


@pytest.mark.parametrize(
    "body",
    [
        # billion laughs
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        b'<Task xmlns="http://www.veeam.com/ent/v1.0"><TaskId>&lol3;</TaskId></Task>',
        # external entity
        b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<Task xmlns="http://www.veeam.com/ent/v1.0"><TaskId>&xxe;</TaskId></Task>',
        # external DTD
        b'<!DOCTYPE Task SYSTEM "http://169.254.169.254/dtd">'
        b'<Task xmlns="http://www.veeam.com/ent/v1.0"><TaskId>t</TaskId></Task>',
        # undeclared entity
        b'<Task xmlns="http://www.veeam.com/ent/v1.0"><TaskId>&nope;</TaskId></Task>',
        # wrong root, wrong namespace, prefixed root
        b'<Tusk xmlns="http://www.veeam.com/ent/v1.0"><TaskId>t</TaskId></Tusk>',
        b'<Task xmlns="http://www.veeam.com/ent/v2.0"><TaskId>t</TaskId></Task>',
        b'<v:Task xmlns:v="http://www.veeam.com/ent/v1.0"><v:TaskId>t</v:TaskId></v:Task>',
        # deep nesting
        b'<Task xmlns="http://www.veeam.com/ent/v1.0">' + b"<Links>" * 50_000,
        b'<Task xmlns="http://www.veeam.com/ent/v1.0"><Links>'
        + b"<Link>" * 20_000
        + b"</Link>" * 20_000
        + b"</Links></Task>",
    ],
)
def test_malicious_documents_are_refused(body: bytes) -> None:
    with pytest.raises(ResponseParseError) as caught:
        from_xml(body)
    assert "root:" not in str(caught.value)  # no /etc/passwd content
    assert "lollollol" not in str(caught.value)


def test_huge_attribute_is_parsed_within_bounded_memory() -> None:
    huge = "A" * 5_000_000
    body = f'<Task {NS} Href="{huge}"><TaskId>t</TaskId></Task>'.encode()
    tracemalloc.start()
    try:
        task = from_xml(body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert getattr(task, "href", None) == huge
    assert peak < 40 * len(body)  # a few copies, not an explosion


def test_body_over_the_size_limit_is_refused_unread() -> None:
    from veeam_em_async.xmlio import MAX_BODY_BYTES

    with pytest.raises(ResponseParseError, match="exceeds"):
        from_xml(b" " * (MAX_BODY_BYTES + 1))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=200) | st.sampled_from([d[: len(d) // 3] for d in DOCUMENTS]))
async def test_client_only_raises_response_parse_error(body: bytes) -> None:
    with aioresponses() as mock:
        add_logon(mock)
        mock.delete(f"{API}/logonSessions/{LOGON_SESSION_ID}", status=204)
        mock.get(f"{API}/jobs/{BACKUP_JOB_ID}?format=Entity", body=body)
        async with EnterpriseManager(BASE, USER, PASSWORD) as em:
            try:
                await em.jobs.get(BACKUP_JOB_ID)
            except ResponseParseError:
                pass
