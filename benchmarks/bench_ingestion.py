"""Ingestion benchmark: generate an N-customer sample and load it through all four dlt sources.

Prints the generation time, then per source the rows loaded + quarantined, wall time, rows per second,
dlt's extract/normalize/load split, process CPU and peak RSS, for the file sources (email, web) the events
per second (over the run and in the extract step), and the same for the whole load. A fresh warehouse (and dlt
state) is used every time; the support source is served by the shipped Zendesk-compatible server on
loopback (rate limit lifted, so the figure is the loader's, not the limiter's).

    python benchmarks/bench_ingestion.py --customers 100000
    python benchmarks/bench_ingestion.py --customers 10000 --out /tmp/s10k --reuse   # skip generation
    python benchmarks/bench_ingestion.py --customers 10000 --sources email --email-merge-strategy delete-insert
    python benchmarks/bench_ingestion.py --customers 10000 --out /tmp/s10k --increment   # then load an increment
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _memory_gib() -> float:
    try:
        with open("/proc/meminfo") as fh:
            kib = int(next(line for line in fh if line.startswith("MemTotal")).split()[1])
        return kib / 1024 / 1024
    except (OSError, StopIteration, ValueError):
        return float("nan")


#: The tables holding one row per event of the file sources (child tables such as events__category excluded).
EVENT_TABLES = {"email": ("events",), "web": ("identifies", "tracks", "pages", "screens", "groups", "aliases")}


def _reader_alone(name: str) -> None:
    """The source's batch reader alone (parse, validate, dedup, Arrow; no dlt, no load) over the same bucket
    folder, in the batches the source uses: the events/s the reader itself reaches, per wall and CPU second."""
    import importlib
    import resource

    from c360.settings import SOURCES
    from benchmarks.bench_pipeline import PeakRss
    from ingestion.common import EventScratch

    helpers = importlib.import_module(f"ingestion.{name}.helpers")
    settings = importlib.import_module(f"ingestion.{name}.settings")
    root = Path(os.environ[SOURCES[name].env("bucket_url")])
    files = sorted(p for p in root.glob(settings.FILE_GLOB) if p.is_file())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu0, t0, events = usage.ru_utime + usage.ru_stime, time.perf_counter(), 0
    with PeakRss(interval=0.05) as rss, rss.phase() as memory, EventScratch() as scratch:
        batch: list[tuple[str, bytes]] = []
        for i, path in enumerate(files):
            batch.append((path.as_uri(), path.read_bytes()))
            if sum(len(d) for _, d in batch) >= settings.BATCH_BYTES or i == len(files) - 1:
                out = helpers.read_batch(scratch, batch)
                tables = [out.events] if name == "email" else list(out.tables.values())
                events += sum(t.num_rows for t in tables if t is not None) + len(out.quarantine)
                batch = []
    usage = resource.getrusage(resource.RUSAGE_SELF)
    seconds, cpu = time.perf_counter() - t0, usage.ru_utime + usage.ru_stime - cpu0
    print(f"{'':8s} reader alone: {events:,d} events in {seconds:.1f} s = {events / seconds:,.0f} events/s "
          f"(CPU {cpu:.1f} s = {events / cpu:,.0f} events per CPU second); peak RSS {memory['peak_mib']:,.0f} MiB")


def _load_all(label: str, sources: list[str], work: Path, pipelines: Any, email_merge_strategy: str) -> None:
    """Runs each source once and prints its figures, then the total."""
    from benchmarks.bench_pipeline import PeakRss  # sampled RSS of this process tree (dlt runs in-process)
    from ingestion.email import email

    print(f"-- {label}")
    total_rows, total_s = 0, 0.0
    for name in sources:
        # the email source built here only to try another merge strategy; the others as configured
        source = email(merge_strategy=email_merge_strategy) if name == "email" else None
        t0, c0 = time.perf_counter(), time.process_time()
        with PeakRss(interval=0.05) as rss, rss.phase() as memory:
            report = pipelines.run_source(name, pipelines_dir=work / "dlt", source=source)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        trace = pipelines.make_pipeline(name, pipelines_dir=work / "dlt").last_trace
        steps = {s.step: (s.finished_at - s.started_at).total_seconds() for s in trace.steps if s.finished_at}
        rows = report.loaded_total + report.quarantined
        total_rows += rows
        total_s += seconds
        print(
            f"{name:8s} {rows:>10,d} rows ({report.loaded_total:,d} loaded incl. child tables, "
            f"{report.quarantined:,d} quarantined) in {seconds:7.1f} s = {rows / seconds:>9,.0f} rows/s  "
            f"[extract {steps.get('extract', 0):.1f} s, normalize {steps.get('normalize', 0):.1f} s, "
            f"load {steps.get('load', 0):.1f} s; process CPU {cpu:.1f} s; peak RSS {memory['peak_mib']:,.0f} MiB]"
        )
        if name in EVENT_TABLES:
            # events read = events loaded + events (and files) quarantined
            events = sum(report.loaded.get(t, 0) for t in EVENT_TABLES[name]) + report.quarantined
            print(f"{'':8s} {events:>10,d} events: {events / seconds:>9,.0f} events/s over the whole run")
            _reader_alone(name)
    print(f"{'total':8s} {total_rows:>10,d} rows in {total_s:7.1f} s = {total_rows / max(total_s, 1e-9):>9,.0f} rows/s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000, help="customers to generate (default 100000)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, help="sample folder (default: a temporary folder, removed afterwards)")
    parser.add_argument("--reuse", action="store_true", help="load an existing sample in --out instead of generating")
    parser.add_argument("--sources", default="sales,support,email,web", help="comma-separated sources to load")
    parser.add_argument("--email-merge-strategy", default="insert-only",
                        choices=["insert-only", "delete-insert", "upsert"], help="merge strategy of raw_email")
    parser.add_argument("--work-dir", type=Path, help="where the benchmark warehouse goes (default: temporary)")
    parser.add_argument("--increment", action="store_true",
                        help="after the first load, generate the next increment into the sample and load it too")
    args = parser.parse_args(argv)
    if args.customers < 1:
        parser.error("--customers must be at least 1")
    if args.reuse and not (args.out and (args.out / "manifest.json").exists()):
        parser.error("--reuse needs --out pointing at a generated sample (with manifest.json)")
    sources = [s.strip() for s in args.sources.split(",") if s.strip()]

    from ingestion import pipelines
    from samples.generator import generate
    from samples.environment import serve_sample

    for name in sources:
        if name not in pipelines.SOURCES:
            parser.error(f"unknown source {name!r}: choose from {', '.join(pipelines.SOURCES)}")

    tmp = Path(tempfile.mkdtemp(prefix="c360-bench-"))
    sample = args.out or tmp / "sample"
    work = args.work_dir or tmp
    work.mkdir(parents=True, exist_ok=True)
    print(f"machine: {_cpu_count()} cores, {_memory_gib():.0f} GiB, {platform.python_implementation()} "
          f"{platform.python_version()}; load average {os.getloadavg()[0]:.1f} at start")
    try:
        if args.reuse:
            print(f"sample: reusing {sample}")
        else:
            t0 = time.perf_counter()
            generate(out=sample, customers=args.customers, seed=args.seed)
            gen_s = time.perf_counter() - t0
            print(f"generate: {args.customers} customers in {gen_s:.1f} s -> {sample}")
        manifest = json.loads((sample / "manifest.json").read_text())
        written = {t: e["written"] for t, e in manifest["batches"][0]["tables"].items()}
        print("generated records: " + ", ".join(f"{t}={n}" for t, n in written.items()))

        warehouse = work / "bench-warehouse.duckdb"
        for leftover in (warehouse, work / "bench-warehouse.duckdb.wal"):
            leftover.unlink(missing_ok=True)
        shutil.rmtree(work / "dlt", ignore_errors=True)
        os.environ.update(C360_WAREHOUSE=str(warehouse), C360_SAMPLE_DIR=str(sample))
        with serve_sample(sample, rate_limit=10_000_000, incremental_rate_limit=10_000_000):
            _load_all("first load", sources, work, pipelines, args.email_merge_strategy)
            if args.increment:
                t0 = time.perf_counter()
                entry = generate(out=sample, customers=args.customers, seed=args.seed, increment=True)
                print(f"generate increment: {time.perf_counter() - t0:.1f} s; records: "
                      + ", ".join(f"{t}={e['written']}" for t, e in entry["tables"].items()))
                _load_all("increment", sources, work, pipelines, args.email_merge_strategy)
        print(f"warehouse {warehouse.stat().st_size / 2**20:.0f} MiB (email merge strategy: "
              f"{args.email_merge_strategy}); load average {os.getloadavg()[0]:.1f} at end")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # holds the sample/warehouse only when no folder was given
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
