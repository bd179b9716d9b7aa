"""JobEdit sends the schema's element order whatever order the caller used."""

from __future__ import annotations

import re
from typing import Any
from xml.etree.ElementTree import canonicalize

import pytest
import xmltodict

from tests.conftest import fixture_bytes
from veeam_em_async import JobEdit
from veeam_em_async.models.schema_order import SCHEMA_ORDER, in_schema_order

NS = "http://www.veeam.com/ent/v1.0"
VENDOR_BODIES = (
    "backup_job.xml", "replica_job.xml", "periodic_backup_copy_job.xml",
    "immediate_backup_copy_job.xml", "agent_job.xml", "edit_request.xml", "job_includes.xml",
    "add_include_request.xml",
)  # fmt: skip


def canonical(xml: bytes | str) -> str:
    text = xml.decode() if isinstance(xml, bytes) else xml
    return canonicalize(xml_data=text, strip_text=True)


def scrambled(element: str, content: Any) -> Any:
    """``content`` with the children of every element the table knows reversed
    (and empty elements as ``""``: ``None`` means "not set" to ``JobEdit``)."""
    if isinstance(content, list):
        return [scrambled(element, item) for item in content]
    if not isinstance(content, dict):
        return "" if content is None else content
    items = list(content.items())
    if element in SCHEMA_ORDER:
        items.reverse()
    return {k: scrambled(k, v) for k, v in items}


def inner_xml(body: bytes, element: str) -> str:
    """The first ``<element>…</element>`` of a vendor body, as text."""
    match = re.search(rf"<{element}[ >].*?</{element}>", body.decode(), re.S)
    assert match is not None, element
    return match.group(0)


@pytest.mark.parametrize("name", VENDOR_BODIES)
def test_the_table_agrees_with_every_vendor_body(name: str) -> None:
    checked = 0

    def walk(element: str, content: Any) -> None:
        nonlocal checked
        if isinstance(content, list):
            for item in content:
                walk(element, item)
            return
        if not isinstance(content, dict):
            return
        children = [k for k in content if not k.startswith(("@", "#"))]
        # An agent job's <JobInfo> holds the content itself, not a variant.
        order = (
            None if (name, element) == ("agent_job.xml", "JobInfo") else SCHEMA_ORDER.get(element)
        )
        if order is not None and children:
            assert all(child in order for child in children), (element, children)
            positions = [order.index(child) for child in children]
            assert positions == sorted(positions), (element, children)
            checked += 1
        for key, value in content.items():
            walk(key, value)

    ((root, content),) = xmltodict.parse(fixture_bytes(name)).items()
    walk(root, content)
    assert checked > 0


def test_a_scrambled_schedule_is_sent_in_the_schema_order() -> None:
    # The vendor's agent job carries every schedule kind; the caller lists them backwards.
    standart = inner_xml(fixture_bytes("agent_job.xml"), "Standart")
    parsed = xmltodict.parse(standart)["Standart"]
    given = scrambled("Standart", parsed)
    assert next(iter(given)) == "OptionsDaisyChaining"
    assert list(given["OptionsDaily"]) == ["TimeOffsetUtc", "Time", "Days", "Kind", "@Enabled"]
    body = JobEdit(schedule=given).to_xml()
    expected = (
        f'<Job xmlns="{NS}" xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<JobScheduleOptions>{standart}</JobScheduleOptions></Job>"
    )
    assert canonical(body) == canonical(expected)


def test_a_scrambled_job_info_is_sent_in_the_schema_order() -> None:
    info = inner_xml(fixture_bytes("backup_job.xml"), "JobInfo")
    parsed = xmltodict.parse(info)["JobInfo"]
    given = scrambled("JobInfo", parsed)
    assert next(iter(given["BackupJobInfo"])) == "SimpleRetentionPolicy"
    body = JobEdit(job_info=given).to_xml()
    expected = (
        f'<Job xmlns="{NS}" xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">{info}</Job>'
    )
    assert canonical(body) == canonical(expected)


def test_the_example_of_the_issue_comes_out_in_order() -> None:
    body = JobEdit(
        schedule={
            "OptionsDaily": {
                "@Enabled": "true",
                "TimeOffsetUtc": 2,
                "Time": "22:00:00",
                "Kind": "Everyday",
            },
            "BackupCompetitionWaitingPeriodMin": 180,
            "RetryOptions": {"RetrySpecified": True, "RetryTimes": 3},
            "WaitForBackupCompletion": True,
        }
    ).to_xml()
    text = body.decode()
    names = re.findall(r"<(\w+)[ >]", text.split("<Standart>")[1])
    assert names == [
        "RetryOptions", "RetryTimes", "RetrySpecified", "WaitForBackupCompletion",
        "BackupCompetitionWaitingPeriodMin", "OptionsDaily", "Kind", "Time", "TimeOffsetUtc",
    ]  # fmt: skip
    assert '<OptionsDaily Enabled="true">' in text


def test_an_element_the_schema_does_not_allow_is_refused_before_sending() -> None:
    with pytest.raises(ValueError, match=r"<OptionsDaily> has no child 'Hour'.*Kind, Days"):
        JobEdit(schedule={"OptionsDaily": {"Hour": 3}}).to_xml()


def test_unknown_elements_keep_the_callers_order() -> None:
    assert list(in_schema_order("Custom", {"B": 1, "A": 2})) == ["B", "A"]
    assert in_schema_order("Days", ["Monday", "Sunday"]) == ["Monday", "Sunday"]
