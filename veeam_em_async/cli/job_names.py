"""Shell completion of job names, from the EM a profile (or the environment) names.

``veeam-em jobs start <TAB>`` asks EM for the job names when it can do so
without asking the person anything: a URL and a user from the environment or
the profile, and a password from ``VEEAM_EM_PASSWORD`` or the keyring. The
names are cached for `CACHE_SECONDS` in ``$XDG_CACHE_HOME/veeam-em`` (a
shell calls completion at every Tab), per EM, user and kind of job; the cache
holds names only. Anything that fails (no EM configured, EM down, slower than
`TIMEOUT`) completes nothing rather than printing an error into the shell.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from click.shell_completion import CompletionItem

from . import config

__all__ = ["CACHE_SECONDS", "TIMEOUT", "complete_jobs"]

#: How long job names are reused from the cache (seconds).
CACHE_SECONDS = 60.0
#: How long one completion may wait for EM (seconds).
TIMEOUT = 5.0


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "veeam-em"


def _target() -> tuple[str, str, str] | None:
    """URL, user and password for a completion, or ``None`` (nothing is prompted)."""
    try:
        profile = config.load_profile(config.config_path(), os.environ.get("VEEAM_EM_PROFILE"))
    except Exception:  # a broken profile: no completion, no traceback in the shell
        return None
    url = os.environ.get("VEEAM_EM_URL") or profile.get("url")
    user = os.environ.get("VEEAM_EM_USER") or profile.get("user")
    if not url or not user:
        return None
    password = os.environ.get("VEEAM_EM_PASSWORD") or config.keyring_password(url, user)
    return (url, user, password) if password else None


async def _names(url: str, user: str, password: str, group: str) -> list[str]:
    from ..client import EnterpriseManager

    async with EnterpriseManager(url, user, password, timeout=TIMEOUT) as em:
        resource: Any = {"nas-jobs": em.nas_jobs, "agent-jobs": em.agent_jobs}.get(group, em.jobs)
        return sorted(ref.name for ref in await resource.list() if ref.name)


def job_names(group: str, now: Callable[[], float] = time.time) -> list[str]:
    """The names of ``group``'s jobs, from the cache when it is fresh."""
    target = _target()
    if target is None:
        return []
    url, user, password = target
    key = hashlib.sha256(f"{url}\n{user}\n{group}".encode()).hexdigest()[:16]
    cache = _cache_dir() / f"jobs-{key}.json"
    try:
        cached = json.loads(cache.read_text(encoding="utf-8"))
        if now() - float(cached["at"]) < CACHE_SECONDS:
            return [str(name) for name in cached["names"]]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        names = asyncio.run(asyncio.wait_for(_names(url, user, password, group), TIMEOUT))
    except Exception:
        return []
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps({"at": now(), "names": names}), encoding="utf-8")
        cache.chmod(0o600)
    except OSError:
        pass
    return names


def complete_jobs(group: str) -> Callable[[click.Context, Any, str], list[CompletionItem]]:
    """The ``shell_complete`` of a job argument of ``group`` (``jobs``, ``nas-jobs``…)."""

    def complete(_ctx: click.Context, _param: Any, incomplete: str) -> list[CompletionItem]:
        return [CompletionItem(n) for n in job_names(group) if n.startswith(incomplete)]

    return complete
