"""``veeam-em agent-jobs``: veeam agent backup jobs, with the commands every job group has
(`commands.jobs.job_group`)."""

from __future__ import annotations

from .jobs import job_group

agent_jobs_group = job_group("agent-jobs", ("start", "stop", "retry"), "Veeam Agent backup jobs")
