"""Dagster resources shared by the c360 assets."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from filelock import FileLock, Timeout

from c360.settings import warehouse_path
from c360 import settings


def warehouse_lock_path(warehouse: Path | None = None) -> Path:
    """The lock file next to the warehouse: every process that writes the warehouse takes it first."""
    warehouse = warehouse or warehouse_path()
    return warehouse.with_name(warehouse.name + ".writer.lock")


class WarehouseLock(dg.ConfigurableResource):
    """An OS-level lock that lets one step at a time touch the warehouse DuckDB file.

    DuckDB allows one writer per file, and a second process cannot even open it read-only while the first
    writes. Runs launched by the daemon are serialized by the `warehouse` concurrency pool and the run queue
    (see dagster.yaml), but in-process runs (`c360 run`, `c360 demo`, tests) bypass the run queue: holding this
    lock around each step makes an overlapping run wait instead of failing with "Could not set lock on file".
    """

    timeout_seconds: float | None = None

    @contextmanager
    def hold(self, context: dg.OpExecutionContext | dg.AssetCheckExecutionContext | None = None) -> Iterator[None]:
        path = warehouse_lock_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        timeout = self.timeout_seconds if self.timeout_seconds is not None else settings.warehouse_lock_timeout()
        lock = FileLock(str(path))
        log = context.log if context is not None else None
        try:
            lock.acquire(timeout=0)
        except Timeout:
            if log:
                log.info(f"warehouse {warehouse_path()} is in use by another run; waiting for it (up to {timeout:.0f}s)")
            started = time.monotonic()
            try:
                lock.acquire(timeout=timeout)
            except Timeout:
                raise dg.Failure(
                    description=(
                        f"the warehouse {warehouse_path()} stayed locked by another run for {timeout:.0f}s "
                        f"(lock file {path}); raise C360_WAREHOUSE_LOCK_TIMEOUT or wait for that run to finish"
                    ),
                    allow_retries=False,
                ) from None
            if log:
                log.info(f"got the warehouse lock after {time.monotonic() - started:.1f}s")
        try:
            yield
        finally:
            lock.release()
