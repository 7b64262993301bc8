"""Benchmark of the quality suites: prints figures, asserts nothing.

    python benchmarks/bench_quality.py --warehouse data/warehouse.duckdb      # a real warehouse (read-only)
    python benchmarks/bench_quality.py --synthetic 100000                     # tests' factory, scaled up

For each layer: the DuckDB measuring time, the GX checkpoint time (incl. Data Docs), total and peak memory.
Then, for comparison, the approach we did not take: pulling one event table's email column into pandas and
running GX's own ExpectColumnValuesToMatchRegex on it.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", help="an existing warehouse (opened read-only; results are not stored)")
    parser.add_argument("--synthetic", type=int, help="build the tests' warehouse with this many customers")
    parser.add_argument("--skip-pandas", action="store_true", help="skip the pandas comparison")
    args = parser.parse_args()
    if bool(args.warehouse) == bool(args.synthetic):
        parser.error("give exactly one of --warehouse or --synthetic")

    from quality.config import load_config
    from quality.suites import connect_read_only, measure, run_suites

    work = Path(tempfile.mkdtemp(prefix="c360-bench-quality-"))
    try:
        if args.synthetic:
            sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "quality"))
            from quality_factory import build_warehouse

            t = time.perf_counter()
            warehouse = build_warehouse(work / "warehouse.duckdb", customers=args.synthetic)
            print(f"built synthetic warehouse with {args.synthetic:,} customers in {time.perf_counter() - t:.1f} s")
        else:
            warehouse = Path(args.warehouse).resolve()
        con = connect_read_only(warehouse)
        sizes = con.execute("""select schema_name || '.' || table_name, estimated_size from duckdb_tables()
                               where schema_name like 'raw_%' or schema_name = 'marts'
                               order by estimated_size desc limit 8""").fetchall()
        con.close()
        print(f"warehouse {warehouse} ({warehouse.stat().st_size / 2**20:,.0f} MiB); largest tables:")
        for name, rows in sizes:
            print(f"  {name:<40}{rows:>14,} rows")

        config = load_config()
        import great_expectations  # noqa: F401  (import time is not part of a layer's figure)

        print(f"\n{'layer':<10}{'checks':>7}{'measure s':>11}{'total s':>9}{'failed':>8}   peak RSS MiB")
        for layer in ("raw", "identity", "marts"):
            checks = config.for_layer(layer)
            con = connect_read_only(warehouse)
            t = time.perf_counter()
            measure(con, checks)
            measured = time.perf_counter() - t
            con.close()
            t = time.perf_counter()
            outcomes = run_suites(layer, warehouse, "bench", quality_dir=work / "quality")
            total = time.perf_counter() - t
            failed = sum(not o.success for o in outcomes)
            print(f"{layer:<10}{len(checks):>7}{measured:>11.2f}{total:>9.2f}{failed:>8}   {peak_mb():,.0f}")
            for o in outcomes:
                if not o.success:
                    print(f"    failed ({o.severity}): {o.suite} / {o.expectation}: {o.description}")

        if not args.skip_pandas:
            import great_expectations.expectations as gxe

            from quality.suites import gx_context

            con = connect_read_only(warehouse)
            t = time.perf_counter()
            frame = con.execute("select email from raw_email.events").df()
            fetched = time.perf_counter() - t
            con.close()
            context = gx_context(work / "pandas")
            batch = (context.data_sources.add_pandas("bench").add_dataframe_asset("events")
                     .add_batch_definition_whole_dataframe("all").get_batch(batch_parameters={"dataframe": frame}))
            t = time.perf_counter()
            result = batch.validate(gxe.ExpectColumnValuesToMatchRegex(
                column="email", regex=config.patterns["email"], mostly=0.95))
            validated = time.perf_counter() - t
            print(f"\nfor comparison, GX on pandas: raw_email.events.email ({len(frame):,} rows) fetched in "
                  f"{fetched:.2f} s, ExpectColumnValuesToMatchRegex in {validated:.2f} s "
                  f"(success={result.success}); peak RSS {peak_mb():,.0f} MiB")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
