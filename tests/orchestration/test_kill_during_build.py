"""kill -9 during `dbt build`, then a rerun: the warehouse converges and the publication is whole (issue 14).

The whole `c360 run` process group (the Dagster run and the dbt process it started) is SIGKILLed while dbt
builds: no finally block, lock release or DuckDB checkpoint runs. The rerun must succeed and leave one row
per source record in identity_map, no duplicate keys in raw tables, a published file equal to the warehouse
marts, and no temporary files of publication.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from quality.publish import leftovers

#: Raw tables and their keys (duplicates would mean a load was applied twice).
RAW_KEYS = {
    "raw_sales.customers": "id", "raw_sales.orders": "id", "raw_support.users": "id",
    "raw_support.tickets": "id", "raw_email.events": "sg_event_id", "raw_web.pages": "message_id",
    "raw_sales.quarantine": "quarantine_id", "raw_email.quarantine": "quarantine_id",
}


def _run(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "c360.cli", "run"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


def _marts(path: Path) -> dict[str, tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' "
            "and table_type = 'BASE TABLE'").fetchall()]
        out = {}
        for table in sorted(tables):
            cols = [r[0] for r in con.execute(
                "select column_name from information_schema.columns where table_schema = 'marts' "
                "and table_name = ? and column_name not like '\\_dlt\\_%' escape '\\' order by ordinal_position",
                [table]).fetchall()]
            select = ", ".join(f'"{c}"' for c in cols)
            out[table] = con.execute(f'select count(*), sum(hash({select})) from marts."{table}"').fetchone()
        return out


def test_kill_during_dbt_build_then_rerun_converges(c360_env: dict[str, str]) -> None:
    env = {**os.environ, **c360_env}
    proc = _run(env)
    seen: list[str] = []
    deadline = time.monotonic() + 900
    assert proc.stdout is not None
    for line in proc.stdout:
        seen.append(line)
        if "> dbt_build" in line:
            break
        assert time.monotonic() < deadline, "".join(seen)
    else:
        raise AssertionError("the run ended before dbt started:\n" + "".join(seen))
    # let dbt parse and get into the models (staging views, the first tables) before the kill
    time.sleep(10)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL

    rerun = _run(env)
    out, _ = rerun.communicate(timeout=1800)
    assert rerun.returncode == 0, out[-5000:]
    assert "published marts" in out, out[-3000:]

    warehouse = Path(c360_env["C360_WAREHOUSE"])
    published = Path(c360_env["C360_PUBLISHED"])
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows, records = con.execute(
            "select count(*), count(distinct (source, source_record_id)) from marts.identity_map").fetchone()
        assert rows == records > 0
        for table, key in RAW_KEYS.items():
            total, distinct = con.execute(f"select count(*), count(distinct {key}) from {table}").fetchone()
            assert total == distinct, (table, total, distinct)
    assert _marts(published) == _marts(warehouse)
    assert leftovers(published, Path(c360_env["C360_PUBLISHED_PARQUET_DIR"])) == []
