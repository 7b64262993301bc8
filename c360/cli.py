"""The `c360` command: the one entry point. It only wires subcommands to the package that owns them
(orchestration: run, ingest, demo, ui; quality: quality, publish; samples: generate, zendesk-server,
evaluate; settings: config). Every subcommand imports its machinery lazily so `c360 --help` is instant.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {value}")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of at least 0, got {value}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number between 1 and 65535, got {value}")
    return value


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def cmd_generate(args: argparse.Namespace) -> int:
    from samples.generator import generate

    batch = generate(
        out=Path(args.out),
        customers=args.customers,
        seed=args.seed,
        messiness=args.messiness,
        increment=args.increment,
        profile=args.profile,
        reference_date=args.reference_date,
    )
    written = sum(t["written"] for t in batch["tables"].values())
    kind = "increment" if args.increment else "sample source systems"
    print(f"wrote {kind} (batch {batch['batch']}, {written:,} records) to {args.out}")
    return 0


def cmd_zendesk_server(args: argparse.Namespace) -> int:
    from samples.zendesk_server import serve

    serve(
        data_dir=Path(args.data_dir),
        host=args.host,
        port=args.port,
        rate_limit=args.rate_limit,
        incremental_rate_limit=args.incremental_rate_limit,
    )
    return 0


def cmd_sendgrid_webhook(args: argparse.Namespace) -> int:
    from ingestion.email.webhook import WebhookConfigError, serve

    try:
        serve(host=args.host, port=args.port, bucket_url=args.bucket_url, workers=args.workers)
    except WebhookConfigError as exc:
        print(f"c360 sendgrid-webhook: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    import json

    from c360.settings import warehouse_path
    from samples.evaluation import evaluate

    truth = Path(args.truth)
    if not truth.exists():
        print(f"error: --truth {truth} does not exist (point it at the truth.csv that `c360 generate` wrote)", file=sys.stderr)
        return 2
    if args.must_not_merge and not Path(args.must_not_merge).exists():
        print(f"error: --must-not-merge {args.must_not_merge} does not exist", file=sys.stderr)
        return 2
    result = evaluate(warehouse=Path(args.warehouse) if args.warehouse else warehouse_path(), truth_csv=truth,
                      must_not_merge_csv=Path(args.must_not_merge) if args.must_not_merge else None)
    print(json.dumps(result, indent=2))
    return 0


def cmd_quality(args: argparse.Namespace) -> int:
    from quality.runner import cli_quality

    return cli_quality(args)


def cmd_publish(args: argparse.Namespace) -> int:
    from quality.runner import cli_publish

    return cli_publish(args)


def cmd_run(args: argparse.Namespace) -> int:
    from orchestration.runner import main_run

    return main_run(args.job, persist=args.persist)


def cmd_ingest(args: argparse.Namespace) -> int:
    from orchestration.constants import ingest_job_name
    from orchestration.runner import main_run

    return main_run(ingest_job_name(args.source), persist=args.persist)


def cmd_demo(args: argparse.Namespace) -> int:
    from orchestration.demo import run_demo

    return run_demo(
        customers=args.customers,
        seed=args.seed,
        messiness=args.messiness,
        sample=Path(args.sample_dir) if args.sample_dir else None,
        profile=args.profile,
    )


def cmd_ui(args: argparse.Namespace) -> int:
    from orchestration.ui import serve_ui

    return serve_ui(host=args.host, port=args.port, daemon=not args.no_daemon, sample=args.sample)


def cmd_config(args: argparse.Namespace) -> int:
    from c360.settings import describe

    rows = describe()
    width = max(len(r["setting"]) for r in rows)
    for r in rows:
        value = r["value"] or (f"(unset; default {r['default']})" if r["default"] else "(unset)")
        print(f"{r['setting']:<{width}}  {value}\n{'':<{width}}  {r['what']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="c360", description="c360: the open-source customer 360 warehouse.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("generate", help="write sample source systems (sales, support, email, web) and truth.csv")
    p.add_argument("--customers", type=_positive_int, default=1000, help="number of people to generate (default 1000)")
    p.add_argument("--seed", type=int, default=42, help="random seed; the same seed writes the same data (default 42)")
    p.add_argument("--out", default="data/sample", help="output folder (default data/sample)")
    p.add_argument("--messiness", type=_non_negative_float, default=1.0,
                   help="scales every messiness rate; 0 = clean, 1 = realistic default (default 1.0)")
    p.add_argument("--profile", choices=("default", "hard"), default="default",
                   help="hard: doubled messiness plus households, shared e-mails/phones/cookies, surname changes, "
                        "alias-only cookies and must_not_merge.csv (docs/readme/generator.md); an increment "
                        "continues the folder's own profile (default: default)")
    p.add_argument("--increment", action="store_true", help="add the next increment onto an existing --out folder")
    p.add_argument("--reference-date", type=_date, default=None, metavar="YYYY-MM-DD",
                   help="the day the sample ends (00:00 UTC; default today, so freshness checks pass on a new sample); "
                   "fix it for reproducible files; an increment continues its folder's date")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("zendesk-server", help="serve a generated support/ folder as a Zendesk-compatible API on loopback")
    p.add_argument("--data-dir", default="data/sample/support", help="the support/ folder written by `c360 generate`")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--rate-limit", type=_positive_int, default=700,
                   help="account-wide requests per minute before HTTP 429 (default 700, Zendesk's Enterprise plan)")
    p.add_argument("--incremental-rate-limit", type=_positive_int, default=10,
                   help="requests per minute to the incremental exports before HTTP 429 (default 10, as Zendesk)")
    p.set_defaults(func=cmd_zendesk_server)

    p = sub.add_parser("sendgrid-webhook", help="receive SendGrid Event Webhook POSTs into the email source's folder or bucket",
                       description="Accepts SendGrid Event Webhook batches (JSON arrays of events), verifies the Signed "
                       "Event Webhook signature when SOURCES__EMAIL__WEBHOOK_PUBLIC_KEY is set, and stores each batch "
                       "atomically as a file under SOURCES__EMAIL__BUCKET_URL, where `c360 ingest --source email` reads it.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 for all)")
    p.add_argument("--port", type=_port, default=8766, help="port to listen on (default 8766)")
    p.add_argument("--bucket-url", help="folder or fsspec bucket URL (default: SOURCES__EMAIL__BUCKET_URL or <C360_SAMPLE_DIR>/email)")
    p.add_argument("--workers", type=_positive_int, default=1, help="uvicorn worker processes (default 1)")
    p.set_defaults(func=cmd_sendgrid_webhook)

    p = sub.add_parser("evaluate", help="score identity resolution against a ground-truth CSV; prints JSON")
    p.add_argument("--truth", required=True, help="CSV with columns source, source_record_id, person_id")
    p.add_argument("--warehouse", help="warehouse DuckDB file (default: C360_WAREHOUSE or data/warehouse.duckdb)")
    p.add_argument("--must-not-merge", dest="must_not_merge",
                   help="CSV of record pairs that must stay apart (default: must_not_merge.csv next to --truth, if any)")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("quality", help="run the expectation suites on the warehouse; exit 1 if a critical one fails",
                       description="Validates the raw, identity and marts layers (quality/expectations.yml), records "
                       "the results in quality.validation_results and writes the steward report (C360_QUALITY_DIR, "
                       "default data/quality/index.html).")
    p.add_argument("--warehouse", help="warehouse DuckDB file (default: C360_WAREHOUSE or data/warehouse.duckdb)")
    p.add_argument("--layer", action="append", choices=("raw", "identity", "marts"),
                   help="validate only this layer (repeatable; default: all three)")
    p.add_argument("--run-id", help="id to record the results under (default: a new time-based id)")
    p.add_argument("--quality-dir", help="where Data Docs and reports go (default: C360_QUALITY_DIR or data/quality)")
    p.add_argument("--publish", action="store_true", help="then publish the marts if no critical expectation failed")
    p.set_defaults(func=cmd_quality)

    p = sub.add_parser("publish", help="publish the marts (DuckDB + Parquet) if the quality run had no critical failure")
    p.add_argument("--warehouse", help="warehouse DuckDB file (default: C360_WAREHOUSE or data/warehouse.duckdb)")
    p.add_argument("--run-id", help="the quality run that must have passed (default: the latest recorded run)")
    p.set_defaults(func=cmd_publish)

    from c360.settings import SOURCE_NAMES as SOURCES
    from orchestration.constants import job_names

    p = sub.add_parser("run", help="run the whole pipeline (or one job) in this process, printing progress and a summary",
                       description="Runs a c360 Dagster job in this process: by default the full pipeline (load the four "
                       "sources, dbt build, quality checks, publication). Sources are configured with SOURCES__* "
                       "settings (env vars or .dlt/secrets.toml); `c360 demo` sets them up for the sample data.")
    p.add_argument("--job", choices=job_names(), default="full_pipeline_job", help="the job to run (default full_pipeline_job)")
    p.add_argument("--persist", action="store_true",
                   help="record the run in C360_DAGSTER_HOME (default data/dagster) so `c360 ui` shows it")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("ingest", help="load one source into its raw dataset (runs the ingest_<source>_job)")
    p.add_argument("--source", required=True, choices=SOURCES, help="the source system to load")
    p.add_argument("--persist", action="store_true",
                   help="record the run in C360_DAGSTER_HOME (default data/dagster) so `c360 ui` shows it")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("demo", help="generate sample source systems (or reuse them), serve them and run the whole pipeline",
                       description="Generates the sample source systems into data/sample (reused when the settings are "
                       "the same), starts the Zendesk-compatible API on a free loopback port with a random token, points "
                       "the SOURCES__* settings at the sample for this process only, and runs `c360 run`.")
    p.add_argument("--customers", type=_positive_int, default=2000, help="number of sample people (default 2000)")
    p.add_argument("--seed", type=int, default=42, help="random seed of the sample (default 42)")
    p.add_argument("--messiness", type=_non_negative_float, default=1.0, help="messiness of the sample (default 1.0)")
    p.add_argument("--profile", choices=("default", "hard"), default="default",
                   help="generator profile of the sample (see `c360 generate --help`; default: default)")
    p.add_argument("--sample-dir", help="where the sample goes (default: C360_SAMPLE_DIR or data/sample)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("config", help="list every setting with its meaning, default and whether it is set (secrets masked)")
    p.set_defaults(func=cmd_config)

    p = sub.add_parser("ui", help="start the Dagster UI (asset graph, runs, schedules, sensors) on the same definitions",
                       description="Starts `dagster dev` (web server + daemon, so schedules and sensors run) on "
                       "orchestration.definitions with DAGSTER_HOME = C360_DAGSTER_HOME (default data/dagster).")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=3000, help="port to listen on (default 3000)")
    p.add_argument("--no-daemon", action="store_true", help="only the web server: no schedules, sensors or run queue")
    p.add_argument("--sample", action="store_true",
                   help="point the sources at the generated sample (as `c360 demo` does) while the UI runs")
    p.set_defaults(func=cmd_ui)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
