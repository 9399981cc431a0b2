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
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from pdsgen.archive.errors import ArchiveInputError
from pdsgen.errors import PdsgenError

Outcome = tuple[dict[str, Any] | None, str | None]
BatchTask = Callable[[list[dict[str, Any]]], list[Outcome]]
Done = Callable[[dict[str, Any], dict[str, Any] | None, str | None], None]


class WorkerLost(PdsgenError):
    """A worker process died mid-task; finished tasks are recorded, rerun to resume."""


def batches(specs: Sequence[dict[str, Any]], workers: int, *, most: int = 64) -> Iterator[list[dict[str, Any]]]:
    """Consecutive batches of ``specs``: about 8 per worker, of 1 to ``most`` specs."""
    size = max(1, min(most, len(specs) // (max(workers, 1) * 8)))
    for i in range(0, len(specs), size):
        yield list(specs[i:i + size])


def watch_parent(parent: int, every_s: float = 0.5) -> None:
    """In a worker process: end this process when ``parent`` is no longer its parent (the
    client was killed), from a daemon thread."""

    def loop() -> None:
        while True:
            time.sleep(every_s)
            if os.getppid() != parent:
                os._exit(3)

    threading.Thread(target=loop, name="pdsgen-watch-parent", daemon=True).start()


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
        from distributed import as_completed

        with dask_client(self.scheduler, self.jobs) as client:
            workers = max(1, len(client.scheduler_info().get("workers", {})))
            todo = enumerate(batches(specs, workers))
            by_key: dict[str, list[dict[str, Any]]] = {}
            run_tag = os.urandom(4).hex()

            def submit() -> Any:
                item = next(todo, None)
                if item is None:
                    return None
                i, batch = item
                fut = client.submit(fn, batch, key=f"pdsgen-batch-{run_tag}-{i}", pure=False)
                by_key[fut.key] = batch
                return fut

            first = [f for f in (submit() for _ in range(3 * workers)) if f is not None]
            queue = as_completed(first)
            for fut in queue:
                batch = by_key.pop(fut.key)
                if fut.status == "error":
                    exc = fut.exception()
                    if type(exc).__name__ == "KilledWorker":
                        raise WorkerLost(
                            f"Dask workers kept dying while making {batch[0].get('label_path')}; "
                            "finished products are recorded: run again to resume") from exc
                    outcomes: list[Outcome] = [(None, str(exc))] * len(batch)
                else:
                    outcomes = fut.result()
                fut.release()
                for spec, (result, error) in zip(batch, outcomes, strict=True):
                    on_done(spec, result, error)
                nxt = submit()
                if nxt is not None:
                    queue.add(nxt)


class _ClientContext:
    """A `distributed.Client` for ``scheduler`` (``local``: a LocalCluster of ``jobs``
    single-threaded worker processes on loopback whose workers end with this process)."""

    def __init__(self, scheduler: str, jobs: int | None):
        self.scheduler = scheduler
        self.jobs = jobs
        self.cluster: Any = None
        self.client: Any = None

    def __enter__(self) -> Any:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # the optional `dask` extra
            raise ArchiveInputError("the Dask backend needs Dask distributed: pip install 'pdsgen[dask]'") from exc
        import logging

        if logging.getLogger().getEffectiveLevel() > logging.INFO:
            logging.getLogger("distributed").setLevel(logging.WARNING)  # no INFO chatter
        try:
            if self.scheduler == "local":
                # dashboard on a free port (":8787" could clash with another cluster)
                self.cluster = LocalCluster(n_workers=self.jobs or 2, threads_per_worker=1, processes=True,
                                            host="127.0.0.1", dashboard_address=":0",
                                            silence_logs=logging.WARNING)
                self.client = Client(self.cluster)
                self.client.run(watch_parent, os.getpid())
            else:
                try:
                    self.client = Client(self.scheduler, timeout=30)
                except OSError as exc:
                    raise ArchiveInputError(f"cannot reach the Dask scheduler {self.scheduler}: {exc}") from exc
        except BaseException:
            self.__exit__()
            raise
        return self.client

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def dask_client(scheduler: str, jobs: int | None = None) -> _ClientContext:
    """``with dask_client(address) as client:`` (``local``: a LocalCluster, closed at the end)."""
    return _ClientContext(scheduler, jobs)


def make_backend(jobs: int = 1, scheduler: str | None = None) -> LocalBackend | DaskBackend:
    if scheduler:
        return DaskBackend(scheduler, jobs if jobs > 1 else None)
    return LocalBackend(jobs)
