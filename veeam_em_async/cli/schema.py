"""The JSON Schema of every ``veeam-em`` command's ``-o json`` document.

The contract of `.output` written down: ``SCHEMAS[command]`` validates
what the command prints, failures and interruptions included (the tests check
every command against it with ``jsonschema``). Plain dicts, no dependency.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

STR = {"type": "string"}
OPT_STR = {"type": ["string", "null"]}
OPT_BOOL = {"type": ["boolean", "null"]}
OPT_INT = {"type": ["integer", "null"]}


def obj(required: dict[str, Any], nullable: bool = False) -> Schema:
    return {
        "type": ["object", "null"] if nullable else "object",
        "required": list(required),
        "properties": required,
    }


JOB = obj({"id": STR, "name": OPT_STR, "type": OPT_STR})
ERROR = obj({"type": STR, "message": STR, "hint": OPT_STR}, nullable=True)
TASK = obj(
    {"id": STR, "operation": OPT_STR, "state": OPT_STR, "success": OPT_BOOL, "message": OPT_STR},
    nullable=True,
)
SESSION = obj(
    {
        "id": OPT_STR, "name": OPT_STR, "job_uid": OPT_STR, "job_name": OPT_STR,
        "job_type": OPT_STR, "state": OPT_STR, "result": OPT_STR, "progress": OPT_INT,
        "is_retry": {"type": "boolean"}, "creation_time": OPT_STR, "end_time": OPT_STR,
        "failure_message": OPT_STR,
    },
    nullable=True,
)  # fmt: skip
#: ``not_sent``: nothing was sent for the job (an interrupt came first); ``unknown``: the
#: action was sent and no answer came (EM may have acted on it); ``interrupted``: EM
#: accepted it, and the wait for its end was cut short.
TOTALS = obj(
    {k: {"type": "integer"} for k in ("jobs", "succeeded", "failed", "skipped", "not_sent",
                                      "unknown", "interrupted", "dry_run")}
)  # fmt: skip
#: ``dry_run``: ``--dry-run`` recorded the action and sent nothing.
_TRAIL = ["pending", "accepted", "not_sent", "unknown", "dry_run"]
ACTION_STATUS = [*_TRAIL, "finished", "failed", "timeout", "error", "skipped"]
RUN_STATUS = [*_TRAIL, "success", "warning", "failed", "timeout", "error", "skipped"]
ACTION_RESULT = obj(
    {
        "job": JOB, "action": OPT_STR, "status": {"enum": ACTION_STATUS}, "task": TASK,
        "error": OPT_STR, "reason": OPT_STR,
    }
)  # fmt: skip
#: A VM that did not succeed, and EM's reason.
VM_REASON = obj({"vm": OPT_STR, "result": OPT_STR, "reason": OPT_STR})
RUN_RESULT = obj(
    {
        **ACTION_RESULT["properties"], "status": {"enum": RUN_STATUS}, "session": SESSION,
        "result": OPT_STR, "vm_reasons": {"type": "array", "items": VM_REASON},
    }
)  # fmt: skip
JOB_ROW = obj(
    {
        **JOB["properties"], "platform": OPT_STR, "schedule_enabled": {"type": "boolean"},
        "next_run": OPT_STR, "description": OPT_STR,
    }
)  # fmt: skip
REPOSITORY = obj(
    {
        "id": OPT_STR, "name": OPT_STR, "kind": OPT_STR, "capacity": OPT_INT,
        "free_space": OPT_INT, "used_percent": {"type": ["number", "null"]},
    }
)  # fmt: skip
PROFILE = obj({"name": STR, "password_in_keyring": {"type": "boolean"}})
#: What ``--dry-run`` would have sent (`veeam_em_async.actions.Action`).
ACTION = obj({"method": STR, "path": STR, "action": STR, "target_id": OPT_STR,
              "target_name": OPT_STR})  # fmt: skip
#: The keys of a command that sends actions, under ``--dry-run``.
DRY_RUN = {"dry_run": {"type": "boolean"}, "would_send": {"type": "array", "items": ACTION}}


def envelope(command: str, payload: dict[str, Any]) -> Schema:
    """The document of ``command``: the envelope every command shares, and its
    own keys, each optional (a command that failed early has none of them)."""
    properties = {
        "command": {"const": command}, "ok": {"type": "boolean"},
        "exit_code": {"type": "integer"}, "interrupted": {"type": "boolean"}, "error": ERROR,
        # --all-profiles / --profile a,b: the EMs asked, and the error of each that failed
        "ems": {"type": "array", "items": STR},
        "errors": {"type": "object", "additionalProperties": STR},
        **payload,
    }  # fmt: skip
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["command", "ok", "exit_code", "interrupted", "error"],
        "properties": properties,
        "additionalProperties": False,
    }


def _array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


SCHEMAS: dict[str, Schema] = {}
for _group in ("jobs", "nas-jobs", "agent-jobs"):
    SCHEMAS[f"{_group} list"] = envelope(f"{_group} list", {"items": _array(JOB_ROW)})
    SCHEMAS[f"{_group} show"] = envelope(
        f"{_group} show", {"item": {**JOB, "additionalProperties": True}}
    )
    for _action in (
        ("start", "stop", "retry", "sync") if _group == "jobs" else ("start", "stop", "retry")
    ):
        SCHEMAS[f"{_group} {_action}"] = envelope(
            f"{_group} {_action}",
            {"action": STR, "results": _array(ACTION_RESULT), "totals": TOTALS, **DRY_RUN},
        )
    SCHEMAS[f"{_group} run"] = envelope(
        f"{_group} run",
        {"action": STR, "results": _array(RUN_RESULT), "totals": TOTALS, **DRY_RUN},
    )
SCHEMAS["jobs status"] = envelope(
    "jobs status", {"since": STR, "items": _array(obj({"job": JOB, "last": SESSION}))}
)
SCHEMAS["sessions list"] = envelope("sessions list", {"items": _array(SESSION)})
SCHEMAS["sessions show"] = envelope(
    "sessions show",
    {"item": {**SESSION, "properties": {**SESSION["properties"], "vm_reasons": _array(VM_REASON)}}},
)
SCHEMAS["sessions stop"] = envelope("sessions stop", {"item": SESSION, "task": TASK, **DRY_RUN})
#: ``sessions watch`` prints JSON Lines: one of these per run as it ends, and an
#: envelope (``SCHEMAS["sessions watch"]``) only if it fails.
SESSION_LINE = SESSION
SCHEMAS["sessions watch"] = envelope("sessions watch", {})
SCHEMAS["tasks show"] = envelope("tasks show", {"item": TASK})
SCHEMAS["repositories"] = envelope(
    "repositories",
    {"warn_above": {"type": "number"}, "over": _array(OPT_STR), "items": _array(REPOSITORY)},
)
SCHEMAS["profile list"] = envelope(
    "profile list", {"path": STR, "items": _array({**PROFILE, "additionalProperties": True})}
)

#: One VM's verdict against the RPO (``protection``).
VM_PROTECTION = obj(
    {
        "vm": OPT_STR, "hierarchy_ref": OPT_STR, "ok": {"type": "boolean"}, "reason": OPT_STR,
        "age_seconds": OPT_INT,
        "latest": obj({"id": STR, "creation_time": OPT_STR, "backup_server_uid": OPT_STR},
                      nullable=True),
    }
)  # fmt: skip
SCHEMAS["protection"] = envelope(
    "protection",
    {"max_age_seconds": {"type": "integer"}, "since": STR, "checked_at": STR,
     "points_read": {"type": "integer"}, "breaches": {"type": "integer"},
     "items": _array(VM_PROTECTION)},
)  # fmt: skip
for _report in ("overview", "jobs", "vms", "repositories"):
    SCHEMAS[f"reports {_report}"] = envelope(f"reports {_report}", {"item": {"type": "object"}})
VM_ITEM = obj({"name": OPT_STR, "ref": STR, "type": OPT_STR, "root_uid": OPT_STR})
SCHEMAS["exporter"] = envelope(
    "exporter",
    {"listen": STR, "collections": {"type": "object", "additionalProperties": {"type": "integer"}}},
)
SCHEMAS["vms find"] = envelope("vms find", {"items": _array(VM_ITEM)})
SCHEMAS["vms backup"] = envelope(
    "vms backup",
    {"results": _array(obj({
        "vm": VM_ITEM,
        "status": {"enum": ["pending", "success", "warning", "failed", "error", "dry_run"]},
        "session": SESSION, "result": OPT_STR, "vm_reasons": _array(VM_REASON), "error": OPT_STR,
    })),
     "totals": obj({k: {"type": "integer"} for k in ("vms", "succeeded", "failed", "dry_run")}),
     **DRY_RUN},
)  # fmt: skip
