"""An adaptive cap on requests in flight, in the manner of TCP's AIMD. Pure.

A cap of 20 in flight is a guess. When EM sheds load (503, 429), a request times
out, or its answers slow down well past the fastest seen, the limit is cut by half
(at most once per round of requests, so that one overload is one cut); each round
EM answers in time, the limit grows by one, never above ``max_connections``.
Opt-in: ``EnterpriseManager(..., adaptive=True)``; the limit is in
``em.stats.limit``.
"""

from __future__ import annotations

import attrs

__all__ = ["AIMD"]

#: Statuses by which EM (or a proxy) says it has more than it can do.
OVERLOAD = frozenset({429, 503})


@attrs.define
class AIMD:
    """The limit: ``observe`` each answer; ``limit`` is what the slots should allow."""

    maximum: int
    limit: int = 0
    minimum: int = 1
    backoff: float = 0.5
    #: An answer this many times slower than the fastest seen counts as overload.
    slow_factor: float = 4.0
    #: Answers slower than this are never "slow" (a fast EM's jitter is not overload).
    slow_floor: float = 0.05
    fastest: float | None = None
    _since_change: int = 0
    cuts: int = 0

    def __attrs_post_init__(self) -> None:
        if self.maximum < 1:
            raise ValueError("maximum must be at least 1")
        self.limit = self.limit or self.maximum

    def observe(self, status: int | None, seconds: float) -> int:
        """One answer (``status`` ``None``: none came, a timeout or a drop) that took
        ``seconds``; returns the limit now."""
        self._since_change += 1
        if status is not None and status not in OVERLOAD and seconds > 0:
            self.fastest = seconds if self.fastest is None else min(self.fastest, seconds)
        slow = self.fastest is not None and seconds > max(
            self.slow_floor, self.fastest * self.slow_factor
        )
        overloaded = status is None or status in OVERLOAD or slow
        if overloaded:
            if self._since_change >= self.limit or self.cuts == 0:  # one cut per round
                self.limit = max(self.minimum, int(self.limit * self.backoff))
                self._since_change = 0
                self.cuts += 1
        elif self._since_change >= self.limit and self.limit < self.maximum:
            self.limit += 1  # a round answered in time: one more
            self._since_change = 0
        return self.limit
