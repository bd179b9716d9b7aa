"""``veeam-em tasks show``: one EM task by the id an action printed (within one
command's logon session only: EM keeps a task per logon, and each command logs on anew)."""

from __future__ import annotations

import click

from ...client import EnterpriseManager
from ..base import CONTEXT, on_em
from ..exits import FAILED, OK
from ..options import connection_options
from ..output import Output
from ..shapes import task_summary


@click.group("tasks", context_settings=CONTEXT)
@connection_options
def tasks_group() -> None:
    """EM's tasks, by the id an action printed."""


@tasks_group.command("show", context_settings=CONTEXT)
@click.argument("task_id", metavar="TASK")
@connection_options
def tasks_show(task_id: str) -> int:
    """One task: its state and result (exit 1 if it failed).

    EM keeps a task only within the logon session that created it, and every
    veeam-em command logs on anew: a task id printed by an earlier command is
    gone (exit 4, TaskLostError). Its outcome is in the job's sessions.

    \b
    Example:
      veeam-em tasks show task-7
    """
    return on_em("tasks show", lambda out, em: show_task(out, em, task_id))


async def show_task(out: Output, em: EnterpriseManager, ident: str) -> int:
    info = await em.tasks.get(ident)
    out.doc["item"] = task_summary(info)
    success = "-" if info.result is None else ("yes" if info.result.success else "no")
    text = info.result.message if info.result else ""
    out.table(
        "Task", ["Id", "Operation", "State", "Success", "Message"],
        [(info.id, info.operation, info.state, success, text)],
    )  # fmt: skip
    return OK if info.result is None or info.result.success else FAILED
