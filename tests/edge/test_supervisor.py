"""How the supervisor paces restarts: only recent crashes count, and each one doubles
the pause up to the cap (equal jitter). The supervisor running real workers:
tests/commands/test_worker.py (`metrica worker --config`)."""

from __future__ import annotations

import collections

import pytest

from metrica.edge.cameras_file import RestartPolicy
from metrica.edge.supervisor import inference_threads, recent_crashes, restart_delay_s


@pytest.mark.parametrize(
    ("crash_ages_s", "window_s", "recent"),
    [([], 600, 0), ([10, 5, 1], 600, 3), ([900, 700, 30], 600, 1)],
)
def test_recent_crashes_forget_old_ones(
    crash_ages_s: list[float], window_s: float, recent: int
) -> None:
    now_s = 1000.0
    times = collections.deque(now_s - age for age in crash_ages_s)
    assert recent_crashes(times, now_s, window_s) == recent


@pytest.mark.parametrize(
    ("recent", "u", "delay_s"), [(1, 0.0, 0.5), (1, 1.0, 1.0), (4, 0.0, 4.0), (30, 1.0, 60.0)]
)
def test_restart_delay_doubles_with_recent_crashes_and_caps(
    recent: int, u: float, delay_s: float
) -> None:
    assert restart_delay_s(recent, u=u, policy=RestartPolicy()) == pytest.approx(delay_s)


@pytest.mark.parametrize(
    ("cameras", "cpus", "threads"),
    [(1, 2, 2), (2, 2, 1), (8, 2, 1), (2, 16, 8), (3, 8, 2), (0, 4, 4)],
)
def test_inference_threads_share_the_cores_among_the_cameras(
    cameras: int, cpus: int, threads: int
) -> None:
    assert inference_threads(cameras, cpus) == threads
