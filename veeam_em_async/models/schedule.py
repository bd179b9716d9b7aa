"""Job scheduling options (``<JobScheduleOptions>``), shared by VM and NAS jobs.

EM nests them three ways: inside ``<Standart>`` (backup, backup copy, NAS
jobs; EM's spelling), inside ``<ImmediateCopyMode>`` (immediate backup copy
jobs), or flat under ``<JobScheduleOptions>`` (older API versions, as in the
vendor's replica example). The converter maps the flat form onto
``standard`` so callers see one shape.
"""

from __future__ import annotations

import attrs

from .common import Model, xml


@attrs.frozen
class DaySchedule(Model):
    """One ``<Day Name="Monday">1,1,0,…</Day>``: 24 hourly flags."""

    name: str | None = xml("@Name", default=None)
    value: str | None = xml("#text", default=None)

    @property
    def hours(self) -> tuple[bool, ...]:
        """The 24 flags as booleans (``1`` = allowed/run in that hour)."""
        if not self.value:
            return ()
        return tuple(part.strip() == "1" for part in self.value.split(","))


@attrs.frozen
class RetryOptions(Model):
    retry_times: int | None = None
    retry_timeout: int | None = None
    retry_specified: bool | None = None


@attrs.frozen
class DailyOptions(Model):
    enabled: bool = xml("@Enabled", default=False)
    kind: str | None = None
    days: list[str] = attrs.field(factory=list)
    time: str | None = None
    time_offset_utc: str | None = None


@attrs.frozen
class MonthlyOptions(Model):
    enabled: bool = xml("@Enabled", default=False)
    time: str | None = None
    time_offset_utc: str | None = None
    day_number_in_month: str | None = None
    day_of_week: list[str] = attrs.field(factory=list)
    months: list[str] = attrs.field(factory=list)
    day_of_month: int | None = None


@attrs.frozen
class PeriodicallyOptions(Model):
    enabled: bool = xml("@Enabled", default=False)
    kind: str | None = None
    full_period: int | None = None
    schedule: list[DaySchedule] = xml("Schedule/Day", factory=list)


@attrs.frozen
class ContinuousOptions(Model):
    enabled: bool = xml("@Enabled", default=False)
    schedule: list[DaySchedule] = xml("Schedule/Day", factory=list)


@attrs.frozen
class BackupWindowOptions(Model):
    enabled: bool = xml("@Enabled", default=False)
    time_periods: list[DaySchedule] = xml("TimePeriods/Day", factory=list)


@attrs.frozen
class DaisyChainingOptions(Model):
    enabled: bool = xml("@Enabled", default=False)
    previous_job_uid: str | None = None


@attrs.frozen
class StandardSchedule(Model):
    """The ``<Standart>`` block: every schedule kind a regular job may have."""

    retry_options: RetryOptions | None = None
    wait_for_backup_completion: bool | None = None
    backup_competition_waiting_period_min: int | None = None
    options_daily: DailyOptions | None = None
    options_monthly: MonthlyOptions | None = None
    options_periodically: PeriodicallyOptions | None = None
    options_continuous: ContinuousOptions | None = None
    options_backup_window: BackupWindowOptions | None = None
    options_daisy_chaining: DaisyChainingOptions | None = None


@attrs.frozen
class ImmediateCopyMode(Model):
    """Immediate backup copy jobs only run continuously."""

    options_continuous: ContinuousOptions | None = None


@attrs.frozen
class JobScheduleOptions(Model):
    standard: StandardSchedule | None = xml("Standart", default=None)
    immediate_copy_mode: ImmediateCopyMode | None = None

    @property
    def retry_options(self) -> RetryOptions | None:
        """How EM retries a failed run (``Standart/RetryOptions``), if set."""
        return self.standard.retry_options if self.standard else None
