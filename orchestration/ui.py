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
            from c360.settings import sample_dir
            from samples.environment import serve_sample

            try:
                stack.enter_context(serve_sample(sample_dir()))
            except FileNotFoundError as exc:
                raise SystemExit(f"error: {exc}") from None
            print(f"c360 ui: sources point at the sample in {sample_dir()} while the UI runs")
        command = ui_command(host, port, daemon=daemon)
        print(f"c360 ui: Dagster UI on http://{host}:{port} (DAGSTER_HOME={home}); Ctrl-C stops it")
        sys.stdout.flush()
        # Its own process group: Ctrl-C reaches only this process, which passes one SIGINT to the whole
        # group (dagster dev, web server, daemon, code server) the way a terminal would for `dagster dev`.
        process = subprocess.Popen(
            command, env=os.environ.copy(), start_new_session=True, preexec_fn=_default_interrupts
        )
        previous = signal.signal(signal.SIGTERM, _interrupt)
        if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:  # started in the background by a shell
            signal.signal(signal.SIGINT, _interrupt)
        try:
            return process.wait()
        except KeyboardInterrupt:
            return _stop(process)
        finally:
            signal.signal(signal.SIGTERM, previous)
            if process.poll() is None:
                _stop(process)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _default_interrupts() -> None:
    """In the child: a shell starting us in the background ignores SIGINT, and dagster dev would inherit that
    and ignore our stop signal too."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _stop(process: subprocess.Popen, timeout: float = 60) -> int:
    for sig in (signal.SIGINT, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            continue
    return process.wait()
