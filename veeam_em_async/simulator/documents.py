"""XML bodies the simulator answers with, shaped like the vendor's documented ones."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from xml.sax.saxutils import escape, quoteattr

from ..xmlio import EM_NAMESPACE
from .job_sessions import RETRY_TIMEOUT_MINUTES, RETRY_TIMES, SimJobSession, vm_names

NS = f'xmlns="{EM_NAMESPACE}"'
BACKUP_SERVER = "00000000-0000-4000-8000-0000000000b5"  # the one server every job is on
DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
ALL_HOURS = ",".join(["1"] * 24)


def _a(value: str) -> str:
    return quoteattr(value)


def _t(value: str) -> str:
    return escape(value)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def link(rel: str, href: str, type_: str | None = None, name: str | None = None) -> str:
    extra = (f" Type={_a(type_)}" if type_ else "") + (f" Name={_a(name)}" if name else "")
    return f"<Link Rel={_a(rel)}{extra} Href={_a(href)} />"


def error(status: int, message: str) -> str:
    return f"<Error {NS} Message={_a(message)} StatusCode={_a(str(status))} />"


def logon_session(api: str, session_id: str, user: str) -> str:
    href = f"{api}/logonSessions/{session_id}"
    links = "".join(
        [
            link("Up", f"{api}/", "EnterpriseManager"),
            link("Down", f"{api}/jobs", "JobReferenceList"),
            link("Down", f"{api}/tasks", "TaskList"),
            link("Delete", href, "LogonSession"),
        ]
    )
    return (
        f'<LogonSession {NS} Type="LogonSession" Href={_a(href)}><Links>{links}</Links>'
        f"<UserName>{_t(user)}</UserName><SessionId>{_t(session_id)}</SessionId></LogonSession>"
    )


def entry_point(api: str, versions: Iterable[str] = ("v1_7",)) -> str:
    """``GET /api/``, as the vendor's logon page shows it: one logon link per version."""
    offered = "".join(
        f"<SupportedVersion Name={_a(v)}><Links>"
        f"{link('Create', f'{api}/sessionMngr/?v={v}', 'LogonSession')}</Links></SupportedVersion>"
        for v in versions
    )
    return (
        f"<EnterpriseManager {NS}><Links>"
        f"{link('Down', f'{api}/logonSessions', 'LogonSessionList')}"
        f"{link('Create', f'{api}/sessionMngr/?v=latest', 'LogonSession')}"
        f"</Links><SupportedVersions>{offered}</SupportedVersions></EnterpriseManager>"
    )


def references(refs: Iterable[tuple[str, str, str, str, str]]) -> str:
    """``(type, href, name, uid, alternate href)`` rows -> ``<EntityReferences>``."""
    body = "".join(
        f"<Ref Type={_a(t)} Href={_a(h)} Name={_a(n)} UID={_a(u)}><Links>"
        f"{link('Alternate', alt, 'Job', n)}</Links></Ref>"
        for t, h, n, u, alt in refs
    )
    return f"<EntityReferences {NS}>{body}</EntityReferences>"


def task(
    api: str,
    task_id: str,
    state: str,
    operation: str,
    success: bool | None,
    message: str | None,
    related: tuple[str, str] | None = None,
    root: bool = True,
) -> str:
    """A ``<Task>``; ``related`` is the ``(href, type)`` of its Related link."""
    href = f"{api}/tasks/{task_id}"
    links = link("Delete", href, "Task")
    if related:
        links += link("Related", related[0], related[1])
    result = ""
    if success is not None:
        result = (
            f"<Result Success={_a(_bool(success))}><Message>{_t(message or '')}</Message></Result>"
        )
    ns = f" {NS}" if root else ""
    return (
        f'<Task{ns} Type="Task" Href={_a(href)}><Links>{links}</Links><TaskId>{task_id}</TaskId>'
        f"<State>{state}</State><Operation>{operation}</Operation>{result}</Task>"
    )


def tasks(items: Iterable[str]) -> str:
    return f"<Tasks {NS}>{''.join(items)}</Tasks>"


def _days(element: str) -> str:
    return "".join(f'<{element} Name="{day}">{ALL_HOURS}</{element}>' for day in DAYS)


def _standard_schedule(hour: int) -> str:
    return (
        f"<Standart><RetryOptions><RetryTimes>{RETRY_TIMES}</RetryTimes>"
        f"<RetryTimeout>{RETRY_TIMEOUT_MINUTES}</RetryTimeout>"
        "<RetrySpecified>true</RetrySpecified></RetryOptions>"
        "<WaitForBackupCompletion>true</WaitForBackupCompletion>"
        "<BackupCompetitionWaitingPeriodMin>180</BackupCompetitionWaitingPeriodMin>"
        '<OptionsDaily Enabled="true"><Kind>Everyday</Kind>'
        + "".join(f"<Days>{d}</Days>" for d in DAYS)
        + f"<Time>{hour:02d}:00:00.0000000+00:00</Time>"
        "<TimeOffsetUtc>0</TimeOffsetUtc></OptionsDaily>"
        '<OptionsMonthly Enabled="false"><Time>22:00:00.0000000+00:00</Time>'
        "<DayNumberInMonth>Fourth</DayNumberInMonth><DayOfWeek>Saturday</DayOfWeek>"
        "<Months>January</Months><DayOfMonth>1</DayOfMonth></OptionsMonthly>"
        f'<OptionsPeriodically Enabled="false"><Kind>Hours</Kind><FullPeriod>1</FullPeriod>'
        f"<Schedule>{_days('Day')}</Schedule></OptionsPeriodically>"
        f'<OptionsContinuous Enabled="false"><Schedule>{_days("Day")}</Schedule>'
        "</OptionsContinuous>"
        f'<OptionsBackupWindow Enabled="false"><TimePeriods>{_days("Day")}</TimePeriods>'
        "</OptionsBackupWindow>"
        '<OptionsDaisyChaining Enabled="false"><PreviousJobUid /></OptionsDaisyChaining></Standart>'
    )


#: An include of a simulated job: (ObjectInJobId, HierarchyObjRef, name, order).
Include = tuple[str, str, str, int]


def _include(api_job: str, include: Include) -> str:
    object_id, ref, vm, _ = include
    return (
        f'<ObjectInJob Type="ObjectInJob" Href={_a(f"{api_job}/includes/{object_id}")}>'
        f"<ObjectInJobId>{object_id}</ObjectInJobId>"
        f"<HierarchyObjRef>{_t(ref)}</HierarchyObjRef>"
        f"<Name>{_t(vm)}</Name><DisplayName>{_t(vm)}</DisplayName>"
        "<GuestProcessingOptions><VssSnapshotOptions><VssSnapshotMode>RequireSuccess"
        "</VssSnapshotMode><IsCopyOnly>false</IsCopyOnly></VssSnapshotOptions>"
        "</GuestProcessingOptions></ObjectInJob>"
    )


def job_entity(
    api: str,
    job_id: str,
    name: str,
    job_type: str,
    platform: str,
    description: str,
    schedule_enabled: bool,
    next_run: datetime | None,
    index: int,
    includes: Iterable[Include] = (),
) -> str:
    """A ``<Job>`` entity; schedule and info follow the documented body of each type."""
    href = f"{api}/jobs/{job_id}"
    links = [
        link(
            "Up",
            f"{api}/backupServers/{BACKUP_SERVER}",
            "BackupServerReference",
        ),
        link("Alternate", href, "JobReference", name),
        link("Edit", href, "JobReference", name),
        link("Clone", f"{href}?action=clone"),
        link("ToggleScheduleEnabled", f"{href}?action=toggleScheduleEnabled"),
        link("Down", f"{href}/backupSessions", "BackupJobSessionReferenceList"),
    ]
    if job_type in ("Backup", "Replica"):
        links += [link(rel, f"{href}?action={rel.lower()}") for rel in ("Start", "Stop", "Retry")]
        schedule = _standard_schedule(index % 24)
        include = "".join(_include(href, item) for item in includes)
        gpo = (
            "<GuestProcessingOptions><VssSnapshotOptions><VssSnapshotMode>Disabled"
            "</VssSnapshotMode><IsCopyOnly>false</IsCopyOnly></VssSnapshotOptions>"
            "</GuestProcessingOptions>"
        )
        if job_type == "Backup":
            info = (
                f"<BackupJobInfo><Includes>{include}</Includes>{gpo}"
                "<SimpleRetentionPolicy><RetainCycles>7</RetainCycles>"
                "<RetainLimitType>Cycles</RetainLimitType></SimpleRetentionPolicy></BackupJobInfo>"
            )
        else:
            info = f"<ReplicaJobInfo><Includes>{include}</Includes>{gpo}</ReplicaJobInfo>"
    elif job_type == "BackupCopy":
        links.append(link("Sync", f"{href}?action=sync"))
        schedule = _standard_schedule(index % 24)
        info = (
            "<BackupCopyJobInfo><Includes /><LinkedJobIncludes><LinkedJobObject>"
            f"<ObjectInJobId>{job_id}</ObjectInJobId><LinkedJobUid>urn:veeam:Job:{job_id}"
            "</LinkedJobUid></LinkedJobObject></LinkedJobIncludes></BackupCopyJobInfo>"
        )
    else:
        links.append(link("Sync", f"{href}?action=sync"))
        schedule = (
            f'<ImmediateCopyMode><OptionsContinuous Enabled="true"><Schedule>{_days("Day")}'
            "</Schedule></OptionsContinuous></ImmediateCopyMode>"
        )
        info = (
            "<ImmediateBackupCopyJobInfo><LinkedJobIncludes /><LinkedBackupIncludes />"
            "<LinkedBackupRepositoryIncludes /></ImmediateBackupCopyJobInfo>"
        )
    next_run_xml = (
        f"<NextRun>{next_run.astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')}</NextRun>"
        if next_run
        else ""
    )
    return (
        f'<Job {NS} Type="Job" Href={_a(href + "?format=Entity")} Name={_a(name)} '
        f"UID={_a('urn:veeam:Job:' + job_id)}><Links>{''.join(links)}</Links>"
        f"<JobType>{job_type}</JobType><Platform>{platform}</Platform>"
        f"<Description>{_t(description)}</Description>"
        f"<ScheduleConfigured>true</ScheduleConfigured>"
        f"<ScheduleEnabled>{_bool(schedule_enabled)}</ScheduleEnabled>{next_run_xml}"
        f"<JobScheduleOptions>{schedule}</JobScheduleOptions><JobInfo>{info}</JobInfo></Job>"
    )


def nas_job_entity(
    api: str, job_id: str, name: str, description: str, schedule_enabled: bool, index: int
) -> str:
    href = f"{api}/nas/jobs/{job_id}"
    links = "".join(
        [link("Alternate", href, "JobReference", name)]
        + [
            link(rel, f"{href}/{rel[0].lower() + rel[1:]}")
            for rel in ("Start", "Stop", "Retry", "ToggleScheduleEnabled")
        ]
    )
    share = f"\\\\files{index:02d}\\share"
    return (
        f'<NASJob {NS} Type="NasJob" Href={_a(href + "?format=Entity")} Name={_a(name)} '
        f"UID={_a('urn:veeam:NasJob:' + job_id)}><Links>{links}</Links>"
        f"<Description>{_t(description)}</Description><Includes>"
        f'<NASObject Type="NasObject" Href={_a(f"{href}/includes/{job_id}")}>'
        f"<ObjectInJobId>{job_id}</ObjectInJobId><FileOrFolder>{_t(share)}</FileOrFolder>"
        "<InclusionMask><Extension>*.*</Extension></InclusionMask>"
        f"<ExclusionMask><Extension>{_t(share)}\\.snapshot</Extension></ExclusionMask>"
        "</NASObject></Includes><StorageOptions><ShorttermRetentionType>Day"
        "</ShorttermRetentionType><ShorttermRetentionPeriod>3</ShorttermRetentionPeriod>"
        "<LongtermRetentionEnabled>false</LongtermRetentionEnabled></StorageOptions>"
        f"<ScheduleConfigured>true</ScheduleConfigured>"
        f"<ScheduleEnabled>{_bool(schedule_enabled)}</ScheduleEnabled>"
        f"<JobScheduleOptions>{_standard_schedule(index % 24)}</JobScheduleOptions></NASJob>"
    )


def _utc(seconds: float) -> str:
    """A simulator clock reading as EM's UTC time (fractions of any length, as EM)."""
    stamp = datetime.fromtimestamp(EPOCH + seconds, timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.%f").rstrip("0").rstrip(".") + "Z"


EPOCH = 1_700_000_000.0  # simulator clock 0 is this UTC instant


def job_session(
    api: str, run: SimJobSession, now: float, *, entity: bool = True, root: bool = True
) -> str:
    collection = "replicaSessions" if run.replica else "backupSessions"
    href = f"{api}/{collection}/{run.id}"
    name = f"{run.job_name}@{_utc(run.created)}"
    uid = f"urn:veeam:{run.uid_type}:{run.id}"
    ns = f" {NS}" if root else ""
    task_list = (
        "ReplicaTaskSessionReferenceList" if run.replica else "BackupTaskSessionReferenceList"
    )
    links = (
        link("Up", f"{api}/jobs/{run.job_id}", "JobReference", run.job_name)
        + link("Alternate", href, f"{run.uid_type}Reference", name)
        + link(
            "Down", f"{href}/{'replicaTaskSessions' if run.replica else 'taskSessions'}", task_list
        )
        + link("Stop", f"{href}?action=stop")
    )
    if not entity:
        return (
            f'<EntityRef{ns} Type="{run.uid_type}Reference" Href={_a(href)} Name={_a(name)} '
            f"UID={_a(uid)}><Links>{links}</Links></EntityRef>"
        )
    state = run.state(now)
    end = _utc(run.ended_at()) if state == "Stopped" else "1900-01-01T00:00:00Z"
    return (
        f'<{run.uid_type}{ns} Type="{run.uid_type}" Href={_a(href + "?format=Entity")} '
        f"Name={_a(name)} UID={_a(uid)}><Links>{links}</Links>"
        f"<JobUid>{run.job_uid}"
        f"</JobUid><JobName>{_t(run.job_name)}</JobName>"
        f"<JobType>{run.job_type}</JobType><CreationTimeUTC>{_utc(run.created)}</CreationTimeUTC>"
        f"<EndTimeUTC>{end}</EndTimeUTC><State>{state}</State>"
        f"<Result>{run.result(now) or 'None'}</Result><Progress>{run.progress(now)}</Progress>"
        f"<IsRetry>{_bool(run.is_retry)}</IsRetry></{run.uid_type}>"
    )


def task_session(api: str, run: SimJobSession, index: int, now: float) -> str:
    kind = "ReplicaTaskSession" if run.replica else "BackupTaskSession"
    collection = "replicaTaskSessions" if run.replica else "backupTaskSessions"
    task_id = run.task_id(index)
    vm = vm_names(run.job_name)[index]
    name = f"{vm}@{_utc(run.created)}"
    result, reason = run.task_result(index, now)
    done = result is not None
    return (
        f'<{kind} {NS} Type="{kind}" Href={_a(f"{api}/{collection}/{task_id}?format=Entity")} '
        f'Name={_a(name)} UID="urn:veeam:{kind}:{task_id}" VmDisplayName={_a(vm)}><Links>'
        + link(
            "Up",
            f"{api}/{'replicaSessions' if run.replica else 'backupSessions'}/{run.id}",
            f"{run.uid_type}Reference",
        )
        + f"</Links><JobSessionUid>urn:veeam:{run.uid_type}:{run.id}</JobSessionUid>"
        f"<CreationTimeUTC>{_utc(run.created)}</CreationTimeUTC>"
        f"<EndTimeUTC>{_utc(run.ended_at()) if done else '1900-01-01T00:00:00Z'}</EndTimeUTC>"
        f"<State>{'Completed' if done else 'InProgress'}</State><Result>{result or 'None'}</Result>"
        + (f"<Reason>{_t(reason)}</Reason>" if reason else "<Reason />")
        + f"<TotalSize>{(index + 1) * 21474836480}</TotalSize></{kind}>"
    )


def agent_job_entity(api: str, job_id: str, name: str, platform: str, enabled: bool) -> str:
    """An ``<AgentBackupJob>`` entity, shaped like the vendor's ``GET /agents/jobs/{ID}``."""
    href = f"{api}/agents/jobs/{job_id}"
    links = (
        link("Up", f"{api}/backupServers/{BACKUP_SERVER}", "BackupServerReference", "vbr01")
        + link("Alternate", href, "JobReference", name)
        + link("Down", f"{href}/includes", "ObjectInJobList")
        + link("ToggleScheduleEnabled", f"{href}?action=toggleScheduleEnabled")
        + link("Down", f"{href}/backupSessions", "BackupJobSessionReferenceList")
        + "".join(link(rel, f"{href}?action={rel.lower()}") for rel in ("Start", "Stop", "Retry"))
    )
    group = (
        f'<ObjectInAgentBackupJob Type="ObjectInAgentBackupJob" '
        f"Href={_a(f'{href}/includes/{job_id}')}><ObjectInJobId>{job_id}</ObjectInJobId>"
        "<Name>Servers</Name><DisplayName>Servers</DisplayName></ObjectInAgentBackupJob>"
    )
    return (
        f'<AgentBackupJob {NS} Type="AgentBackupJob" Href={_a(href + "?format=Entity")} '
        f'Name={_a(name)} UID="urn:veeam:AgentBackupJob:{job_id}"><Links>{links}</Links>'
        f"<JobType>AgentBackup</JobType><Platform>{_t(platform)}</Platform>"
        "<Description>Created by the veeam_em_async simulator</Description>"
        "<ScheduleConfigured>true</ScheduleConfigured>"
        f"<ScheduleEnabled>{str(enabled).lower()}</ScheduleEnabled>"
        "<JobScheduleOptions><Standart><RetryOptions><RetryTimes>3</RetryTimes>"
        "<RetryTimeout>10</RetryTimeout><RetrySpecified>true</RetrySpecified></RetryOptions>"
        "</Standart></JobScheduleOptions>"
        f"<JobInfo><Includes>{group}</Includes><SimpleRetentionPolicy><RetainCycles>5"
        "</RetainCycles><RetainLimitType>Cycles</RetainLimitType></SimpleRetentionPolicy>"
        "</JobInfo></AgentBackupJob>"
    )


def object_in_job(job_href: str, object_id: str, ref: str, name: str, order: int) -> str:
    """One ``<ObjectInJob>`` of ``GET /jobs/{ID}/includes``, as the vendor's page shows it."""
    href = f"{job_href}/includes/{object_id}"
    return (
        f'<ObjectInJob Type="ObjectInJob" Href={_a(href)}><Links>'
        f"{link('Delete', href, 'ObjectInJob', name)}{link('Up', job_href, 'Job')}</Links>"
        f"<ObjectInJobId>{object_id}</ObjectInJobId><HierarchyObjRef>{_t(ref)}</HierarchyObjRef>"
        f"<Name>{_t(name)}</Name><DisplayName>{_t(name)}</DisplayName><Order>{order}</Order>"
        "</ObjectInJob>"
    )


def repository(api: str, repo_id: str, name: str, capacity: int, free: int, kind: str) -> str:
    """A ``<Repository>`` entity, as the vendor's ``GET /repositories/{ID}`` page shows one."""
    href = f"{api}/repositories/{repo_id}"
    links = (
        link("Up", f"{api}/backupServers/{BACKUP_SERVER}", "BackupServerReference", "vbr01")
        + link("Alternate", href, "RepositoryReference", name)
        + link("Down", f"{href}/backups", "BackupReferenceList")
        + link("Down", f"{href}/replicas", "ReplicaReferenceList")
    )
    return (
        f'<Repository Type="Repository" Href={_a(href + "?format=Entity")} Name={_a(name)} '
        f'UID="urn:veeam:Repository:{repo_id}"><Links>{links}</Links>'
        f"<Capacity>{capacity}</Capacity><FreeSpace>{free}</FreeSpace><Kind>{kind}</Kind>"
        "</Repository>"
    )


def ref(type_: str, href: str, name: str, uid: str, links: str) -> str:
    """One ``<Ref>`` of a query's ``<Refs>``."""
    return (
        f"<Ref Type={_a(type_)} Href={_a(href)} Name={_a(name)} UID={_a(uid)}>"
        f"<Links>{links}</Links></Ref>"
    )
