"""Request bodies the client sends: ``JobCloneSpec`` (clone) and ``JobEdit`` (edit).

EM validates XML bodies against its XSD, element order included, so each body
is built as an ordered mapping in the schema's order (the vendor's examples,
and `.schema_order` for what callers pass as mappings) and rendered by
`veeam_em_async.xmlio.render_document`, which never reorders.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ..xmlio import render_document
from .schema_order import in_schema_order

MAX_JOB_NAME = 50  # EM: "The name must be up to 50 characters long."

# kind -> (info element, element order)
_CLONE_LAYOUT: dict[str, tuple[str, tuple[str, ...]]] = {
    "backup": (
        "BackupJobCloneInfo",
        ("JobName", "FolderName", "RepositoryUid", "Description"),
    ),
    "replica": ("ReplicaJobCloneInfo", ("JobName", "VmSuffix", "Description")),
    "backup_copy": (
        "BackupCopyJobCloneInfo",
        ("JobName", "JobFileName", "RepositoryUid", "Description"),
    ),
    # The vendor's example for immediate copies lists Description before the rest.
    "immediate_backup_copy": (
        "ImmediateBackupCopyJobCloneInfo",
        ("JobName", "Description", "RepositoryUid", "JobFileName"),
    ),
}


def _check_name(_: Any, __: Any, value: str) -> None:
    if not value or len(value) > MAX_JOB_NAME:
        raise ValueError(f"job_name must be 1 to {MAX_JOB_NAME} characters, got {len(value)}")


@attrs.frozen
class JobCloneSpec:
    """The body of ``POST /jobs/{id}?action=clone``.

    Build it with the constructor for the kind of job being cloned:
    `backup`, `replica`, `backup_copy` or
    `immediate_backup_copy`; each takes exactly the elements EM requires
    for that kind.
    """

    kind: str = attrs.field(validator=attrs.validators.in_(_CLONE_LAYOUT))
    job_name: str = attrs.field(validator=_check_name)
    description: str | None = None
    folder_name: str | None = None
    repository_uid: str | None = None
    vm_suffix: str | None = None
    job_file_name: str | None = None

    @classmethod
    def backup(
        cls, job_name: str, folder_name: str, repository_uid: str, description: str | None = None
    ) -> JobCloneSpec:
        return cls("backup", job_name, description, folder_name=folder_name,
                   repository_uid=repository_uid)  # fmt: skip

    @classmethod
    def replica(cls, job_name: str, vm_suffix: str, description: str | None = None) -> JobCloneSpec:
        return cls("replica", job_name, description, vm_suffix=vm_suffix)

    @classmethod
    def backup_copy(
        cls, job_name: str, job_file_name: str, repository_uid: str, description: str | None = None
    ) -> JobCloneSpec:
        return cls("backup_copy", job_name, description, job_file_name=job_file_name,
                   repository_uid=repository_uid)  # fmt: skip

    @classmethod
    def immediate_backup_copy(
        cls, job_name: str, job_file_name: str, repository_uid: str, description: str | None = None
    ) -> JobCloneSpec:
        return cls("immediate_backup_copy", job_name, description, job_file_name=job_file_name,
                   repository_uid=repository_uid)  # fmt: skip

    def to_xml(self) -> bytes:
        element, order = _CLONE_LAYOUT[self.kind]
        values = {
            "JobName": self.job_name,
            "FolderName": self.folder_name,
            "RepositoryUid": self.repository_uid,
            "VmSuffix": self.vm_suffix,
            "JobFileName": self.job_file_name,
            "Description": self.description,
        }
        return render_document("JobCloneSpec", {element: {key: values[key] for key in order}})


@attrs.frozen
class JobEdit:
    """The partial ``<Job>`` body of ``PUT /jobs/{id}?action=edit``.

    Only the fields set are sent. The mappings may list elements in any order:
    they are sent in the schema's (`schema_order`),
    and an element the schema does not allow raises ``ValueError``. ``schedule`` is the content of
    ``<JobScheduleOptions><Standart>`` (or ``<ImmediateCopyMode>`` with
    ``immediate_copy_mode=True``) as an ordered mapping of EM element names,
    e.g. ``{"RetryOptions": {"RetryTimes": 5}}``; ``job_info`` likewise for
    ``<JobInfo>`` (e.g. ``{"BackupJobInfo": {"SimpleRetentionPolicy": …}}``).
    """

    description: str | None = None
    schedule_configured: bool | None = None
    schedule_enabled: bool | None = None
    schedule: Mapping[str, Any] | None = None
    immediate_copy_mode: bool = False
    job_info: Mapping[str, Any] | None = None

    def to_xml(self, attributes: Mapping[str, str | None] | None = None) -> bytes:
        """Render the body; ``attributes`` are the ``<Job>`` attributes to echo
        (``Type``, ``Href``, ``Name``, ``UID``), as EM's own example does."""
        content: dict[str, Any] = {f"@{k}": v for k, v in (attributes or {}).items()}
        content["Description"] = self.description
        content["ScheduleConfigured"] = self.schedule_configured
        content["ScheduleEnabled"] = self.schedule_enabled
        if self.schedule is not None:
            mode = "ImmediateCopyMode" if self.immediate_copy_mode else "Standart"
            content["JobScheduleOptions"] = {mode: in_schema_order(mode, self.schedule)}
        if self.job_info is not None:
            content["JobInfo"] = in_schema_order("JobInfo", self.job_info)
        return render_document("Job", content)


@attrs.frozen
class QuickBackupStartupSpec:
    """The body of ``POST /backupServers/{id}?action=quickbackup``: one VM's reference.

    EM takes one VM per request (the vendor: "use separate requests for each VM").
    """

    vm_ref: str = attrs.field()

    @vm_ref.validator
    def _check_ref(self, _: Any, value: str) -> None:
        if not isinstance(value, str) or not value.lower().startswith("urn:") or len(value) > 512:
            raise ValueError(f"not a VM reference (urn:<Platform>:Vm:<root>.<id>): {value!r}")
        if any(ch in value for ch in "<>&\"'") or any(ord(ch) < 32 for ch in value):
            raise ValueError(f"a VM reference holds no markup or control characters: {value!r}")

    def to_xml(self) -> bytes:
        return render_document("QuickBackupStartupSpec", {"VmRef": self.vm_ref})
