"""Benchmark of the Spark engine's parts against DuckDB's, on this machine (local Spark, `local[N]`).

    python benchmarks/bench_spark.py --components-nodes 1000000 [--cores 2]

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--components-nodes", type=int, default=1_000_000)
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 2, help="Spark's local[N]")
    args = parser.parse_args(argv)
    n = args.components_nodes
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} (shared machines inflate both)")
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
