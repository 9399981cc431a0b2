"""Execution backends for regeneration: the same list of independent tasks (one per
product) run by a local process pool or by a Dask distributed cluster.

A backend runs ``fn(batch)`` for bounded batches of specs (``fn`` returns one
``(result, error text)`` per spec, so one product's failure never loses its batch) and
hands each outcome to ``on_done(spec, result, error)`` on the client, in completion
order, so the caller records results in the index as they arrive (an interruption loses
only unfinished tasks). At most a few batches per worker are in flight at once: the
client never holds (nor ships to a scheduler) a graph of the whole run.

Worker processes started here (the pool's, a `LocalCluster`'s) watch their parent and end
when it is gone, so killing the client leaves no orphans.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from pdsgen.archive.errors import ArchiveInputError
from pdsgen.distributed import (
    DaskClient,
    NoWorkers,
    SchedulerError,
    batches,
    map_batches,
    watch_parent,
)
from pdsgen.errors import PdsgenError

Outcome = tuple[dict[str, Any] | None, str | None]
BatchTask = Callable[[list[dict[str, Any]]], list[Outcome]]
Done = Callable[[dict[str, Any], dict[str, Any] | None, str | None], None]


class WorkerLost(PdsgenError):
    """A worker process died mid-task; finished tasks are recorded, rerun to resume."""


def _pool_init(parent: int) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the client's to handle
    watch_parent(parent)


class LocalBackend:
    """``jobs`` worker processes (``jobs=1``: in this process, no pool)."""

    name = "local"

    def __init__(self, jobs: int = 1):
        if jobs < 1:
            raise ArchiveInputError(f"--jobs must be at least 1, not {jobs}")
        self.jobs = jobs

    def run(self, fn: BatchTask, specs: Sequence[dict[str, Any]], on_done: Done) -> None:
        if self.jobs == 1:
            for batch in batches(specs, 1, most=1):
                for spec, (result, error) in zip(batch, fn(batch), strict=True):
                    on_done(spec, result, error)
            return
        # spawn: workers start clean (no inherited SQLite handles or progress threads)
        ctx = multiprocessing.get_context("spawn")
        todo = batches(specs, self.jobs)
        with ProcessPoolExecutor(max_workers=self.jobs, mp_context=ctx, initializer=_pool_init,
                                 initargs=(os.getpid(),)) as pool:
            pending: dict[Any, list[dict[str, Any]]] = {}

            def submit() -> None:
                while len(pending) < 3 * self.jobs:
                    batch = next(todo, None)
                    if batch is None:
                        return
                    pending[pool.submit(fn, batch)] = batch

            try:
                submit()
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in done:
                        batch = pending.pop(fut)
                        exc = fut.exception()
                        if isinstance(exc, BrokenProcessPool):
                            raise WorkerLost(
                                f"a worker process died while making {batch[0].get('label_path')}; "
                                "finished products are recorded: run the command again to resume"
                            ) from exc
                        outcomes = [(None, str(exc))] * len(batch) if exc else fut.result()
                        for spec, (result, error) in zip(batch, outcomes, strict=True):
                            on_done(spec, result, error)
                    submit()
            except BaseException:
                for fut in pending:
                    fut.cancel()
                raise


class DaskBackend:
    """Tasks on a Dask distributed cluster: ``scheduler`` is ``tcp://HOST:PORT`` or
    ``local`` (a `distributed.LocalCluster` of ``jobs`` single-threaded worker processes
    on loopback, closed at the end)."""

    name = "dask"

    def __init__(self, scheduler: str, jobs: int | None = None):
        self.scheduler = scheduler
        self.jobs = jobs

    def run(self, fn: BatchTask, specs: Sequence[dict[str, Any]], on_done: Done) -> None:
        def on_batch(batch: list[dict[str, Any]], outcomes: list[Outcome] | None,
                     exc: BaseException | None) -> None:
            if exc is not None:
                if type(exc).__name__ == "KilledWorker":
                    raise WorkerLost(
                        f"Dask workers kept dying while making {batch[0].get('label_path')}; "
                        "finished products are recorded: run again to resume") from exc
                outcomes = [(None, str(exc))] * len(batch)
            for spec, (result, error) in zip(batch, outcomes or [], strict=True):
                on_done(spec, result, error)

        try:
            with DaskClient(self.scheduler, self.jobs) as client:
                map_batches(client, fn, specs, on_batch, key="pdsgen-regen")
        except SchedulerError as exc:
            raise ArchiveInputError(str(exc)) from exc
        except NoWorkers as exc:
            raise WorkerLost(f"{exc}; finished products are recorded: run again to resume") from exc


def make_backend(jobs: int = 1, scheduler: str | None = None) -> LocalBackend | DaskBackend:
    if scheduler:
        return DaskBackend(scheduler, jobs if jobs > 1 else None)
    return LocalBackend(jobs)
