"""Run one source and SIGKILL the whole process group at a named point of dlt's work (a test helper).

    python kill_point.py <source> <point> <pipelines_dir>

or, from a test, :func:`kill_run` (asserts the process did die at the point).

Points: ``extract`` (extracted, not normalized), ``normalize`` (normalized, nothing loaded), ``load:<n>``
(after the n-th load job committed to DuckDB), ``load:end`` (every job committed, the package not marked
loaded). The hooks wrap dlt's own step functions; nothing of c360 is replaced. The process kills its own
process group with SIGKILL, like ``kill -9 -<pgid>``: no finally block, atexit handler or lock release runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _die() -> None:
    sys.stdout.flush()
    os.killpg(os.getpgid(0), signal.SIGKILL)


def install(point: str) -> None:
    import dlt
    from dlt.common.storages.load_package import PackageStorage
    from dlt.load.load import Load

    def after(cls, name):
        original = getattr(cls, name)

        def wrapper(*args, **kwargs):
            result = original(*args, **kwargs)
            _die()
            return result

        setattr(cls, name, wrapper)

    if point == "extract":
        after(dlt.Pipeline, "extract")
    elif point == "normalize":
        after(dlt.Pipeline, "normalize")
    elif point == "load:end":
        original = Load.complete_package

        def before_complete(*args, **kwargs):
            _die()
            return original(*args, **kwargs)

        Load.complete_package = before_complete
    elif point.startswith("load:"):
        wanted = int(point.split(":", 1)[1])
        original_job = PackageStorage.complete_job
        done = {"n": 0}

        def complete_job(self, load_id, file_name):
            result = original_job(self, load_id, file_name)
            done["n"] += 1
            if done["n"] == wanted:
                _die()
            return result

        PackageStorage.complete_job = complete_job
    else:
        raise SystemExit(f"unknown kill point {point!r}")


def kill_run(source: str, point: str, pipelines_dir: str | os.PathLike[str]) -> None:
    """Runs ``source`` in a new process group (the test's environment: warehouse, bucket settings) killed at ``point``."""
    proc = subprocess.run(
        [sys.executable, __file__, source, point, str(pipelines_dir)],
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(Path(__file__).parent)])},
        cwd=REPO, capture_output=True, text=True, timeout=300, start_new_session=True,
    )
    assert proc.returncode == -9, f"the load was not killed at {point}: rc={proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"


if __name__ == "__main__":
    source, point, pipelines_dir = sys.argv[1:4]
    install(point)
    from ingestion.pipelines import run_source

    run_source(source, pipelines_dir=pipelines_dir)
    print("finished without reaching the kill point", flush=True)
    sys.exit(3)
