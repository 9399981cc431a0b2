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
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from pdsgen.errors import PdsgenError


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


class DaskClient:
    """``with DaskClient(address) as client:`` — ``local``: a LocalCluster of ``workers``
    single-threaded worker processes on 127.0.0.1, closed at the end."""

    def __init__(self, scheduler: str, workers: int | None = None):
        self.scheduler = scheduler
        self.workers = workers
        self.cluster: Any = None
        self.client: Any = None

    def __enter__(self) -> Any:
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
                    self.client = Client(self.scheduler, timeout=30)
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


def batches(items: Sequence[Any], workers: int, *, most: int = 64) -> Iterator[list[Any]]:
    """Consecutive batches of ``items``: about 8 per worker, of 1 to ``most`` items."""
    size = max(1, min(most, len(items) // (max(workers, 1) * 8)))
    for i in range(0, len(items), size):
        yield list(items[i:i + size])


def map_batches(client: Any, fn: Callable[[list[Any]], list[Any]], items: Sequence[Any],
                on_batch: Callable[[list[Any], list[Any] | None, BaseException | None], None],
                *, most: int = 64, per_worker: int = 3, key: str = "pdsgen") -> None:
    """Run ``fn`` over bounded batches of ``items`` on the cluster; ``on_batch(batch,
    results, error)`` on the client as each batch finishes (``results`` one per item)."""
    from distributed import as_completed

    workers = max(1, len(client.scheduler_info().get("workers", {})))
    todo: Iterable[tuple[int, list[Any]]] = enumerate(batches(items, workers, most=most))
    todo = iter(todo)
    by_key: dict[str, list[Any]] = {}
    tag = os.urandom(4).hex()

    def submit() -> Any:
        item = next(todo, None)
        if item is None:
            return None
        i, batch = item
        fut = client.submit(fn, batch, key=f"{key}-{tag}-{i}", pure=False)
        by_key[fut.key] = batch
        return fut

    first = [f for f in (submit() for _ in range(per_worker * workers)) if f is not None]
    queue = as_completed(first)
    for fut in queue:
        batch = by_key.pop(fut.key)
        if fut.status == "error":
            on_batch(batch, None, fut.exception())
        else:
            on_batch(batch, fut.result(), None)
        fut.release()
        nxt = submit()
        if nxt is not None:
            queue.add(nxt)
