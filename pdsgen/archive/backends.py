"""Execution backends for regeneration: the same list of independent tasks (one per
product) run by a local process pool or by a Dask distributed cluster.

A backend calls ``fn(spec)`` for every spec and hands each outcome to ``on_done(spec,
result, error)`` on the client, in completion order, so the caller records results in
the index as they arrive (and an interruption loses only unfinished tasks).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from pdsgen.archive.errors import ArchiveInputError
from pdsgen.errors import PdsgenError

Task = Callable[[dict[str, Any]], dict[str, Any]]
Done = Callable[[dict[str, Any], dict[str, Any] | None, BaseException | None], None]


class WorkerLost(PdsgenError):
    """A worker process died mid-task; finished tasks are recorded, rerun to resume."""


class LocalBackend:
    """``jobs`` worker processes (``jobs=1``: in this process, no pool)."""

    name = "local"

    def __init__(self, jobs: int = 1):
        if jobs < 1:
            raise ArchiveInputError(f"--jobs must be at least 1, not {jobs}")
        self.jobs = jobs

    def run(self, fn: Task, specs: Sequence[dict[str, Any]], on_done: Done) -> None:
        if self.jobs == 1:
            for spec in specs:
                try:
                    result = fn(spec)
                except Exception as exc:  # a product's failure is reported, others go on
                    on_done(spec, None, exc)
                else:
                    on_done(spec, result, None)
            return
        # spawn: workers start clean (no inherited SQLite handles or progress threads)
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=self.jobs, mp_context=ctx) as pool:
            pending = {pool.submit(fn, spec): spec for spec in specs}
            try:
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in done:
                        spec = pending.pop(fut)
                        exc = fut.exception()
                        if isinstance(exc, BrokenProcessPool):
                            raise WorkerLost(
                                f"a worker process died while making {spec.get('label_path')}; "
                                "finished products are recorded: run the command again to resume"
                            ) from exc
                        on_done(spec, None if exc else fut.result(), exc)
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

    def run(self, fn: Task, specs: Sequence[dict[str, Any]], on_done: Done) -> None:
        try:
            from distributed import Client, LocalCluster, as_completed
        except ImportError as exc:  # the optional `dask` extra
            raise ArchiveInputError("the Dask backend needs Dask distributed: pip install 'pdsgen[dask]'") from exc
        import logging

        if logging.getLogger().getEffectiveLevel() > logging.INFO:
            logging.getLogger("distributed").setLevel(logging.WARNING)  # no INFO chatter
        cluster = None
        try:
            if self.scheduler == "local":
                # dashboard on a free port (":8787" could clash with another cluster)
                cluster = LocalCluster(n_workers=self.jobs or 2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=":0",
                                       silence_logs=logging.WARNING)
                client = Client(cluster)
            else:
                try:
                    client = Client(self.scheduler, timeout=30)
                except OSError as exc:
                    raise ArchiveInputError(f"cannot reach the Dask scheduler {self.scheduler}: {exc}") from exc
            try:
                keys = [f"pdsgen-regen-{i}-{spec.get('task_id', i)}" for i, spec in enumerate(specs)]
                futures = client.map(fn, list(specs), key=keys, pure=False)
                by_key = {f.key: spec for f, spec in zip(futures, specs, strict=True)}
                for fut in as_completed(futures):
                    spec = by_key[fut.key]
                    if fut.status == "error":
                        exc = fut.exception()
                        if type(exc).__name__ == "KilledWorker":
                            raise WorkerLost(
                                f"Dask workers kept dying while making {spec.get('label_path')}; "
                                "finished products are recorded: run again to resume") from exc
                        on_done(spec, None, exc)
                    else:
                        on_done(spec, fut.result(), None)
            finally:
                client.close()
        finally:
            if cluster is not None:
                cluster.close()


def make_backend(jobs: int = 1, scheduler: str | None = None) -> LocalBackend | DaskBackend:
    if scheduler:
        return DaskBackend(scheduler, jobs if jobs > 1 else None)
    return LocalBackend(jobs)
