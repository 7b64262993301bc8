"""A DuckDB 1.x client beside the project's DuckDB 2.x: its own virtualenv, built once and reused.

Downstream tools (BI drivers, notebooks) embed DuckDB 1.x today; the published file must open there. The
virtualenv lives at ``<repo>/.venv-duckdb1/`` (gitignored) and is rebuilt only when missing, incomplete or
made for another client version; a file lock lets parallel test processes share it.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import sys
from pathlib import Path

from c360.settings import REPO_ROOT

#: The client the published file must serve: the newest DuckDB 1.x on PyPI.
REQUIREMENT = "duckdb>=1.1,<2"
VENV = REPO_ROOT / ".venv-duckdb1"
_READY = VENV / "c360-ready.json"


def python() -> Path:
    """The interpreter of the DuckDB 1.x virtualenv, created (python -m venv + pip install) if needed."""
    VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(VENV.parent / ".venv-duckdb1.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        interpreter = VENV / "bin" / "python"
        if _ready() and interpreter.exists():
            return interpreter
        shutil.rmtree(VENV, ignore_errors=True)
        _run([sys.executable, "-m", "venv", str(VENV)])
        _run([str(interpreter), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", REQUIREMENT])
        version = _run([str(interpreter), "-c", "import duckdb; print(duckdb.__version__)"]).strip()
        _READY.write_text(json.dumps({"requirement": REQUIREMENT, "duckdb": version}))
        return interpreter


def _ready() -> bool:
    try:
        return json.loads(_READY.read_text())["requirement"] == REQUIREMENT
    except (OSError, ValueError, KeyError):
        return False


def _run(command: list[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=540)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout
