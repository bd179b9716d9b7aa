"""Job runs: a start and the job session it became, awaited to its real result.

``_run`` holds `JobRun`; ``_context`` what every run of a client shares and
how a run's session is recognised; ``_sessions`` the job sessions as a poll
source (one query per tick for every awaited run).
"""

from ..models import JobSession
from ._context import RunContext
from ._run import RETRY_GRACE, JobRun
from ._sessions import SessionSource

__all__ = ["RETRY_GRACE", "JobRun", "JobSession", "RunContext", "SessionSource"]
