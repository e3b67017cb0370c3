"""Work a request hands off and does not wait for (sending an email).

A handler that answers before the work is done answers in the same time whatever the work
turns out to be, so its timing tells a client nothing (whether an email is known, say).
Jobs run as tasks on the app's event loop; a failing job is logged, never raised to a
client; shutdown waits for the jobs still running.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger("metrica.jobs")


class BackgroundJobs:
    def __init__(self) -> None:
        self._running: set[asyncio.Task[None]] = set()
        self.started = 0  # how many jobs were handed off, ever (tests compare paths by it)

    def start(self, job: Coroutine[Any, Any, None], *, name: str) -> None:
        """Run `job` in the background; keep a reference so that it is not collected."""
        task = asyncio.create_task(self._run(job, name), name=name)
        self.started += 1
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    @staticmethod
    async def _run(job: Coroutine[Any, Any, None], name: str) -> None:
        try:
            await job
        except Exception:
            log.exception("background job %s failed", name)

    async def drain(self, timeout_s: float = 30.0) -> None:
        """Wait until no job runs (jobs may start others); stop waiting after `timeout_s`."""
        async with asyncio.timeout(timeout_s):
            while self._running:
                await asyncio.gather(*self._running)
