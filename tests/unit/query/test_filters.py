"""``F``, the filter builder: operators, grouping, quoting, datetimes, and
round trips through the simulator's parser (hypothesis). No server."""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veeam_em_async import F
from veeam_em_async.query._filters import Filter, filter_text, one_of
from veeam_em_async.simulator.filters import compile_filter

UTC = timezone.utc


@pytest.mark.parametrize(
    ("expr", "text"),
    [
        (F.Name == "x", "Name==x"),
        (F.Name != "x", "Name!=x"),
        (F.Progress < 5, "Progress<5"),
        (F.Progress <= 5, "Progress<=5"),
        (F.Progress > 5, "Progress>5"),
        (F.Progress >= 5, "Progress>=5"),
        (F.IsRetry == True, "IsRetry==true"),  # noqa: E712 - builds a filter
    ],
)
def test_every_comparison_operator(expr: Filter, text: str) -> None:
    assert str(expr) == text


def test_and_or_and_grouping_follow_python() -> None:
    a, b, c, d = (F.A == 1), (F.B == 2), (F.C == 3), (F.D == 4)
    assert str(a & b) == "A==1;B==2"
    assert str(a | b) == "A==1,B==2"
    assert str(a & b | c) == "(A==1;B==2),C==3"  # & binds tighter, as in Python
    assert str(a & (b | c)) == "A==1;(B==2,C==3)"
    assert str((a | b) & (c | d)) == "(A==1,B==2);(C==3,D==4)"
    assert str(a & b & c) == "A==1;B==2;C==3"  # flat, no needless parentheses
    assert str(a | (b | c)) == "A==1,B==2,C==3"
    assert str((a & b) | (c & d)) == "(A==1;B==2),(C==3;D==4)"


def test_the_api_md_example() -> None:
    since = datetime(2025, 8, 15, 8, 0, tzinfo=timezone(timedelta(hours=2)))
    q = (
        (F.JobUid == "urn:veeam:Job:dce85686-59c8-42c4-8766-f1c00a5b8067")
        & (F.CreationTime >= since)
        & ((F.Result == "Failed") | (F.Result == "Warning"))
    )
    assert str(q) == (
        "JobUid==urn:veeam:Job:dce85686-59c8-42c4-8766-f1c00a5b8067;"
        'CreationTime>="2025-08-15T06:00:00Z";(Result==Failed,Result==Warning)'
    )


def test_values_are_quoted_as_the_vendor_page_says() -> None:
    assert str(F.Name == "Fileserver Backup") == 'Name=="Fileserver Backup"'
    assert str(F.Name == '"Backup"') == 'Name=="""Backup"""'  # quoted, and each quote doubled
    assert str(F.Name == "a;b") == 'Name=="a;b"'
    assert str(F.Name == "a,b") == 'Name=="a,b"'
    assert str(F.Name == "(x)") == 'Name=="(x)"'
    assert str(F.Name == "Zürich Büro") == 'Name=="Zürich Büro"'
    assert str(F.Name == "Copy Job\\Backup Job 1") == 'Name=="Copy Job\\Backup Job 1"'
    assert str(F.Name == "SQL*") == 'Name=="SQL*"'


def test_datetimes_go_out_as_utc_and_naive_ones_are_refused() -> None:
    local = datetime(2025, 1, 1, 1, 30, 59, 900_000, tzinfo=timezone(timedelta(hours=-5)))
    assert str(F.EndTime < local) == 'EndTime<"2025-01-01T06:30:59Z"'
    with pytest.raises(ValueError, match="timezone-aware"):
        str(F.EndTime < datetime(2025, 1, 1))


def test_raw_strings_join_as_groups() -> None:
    assert filter_text("Result==Failed,Result==Warning") == "Result==Failed,Result==Warning"
    assert str((F.State == "Stopped") & "Result==Failed,Result==Warning") == (
        "State==Stopped;(Result==Failed,Result==Warning)"
    )
    assert str("JobType==Backup" | (F.State == "Working")) == "(JobType==Backup),State==Working"
    assert filter_text(None) is None


def test_one_of_is_an_or_of_equalities() -> None:
    assert str(one_of("Result", ["Failed", "Warning"])) == "Result==Failed,Result==Warning"
    assert str((F.State == "Stopped") & one_of("Result", ["Failed", "Warning"])) == (
        "State==Stopped;(Result==Failed,Result==Warning)"
    )
    with pytest.raises(ValueError, match="at least one"):
        one_of("Result", [])


def test_misuse_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match="truth value"):
        bool(F.A == 1)
    with pytest.raises(TypeError, match="truth value"):
        _ = (F.A == 1) and (F.B == 2)  # the mistake being tested
    with pytest.raises(ValueError, match="field name"):
        F.__getattr__("Job Name")
    with pytest.raises(TypeError, match="F expression or a string"):
        (F.A == 1) & 3  # type: ignore[operator]


# -- round trips through the simulator's parser ---------------------------------

names = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="*"), min_size=1, max_size=20
)


@settings(max_examples=300, deadline=None)
@given(name=names, other=names)
def test_any_name_round_trips_through_the_parser(name: str, other: str) -> None:
    """Quotes, ``;``, ``,``, parentheses, spaces and non-ASCII come out as they went in."""
    equal = compile_filter(str(F.Name == name))
    assert equal({"name": name})
    assert equal({"name": other}) == (name.lower() == other.lower())
    assert compile_filter(str(F.Name != name))({"name": name}) is False


OPS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}  # fmt: skip
FIELDS = ("A", "B", "C")


@st.composite
def trees(draw: st.DrawFn, depth: int = 3) -> tuple[Filter, Callable[[dict[str, int]], bool]]:
    """A random filter and the Python predicate it means."""
    if depth == 0 or draw(st.booleans()):
        field, op = draw(st.sampled_from(FIELDS)), draw(st.sampled_from(sorted(OPS)))
        value = draw(st.integers(0, 3))
        expr = OPS[op](getattr(F, field), value)  # F.A < 2, through the operator
        return expr, lambda row: OPS[op](row[field.lower()], value)
    left, lp = draw(trees(depth - 1))
    right, rp = draw(trees(depth - 1))
    if draw(st.booleans()):
        return left & right, lambda row: lp(row) and rp(row)
    return left | right, lambda row: lp(row) or rp(row)


@settings(max_examples=300, deadline=None)
@given(tree=trees(), a=st.integers(0, 3), b=st.integers(0, 3), c=st.integers(0, 3))
def test_grouping_means_what_python_means(
    tree: tuple[Filter, Callable[[dict[str, int]], bool]], a: int, b: int, c: int
) -> None:
    expr, meaning = tree
    row = {"a": a, "b": b, "c": c}
    assert compile_filter(str(expr))(row) == meaning(row)
