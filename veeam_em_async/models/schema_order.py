"""EM's element order for the parts of a job a caller edits. Pure.

EM validates request bodies against its XSD, and an ``xs:sequence`` fixes the
order of child elements: ``<Time>`` before ``<Kind>`` in ``<OptionsDaily>``
is refused. Callers give `JobEdit`
plain mappings in whatever order they like; `in_schema_order` puts them
in the schema's order before the body is rendered, so nobody has to know it.

The table is the XSD's sequences (``RestAPI.xsd`` v1_2 to v1_7) for what
``JobEdit`` sends; ``tests/unit/models/test_schema_order.py`` checks it against every
vendor body that shows these elements.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["SCHEMA_ORDER", "in_schema_order"]

_SCHEDULE = (
    "RetryOptions",
    "WaitForBackupCompletion",
    "BackupCompetitionWaitingPeriodMin",
    "OptionsDaily",
    "OptionsMonthly",
    "OptionsPeriodically",
    "OptionsContinuous",
    "OptionsBackupWindow",
    "OptionsDaisyChaining",
)
_GFS_PERIOD = ("Enabled", "RetentionPeriod", "SelectedDay", "SelectedWeek", "SelectedMonth")
_FS_INDEXING = ("FileSystemIndexingMode", "IncludedIndexingFolders", "ExcludedIndexingFolders")

# fmt: off
#: Element name -> the order of its child elements.
SCHEMA_ORDER: dict[str, tuple[str, ...]] = {
    "JobScheduleOptions": ("Standart", "ImmediateCopyMode", *_SCHEDULE),
    "Standart": _SCHEDULE,
    "ImmediateCopyMode": ("OptionsContinuous",),
    "RetryOptions": ("RetryTimes", "RetryTimeout", "RetrySpecified"),
    "OptionsDaily": ("Kind", "Days", "Time", "TimeOffsetUtc"),
    "OptionsMonthly": (
        "Time",
        "TimeOffsetUtc",
        "DayNumberInMonth",
        "DayOfWeek",
        "Months",
        "DayOfMonth",
    ),
    "OptionsPeriodically": ("Kind", "FullPeriod", "HourlyOffset", "Schedule"),
    "OptionsContinuous": ("Schedule",),
    "OptionsBackupWindow": ("TimePeriods",),
    "OptionsDaisyChaining": ("PreviousJobUid",),
    "JobInfo": (
        "BackupJobInfo",
        "FileCopyJobInfo",
        "ReplicaJobInfo",
        "BackupCopyJobInfo",
        "ImmediateBackupCopyJobInfo",
    ),
    "BackupJobInfo": (
        "Includes",
        "GuestProcessingOptions",
        "AdvancedStorageOptions",
        "GfsRetentionPolicy",
        "SimpleRetentionPolicy",
    ),
    "ReplicaJobInfo": ("Includes", "GuestProcessingOptions"),
    "BackupCopyJobInfo": ("Includes", "LinkedJobIncludes", "AdvancedStorageOptions"),
    "ImmediateBackupCopyJobInfo": (
        "LinkedJobIncludes",
        "LinkedBackupIncludes",
        "LinkedBackupRepositoryIncludes",
    ),
    "GuestProcessingOptions": (
        "AppAwareProcessingMode",
        "FileSystemIndexingMode",
        "IncludedIndexingFolders",
        "ExcludedIndexingFolders",
        "CredentialsId",
        "VssSnapshotOptions",
        "WindowsGuestFSIndexingOptions",
        "LinuxGuestFSIndexingOptions",
        "SqlBackupOptions",
        "WindowsCredentialsId",
        "LinuxCredentialsId",
        "FSFileExcludeOptions",
        "OracleBackupOptions",
    ),
    "VssSnapshotOptions": ("VssSnapshotMode", "IsCopyOnly", "UsePersistentGuestAgent"),
    "WindowsGuestFSIndexingOptions": _FS_INDEXING,
    "LinuxGuestFSIndexingOptions": _FS_INDEXING,
    "SqlBackupOptions": (
        "TransactionLogsProcessing",
        "BackupLogsFrequencyMin",
        "UseDbBackupRetention",
        "RetainDays",
    ),
    "FSFileExcludeOptions": ("BackupScope", "IncludeList", "ExcludeList"),
    "OracleBackupOptions": (
        "BackupLogsEnabled",
        "BackupLogsFrequencyMin",
        "UseDbBackupRetention",
        "RetainDays",
        "ArchivedLogsTruncation",
        "ArchivedLogsMaxAgeHours",
        "ArchivedLogsMaxSizeMb",
        "SysdbaCredsId",
        "ProxyAutoSelect",
    ),
    "AdvancedStorageOptions": ("PasswordKeyId",),
    "GfsRetentionPolicy": ("Weekly", "Monthly", "Yearly"),
    "Weekly": _GFS_PERIOD,
    "Monthly": _GFS_PERIOD,
    "Yearly": _GFS_PERIOD,
    "SimpleRetentionPolicy": ("RetainCycles", "RetainDaysToKeep", "RetainLimitType"),
    "CreateObjectInJobSpec": (
        "HierarchyObjRef",
        "HierarchyObjName",
        "Order",
        "GuestProcessingOptions",
    ),
}


def in_schema_order(element: str, content: Any) -> Any:
    """``content`` of ``<element>`` with every mapping's children in the schema's order.

    Attributes (``@Enabled``) and text (``#text``) come first, as xmltodict
    renders them. A child the schema does not allow in a known element raises
    ``ValueError`` naming the ones it does: EM would refuse the body anyway,
    with a less helpful message. Elements with no entry in
    `SCHEMA_ORDER` keep the caller's order.
    """
    if isinstance(content, (list, tuple)):
        return [in_schema_order(element, item) for item in content]
    if not isinstance(content, Mapping):
        return content
    order = SCHEMA_ORDER.get(element)
    markup = {k: v for k, v in content.items() if k.startswith(("@", "#"))}
    children = {k: v for k, v in content.items() if not k.startswith(("@", "#"))}
    if order is not None:
        unknown = [name for name in children if name not in order]
        if unknown:
            raise ValueError(
                f"<{element}> has no child {', '.join(map(repr, unknown))}; "
                f"the schema allows {', '.join(order)}"
            )
        children = {name: children[name] for name in order if name in children}
    return {**markup, **{name: in_schema_order(name, v) for name, v in children.items()}}
