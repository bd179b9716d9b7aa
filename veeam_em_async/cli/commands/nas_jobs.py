"""``veeam-em nas-jobs``: file share (nas) backup jobs, with the commands every job group has
(`commands.jobs.job_group`)."""

from __future__ import annotations

from .jobs import job_group

nas_jobs_group = job_group("nas-jobs", ("start", "stop", "retry"), "File share (NAS) backup jobs")
