"""Benchmark of the transform (dbt) part: full build, identity resolution quality, incremental build after 1%.

    python benchmarks/bench_transform.py --customers 100000 [--workdir DIR] [--all-models] [--train] [--no-increment]
    python benchmarks/bench_transform.py --customers 300 --profile hard --no-increment    # blocking recall, hard mode

Generates the sample source systems and loads them with ingestion.pipelines when the work dir does not hold a
loaded batch-0 sample of that size yet, then prints:
  * the full `dbt build` time (staging, identity resolution, customer_360 and their tests; --all-models: the
    whole project including the CRM marts), its CPU time (less dependent on what else runs on the machine),
    and the slowest models;
  * the identity part of the build: the summed execution time of the models in
    transform/models/intermediate/identity/ (each of them listed) and of the identity marts;
  * blocking recall: the candidate pairs each blocking rule of the identity model makes among the profile
    records, and how many pairs of profile records of one true person (truth.csv) the rules together catch;
  * pairwise precision / recall / F1, over-merged and split people (samples.evaluation);
  * unless --no-increment (which keeps the work dir reusable for the next run): `c360 generate --increment`
    (about 1% new and changed records), load, and the incremental `dbt build` time;
  * with --train: the time of `c360 identity train` on the built warehouse (written to the work dir).
Figures only; nothing is asserted. Needs a few GB of disk at 100,000 customers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
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


IDENTITY_FOLDER = "models/intermediate/identity/"
IDENTITY_MARTS = ("identity_map", "identity_links", "identity_review_queue", "customer_id_history")


def identity_timings(target_path: Path) -> tuple[dict[str, float], dict[str, float]]:
    """Execution seconds of the last dbt command's identity models: (models in transform/models/intermediate/
    identity/, identity marts), each name -> seconds. The folder comes from dbt's manifest, so a new identity
    model counts without editing this list."""
    nodes = json.loads((target_path / "manifest.json").read_text())["nodes"]
    results = json.loads((target_path / "run_results.json").read_text())["results"]
    models, marts = {}, {}
    for r in results:
        node = nodes.get(r["unique_id"], {})
        if node.get("resource_type") != "model":
            continue
        if node["original_file_path"].startswith(IDENTITY_FOLDER):
            models[node["name"]] = r["execution_time"]
        elif node["name"] in IDENTITY_MARTS:
            marts[node["name"]] = r["execution_time"]
    return models, marts


def print_identity_part(target_path: Path) -> float:
    models, marts = identity_timings(target_path)
    seconds = sum(models.values())
    print(f"  identity part (transform/models/intermediate/identity/, {len(models)} models): {seconds:.1f} s;"
          f" identity marts {sum(marts.values()):.1f} s")
    print("    " + ", ".join(f"{name} {t:.1f}s" for name, t in sorted(models.items(), key=lambda kv: -kv[1])))
    return seconds


def blocking_recall(warehouse: Path, truth_csv: Path) -> None:
    """Candidate pairs of each blocking rule of the identity model among the profile records, and the pairs of
    profile records of one true person the rules catch together (a pair no rule catches is never scored; it can
    still link through a shared identifier)."""
    import duckdb

    from identity import model as identity_model

    con = duckdb.connect()
    try:
        con.execute("attach ? as w (read_only)", [str(warehouse)]).fetchall()
        con.execute(f"create temp table p as select * from w.{identity_model.PROFILES_TABLE}").fetchall()
        con.execute(
            "create temp table truth as select source || ':' || source_record_id as node_key, person_id"
            " from read_csv(?, header = true, all_varchar = true)", [str(truth_csv)]
        ).fetchall()
        con.execute(
            "create temp table true_pairs as select l.node_key as a, r.node_key as b"
            " from p l join truth tl using (node_key) join truth tr on tl.person_id = tr.person_id"
            " join p r on r.node_key = tr.node_key where l.node_key < r.node_key"
        ).fetchall()
        (true_pairs,) = con.execute("select count(*) from true_pairs").fetchall()[0]
        rules = identity_model.blocking_rule_sql()
        for i, rule in enumerate(rules):
            con.execute(
                f"create temp table b{i} as select l.node_key as a, r.node_key as b from p l join p r"
                f" on ({rule}) and l.node_key < r.node_key"
            ).fetchall()
            pairs, caught = con.execute(f"select count(*), count(t.a) from b{i} left join true_pairs t using (a, b)").fetchall()[0]
            print(f"    {pairs:>10,} candidate pairs, {caught:>8,} true   {rule}")
        union = " union ".join(f"select a, b from b{i}" for i in range(len(rules)))
        pairs, caught = con.execute(
            f"select count(*), count(t.a) from ({union}) u left join true_pairs t using (a, b)"
        ).fetchall()[0]
        print(f"  blocking: {pairs:,} candidate pairs; caught {caught:,} of {true_pairs:,} true profile pairs"
              f" ({caught / max(true_pairs, 1):.4f})")
    finally:
        con.close()


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


def _build(warehouse: Path, target_path: Path, all_models: bool, full_refresh: bool) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the dbt process) of the build."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    if all_models:
        args = ["build"] + (["--full-refresh"] if full_refresh else [])
        seconds = sample_loader.dbt(warehouse, *args, target_path=target_path)
    else:
        seconds = sample_loader.build_foundation(warehouse, target_path=target_path, full_refresh=full_refresh)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _generate(sample_dir: Path, customers: int, seed: int, profile: str) -> None:
    if profile == "default":
        sample_loader.generate(sample_dir, customers=customers, seed=seed)
        return
    from samplekit import REFERENCE_DATE

    from samples.generator import generate

    generate(out=sample_dir, customers=customers, seed=seed, reference_date=REFERENCE_DATE, profile=profile)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", default=None, help="default: data/bench-transform-<customers>")
    parser.add_argument("--all-models", action="store_true", help="build the whole dbt project, not only the foundation")
    parser.add_argument("--train", action="store_true", help="also time `c360 identity train` on the built warehouse")
    parser.add_argument("--profile", choices=("default", "hard"), default="default", help="the generator's profile")
    parser.add_argument("--no-increment", action="store_true",
                        help="stop after the full build (and --train): the work dir stays reusable")
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

    suffix = "" if args.profile == "default" else f"-{args.profile}"
    workdir = Path(args.workdir or REPO / "data" / f"bench-transform-{args.customers}{suffix}").resolve()
    sample_dir, warehouse, target = workdir / "sample", workdir / "warehouse.duckdb", workdir / "dbt-target"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}")
    print(f"work dir: {workdir}")
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")

    manifest = sample_dir / "manifest.json"
    reusable = (
        manifest.exists()
        and warehouse.exists()
        and (m := json.loads(manifest.read_text()))["customers"] == args.customers
        and m.get("profile", "default") == args.profile
        and len(m["batches"]) == 1
    )
    if not reusable:
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        t = time.perf_counter()
        _generate(sample_dir, args.customers, args.seed, args.profile)
        print(f"generate {args.customers:,} customers: {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        sample_loader.load(sample_dir, warehouse)
        print(f"load (ingestion.pipelines, 4 sources): {time.perf_counter() - t:.1f} s")
    else:
        print("reusing the generated and loaded batch 0")
    shutil.copy2(sample_dir / "truth.csv", workdir / "truth-batch0.csv")
    for name in ("must_not_merge.csv",):
        if (sample_dir / name).exists():
            shutil.copy2(sample_dir / name, workdir / name)

    seconds, cpu = _build(warehouse, target, args.all_models, full_refresh=True)
    print(f"full dbt build: {seconds:.1f} s ({cpu:.1f} s CPU; load average {os.getloadavg()[0]:.1f})")
    identity_s = print_identity_part(target)
    print("  slowest nodes:", ", ".join(f"{name} {t}s" for t, name in _slowest(target)))
    blocking_recall(warehouse, workdir / "truth-batch0.csv")

    t = time.perf_counter()
    result = evaluate(warehouse, workdir / "truth-batch0.csv")
    print(f"evaluation ({time.perf_counter() - t:.1f} s):")
    for key in ("records_evaluated", "persons", "customers", "precision", "recall", "f1", "over_merged_people",
                "over_merged_customers", "split_people", "missing_from_identity_map", "missing_from_truth",
                "must_not_merge"):
        if key in result:
            print(f"  {key}: {result[key]}")

    if args.train:
        from identity import model as identity_model

        before = resource.getrusage(resource.RUSAGE_SELF)
        _, secs = identity_model.timed_train(warehouse, workdir / "identity_model.json")
        after = resource.getrusage(resource.RUSAGE_SELF)
        cpu_train = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        print(f"c360 identity train: {secs:.1f} s ({cpu_train:.1f} s CPU; load average {os.getloadavg()[0]:.1f})")

    if args.no_increment:
        print(f"SUMMARY customers={args.customers} profile={args.profile} full_build_s={seconds:.1f}"
              f" identity_s={identity_s:.1f}")
        return 0

    t = time.perf_counter()
    batch = sample_loader.generate(sample_dir, customers=args.customers, seed=args.seed, increment=True)
    written = sum(v["written"] for v in batch["tables"].values())
    print(f"generate increment (batch {batch['batch']}, {written:,} records): {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    sample_loader.load(sample_dir, warehouse)
    print(f"load increment: {time.perf_counter() - t:.1f} s")
    seconds_inc, cpu_inc = _build(warehouse, target, args.all_models, full_refresh=False)
    print(f"incremental dbt build: {seconds_inc:.1f} s ({cpu_inc:.1f} s CPU)")
    print_identity_part(target)
    print("  slowest nodes:", ", ".join(f"{name} {t}s" for t, name in _slowest(target)))
    result = evaluate(warehouse, sample_dir / "truth.csv")
    print(f"evaluation after increment: precision {result['precision']}, recall {result['recall']}, "
          f"split people {result['split_people']}, over-merged people {result['over_merged_people']}")
    print(f"SUMMARY customers={args.customers} full_build_s={seconds:.1f} identity_s={identity_s:.1f}"
          f" incremental_build_s={seconds_inc:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
