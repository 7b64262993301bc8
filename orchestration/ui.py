"""`c360 ui`: the Dagster UI on the c360 definitions."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

from orchestration.runner import prepare_dagster_home

#: The code location: the same module `c360 run` builds its jobs from.
MODULE = "orchestration.definitions"


def ui_command(host: str, port: int, daemon: bool = True) -> list[str]:
    """`dagster dev` (web server + daemon: schedules, sensors, run queue), or only `dagster-webserver`."""
    bin_dir = Path(sys.executable).parent
    if daemon:
        exe = shutil.which("dagster", path=str(bin_dir)) or shutil.which("dagster")
        return [exe or "dagster", "dev", "-m", MODULE, "-h", host, "-p", str(port)]
    exe = shutil.which("dagster-webserver", path=str(bin_dir)) or shutil.which("dagster-webserver")
    return [exe or "dagster-webserver", "-m", MODULE, "-h", host, "-p", str(port)]


def serve_ui(host: str = "127.0.0.1", port: int = 3000, daemon: bool = True, sample: bool = False) -> int:
    home = prepare_dagster_home()
    with ExitStack() as stack:
        if sample:
            from ingestion.warehouse import sample_dir
            from orchestration.demo import sample_sources

            stack.enter_context(sample_sources(sample_dir()))
            print(f"c360 ui: sources point at the sample in {sample_dir()} while the UI runs")
        command = ui_command(host, port, daemon=daemon)
        print(f"c360 ui: Dagster UI on http://{host}:{port} (DAGSTER_HOME={home}); Ctrl-C stops it")
        sys.stdout.flush()
        process = subprocess.Popen(command, env=os.environ.copy())
        try:
            return process.wait()
        except KeyboardInterrupt:
            process.send_signal(signal.SIGINT)
            try:
                return process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                return process.wait()
