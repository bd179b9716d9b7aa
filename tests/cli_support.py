"""Running ``veeam-em`` against a simulator in tests: in-process and as a subprocess."""

from __future__ import annotations

import asyncio
import io
import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import jsonschema

from veeam_em_async import PollPolicy
from veeam_em_async.cli import main
from veeam_em_async.cli.schema import SCHEMAS
from veeam_em_async.simulator import EMSimulator


class SimulatorThread:
    """The simulator on its own event loop, so the CLI can run asyncio.run()."""

    def __init__(self, **kwargs: object) -> None:
        self.sim = EMSimulator(**kwargs)  # type: ignore[arg-type]
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> EMSimulator:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.sim.start(), self.loop).result(10)
        return self.sim

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.sim.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def env_for(sim: EMSimulator) -> dict[str, str]:
    return {
        "VEEAM_EM_URL": sim.url,
        "VEEAM_EM_USER": sim.username,
        "VEEAM_EM_PASSWORD": sim.password,
    }


#: The CLI's clients in tests poll at the pace of the simulator's short tasks
#: (0.05 s), not EM's (0.5 s to the first task poll, 2 s for runs): through
#: ``main(client_options=…)``, the seam a program embedding the CLI has too.
FAST = PollPolicy(initial_delay=0.02, min_interval=0.02, max_interval=0.1, jitter=0.0)
FAST_CLIENT = {"poll_policy": FAST, "run_poll_policy": FAST}


def run(*argv: str) -> tuple[int, str]:
    """``veeam-em argv``: (exit status, stdout)."""
    out = io.StringIO()
    code = main(list(argv), stream=out, client_options=FAST_CLIENT)
    return code, out.getvalue()


def run_json(*argv: str) -> tuple[int, dict[str, Any]]:
    """``veeam-em argv -o json``: the exit status and the document, checked
    against its command's schema and against the exit status."""
    code, text = run(*argv, "-o", "json")
    document = json.loads(text)
    jsonschema.validate(document, SCHEMAS[document["command"]])
    assert document["exit_code"] == code and document["ok"] is (code == 0)
    return code, document


#: A process that hangs fails its test instead of hanging the suite.
WATCHDOG = 120.0


def wait_for(condition: Callable[[], object]) -> None:
    """Until ``condition()`` holds (the watchdog bounds it): a test waits for an event
    it can see, never a fixed time."""
    deadline = time.monotonic() + WATCHDOG
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert condition(), "the event never came"


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
