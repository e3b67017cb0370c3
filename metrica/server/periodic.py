"""Work the server repeats on a timer (retention, the backup gauge), next to its requests.

Unlike `BackgroundJobs` (one-shot work that shutdown waits for), a periodic task runs
until the app stops and is cancelled then: a retention chunk in flight rolls back and the
next run picks it up. A failing round is logged and the next one runs on time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("metrica.periodic")


class PeriodicTasks:
    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[None]] = []
        self.rounds: dict[str, int] = {}  # finished rounds per task name (tests poll it)

    def every(
        self,
        interval_s: float,
        work: Callable[[], Awaitable[None]],
        *,
        name: str,
        delay_s: float = 0.0,
    ) -> None:
        """Run `work` after `delay_s`, then every `interval_s` (measured start to start)."""
        self.rounds[name] = 0
        self._tasks.append(
            asyncio.create_task(self._loop(interval_s, work, name, delay_s), name=name)
        )

    async def _loop(
        self, interval_s: float, work: Callable[[], Awaitable[None]], name: str, delay_s: float
    ) -> None:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(delay_s)
        while True:
            started = loop.time()
            try:
                await work()
            except Exception:
                log.exception("periodic task %s failed", name)
            self.rounds[name] += 1
            await asyncio.sleep(max(0.0, interval_s - (loop.time() - started)))

    @property
    def running(self) -> int:
        """How many periodic tasks are running."""
        return sum(1 for t in self._tasks if not t.done())

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
