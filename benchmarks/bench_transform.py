"""Benchmark of the transform (dbt) part: full build, identity resolution quality, incremental build after 1%.

    python benchmarks/bench_transform.py --customers 100000 [--workdir DIR] [--all-models]

Generates the sample source systems and loads them with ingestion.pipelines when the work dir does not hold a
loaded batch-0 sample of that size yet, then prints:
  * the full `dbt build` time (staging, identity resolution, customer_360 and their tests; --all-models: the
    whole project including the CRM marts), and the slowest models;
  * pairwise precision / recall / F1, over-merged and split people (samples.evaluation);
  * the increment: `c360 generate --increment` (about 1% new and changed records), load, and the incremental
    `dbt build` time.
  * with --splink: the same identity graph with the fuzzy rules replaced by a Splink 5 model (trained on the
    profile records: sales, support, web_user), scored with the same evaluator, and its train+predict time.
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


def splink_comparison(warehouse: Path, truth: Path, threshold: float = 0.9) -> tuple[float, int, dict]:
    """Deterministic edges of the rules + Splink predictions instead of the fuzzy rules; evaluated like the rules."""
    import tempfile

    import duckdb
    import pandas as pd
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        profiles = con.execute(
            """
            select node_key as unique_id, email, phone, first_name_canonical as first_name, last_name,
                   birth_date::varchar as birth_date, postal_code, street_normalized as street, customer_ref
            from intermediate.int_identity_nodes
            where source in ('sales', 'support', 'web_user') and not is_staff
            """
        ).df()
        deterministic = con.execute(
            "select node_key_a as a, node_key_b as b from intermediate.int_identity_edges where not is_fuzzy"
        ).df()
        nodes = con.execute("select node_key, source, source_record_id from intermediate.int_identity_nodes").df()
    finally:
        con.close()

    started = time.perf_counter()
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.ExactMatch("email"),
            cl.ExactMatch("phone"),
            cl.ExactMatch("customer_ref"),
            cl.JaroWinklerAtThresholds("first_name", [0.92, 0.8]),
            cl.JaroWinklerAtThresholds("last_name", [0.92, 0.8]),
            cl.ExactMatch("birth_date"),
            cl.ExactMatch("postal_code"),
            cl.JaroWinklerAtThresholds("street", [0.9]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("email"), block_on("phone"), block_on("customer_ref"), block_on("birth_date"), block_on("postal_code"),
        ],
    )
    linker = Linker(DuckDBAPI().register(profiles), settings)
    linker.training.estimate_probability_two_random_records_match([block_on("email"), block_on("customer_ref")], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    for rule in (block_on("birth_date"), block_on("email"), block_on("first_name", "last_name")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predictions = linker.inference.predict(threshold_match_probability=threshold).as_pandas_dataframe()
    seconds = time.perf_counter() - started

    edges = pd.concat([predictions[["unique_id_l", "unique_id_r"]].set_axis(["a", "b"], axis=1), deterministic])
    out = Path(tempfile.mkdtemp()) / "splink.duckdb"
    con = duckdb.connect(str(out))
    try:
        con.register("edges_df", edges)
        con.register("nodes_df", nodes)
        con.execute("create table edges as select a as node_key_a, b as node_key_b from edges_df")
        con.execute("create table nodes as select node_key from nodes_df")
        macro = (REPO / "transform" / "macros" / "connected_components.sql").read_text()
        body = macro[macro.index("with recursive"):macro.index("{%- endmacro %}")]
        body = body.replace("{{ edges }}", "edges").replace("{{ nodes }}", "nodes")
        con.execute(f"create table components as {body}")
        con.execute("create schema marts")
        con.execute(
            "create table marts.identity_map as select n.source, n.source_record_id, c.cluster_key as customer_id"
            " from nodes_df n join components c using (node_key)"
        )
    finally:
        con.close()
    return seconds, len(predictions), evaluate(out, truth)


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
    parser.add_argument("--splink", action="store_true", help="also score a Splink 5 model in place of the fuzzy rules")
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
    print(f"full dbt build: {seconds:.1f} s")
    print("  slowest nodes:", ", ".join(f"{name} {t}s" for t, name in _slowest(target)))

    t = time.perf_counter()
    result = evaluate(warehouse, workdir / "truth-batch0.csv")
    print(f"evaluation ({time.perf_counter() - t:.1f} s):")
    for key in ("records_evaluated", "persons", "customers", "precision", "recall", "f1", "over_merged_people",
                "over_merged_customers", "split_people", "missing_from_identity_map", "missing_from_truth"):
        print(f"  {key}: {result[key]}")

    if args.splink:
        for threshold in (0.5, 0.9, 0.99):
            secs, pairs, r = splink_comparison(warehouse, workdir / "truth-batch0.csv", threshold)
            print(f"splink (threshold {threshold}): train+predict {secs:.1f} s, {pairs:,} predicted pairs; "
                  f"precision {r['precision']}, recall {r['recall']}, over-merged people {r['over_merged_people']}, "
                  f"split people {r['split_people']}")

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
