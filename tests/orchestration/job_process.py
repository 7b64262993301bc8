"""The full Dagster job in a process of its own, for tests that compare engines (tests/orchestration/test_spark_job.py).

A Spark run of the job costs minutes on 2 cores, most of them in JVM start-ups and single-threaded dbt work. So
conftest.py starts it, and the DuckDB run it is compared with, as soon as the tests are collected: they run on the
second core while the rest of the suite runs, and the test collects their results when it gets there. Under
pytest-xdist the first worker to collect the test starts them in a folder all workers share, and whichever worker
runs the test waits for their ``exit_code`` files (:func:`attach`). Run as a script, it runs the job once and writes
what the job did as JSON, and its exit code:

    python job_process.py <engine> <root> <sample dir> <result.json>
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
#: the compared sample: a few hundred customers at full messiness
CUSTOMERS = 200
SEED = 11
#: where conftest.py keeps the runs it started, by engine
JOBS = pytest.StashKey[dict]()
#: the engines compared, in the order they start (Spark first: it takes longest)
ENGINES = ("spark", "duckdb")
#: a Spark run took 4.6 min on a quiet machine and ~10 min beside the rest of the suite
TIMEOUT_SECONDS = 45 * 60


@dataclass
class JobProcess:
    """One engine's run of the job: the process, and where it writes."""

    engine: str
    root: Path
    sample_dir: Path
    process: subprocess.Popen | None  # None: started by another pytest-xdist worker

    def result(self) -> dict:
        """Waits for the run; {"summary": RunSummary fields, "progress": lines, "env": settings it ran with}."""
        if self.process is not None:
            try:
                self.process.wait(timeout=TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                raise
            code: int | None = self.process.returncode
        else:
            code = self._wait_for_exit_code()
        out = self.root / "result.json"
        if code != 0 or not out.exists():
            log = (self.root / "process.log").read_text(errors="replace")[-6000:]
            raise RuntimeError(f"the {self.engine} job process ended with {code}:\n{log}")
        return json.loads(out.read_text())

    def _wait_for_exit_code(self) -> int | None:
        """The exit code the run wrote, once it did; None when its process died without writing one."""
        deadline = time.monotonic() + TIMEOUT_SECONDS
        exit_code, pid_file = self.root / "exit_code", self.root / "pid"
        while time.monotonic() < deadline:
            if exit_code.exists():
                return int(exit_code.read_text())
            if pid_file.exists() and not _alive(int(pid_file.read_text())):
                return int(exit_code.read_text()) if exit_code.exists() else None
            time.sleep(1)
        raise TimeoutError(f"the {self.engine} job run in {self.root} did not end within {TIMEOUT_SECONDS} s")


def _alive(pid: int) -> bool:
    """Whether the process runs (a zombie, ended but not yet reaped by its parent worker, does not)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return False
    return stat[stat.rindex(b")") + 2:][:1] != b"Z"


def generate_sample(sample_dir: Path) -> Path:
    from samples.generator import generate

    if not (sample_dir / "manifest.json").exists():
        generate(out=sample_dir, customers=CUSTOMERS, seed=SEED, messiness=1.0, increment=False)
    return sample_dir


def start(engine: str, root: Path, sample_dir: Path) -> JobProcess:
    """Starts the job on ``engine`` with every c360 path inside ``root``, the sources reading ``sample_dir``."""
    root.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "C360_ALERT_WEBHOOK_URL")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "tests"), env.get("PYTHONPATH", "")])
    with open(root / "process.log", "wb") as log:
        process = subprocess.Popen([sys.executable, str(HERE / "job_process.py"), engine, str(root), str(sample_dir),
                                    str(root / "result.json")], stdout=log, stderr=subprocess.STDOUT, env=env,
                                   cwd=REPO)
    (root / "pid").write_text(str(process.pid))
    return JobProcess(engine, root, sample_dir, process)


def start_both(root: Path) -> dict[str, JobProcess]:
    """Generates the sample under ``root`` and starts the job on each of :data:`ENGINES` on it, each in
    ``root/<engine>``: the one way conftest.py's hook and test_spark_job.py's fallback start the runs."""
    sample = generate_sample(root / "sample")
    return {engine: start(engine, root / engine, sample) for engine in ENGINES}


def attach(root: Path) -> dict[str, JobProcess]:
    """The runs another pytest-xdist worker started under ``root`` with :func:`start_both` (they may not have
    started yet: :meth:`JobProcess.result` waits for their exit codes)."""
    return {engine: JobProcess(engine, root / engine, root / "sample", None) for engine in ENGINES}


def main(engine: str, root: str, sample_dir: str, out: str) -> None:
    import dagster as dg

    from orchestration.runner import run_job
    from samplekit import c360_paths, sample_sources

    env = {"C360_ENGINE": engine, **c360_paths(Path(root), Path(sample_dir))}
    os.environ.update(env)
    lines: list[str] = []
    with sample_sources(Path(sample_dir)):
        summary = run_job("full_pipeline_job", instance=dg.DagsterInstance.ephemeral(), echo=lines.append)
    result = {"summary": dataclasses.asdict(summary), "progress": lines, "env": env}
    Path(out).write_text(json.dumps(result, default=str), encoding="utf-8")


if __name__ == "__main__":
    code = 1
    try:
        main(*sys.argv[1:])
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        # what a worker that did not start this process waits for (JobProcess.result)
        Path(sys.argv[2], "exit_code").write_text(str(code))
    sys.exit(code)
