"""The `c360` command: the one entry point. It only wires subcommands to the package that owns them
(orchestration: run, ingest, demo, ui; quality: quality, publish; activation: export; samples: generate,
zendesk-server, evaluate; settings: config). Every subcommand imports its machinery lazily so `c360 --help` is instant.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from c360.argtypes import non_negative_float, port, positive_int
from samples.cli import add_commands as add_sample_commands


def cmd_sendgrid_webhook(args: argparse.Namespace) -> int:
    from ingestion.email.webhook import WebhookConfigError, serve

    try:
        serve(host=args.host, port=args.port, bucket_url=args.bucket_url, workers=args.workers)
    except WebhookConfigError as exc:
        print(f"c360 sendgrid-webhook: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_identity_train(args: argparse.Namespace) -> int:
    from c360.settings import warehouse_path
    from identity import model

    warehouse = Path(args.warehouse) if args.warehouse else warehouse_path()
    if not warehouse.exists():
        print(f"error: warehouse {warehouse} does not exist (set C360_WAREHOUSE or pass --warehouse)", file=sys.stderr)
        return 2
    out = Path(args.out).resolve() if args.out else model.configured_model_path()
    try:
        trained, seconds = model.timed_train(warehouse, out, seed=args.seed)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"identity model trained on {warehouse} in {seconds:.1f} s "
          f"(prior match probability {trained['probability_two_random_records_match']:.3g}); written to {out}")
    return 0


def cmd_identity_review(args: argparse.Namespace) -> int:
    from c360.settings import quality_dir, warehouse_path
    from identity.review import write_queue

    warehouse = Path(args.warehouse) if args.warehouse else warehouse_path()
    out = Path(args.out) if args.out else quality_dir() / "identity_review_queue.csv"
    try:
        pairs = write_queue(warehouse, out)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{pairs:,} uncertain matches to review written to {out}")
    return 0


def cmd_identity_decide(args: argparse.Namespace) -> int:
    from c360.settings import ConfigError
    from identity.review import decide, overrides_path

    try:
        decision = decide(args.record_a, args.record_b, same=args.same, decided_by=args.by, reason=args.reason or "")
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"recorded {decision['action']} of {args.record_a} and {args.record_b} in {overrides_path()}; "
          "the next run applies it")
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


def cmd_export_segment(args: argparse.Namespace) -> int:
    from activation.export import cli_export

    return cli_export(args)


def cmd_erase(args: argparse.Namespace) -> int:
    from privacy.erase import cli_erase

    return cli_erase(args)


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

    add_sample_commands(sub)  # generate, zendesk-server, evaluate (samples/cli.py)

    p = sub.add_parser("sendgrid-webhook", help="receive SendGrid Event Webhook POSTs into the email source's folder or bucket",
                       description="Accepts SendGrid Event Webhook batches (JSON arrays of events), verifies the Signed "
                       "Event Webhook signature when SOURCES__EMAIL__WEBHOOK_PUBLIC_KEY is set, and stores each batch "
                       "atomically as a file under SOURCES__EMAIL__BUCKET_URL, where `c360 ingest --source email` reads it.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 for all)")
    p.add_argument("--port", type=port, default=8766, help="port to listen on (default 8766)")
    p.add_argument("--bucket-url", help="folder or fsspec bucket URL (default: SOURCES__EMAIL__BUCKET_URL)")
    p.add_argument("--workers", type=positive_int, default=1, help="uvicorn worker processes (default 1)")
    p.set_defaults(func=cmd_sendgrid_webhook)

    p = sub.add_parser("identity", help="identity resolution model: `c360 identity train` re-estimates it on the warehouse")
    identity_sub = p.add_subparsers(dest="identity_command", metavar="ACTION", required=True)
    t = identity_sub.add_parser(
        "train",
        help="estimate the probabilistic identity model (u by random sampling, m by EM) on the built warehouse and "
             "write it (default: dbt var identity_model_path); pipeline runs only predict with it",
    )
    t.add_argument("--warehouse", help="warehouse DuckDB file (default: C360_WAREHOUSE or data/warehouse.duckdb)")
    t.add_argument("--out", help="model file to write (default: the file of dbt var identity_model_path)")
    t.add_argument("--seed", type=int, default=1, help="seed of the random sampling of pairs for u (default 1)")
    t.set_defaults(func=cmd_identity_train)
    r = identity_sub.add_parser("review", help="write the queue of uncertain matches (marts.identity_review_queue) as CSV")
    r.add_argument("--warehouse", help="warehouse DuckDB file (default: C360_WAREHOUSE or data/warehouse.duckdb)")
    r.add_argument("--out", help="CSV to write (default: C360_QUALITY_DIR/identity_review_queue.csv)")
    r.set_defaults(func=cmd_identity_review)
    d = identity_sub.add_parser("decide", help="record a steward's decision on a pair (applied by the next run)")
    d.add_argument("record_a", help="first record as SOURCE:ID (node_key_a of the review queue)")
    d.add_argument("record_b", help="second record as SOURCE:ID (node_key_b of the review queue)")
    same = d.add_mutually_exclusive_group(required=True)
    same.add_argument("--same", dest="same", action="store_true", help="the two records are the same person")
    same.add_argument("--different", dest="same", action="store_false", help="they are different people")
    d.add_argument("--by", required=True, help="who decides (kept in the overrides file)")
    d.add_argument("--reason", help="why (kept in the overrides file)")
    d.set_defaults(func=cmd_identity_decide)

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
    p.add_argument("--customers", type=positive_int, default=2000, help="number of sample people (default 2000)")
    p.add_argument("--seed", type=int, default=42, help="random seed of the sample (default 42)")
    p.add_argument("--messiness", type=non_negative_float, default=1.0, help="messiness of the sample (default 1.0)")
    p.add_argument("--profile", choices=("default", "hard"), default="default",
                   help="generator profile of the sample (see `c360 generate --help`; default: default)")
    p.add_argument("--sample-dir", help="where the sample goes (default: C360_SAMPLE_DIR or data/sample)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("export", help="export customers for other tools (`c360 export segment NAME`)")
    export = p.add_subparsers(dest="export_command", metavar="WHAT", required=True)
    p = export.add_parser("segment", help="the emailable customers of a segment as SendGrid contacts CSV, CSV and Parquet",
                          description="Writes the customers of segment NAME (marts.customer_segments.segment) and/or of "
                          "a SQL filter over the marts (customer_360, customer_segments, channel_preference columns) "
                          "as a SendGrid Marketing Contacts CSV, a generic CSV and Parquet in C360_EXPORTS_DIR, leaving "
                          "out customers without an email, unsubscribed, complained or hard-bounced; records the "
                          "export in the warehouse table activation.exports.")
    p.add_argument("name", nargs="?", help="the segment, e.g. Champions (case-insensitive; optional with --where)")
    p.add_argument("--where", help="SQL condition over the audience row, e.g. \"value_tier = 'platinum'\"")
    p.add_argument("--format", action="append", choices=("sendgrid", "csv", "parquet"),
                   help="file to write (repeatable; default: all three)")
    p.add_argument("--out", help="folder for the files (default: C360_EXPORTS_DIR or data/exports)")
    p.add_argument("--source", help="DuckDB file with the marts (default: C360_PUBLISHED, the published marts)")
    p.add_argument("--warehouse-source", action="store_true", help="read the marts from the warehouse instead")
    p.add_argument("--warehouse", help="warehouse that records the export (default: C360_WAREHOUSE)")
    p.set_defaults(func=cmd_export_segment)
    p = sub.add_parser("erase", help="erase one person from the warehouse, publications and reports; loads never bring them back",
                       description="Resolves the person through identity resolution (marts.identity_map), removes every "
                       "record of theirs from raw, quarantine, intermediate and mart tables, the published DuckDB, every "
                       "kept Parquet version and the reports, records tombstones (salted hashes) that later loads honour, "
                       "and an audit row in privacy.erasures. Give exactly one identifier.")
    p.add_argument("--email", help="an email address of the person")
    p.add_argument("--customer-id", help="the c360 customer id (marts.customer_360.customer_id)")
    p.add_argument("--source-record", help="one source record of the person, SOURCE:ID (e.g. sales:10002, support:372000000085)")
    p.add_argument("--dry-run", action="store_true", help="only show what would be removed")
    p.set_defaults(func=cmd_erase)

    p = sub.add_parser("config", help="list every setting with its meaning, default and whether it is set (secrets masked)")
    p.set_defaults(func=cmd_config)

    p = sub.add_parser("ui", help="start the Dagster UI (asset graph, runs, schedules, sensors) on the same definitions",
                       description="Starts `dagster dev` (web server + daemon, so schedules and sensors run) on "
                       "orchestration.definitions with DAGSTER_HOME = C360_DAGSTER_HOME (default data/dagster).")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=port, default=3000, help="port to listen on (default 3000)")
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
