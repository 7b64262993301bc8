"""Benchmark of the Spark engine's parts against DuckDB's, on this machine (local Spark, `local[N]`).

    python benchmarks/bench_spark.py --components-nodes 1000000 [--cores 2]
    python benchmarks/bench_spark.py --customers 20000 [--work-dir DIR]

Identity + marts (``--customers N``): one generated sample of N customers, loaded by the real pipelines into both
the DuckDB warehouse and the Parquet lakehouse; then the production `dbt build` (staging, identity with Splink
prediction and the cluster guard, marts, data tests) on DuckDB, and the Spark engine's build of the same project
(orchestration/spark_build.py: dbt on the `spark` target cut around the identity steps of identity/spark.py);
prints both times, Spark's per invocation, and whether the two agree on the customers.

Connected components (the identity clusters): the same synthetic chain graph as
`bench_transform.py --components-nodes` (node i linked to i+1 except every 4th link by hash: label propagation's
worst case), solved by DuckDB's recursive-CTE macro and by Spark's large-star/small-star (c360/spark_graph.py);
prints both times, the rounds Spark needed, and checks that both give the same number of components.
Figures only; nothing is asserted beyond the two engines agreeing.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "transform"))

from bench_transform import components_benchmark  # noqa: E402


def spark_components(nodes: int, cores: int) -> tuple[float, float, int, int]:
    """(session start seconds, components seconds, components, rounds) on the graph of components_benchmark."""
    from pyspark.sql import functions as F

    from c360.spark_graph import connected_components
    from spark_session import session

    started = time.perf_counter()
    spark = session(master=f"local[{cores}]")
    start_seconds = time.perf_counter() - started
    try:
        ids = spark.range(nodes).select(F.col("id").alias("i"))
        key = lambda col: F.concat(F.lit("n"), F.lpad(col.cast("string"), 9, "0"))  # noqa: E731
        nodes_df = ids.select(key(F.col("i")).alias("node_key"))
        # the same links as DuckDB's `hash(i) % 4 <> 0` would need DuckDB's hash: take them from DuckDB instead
        import duckdb

        links = duckdb.sql(f"select i from range({nodes} - 1) t(i) where hash(i) % 4 <> 0").fetch_arrow_table()
        kept = spark.createDataFrame(links.to_pandas())
        edges_df = kept.select(key(F.col("i")).alias("node_key_a"), key(F.col("i") + 1).alias("node_key_b"))
        edges_df = edges_df.localCheckpoint()
        started = time.perf_counter()
        result, rounds = connected_components(nodes_df, edges_df)
        components = result.select("cluster_key").distinct().count()
        return start_seconds, time.perf_counter() - started, components, rounds
    finally:
        spark.stop()


def identity_marts(customers: int, work: Path, cores: int) -> int:
    """The identity + marts benchmark (see the module doc); returns the exit code."""
    import json
    import subprocess

    import duckdb
    import sample_loader

    from identity.spark import step_args
    from orchestration.constants import DBT_BUILD_ARGS
    from orchestration.spark_build import plan
    from quality.lakehouse import attach

    work.mkdir(parents=True, exist_ok=True)
    sample_dir, warehouse, lake = work / "sample", work / "warehouse.duckdb", work / "lake"
    started = time.perf_counter()
    sample_loader.generate(sample_dir, customers=customers, seed=42)
    print(f"sample of {customers:,} customers generated in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    os.environ["C360_ENGINE"] = "duckdb"
    sample_loader.load(sample_dir, warehouse)
    os.environ.update(C360_ENGINE="spark", C360_SPARK_DIR=str(lake.resolve()), C360_SPARK_MASTER=f"local[{cores}]")
    sample_loader.load(sample_dir, work / "unused.duckdb")
    print(f"loaded into DuckDB and into the lakehouse in {time.perf_counter() - started:.1f} s")

    os.environ["C360_ENGINE"] = "duckdb"
    duck = sample_loader.dbt(warehouse, *DBT_BUILD_ARGS, target_path=work / "target-duckdb")
    print(f"DuckDB  dbt build (staging, identity, marts, tests): {duck:.1f} s")

    os.environ["C360_ENGINE"] = "spark"
    target = work / "target-spark"
    sample_loader.dbt(warehouse, "parse", target_path=target)
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    total = 0.0
    for number, segment in enumerate(plan(manifest), 1):
        exclude = ["--exclude", " ".join(segment.exclude)] if segment.exclude else []
        seconds = sample_loader.dbt(warehouse, *DBT_BUILD_ARGS, *exclude, target_path=target)
        total += seconds
        print(f"Spark   dbt build, part {number}: {seconds:.1f} s")
        if segment.step:
            began = time.perf_counter()
            subprocess.run([sys.executable, "-m", "identity.spark", *step_args(segment.step, models[segment.step]["config"])],
                           check=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
            seconds = time.perf_counter() - began
            total += seconds
            print(f"Spark   step {segment.step}: {seconds:.1f} s")
    print(f"Spark   local[{cores}] total: {total:.1f} s (each dbt invocation and step starts its own JVM) "
          f"vs DuckDB {duck:.1f} s")

    views = work / "lake-views.duckdb"
    attach(views, lake)
    with duckdb.connect(str(views)) as con:
        con.execute(f"attach '{warehouse}' as duck (read_only)")
        spark_customers, duck_customers, differ = con.execute(
            "select (select count(*) from marts.customer_360), (select count(*) from duck.marts.customer_360), "
            "(select count(*) from (select customer_id, source, source_record_id from marts.identity_map except "
            " select customer_id, source, source_record_id from duck.marts.identity_map))").fetchone()
    print(f"customers: Spark {spark_customers:,}, DuckDB {duck_customers:,}; identity_map rows that differ: {differ:,}")
    return 0 if spark_customers == duck_customers and differ == 0 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--components-nodes", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=None, help="identity + marts at this many customers")
    parser.add_argument("--work-dir", type=Path, default=REPO / "data" / "bench-spark")
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 2, help="Spark's local[N]")
    args = parser.parse_args(argv)
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} (shared machines inflate both)")
    if args.customers:
        return identity_marts(args.customers, args.work_dir, args.cores)
    n = args.components_nodes
    duck_seconds, duck_components = components_benchmark(n)
    print(f"DuckDB  recursive CTE (USING KEY)     : {n:,} nodes -> {duck_components:,} components in {duck_seconds:.1f} s")
    start, seconds, components, rounds = spark_components(n, args.cores)
    print(f"Spark   large-star/small-star local[{args.cores}]: {n:,} nodes -> {components:,} components in {seconds:.1f} s "
          f"({rounds} rounds; session start {start:.1f} s not included)")
    if components != duck_components:
        print("MISMATCH: the engines disagree on the number of components")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
