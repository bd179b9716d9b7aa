"""What a state-changing request is, before it is sent and after: the `Action` a
``before_action`` hook is asked about, and the audit trail of what was sent. Pure
but for the logger.

A bot that can start and stop jobs needs one place to say "are you sure?", apply an
allow-list or rehearse (``--dry-run``), and one record of what it sent: botocore's
``before-send`` event and httpx's request hooks, for EM's actions. Logon and logoff
are not actions: they change no job, and a hook that refused them would lock the
client out of reading.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import attrs

from .errors import VeeamEMError

__all__ = ["AUDIT_LOGGER", "Action", "ActionHook", "ActionRefused", "audit", "target_of"]

#: The audit trail: one INFO record per state-changing request sent, its fields in
#: ``extra`` (``method``, ``path``, ``action``, ``target_id``, ``target_name``,
#: ``task_id``, ``error``) for a JSON formatter to emit as fields.
AUDIT_LOGGER = logging.getLogger("veeam_em_async.audit")


@attrs.frozen
class Action:
    """One state-changing request, as the client is about to send it.

    ``action`` is EM's word (``start``, ``stop``, ``retry``, ``sync``,
    ``toggleScheduleEnabled``, ``clone``, ``edit``, ``quickbackup``,
    ``add_include``, ``remove_include``); ``target_id`` and ``target_name`` name
    the job, session or VM it acts on when the caller gave them (a name is known
    when the caller passed a model or a reference, not a bare id).
    """

    method: str
    path: str
    action: str
    target_id: str | None = None
    target_name: str | None = None


class ActionRefused(VeeamEMError):  # noqa: N818 - the name API.md binds
    """A ``before_action`` hook said no: nothing was sent. The library's own "no"
    (the CLI's ``--dry-run`` raises it for every action); a hook may raise any
    exception instead. ``action`` is the `Action` refused, when the hook says."""

    def __init__(self, message: str = "refused by before_action", action: object = None) -> None:
        super().__init__(message)
        self.action = action


#: ``EnterpriseManager(..., before_action=hook)``: awaited with each `Action` before
#: it is sent; if it raises, nothing is sent and the caller gets that exception.
ActionHook = Callable[[Action], Awaitable[None]]


def target_of(target: Any) -> tuple[str | None, str | None]:
    """(id, name) of what an action is sent to: a model, a reference or an id."""
    if target is None:
        return None, None
    if isinstance(target, str):
        return target, None
    ident = getattr(target, "id", None) or getattr(target, "ref", None)
    name = getattr(target, "name", None) or getattr(target, "vm_name", None)
    return (ident if isinstance(ident, str) else None), (name if isinstance(name, str) else None)


def audit(
    action: Action, *, task_id: str | None = None, error: BaseException | None = None
) -> None:
    """One INFO record of ``action`` sent: the task id EM answered, or the error."""
    if not AUDIT_LOGGER.isEnabledFor(logging.INFO):
        return  # nobody listens: build nothing (a bulk start audits thousands)
    fields = {**attrs.asdict(action), "task_id": task_id,
              "error": None if error is None else f"{type(error).__name__}: {error}"}  # fmt: skip
    outcome = f"task {task_id}" if error is None else f"failed: {fields['error']}"
    what = action.target_name or action.target_id or action.path
    AUDIT_LOGGER.info("%s %s %s: %s", action.method, action.action, what, outcome, extra=fields)
