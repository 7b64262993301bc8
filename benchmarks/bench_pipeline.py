"""The whole pipeline, measured in one run: what a full and an incremental run cost, against the floor.

For each size (default 20,000 and 100,000 customers; ``--customers 1000000`` on request) it prints:

* generate (``c360 generate``) and the next one-day increment (``c360 generate --increment``);
* each ingestion source: rows (loaded incl. child tables + quarantined), seconds, rows/s;
* dbt: the wall time of the production ``dbt build`` and each phase's model time from dbt's
  ``run_results.json`` (staging / identity / intermediate / marts / data tests; node times overlap when dbt runs
  2 threads) and the slowest models;
* quality checks (``c360 quality``: raw checks measure only the new loads) and publication (``c360 publish``:
  how many marts changed and were written again);
* the same after the increment, and incremental / full;
* the same once more with nothing new to read: the fixed cost of a run (process start-ups, dbt's parse and data
  tests, the checks' and the publication's passes), which an increment's run cannot go below;
* the floor: DuckDB alone reading the same raw files into tables (no validation, no pipeline). DuckDB here has
  no sqlite_scanner extension, so the sales tables are read with Python's sqlite3 into Arrow and handed to
  DuckDB; the support source's floor reads its JSON lines files (c360 reads them over the Zendesk API);
* c360 full run / floor, and the peak RSS of each step and of the whole run.

Every step runs in a child process, as a real run does; the peak RSS is that of the whole process tree (this
process, the Zendesk test server it hosts, and every child such as dbt), sampled from /proc every 0.2 s.
Figures only; nothing is asserted.

    python benchmarks/bench_pipeline.py                       # 20k and 100k
    python benchmarks/bench_pipeline.py --customers 20000 --keep /tmp/b20k
    python benchmarks/bench_pipeline.py --customers 1000000
    python benchmarks/bench_pipeline.py --customers 1000000 --sample /data/c1m --no-increment   # generated before
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_ingestion import _cpu_count, _memory_gib  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")

#: One source loaded in a child process; prints its counts as JSON on the last line.
LOAD_ONE = """
import json, sys
from ingestion.pipelines import run_source
r = run_source(sys.argv[1])
print(json.dumps({"loaded": r.loaded_total, "quarantined": r.quarantined}))
"""


# ---------------------------------------------------------------- memory of the process tree


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def tree_rss(root: int) -> int:
    """Bytes resident in ``root`` and all its descendants."""
    tree, total, todo = _children(), 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(tree.get(pid, ()))
        try:
            with open(f"/proc/{pid}/statm") as fh:
                total += int(fh.read().split()[1]) * PAGE
        except OSError:
            pass
    return total


class PeakRss:
    """Samples the RSS of this process's tree in a thread; ``phase()`` gives each step its own peak."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval, self.peak, self.current_peak = interval, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "PeakRss":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = tree_rss(os.getpid())
            self.peak, self.current_peak = max(self.peak, rss), max(self.current_peak, rss)
            self._stop.wait(self.interval)

    @contextmanager
    def phase(self) -> Iterator[dict[str, float]]:
        self.current_peak = tree_rss(os.getpid())
        out: dict[str, float] = {}
        started = time.perf_counter()
        yield out
        out["seconds"] = time.perf_counter() - started
        out["peak_mib"] = max(self.current_peak, tree_rss(os.getpid())) / 2**20


# ---------------------------------------------------------------- steps


def _run(cmd: list[str], env: dict[str, str], cwd: Path = ROOT, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def _c360(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("c360")), *args]


def dbt_phases(target: Path) -> dict[str, float]:
    """Seconds per phase from dbt's run_results.json: models by folder (manifest.json's fqn), data tests apart."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    phases: dict[str, float] = {}
    for r in results:
        uid: str = r["unique_id"]
        fqn = nodes.get(uid, {}).get("fqn", [])
        if uid.startswith(("test.", "unit_test.")):
            phase = "data tests"
        elif "staging" in fqn:
            phase = "staging"
        elif "identity" in fqn or fqn[-1:] in (["identity_map"], ["customer_id_history"]):
            phase = "identity"
        elif uid.startswith("seed."):
            phase = "seeds"
        elif "intermediate" in fqn:  # events, customers, crm: the marts' building blocks
            phase = "intermediate"
        else:
            phase = "marts"
        phases[phase] = phases.get(phase, 0.0) + float(r["execution_time"])
    return phases


def slowest_models(target: Path, n: int = 4) -> list[tuple[str, float]]:
    """The ``n`` models that took longest in the last dbt run (run_results.json)."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    models = [(r["unique_id"].rsplit(".", 1)[-1], float(r["execution_time"])) for r in results
              if r["unique_id"].startswith("model.")]
    return sorted(models, key=lambda m: -m[1])[:n]


def pipeline_run(label: str, env: dict[str, str], work: Path, rss: PeakRss, sources: list[str]) -> dict[str, Any]:
    """Ingestion of every source, dbt build, quality, publication; prints and returns the figures."""
    from orchestration.constants import DBT_BUILD_ARGS

    print(f"-- {label}", flush=True)
    figures: dict[str, Any] = {"sources": {}}
    for name in sources:
        with rss.phase() as f:
            out = _run([sys.executable, "-c", LOAD_ONE, name], env)
        counts = json.loads(out.stdout.strip().splitlines()[-1])
        rows = counts["loaded"] + counts["quarantined"]
        figures["sources"][name] = {**f, "rows": rows}
        print(f"  ingest {name:8s} {rows:>11,d} rows ({counts['quarantined']:,d} quarantined) in {f['seconds']:7.1f} s "
              f"= {rows / f['seconds']:>9,.0f} rows/s; peak {f['peak_mib']:,.0f} MiB", flush=True)
    target = work / "dbt-target"
    dbt = [sys.executable, "-m", "dbt.cli.main", *DBT_BUILD_ARGS, "--project-dir", str(ROOT / "transform"),
           "--profiles-dir", str(ROOT / "transform"), "--target-path", str(target), "--log-path", str(target / "logs")]
    with rss.phase() as f:
        _run(dbt, env, cwd=ROOT / "transform")
    figures["dbt"] = {**f, "phases": dbt_phases(target)}
    print(f"  dbt build            {f['seconds']:7.1f} s wall; peak {f['peak_mib']:,.0f} MiB; node time: "
          + ", ".join(f"{k} {v:.1f} s" for k, v in figures["dbt"]["phases"].items())
          + "; slowest: " + ", ".join(f"{name} {t:.1f} s" for name, t in slowest_models(target)), flush=True)
    with rss.phase() as f:
        result = _run(_c360("quality", "--warehouse", env["C360_WAREHOUSE"]), env, check=False)
    figures["quality"] = f
    print(f"  quality checks       {f['seconds']:7.1f} s (exit {result.returncode}); peak {f['peak_mib']:,.0f} MiB", flush=True)
    with rss.phase() as f:
        result = _run(_c360("publish", "--warehouse", env["C360_WAREHOUSE"]), env, check=False)
    figures["publication"] = f
    said = (result.stdout.strip().splitlines() or [""])[0]
    # "published 14 marts (1,544,307 rows; 12 changed and rewritten, 2 unchanged and kept) ...": unchanged marts are
    # not written again (quality/publish.py)
    print(f"  publication          {f['seconds']:7.1f} s (exit {result.returncode}: {said.split(' from run')[0][:120]}); "
          f"peak {f['peak_mib']:,.0f} MiB", flush=True)
    steps = [*figures["sources"].values(), figures["dbt"], figures["quality"], figures["publication"]]
    figures["seconds"] = sum(s["seconds"] for s in steps)
    figures["peak_mib"] = max(s["peak_mib"] for s in steps)
    print(f"  {label} run total      {figures['seconds']:7.1f} s; peak RSS {figures['peak_mib']:,.0f} MiB", flush=True)
    return figures


FLOOR = r"""
import glob, json, sqlite3, sys, time
import duckdb, pyarrow as pa
sample, db = sys.argv[1], sys.argv[2]
con = duckdb.connect(db)
out = {}

def bulk(table, reader, files, **options):
    # files DuckDB's reader cannot parse (truncated, not JSON) are left out, as a bare read would have to
    files, skipped = sorted(files), 0
    if options.get("format") == "'array'":  # read_json cannot skip a bad file of an array format: find them first
        valid = {f for (f,) in con.execute("select filename from read_text(?) where json_valid(content)", [files]).fetchall()}
        skipped, files = len(files) - len(valid), [f for f in files if f in valid]
    opts = ", ".join(f"{k}={v}" for k, v in {"union_by_name": "true", **options}.items())
    while files:
        try:
            con.execute(f"create or replace table {table} as select * from {reader}(?, {opts})", [files])
            break
        except (duckdb.InvalidInputException, duckdb.IOException) as exc:
            bad = [f for f in files if f in str(exc)]
            if not bad:
                raise
            files.remove(bad[0]); skipped += 1
    return con.execute(f"select count(*) from {table}").fetchone()[0], skipped

t = time.perf_counter()
rows = 0
src = sqlite3.connect(sample + "/sales.sqlite")
for (name,) in src.execute("select name from sqlite_master where type = 'table'").fetchall():
    cur = src.execute(f'select * from "{name}"')
    cols = [d[0] for d in cur.description]
    data = cur.fetchall()
    arrow = pa.table({c: pa.array([r[i] for r in data]) for i, c in enumerate(cols)}) if data else None
    if arrow is not None:
        con.execute(f'create or replace table "sales_{name}" as select * from arrow'); rows += len(data)
out["sales"] = (rows, 0, time.perf_counter() - t)
t = time.perf_counter()
n, s = bulk("email", "read_json", glob.glob(sample + "/email/**/*.json", recursive=True), format="'array'")
out["email"] = (n, s, time.perf_counter() - t)
t = time.perf_counter()
n, s = bulk("web", "read_ndjson", glob.glob(sample + "/web/**/*.gz", recursive=True), ignore_errors="true")
out["web"] = (n, s, time.perf_counter() - t)
t = time.perf_counter()
rows = 0
for f in sorted(glob.glob(sample + "/support/*.jsonl")):
    name = f.rsplit("/", 1)[1].split(".")[0]
    rows += bulk("support_" + name, "read_ndjson", [f], ignore_errors="true")[0]
out["support"] = (rows, 0, time.perf_counter() - t)
con.close()
print(json.dumps(out))
"""


def floor(sample: Path, work: Path, env: dict[str, str], rss: PeakRss) -> dict[str, Any]:
    db = work / "floor.duckdb"
    db.unlink(missing_ok=True)
    with rss.phase() as f:
        out = json.loads(_run([sys.executable, "-c", FLOOR, str(sample), str(db)], env).stdout.strip().splitlines()[-1])
    db.unlink(missing_ok=True)
    print(f"-- floor: DuckDB alone reading the raw files into tables: {f['seconds']:.1f} s; peak {f['peak_mib']:,.0f} MiB")
    for name, (rows, skipped, seconds) in out.items():
        note = {"sales": " (sqlite3 -> Arrow -> DuckDB: no sqlite_scanner here)",
                "support": " (the JSON lines files the Zendesk server serves)"}.get(name, "")
        if skipped:
            note += f" ({skipped} unreadable files left out)"
        print(f"  {name:8s} {rows:>11,d} rows in {seconds:7.1f} s = {rows / max(seconds, 1e-9):>9,.0f} rows/s{note}")
    return {**f, "sources": out}


def bench(customers: int, seed: int, work: Path, sources: list[str], increment: bool,
          given_sample: Path | None = None) -> None:
    from samples.environment import serve_sample

    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    sample = work / "sample"
    if given_sample:
        # a sample generated before (a 1M one takes long): linked, not copied; an increment appends to it
        sample.symlink_to(given_sample.resolve(), target_is_directory=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
           "C360_WAREHOUSE": str(work / "warehouse.duckdb"), "C360_SAMPLE_DIR": str(sample),
           "C360_PUBLISHED": str(work / "published.duckdb"), "C360_PUBLISHED_PARQUET_DIR": str(work / "published"),
           "C360_QUALITY_DIR": str(work / "quality"), "DAGSTER_HOME": str(work / "dagster")}
    print(f"== {customers:,d} customers in {work}; load average {os.getloadavg()[0]:.1f}", flush=True)
    with PeakRss() as rss:
        if not given_sample:
            # batch 0 ends at 00:00 UTC yesterday, so the one-day increment is yesterday: wholly in the past, like
            # a real daily delivery (ending today, its last hours would lie ahead of the clock)
            ref = (datetime.now(timezone.utc) - timedelta(days=1)).date().isoformat()
            with rss.phase() as gen:
                _run(_c360("generate", "--customers", str(customers), "--seed", str(seed), "--out", str(sample),
                           "--reference-date", ref), env)
        manifest = json.loads((sample / "manifest.json").read_text())
        if len(manifest["batches"]) != 1:
            raise SystemExit(f"{sample} holds {len(manifest['batches'])} batches: give a sample with batch 0 only")
        records = sum(e["written"] for e in manifest["batches"][0]["tables"].values())
        print(f"generate: {records:,d} records" + (f" in {gen['seconds']:.1f} s; peak {gen['peak_mib']:,.0f} MiB"
                                                   if not given_sample else f" (generated before: {given_sample})"),
              flush=True)
        low = floor(sample, work, env, rss)
        with serve_sample(sample, rate_limit=10_000_000, incremental_rate_limit=10_000_000):
            env.update({k: v for k, v in os.environ.items() if k.startswith("SOURCES__")})
            for key in [k for k in env if k.startswith("SOURCES__") and k not in os.environ]:
                env.pop(key)
            full = pipeline_run("full", env, work, rss, sources)
            if increment:
                with rss.phase() as gen:
                    _run(_c360("generate", "--increment", "--out", str(sample)), env)
                batch = json.loads((sample / "manifest.json").read_text())["batches"][-1]
                written = sum(e["written"] for e in batch["tables"].values())
                print(f"generate --increment: {written:,d} records in {gen['seconds']:.1f} s; "
                      f"peak {gen['peak_mib']:,.0f} MiB", flush=True)
                inc = pipeline_run("incremental", env, work, rss, sources)
                # the same run again with nothing new to read: what any run costs whatever changed
                idle = pipeline_run("nothing new", env, work, rss, sources)
        print(f"== {customers:,d} customers: full run {full['seconds']:.1f} s, floor {low['seconds']:.1f} s, "
              f"c360/floor {full['seconds'] / low['seconds']:.1f}x"
              + (f"; incremental run {inc['seconds']:.1f} s = {100 * inc['seconds'] / full['seconds']:.0f} % of full"
                 f"; a run with nothing new {idle['seconds']:.1f} s = {100 * idle['seconds'] / full['seconds']:.0f} % "
                 "of full" if increment else "")
              + f"; peak RSS of the whole run {rss.peak / 2**20:,.0f} MiB; load average {os.getloadavg()[0]:.1f}",
              flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", default="20000,100000", help="comma-separated sizes (default 20000,100000)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--sources", default="sales,support,email,web")
    parser.add_argument("--no-increment", action="store_true", help="skip the incremental run")
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: a temporary one, removed)")
    parser.add_argument("--sample", type=Path, help="a sample folder `c360 generate` wrote before (batch 0 only), "
                        "used instead of generating one; needs a single --customers (its size)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.customers.split(",") if s.strip()]
    if args.sample and len(sizes) != 1:
        parser.error("--sample needs exactly one --customers size")
    sources = [s.strip() for s in args.sources.split(",") if s.strip()]
    print(f"machine: {_cpu_count()} cores, {_memory_gib():.0f} GiB, {platform.python_implementation()} "
          f"{platform.python_version()}, {platform.machine()}; load average {os.getloadavg()[0]:.1f} at start", flush=True)
    root = args.keep or Path(tempfile.mkdtemp(prefix="c360-bench-pipeline-"))
    try:
        for customers in sizes:
            bench(customers, args.seed, root / f"c{customers}", sources, increment=not args.no_increment,
                  given_sample=args.sample)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
