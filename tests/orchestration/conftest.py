"""Fixtures of the orchestration tests: a small generated sample and settings pointing into tmp_path."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


def _engine_test(item: pytest.Item) -> bool:
    return item.nodeid.split("::")[0].endswith("test_spark_job.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`make test` runs two workers) the engine tests come last: their runs started when the
    tests were collected, so by then they are done. Every worker sorts alike, as xdist requires."""
    if hasattr(config, "workerinput"):
        items.sort(key=_engine_test)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Starts the two runs of tests/orchestration/test_spark_job.py (Spark and DuckDB) when that test is among the
    collected ones: they then run beside the tests before it instead of after them (job_process.py says why).

    Under pytest-xdist every worker collects every test: the first one to create the folder the workers share
    (beside their own temporary folders) starts the runs, the others attach to them."""
    if not any(_engine_test(item) for item in session.items):
        return
    import tempfile

    import job_process

    if not hasattr(session.config, "workerinput"):
        jobs = job_process.start_both(Path(tempfile.mkdtemp(prefix="c360-spark-job-")))
    else:
        shared = Path(session.config.option.basetemp).parent / "c360-spark-job"
        try:
            shared.mkdir()
        except FileExistsError:
            jobs = job_process.attach(shared)
        else:
            jobs = job_process.start_both(shared)
        # The Spark run is the suite's longest single task (JVM start-ups and single-threaded dbt work): beside
        # two workers at equal priority it was still running when they were done (the suite took 21.3 min). The
        # workers step back (nice +5: a third of the weight) for the runs, started above at the usual priority:
        # the Spark run then took 8.4 min and the suite 19.4 min (2 cores).
        os.nice(5)
    session.config.stash[job_process.JOBS] = jobs


def pytest_sessionfinish(session: pytest.Session) -> None:
    import job_process

    import shutil

    for job in session.config.stash.get(job_process.JOBS, {}).values():
        if job.process is None:  # another worker's
            continue
        if hasattr(session.config, "workerinput") and session.exitstatus != pytest.ExitCode.INTERRUPTED:
            # the other worker may still be on its way to the engine tests: the runs end (or time out) first
            try:
                job.process.wait(timeout=job_process.TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                pass
        if job.process.poll() is None:
            job.process.kill()
            job.process.wait()
        if not hasattr(session.config, "workerinput"):  # an xdist run's folder goes with pytest's temporary folders
            shutil.rmtree(job.root.parent, ignore_errors=True)


#: Small on purpose: the whole orchestration suite should stay within a few minutes on 2 cores.
CUSTOMERS = 150
SEED = 7


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from samples.generator import generate

    out = tmp_path_factory.mktemp("sample")
    generate(out=out, customers=CUSTOMERS, seed=SEED, messiness=1.0, increment=False)
    return out


@pytest.fixture()
def c360_env(tmp_path: Path, sample_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Every c360 path setting inside tmp_path, and the sources pointed at the sample (real Zendesk API on
    loopback), as `c360 demo` does."""
    from samplekit import sample_sources

    from samplekit import c360_paths

    paths = c360_paths(tmp_path, sample_dir)
    for key, value in paths.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.delenv("C360_ALERT_WEBHOOK_URL", raising=False)
    with sample_sources(sample_dir, monkeypatch) as served:
        yield {**paths, **served.env, "PATH": os.environ.get("PATH", "")}


class _Webhook:
    """A loopback HTTP endpoint that records the JSON bodies POSTed to it."""

    def __init__(self) -> None:
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        if self.thread is not None:
            self.server.shutdown()
            self.server.server_close()
            self.thread = None


@pytest.fixture()
def webhook() -> Iterator[_Webhook]:
    hook = _Webhook()
    try:
        yield hook
    finally:
        hook.close()
