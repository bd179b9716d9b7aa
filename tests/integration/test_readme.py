"""Every Python snippet of README.md, run as a user runs it against ``veeam-em
simulate``: the example URL, user and password replaced by the simulator's (the
Quickstart says to), nothing else changed.

A snippet that defines coroutine functions has each one called (``em`` and
``job_id`` given where it asks for them); a snippet with a bare ``await`` runs as
in ``python -m asyncio``, with ``em`` logged on (polling at the simulator's pace,
as the CLI tests do); a bot that never ends is stopped
after it has printed what the simulator holds for it.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import inspect
import io
import re
from pathlib import Path
from typing import Any

import pytest

from tests.cli_support import FAST_CLIENT, SimulatorThread
from veeam_em_async import EnterpriseManager
from veeam_em_async.simulator import EMSimulator

README = Path(__file__).parents[2] / "README.md"
EXAMPLE = {
    '"https://em.example:9398"': "url",
    '"DOMAIN\\\\user"': "username",
    '"password"': "password",
}


def snippets() -> list[tuple[int, str]]:
    """(line number, code) of every ```python block."""
    text = README.read_text(encoding="utf-8")
    return [
        (text[: match.start()].count("\n") + 2, match.group(1))
        for match in re.finditer(r"```python\n(.*?)```", text, re.S)
    ]


def as_user_runs_it(code: str, sim: EMSimulator) -> str:
    for example, attribute in EXAMPLE.items():
        code = code.replace(example, repr(getattr(sim, attribute)))
    return code


def run_snippet(code: str, sim: EMSimulator, printed: io.StringIO, limit: float | None) -> None:
    """Run one snippet (see the module); ``limit``: seconds after which it is stopped."""
    namespace: dict[str, Any] = {"__name__": "readme"}
    tree = compile(code, "README.md", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)

    async def with_em(body: Any) -> None:
        async with EnterpriseManager(sim.url, sim.username, sim.password, **FAST_CLIENT) as em:
            job_id = next(j.id for j in sim.state.jobs.values() if j.job_type == "Backup")
            await body(em, job_id)

    async def bare(em: EnterpriseManager, job_id: str) -> None:
        namespace["em"] = em
        await eval(tree, namespace)  # the README's own code

    if tree.co_flags & inspect.CO_COROUTINE:  # a bare await: as in `python -m asyncio`
        asyncio.run(asyncio.wait_for(with_em(bare), limit))
        return
    exec(tree, namespace)  # the README's own code (it may call asyncio.run)
    for name, function in list(namespace.items()):
        if not inspect.iscoroutinefunction(function) or function.__module__ != "readme":
            continue
        wanted = inspect.signature(function).parameters

        async def call(
            em: EnterpriseManager, job_id: str, function: Any = function, wanted: Any = wanted
        ) -> None:
            given = {"em": em, "job_id": job_id}
            await function(**{p: given[p] for p in wanted})

        asyncio.run(with_em(call))
        print(f"-- ran {name}", file=printed)


def test_every_readme_snippet_runs_against_the_simulator() -> None:
    found = snippets()
    assert len(found) >= 8
    simulator = SimulatorThread(
        jobs=12, nas_jobs=2, agent_jobs=2, task_seconds=0.05, session_seconds=0.2
    )
    with simulator as sim:
        # Two VM jobs fail their next runs (the runs snippet reports why; the bot sees them).
        failing = [j.id for j in sim.state.jobs.values() if j.job_type == "Backup"][1:3]
        sim.state.scripted = {job_id: ["Failed"] * 8 for job_id in failing}
        for line, code in found:
            printed = io.StringIO()
            bot = "backup_sessions.feed(" in code
            try:
                with contextlib.redirect_stdout(printed):
                    if bot:  # it runs until stopped: give it time to catch up, then stop it
                        with pytest.raises(asyncio.TimeoutError):
                            run_snippet(as_user_runs_it(code, sim), sim, printed, 3.0)
                    else:
                        run_snippet(as_user_runs_it(code, sim), sim, printed, None)
            except Exception as exc:
                raise AssertionError(f"README.md line {line}: {exc!r}\n{code}") from exc
            output = printed.getvalue()
            assert output or "test_my_automation" in code, f"README.md line {line} printed nothing"
            if bot:  # the runs that failed in the last hour, from the snippets before it
                assert ": Failed" in output, output
