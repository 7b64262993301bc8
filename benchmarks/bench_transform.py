"""Benchmark of the transform (dbt) part: full build, identity resolution quality, incremental build after 1%.

    python benchmarks/bench_transform.py --customers 100000 [--workdir DIR] [--all-models]

Generates the sample source systems and loads them with ingestion.pipelines when the work dir does not hold a
loaded batch-0 sample of that size yet, then prints:
  * the full `dbt build` time (staging, identity resolution, customer_360 and their tests; --all-models: the
    whole project including the CRM marts), and the slowest models;
  * pairwise precision / recall / F1, over-merged and split people (samples.evaluation);
  * the increment: `c360 generate --increment` (about 1% new and changed records), load, and the incremental
    `dbt build` time.
  * the identity part of the build (the identity models' own execution time);
  * with --train: the time of `c360 identity train` on the built warehouse (written to the work dir).
Figures only; nothing is asserted. Needs a few GB of disk at 100,000 customers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))  # samplekit: samples at the tests' fixed reference date
sys.path.insert(0, str(REPO / "tests" / "transform"))

import sample_loader  # noqa: E402
from samples.evaluation import evaluate  # noqa: E402


def _slowest(target_path: Path, n: int = 8) -> list[tuple[float, str]]:
    results = json.loads((target_path / "run_results.json").read_text())["results"]
    timed = sorted(((r["execution_time"], r["unique_id"]) for r in results), reverse=True)
    return [(round(t, 1), uid.split(".", 2)[-1]) for t, uid in timed[:n]]


def _identity_seconds(target_path: Path) -> float:
    """Seconds the identity models took in the last dbt command (intermediate/identity/ and the identity marts)."""
    results = json.loads((target_path / "run_results.json").read_text())["results"]
    return sum(
        r["execution_time"] for r in results
        if r["unique_id"].startswith("model.")
        and (".int_identity_" in r["unique_id"] or r["unique_id"].endswith((".identity_map", ".identity_links",
                                                                              ".int_customer_ids_assigned")))
    )


def components_benchmark(nodes: int) -> tuple[float, int]:
    """The connected_components macro on a synthetic graph of chains (label propagation's worst case): `nodes`
    nodes, node i linked to i+1 except for every 4th link (by hash), in an in-memory DuckDB."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute(f"create table nodes as select 'n' || lpad(i::varchar, 9, '0') as node_key from range({nodes}) t(i)")
        con.execute(
            "create table edges as select 'n' || lpad(i::varchar, 9, '0') as node_key_a,"
            " 'n' || lpad((i + 1)::varchar, 9, '0') as node_key_b"
            f" from range({nodes} - 1) t(i) where hash(i) % 4 <> 0"
        )
        macro = (REPO / "transform" / "macros" / "connected_components.sql").read_text()
        body = macro[macro.index("with recursive"):macro.index("{%- endmacro %}")]
        body = body.replace("{{ edges }}", "edges").replace("{{ nodes }}", "nodes")
        started = time.perf_counter()
        (components,) = con.execute(f"select count(distinct cluster_key) from ({body})").fetchall()[0]
        return time.perf_counter() - started, components
    finally:
        con.close()


def _build(warehouse: Path, target_path: Path, all_models: bool, full_refresh: bool) -> float:
    if all_models:
        args = ["build"] + (["--full-refresh"] if full_refresh else [])
        return sample_loader.dbt(warehouse, *args, target_path=target_path)
    return sample_loader.build_foundation(warehouse, target_path=target_path, full_refresh=full_refresh)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", default=None, help="default: data/bench-transform-<customers>")
    parser.add_argument("--all-models", action="store_true", help="build the whole dbt project, not only the foundation")
    parser.add_argument("--train", action="store_true", help="also time `c360 identity train` on the built warehouse")
    parser.add_argument("--components-nodes", type=int, default=0,
                        help="only time the connected-components macro on a synthetic chain graph of this many nodes")
    args = parser.parse_args(argv)
    if args.customers < 1:
        parser.error("--customers must be at least 1")

    if args.components_nodes:
        seconds, components = components_benchmark(args.components_nodes)
        print(f"connected components: {args.components_nodes:,} nodes -> {components:,} components in {seconds:.1f} s "
              f"({os.cpu_count()} cores)")
        return 0

    workdir = Path(args.workdir or REPO / "data" / f"bench-transform-{args.customers}").resolve()
    sample_dir, warehouse, target = workdir / "sample", workdir / "warehouse.duckdb", workdir / "dbt-target"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}")
    print(f"work dir: {workdir}")

    manifest = sample_dir / "manifest.json"
    reusable = (
        manifest.exists()
        and warehouse.exists()
        and (m := json.loads(manifest.read_text()))["customers"] == args.customers
        and len(m["batches"]) == 1
    )
    if not reusable:
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        t = time.perf_counter()
        sample_loader.generate(sample_dir, customers=args.customers, seed=args.seed)
        print(f"generate {args.customers:,} customers: {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        sample_loader.load(sample_dir, warehouse)
        print(f"load (ingestion.pipelines, 4 sources): {time.perf_counter() - t:.1f} s")
    else:
        print("reusing the generated and loaded batch 0")
    shutil.copy2(sample_dir / "truth.csv", workdir / "truth-batch0.csv")

    seconds = _build(warehouse, target, args.all_models, full_refresh=True)
    print(f"full dbt build: {seconds:.1f} s (identity models {_identity_seconds(target):.1f} s)")
    print("  slowest nodes:", ", ".join(f"{name} {t}s" for t, name in _slowest(target)))

    t = time.perf_counter()
    result = evaluate(warehouse, workdir / "truth-batch0.csv")
    print(f"evaluation ({time.perf_counter() - t:.1f} s):")
    for key in ("records_evaluated", "persons", "customers", "precision", "recall", "f1", "over_merged_people",
                "over_merged_customers", "split_people", "missing_from_identity_map", "missing_from_truth"):
        print(f"  {key}: {result[key]}")

    if args.train:
        from identity import model as identity_model

        _, secs = identity_model.timed_train(warehouse, workdir / "identity_model.json")
        print(f"c360 identity train: {secs:.1f} s")

    t = time.perf_counter()
    batch = sample_loader.generate(sample_dir, customers=args.customers, seed=args.seed, increment=True)
    written = sum(v["written"] for v in batch["tables"].values())
    print(f"generate increment (batch {batch['batch']}, {written:,} records): {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    sample_loader.load(sample_dir, warehouse)
    print(f"load increment: {time.perf_counter() - t:.1f} s")
    seconds_inc = _build(warehouse, target, args.all_models, full_refresh=False)
    print(f"incremental dbt build: {seconds_inc:.1f} s")
    print("  slowest nodes:", ", ".join(f"{name} {t}s" for t, name in _slowest(target)))
    result = evaluate(warehouse, sample_dir / "truth.csv")
    print(f"evaluation after increment: precision {result['precision']}, recall {result['recall']}, "
          f"split people {result['split_people']}, over-merged people {result['over_merged_people']}")
    print(f"SUMMARY customers={args.customers} full_build_s={seconds:.1f} incremental_build_s={seconds_inc:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
