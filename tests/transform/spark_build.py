"""`dbt build --target spark` of the whole project in ONE process (one JVM, one Spark session: dbt-spark's session
method reuses the process's session), then copies tables out as Parquet for the test to compare. Run as a script:

    python spark_build.py <duckdb warehouse> <out dir> <table> [<table> ...]

dbt-spark's session method runs no Python models, so the two Python identity models are built around dbt, as the
Spark job does it: here their rows come from the DuckDB build of the same sample (``<duckdb warehouse>``; the
Splink-on-Spark step writes them in the real job). The build runs in three invocations split at those two models.
Prints one JSON line: {"seconds": {...}, "ok": true}.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

TRANSFORM_DIR = Path(__file__).resolve().parents[2] / "transform"
PYTHON_MODELS = ("int_identity_matches_predicted", "int_identity_edges_cut")
SPARK_TYPES = {"VARCHAR": "string", "DOUBLE": "double", "BIGINT": "bigint", "INTEGER": "int", "BOOLEAN": "boolean"}


def _dbt(*args: str) -> float:
    from dbt.cli.main import dbtRunner

    from orchestration.constants import DBT_BUILD_ARGS

    started = time.perf_counter()
    target = os.environ["C360_TEST_TARGET_PATH"]
    result = dbtRunner().invoke([*DBT_BUILD_ARGS, *args, "--indirect-selection", "cautious", "--project-dir", str(TRANSFORM_DIR),
                                 "--profiles-dir", str(TRANSFORM_DIR), "--target-path", target, "--log-path", f"{target}/logs"])
    if not result.success:
        failed = [f"{r.node.name}: {r.message}" for r in (result.result or []) if getattr(r, "status", None) in ("error", "fail")]
        raise SystemExit(f"dbt build {' '.join(args)} failed: {failed or result.exception}")
    return time.perf_counter() - started


def _copy_from_duckdb(spark, warehouse: str, table: str) -> None:
    """The table as the DuckDB build wrote it (an empty table's columns have no type there: string, score double)."""
    import duckdb

    con = duckdb.connect(warehouse, read_only=True)
    try:
        columns = con.execute("select column_name, data_type from information_schema.columns "
                              "where table_schema = 'intermediate' and table_name = ? order by ordinal_position", [table]).fetchall()
        rows = [tuple(row) for row in con.execute(f"select * from intermediate.{table}").fetchall()]
    finally:
        con.close()
    schema = ", ".join(f"{name} {SPARK_TYPES.get(kind, 'double' if name == 'score' else 'string')}" for name, kind in columns)
    spark.createDataFrame(rows, schema=schema).write.mode("overwrite").format("parquet").saveAsTable(f"intermediate.{table}")


def main(warehouse: str, out_dir: str, *tables: str) -> None:
    from pyspark.sql import SparkSession

    predicted, cut = PYTHON_MODELS
    seconds = {"before_prediction": _dbt("--exclude", f"{predicted}+")}
    spark = SparkSession.builder.getOrCreate()  # the session dbt started
    _copy_from_duckdb(spark, warehouse, predicted)
    seconds["up_to_the_cut"] = _dbt("--select", f"{predicted}+", "--exclude", predicted, f"{cut}+")
    _copy_from_duckdb(spark, warehouse, cut)
    seconds["after_the_cut"] = _dbt("--select", f"{cut}+", "--exclude", cut)
    for table in tables:
        spark.table(table).toPandas().to_parquet(Path(out_dir) / f"{table}.parquet")
    print(json.dumps({"seconds": seconds, "ok": True}))


if __name__ == "__main__":
    main(*sys.argv[1:])
