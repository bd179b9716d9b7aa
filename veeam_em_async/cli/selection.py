"""Which jobs a command names: ids, names (``*`` allowed) or ``--all``, resolved to
entities with one query before anything is sent. An unknown job fails the command
(exit 4) with what the user may have meant, and no other job is touched."""

from __future__ import annotations

import difflib
import fnmatch
from typing import Any

import attrs

from ..client import EnterpriseManager
from ..ids import entity_id, looks_like_id
from .exits import JobNotFoundError, UsageError


@attrs.frozen
class Group:
    """One of the job groups of the command line: its resource and its words."""

    name: str  # "jobs"
    kind: str | None  # the type shown for jobs whose entity has none
    resource: Any
    em: EnterpriseManager


GROUPS = {"jobs": "a VM", "nas-jobs": "a NAS", "agent-jobs": "an agent"}


def group_of(em: EnterpriseManager, name: str) -> Group:
    if name == "nas-jobs":
        return Group(name, "NAS", em.nas_jobs, em)
    if name == "agent-jobs":
        return Group(name, "Agent", em.agent_jobs, em)
    return Group(name, None, em.jobs, em)


async def not_found(group: Group, text: str, entities: list[Any]) -> JobNotFoundError:
    """The error for a job not found, with what the user may have meant: a close
    name of this group, or the command that takes it when it names a job of another."""
    is_id = looks_like_id(text)
    what = f"no job has the id {text!r}" if is_id else f"no job is named {text!r}"
    for name, article in GROUPS.items():
        if name == group.name:
            continue
        for job in await group_of(group.em, name).resource.list(entities=True):
            if (job.id == text.rsplit(":", 1)[-1]) if is_id else job.name == text:
                return JobNotFoundError(
                    f"{what} among {group.name}: it is {article} job, see 'veeam-em {name}'"
                )
    names = [j.name for j in entities if j.name]
    close = [] if is_id else difflib.get_close_matches(text, names, n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(repr(n) for n in close)}?" if close else ""
    return JobNotFoundError(what + hint)


async def select(
    group: Group, given: tuple[str, ...], every: bool = False, name_like: str | None = None
) -> list[Any]:
    """The job entities named by ids, names or ``*`` patterns, or all of them
    (``--all``, narrowed by ``--name-like``), read with one query. A job named
    twice (by a name and a pattern, say) is taken once: it must not be started twice."""
    if not every and not given:
        raise UsageError("name at least one job (id or name), or use --all")
    if every and given:
        raise UsageError("give job names or ids, or --all, not both")
    entities = await group.resource.list(entities=True)
    if every:
        return [
            j for j in entities if not name_like or fnmatch.fnmatchcase(j.name or "", name_like)
        ]
    by_id = {j.id: j for j in entities}
    found: list[Any] = []
    for text in given:
        if looks_like_id(text):
            wanted = entity_id(text, group.resource.entity_type)  # a malformed id: exit 2
            if wanted not in by_id:
                raise await not_found(group, text, entities)
            found.append(by_id[wanted])
            continue
        matches = [j for j in entities if fnmatch.fnmatchcase(j.name or "", text)]
        if not matches:
            raise await not_found(group, text, entities)
        found.extend(matches)
    return list({job.id: job for job in found}.values())
