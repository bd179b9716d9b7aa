"""Backup repositories (``<Repository>``, ``/repositories``)."""

from __future__ import annotations

import attrs

from .common import Entity


@attrs.frozen
class Repository(Entity):
    """A backup repository entity (``GET /repositories/{id}?format=Entity``).

    ``capacity`` and ``free_space`` are bytes, as EM sends them; ``kind`` is
    EM's string (``WindowsLocal``, ``LinuxLocal``, ``CifsShare``, ``Cloud``…).
    Older EMs send no ``Kind``.
    """

    capacity: int | None = None
    free_space: int | None = None
    kind: str | None = None

    @property
    def free_ratio(self) -> float | None:
        """Free space as a share of capacity (0.0 to 1.0), or ``None`` when EM
        gave no usable capacity (missing or zero). The bot check "over 85 %
        full" is ``repo.free_ratio is not None and repo.free_ratio < 0.15``."""
        if not self.capacity or self.capacity <= 0 or self.free_space is None:
            return None
        return min(max(self.free_space / self.capacity, 0.0), 1.0)

    @property
    def used_ratio(self) -> float | None:
        """``1 - free_ratio``: how full the repository is, or ``None``."""
        free = self.free_ratio
        return None if free is None else 1.0 - free
