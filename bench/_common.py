"""Helpers shared by the benchmark scripts (run as ``python bench/bench_<topic>.py``,
so this folder is on ``sys.path``)."""

from __future__ import annotations

import time
from collections.abc import Callable


def best(fn: Callable[[], object], repeat: int = 3) -> float:
    """Best wall time (s) of ``repeat`` calls: the least disturbed by other work on the machine."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def clock(fn: Callable[[], object], repeat: int = 3) -> tuple[float, object]:
    """(best wall time in s of ``repeat`` calls, what the last call returned)."""
    fastest, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        fastest = min(fastest, time.perf_counter() - t0)
    return fastest, out
