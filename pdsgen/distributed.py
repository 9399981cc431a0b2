"""Dask distributed for pdsgen's large jobs (regeneration, validation, indexing): a client
for a scheduler address (or a LocalCluster on loopback), and bounded batch submission.

Work is cut into batches (a function over a list of items returning one result per item)
and at most a few batches per worker are in flight: the client never builds, holds or
ships a graph of the whole job (no "large graph" warning), results come back in
completion order and the caller records them as they arrive. Worker processes of a
LocalCluster started here end when this process is gone (no orphans when it is killed).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from pdsgen.errors import PdsgenError

if TYPE_CHECKING:
    from dask.typing import Key
    from distributed import Client, LocalCluster

_Item = TypeVar("_Item")
_Result = TypeVar("_Result")


class SchedulerError(PdsgenError):
    """The Dask scheduler cannot be reached, or Dask is not installed."""

    exit_code = 2


def watch_parent(parent: int, every_s: float = 0.5) -> None:
    """In a worker process: end this process when ``parent`` is no longer its parent (the
    client was killed), from a daemon thread."""

    def loop() -> None:
        while True:
            time.sleep(every_s)
            if os.getppid() != parent:
                os._exit(3)

    threading.Thread(target=loop, name="pdsgen-watch-parent", daemon=True).start()


#: how long connecting to a ``--scheduler`` address may take before it is an error (s)
CONNECT_SECONDS = 30


class DaskClient:
    """``with DaskClient(address) as client:`` — ``local``: a LocalCluster of ``workers``
    single-threaded worker processes on 127.0.0.1, closed at the end."""

    def __init__(self, scheduler: str, workers: int | None = None):
        self.scheduler = scheduler
        self.workers = workers
        self.cluster: LocalCluster | None = None
        self.client: Client | None = None

    def __enter__(self) -> Client:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # the optional `dask` extra
            raise SchedulerError("the Dask backend needs Dask distributed: pip install 'pdsgen[dask]'") from exc
        if logging.getLogger().getEffectiveLevel() > logging.INFO:
            logging.getLogger("distributed").setLevel(logging.WARNING)  # no INFO chatter
        try:
            if self.scheduler == "local":
                # dashboard on a free port (":8787" could clash with another cluster)
                self.cluster = LocalCluster(n_workers=self.workers or 2, threads_per_worker=1, processes=True,
                                            host="127.0.0.1", dashboard_address=":0",
                                            silence_logs=logging.WARNING)
                self.client = Client(self.cluster)
                self.client.run(watch_parent, os.getpid())
            else:
                try:
                    self.client = Client(self.scheduler, timeout=CONNECT_SECONDS)
                except OSError as exc:
                    raise SchedulerError(f"cannot reach the Dask scheduler {self.scheduler}: {exc}") from exc
        except BaseException:
            self.__exit__()
            raise
        return self.client

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None


def batches(items: Sequence[_Item], workers: int, *, most: int = 64) -> Iterator[list[_Item]]:
    """Consecutive batches of ``items``: about 8 per worker, of 1 to ``most`` items."""
    size = max(1, min(most, len(items) // (max(workers, 1) * 8)))
    for i in range(0, len(items), size):
        yield list(items[i:i + size])


#: Seconds a run waits for the scheduler to have a worker (at the start, or after every
#: worker was lost) before it gives up with `NoWorkers`.
NO_WORKERS_SECONDS = 60.0


class NoWorkers(PdsgenError):
    """The scheduler has had no worker for `NO_WORKERS_SECONDS`: the batches sent would
    never run. What finished is recorded by the caller; run again to resume."""


def _workers(client: Client) -> int:
    return len(client.scheduler_info().get("workers", {}))


def map_batches(client: Client, fn: Callable[[list[_Item]], list[_Result]], items: Sequence[_Item],
                on_batch: Callable[[list[_Item], list[_Result] | None, BaseException | None], None],
                *, most: int = 64, per_worker: int = 3, key: str = "pdsgen",
                no_workers_s: float | None = None) -> None:
    """Run ``fn`` over bounded batches of ``items`` on the cluster; ``on_batch(batch,
    results, error)`` on the client as each batch finishes (``results`` one per item).

    A worker lost mid-batch (killed, out of memory) is the scheduler's to handle: it gives
    the batch to another worker (``fn`` must be safe to run again), up to its
    ``allowed-failures``, after which the batch's error is a ``KilledWorker``. A
    scheduler without any worker for ``no_workers_s`` (default `NO_WORKERS_SECONDS`)
    raises `NoWorkers` instead of waiting for ever."""
    from distributed import wait

    grace = NO_WORKERS_SECONDS if no_workers_s is None else no_workers_s
    try:
        client.wait_for_workers(1, timeout=grace)
    except TimeoutError as exc:
        raise NoWorkers(f"the Dask scheduler {client.scheduler.address} has no workers "
                        f"(waited {grace:g} s)") from exc
    workers = max(1, _workers(client))
    todo = enumerate(batches(items, workers, most=most))
    by_key: dict[Key, list[_Item]] = {}
    tag = os.urandom(4).hex()

    def submit() -> Any:
        item = next(todo, None)
        if item is None:
            return None
        i, batch = item
        fut = client.submit(fn, batch, key=f"{key}-{tag}-{i}", pure=False)
        by_key[fut.key] = batch
        return fut

    running = {f for f in (submit() for _ in range(per_worker * workers)) if f is not None}
    idle_since: float | None = None
    while running:
        try:
            done, running = wait(list(running), timeout=min(5.0, max(grace / 4, 0.1)),
                                 return_when="FIRST_COMPLETED")
        except TimeoutError:
            # nothing finished for a while: fine while workers are busy, not when none are left
            if _workers(client):
                idle_since = None
            elif idle_since is None:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since > grace:
                for fut in running:
                    fut.cancel()
                raise NoWorkers(f"every worker of the Dask scheduler {client.scheduler.address} is gone "
                                f"(none for {grace:g} s) with {len(running)} batches unfinished") from None
            continue
        idle_since = None
        running = set(running)
        for fut in done:
            if fut.status == "error":
                outcome: tuple[list[_Result] | None, BaseException | None] = (None, fut.exception())
            elif fut.status == "cancelled":
                outcome = (None, PdsgenError(f"the scheduler cancelled batch {fut.key}"))
            else:
                try:
                    # "lost" (the worker holding it died): the scheduler computes it again
                    outcome = (fut.result(timeout=grace), None) if fut.status == "finished" else (None, None)
                except TimeoutError:
                    outcome = (None, None)
                if outcome[0] is None:
                    running.add(fut)
                    continue
            on_batch(by_key.pop(fut.key), *outcome)
            fut.release()
            nxt = submit()
            if nxt is not None:
                running.add(nxt)
