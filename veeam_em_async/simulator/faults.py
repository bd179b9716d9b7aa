"""What a simulator injects (`Faults`: latency, 503s, dropped connections) and what
it counts (`Counters`: requests by route, the peak in flight, logons)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

__all__ = ["Counters", "Faults", "counters_json"]


@dataclass
class Faults:
    """Fault injection, changeable while the simulator runs.

    Tests that need "a storm of N faults" set ``max_faults`` rather than
    ending the storm after some real time: a count is the same on any machine.
    """

    latency: float = 0.0  # seconds added to every answer
    error_503_rate: float = 0.0  # share of requests answered 503 (EM refused: nothing ran)
    error_503_methods: frozenset[str] = frozenset({"GET", "POST", "PUT", "DELETE"})
    # share of requests that EM carries out, then a proxy in front answers 503
    proxy_503_rate: float = 0.0
    drop_rate: float = 0.0  # share of requests whose connection is dropped unanswered
    drop_methods: frozenset[str] = frozenset({"GET"})  # methods the drops apply to
    retry_after: float | None = None  # Retry-After sent with injected 503s
    max_faults: int | None = None  # stop injecting after this many faults (of any kind)
    #: Requests EM works on at once before it slows down and sheds load: past this many
    #: in flight each answer takes ``latency`` times the overload, and a request beyond
    #: twice this many is refused with 503 (counted in ``Counters.shed``).
    capacity: int | None = None


@dataclass
class Counters:
    """What the simulator saw: tests and benchmarks assert on these."""

    requests: Counter[str] = field(default_factory=Counter)  # "GET /tasks/{id}" -> n
    in_flight: int = 0
    max_in_flight: int = 0
    logons: int = 0
    logoffs: int = 0
    injected_503: int = 0
    proxy_503: int = 0
    dropped: int = 0
    shed: int = 0  # refused with 503 past twice Faults.capacity

    @property
    def faults(self) -> int:
        return self.injected_503 + self.proxy_503 + self.dropped

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]


def counters_json(counters: Counters) -> dict[str, object]:
    return {
        "requests": dict(counters.requests),
        "max_in_flight": counters.max_in_flight,
        "logons": counters.logons,
        "injected_503": counters.injected_503,
        "proxy_503": counters.proxy_503,
        "dropped": counters.dropped,
    }
