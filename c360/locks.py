"""The two OS-level locks next to the warehouse file: who may write it now, and which run owns it.

* **writer lock** (``<warehouse>.writer.lock``): DuckDB allows one writer per file, and a second process
  cannot even open it read-only while the first writes. Every step that opens the warehouse (a dlt load, dbt,
  the quality checks, publication) holds it for as long as the file is open, and only that long: a dlt
  extraction that waits on a slow API does not hold it.
* **run lock** (``<warehouse>.run.lock``): a run's build -> checks -> publication is one unit. A run holds it
  from its first step to its last, so a second run waits instead of interleaving its steps (run B's checks
  and publication on run A's dbt build).

Both are ``filelock`` locks (``fcntl``): released by the OS when the process dies, even on ``kill -9``.
Waiting is bounded by ``C360_WAREHOUSE_LOCK_TIMEOUT``; a process that gives up says which lock and setting.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from c360 import settings
from c360.settings import warehouse_path

Say = Callable[[str], None]


class WarehouseBusy(RuntimeError):
    """The warehouse stayed locked by another process for longer than the caller would wait."""


def warehouse_lock_path(warehouse: Path | None = None) -> Path:
    """The writer lock file next to the warehouse: every process that opens the warehouse takes it first."""
    warehouse = warehouse or warehouse_path()
    return warehouse.with_name(warehouse.name + ".writer.lock")


def run_lock_path(warehouse: Path | None = None) -> Path:
    """The run lock file next to the warehouse: one run (build, checks, publication) at a time."""
    warehouse = warehouse or warehouse_path()
    return warehouse.with_name(warehouse.name + ".run.lock")


@contextmanager
def hold(path: Path, what: str, timeout: float | None = None, say: Say | None = None) -> Iterator[None]:
    """Holds the lock file ``path``; waits up to ``timeout`` seconds (default C360_WAREHOUSE_LOCK_TIMEOUT),
    telling ``say`` once that it waits. Raises :class:`WarehouseBusy` naming ``what`` and the setting."""
    path.parent.mkdir(parents=True, exist_ok=True)
    timeout = settings.warehouse_lock_timeout() if timeout is None else timeout
    lock = FileLock(str(path))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if say:
            say(f"{what} is in use by another process; waiting for it (up to {timeout:.0f}s, "
                f"C360_WAREHOUSE_LOCK_TIMEOUT)")
        started = time.monotonic()
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise WarehouseBusy(
                f"{what} stayed in use by another process for {timeout:.0f}s (lock file {path}); wait for it "
                "to finish or raise C360_WAREHOUSE_LOCK_TIMEOUT"
            ) from None
        if say:
            say(f"got {what} after {time.monotonic() - started:.1f}s")
    try:
        yield
    finally:
        lock.release()


def warehouse_writer(timeout: float | None = None, say: Say | None = None, warehouse: Path | None = None):
    """Holds the writer lock of ``warehouse`` (default: the configured one; see the module docstring)."""
    warehouse = warehouse or warehouse_path()
    return hold(warehouse_lock_path(warehouse), f"the warehouse {warehouse}", timeout, say)


def run_lock(timeout: float | None = None, say: Say | None = None, warehouse: Path | None = None):
    """Holds the run lock of ``warehouse`` (default: the configured one; see the module docstring)."""
    warehouse = warehouse or warehouse_path()
    return hold(run_lock_path(warehouse), f"the warehouse {warehouse} (a pipeline run)", timeout, say)


def is_held(path: Path) -> bool:
    """Whether another process holds the lock file ``path`` right now."""
    lock = FileLock(str(path))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return True
    lock.release()
    return False
