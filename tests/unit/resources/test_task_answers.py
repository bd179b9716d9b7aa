"""An action's answer read from the last answer of its shape (`_task_answers`): the
value is always the whole parse's, and a shape is reused only where that is sure."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import FIXTURES
from veeam_em_async import ResponseParseError
from veeam_em_async.models import TASK
from veeam_em_async.resources import _task_answers
from veeam_em_async.resources._task_answers import read_answer

ANSWERS = ["task_running.xml", "task_finished_with_message.xml", "task_quick_backup_running.xml"]


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The bodies that went through the parser, with no template kept from before."""
    monkeypatch.setattr(_task_answers, "_TEMPLATES", {})
    seen: list[bytes] = []
    parse = _task_answers.parse_document

    def counted(data: Any) -> Any:
        seen.append(bytes(data))
        return parse(data)

    monkeypatch.setattr(_task_answers, "parse_document", counted)
    return seen


def with_id(body: bytes, task_id: str) -> bytes:
    """The fixture's answer for the task ``task_id`` (in ``<TaskId>`` and the hrefs)."""
    own = re.search(rb"<TaskId>([^<]+)</TaskId>", body)
    assert own is not None
    return re.sub(
        rb"(?<=<TaskId>)" + own.group(1) + rb"(?=<)|(?<=tasks/)" + own.group(1) + rb'(?=")',
        task_id.encode(),
        body,
    )


@pytest.mark.parametrize("name", ANSWERS)
def test_answers_of_one_shape_are_parsed_once(name: str, parses: list[bytes]) -> None:
    body = (FIXTURES / name).read_bytes()
    ids = ["task-1", "task-2", "task-10", "task-9999", "task-1.x"]
    for task_id in ids:
        answer = with_id(body, task_id)
        assert read_answer(answer) == TASK.parse(answer)
        assert read_answer(answer).id == task_id
    # The first answer, and the template checked with another id: nothing after.
    assert len(parses) == 2


@pytest.mark.parametrize(
    ("task_id", "why"),
    [
        ("Links", "the id is also an element's name"),
        ("Type", "the id is also an attribute's name"),
    ],
)
def test_an_id_found_in_markup_or_elsewhere_keeps_no_template(
    task_id: str, why: str, parses: list[bytes]
) -> None:
    body = with_id((FIXTURES / "task_finished.xml").read_bytes(), task_id)
    assert read_answer(body) == TASK.parse(body)
    assert read_answer(body) == TASK.parse(body)
    # Each read parsed the body (and tried a template that did not fit): no reuse.
    assert sum(1 for data in parses if data == body) == 2, why


def test_an_id_written_with_an_entity_keeps_no_template(parses: list[bytes]) -> None:
    body = (
        (FIXTURES / "task_running.xml").read_bytes().replace(b"tasks/task-1", b"tasks/task&#45;1")
    )
    for _ in range(2):
        info = read_answer(body)
        assert info == TASK.parse(body) and info.href and info.href.endswith("tasks/task-1")
    assert sum(1 for data in parses if data == body) == 2


def test_a_body_holding_a_nul_byte_is_refused_as_before(parses: list[bytes]) -> None:
    body = (FIXTURES / "task_running.xml").read_bytes()
    read_answer(body)
    bad = with_id(body, "task-2").replace(b"StartJob", b"Start\x00Job")
    with pytest.raises(ResponseParseError):
        read_answer(bad)


@settings(max_examples=150, deadline=None)
@given(
    message=st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30
    ),
    cdata=st.booleans(),
    first=st.from_regex(r"task-[0-9]{1,4}", fullmatch=True),
    second=st.from_regex(r"task-[0-9]{1,4}", fullmatch=True),
)
def test_an_answer_read_from_a_template_is_the_whole_parse(
    message: str, cdata: bool, first: str, second: str
) -> None:
    """Whatever the message holds (the id itself, markup, a CDATA section), the
    second answer's value is its whole parse's."""
    from xml.sax.saxutils import escape

    _task_answers._TEMPLATES.clear()
    text = f"<![CDATA[{message}]]>" if cdata else escape(message)
    body = (FIXTURES / "task_finished_with_message.xml").read_bytes()
    body = body.replace(b"<Message>", b"<Message>" + text.encode() + b" ", 1)
    for task_id in (first, second):
        answer = with_id(body, task_id)
        try:
            whole = TASK.parse(answer)
        except ResponseParseError:
            with pytest.raises(ResponseParseError):
                read_answer(answer)
            continue
        assert read_answer(answer) == whole


def test_a_large_answer_is_kept_nowhere(parses: list[bytes]) -> None:
    """A hostile EM's 202 of megabytes is parsed (within the body bound) but held
    neither as a template nor as the task's first listing, nor is its result kept."""
    from veeam_em_async.resources import _task_items

    big = "x" * (_task_items.KEPT_BYTES + 1)
    body = (FIXTURES / "task_finished_with_message.xml").read_bytes()
    body = body.replace(b"<Message>", f"<Message>{big}".encode(), 1)
    for task_id in ("task-1", "task-2"):
        answer = with_id(body, task_id)
        info = read_answer(answer)
        assert info.result is not None and info.result.message is not None
        assert info.result.message.startswith(big)
        assert _task_items.answered(answer, info) is None
    assert len(parses) == 2 and _task_answers._TEMPLATES == {}  # each parsed, none kept
    result = re.search(rb"<Result.*</Result>", body)
    assert result is not None
    kept = dict(_task_items._RESULTS)
    assert _task_items._result(result.group(0)) is not None
    assert _task_items._RESULTS == kept
