"""Dagster resources shared by the c360 assets."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from c360.locks import WarehouseBusy, warehouse_lock_path, warehouse_writer

__all__ = ["WarehouseLock", "warehouse_lock_path"]


class WarehouseLock(dg.ConfigurableResource):
    """An OS-level lock that lets one step at a time touch the warehouse DuckDB file (:mod:`c360.locks`).

    DuckDB allows one writer per file, and a second process cannot even open it read-only while the first
    writes. Runs launched by the daemon are serialized by the `warehouse` concurrency pool and the run queue
    (see dagster.yaml), but in-process runs (`c360 run`, `c360 demo`, tests) bypass the run queue: holding this
    lock around each step makes an overlapping run wait instead of failing with "Could not set lock on file".
    """

    timeout_seconds: float | None = None

    @contextmanager
    def hold(self, context: dg.OpExecutionContext | dg.AssetCheckExecutionContext | None = None) -> Iterator[None]:
        with self.writer(context):
            yield

    @contextmanager
    def writer(self, context: dg.OpExecutionContext | dg.AssetCheckExecutionContext | None = None) -> Iterator[None]:
        """The writer lock; a step that waited longer than the timeout fails at once (retrying cannot help)."""
        say = context.log.info if context is not None else None
        lock = warehouse_writer(self.timeout_seconds, say)
        try:
            lock.__enter__()
        except WarehouseBusy as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from None
        try:
            yield
        finally:
            lock.__exit__(None, None, None)
