"""The sample systems' subcommands of `c360`: generate, zendesk-server and evaluate.

:func:`add_commands` adds them to the one CLI (c360/cli.py), which only wires them. The machinery is imported
when a command runs, so `c360 --help` stays instant.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from c360.argtypes import iso_date, non_negative_float, positive_int


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


def cmd_evaluate(args: argparse.Namespace) -> int:
    from c360.settings import warehouse_path
    from samples.evaluation import evaluate

    truth = Path(args.truth)
    if not truth.exists():
        print(f"error: --truth {truth} does not exist (point it at the truth.csv that `c360 generate` wrote)", file=sys.stderr)
        return 2
    if args.must_not_merge and not Path(args.must_not_merge).exists():
        print(f"error: --must-not-merge {args.must_not_merge} does not exist", file=sys.stderr)
        return 2
    from c360.locks import WarehouseBusy, warehouse_writer

    warehouse = Path(args.warehouse) if args.warehouse else warehouse_path()
    if not warehouse.exists():
        print(f"error: the warehouse {warehouse} does not exist: run `c360 run` first (or fix C360_WAREHOUSE)",
              file=sys.stderr)
        return 2

    def say(message: str) -> None:
        print(f"c360 evaluate: {message}", file=sys.stderr, flush=True)

    try:
        # DuckDB refuses even a read-only open while a step writes: wait for that step, then read
        with warehouse_writer(say=say, warehouse=warehouse):
            result = evaluate(warehouse=warehouse, truth_csv=truth,
                              must_not_merge_csv=Path(args.must_not_merge) if args.must_not_merge else None)
    except WarehouseBusy as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2))
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add ``generate``, ``zendesk-server`` and ``evaluate`` to the subcommands of the `c360` parser."""
    p = sub.add_parser("generate", help="write sample source systems (sales, support, email, web) and truth.csv")
    p.add_argument("--customers", type=positive_int, default=1000, help="number of people to generate (default 1000)")
    p.add_argument("--seed", type=int, default=42, help="random seed; the same seed writes the same data (default 42)")
    p.add_argument("--out", default="data/sample", help="output folder (default data/sample)")
    p.add_argument("--messiness", type=non_negative_float, default=1.0,
                   help="scales every messiness rate; 0 = clean, 1 = realistic default (default 1.0)")
    p.add_argument("--profile", choices=("default", "hard"), default="default",
                   help="hard: doubled messiness plus households, shared e-mails/phones/cookies, surname changes, "
                        "alias-only cookies and must_not_merge.csv (docs/readme/generator.md); an increment "
                        "continues the folder's own profile (default: default)")
    p.add_argument("--increment", action="store_true", help="add the next increment onto an existing --out folder")
    p.add_argument("--reference-date", type=iso_date, default=None, metavar="YYYY-MM-DD",
                   help="the day the sample ends (00:00 UTC; default today, so freshness checks pass on a new sample); "
                   "fix it for reproducible files; an increment continues its folder's date")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("zendesk-server", help="serve a generated support/ folder as a Zendesk-compatible API on loopback")
    p.add_argument("--data-dir", default="data/sample/support", help="the support/ folder written by `c360 generate`")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--rate-limit", type=positive_int, default=700,
                   help="account-wide requests per minute before HTTP 429 (default 700, Zendesk's Enterprise plan)")
    p.add_argument("--incremental-rate-limit", type=positive_int, default=10,
                   help="requests per minute to the incremental exports before HTTP 429 (default 10, as Zendesk)")
    p.set_defaults(func=cmd_zendesk_server)

    p = sub.add_parser("evaluate", help="score identity resolution against a ground-truth CSV; prints JSON")
    p.add_argument("--truth", required=True, help="CSV with columns source, source_record_id, person_id")
    p.add_argument("--warehouse", help="warehouse DuckDB file (default: C360_WAREHOUSE or data/warehouse.duckdb)")
    p.add_argument("--must-not-merge", dest="must_not_merge",
                   help="CSV of record pairs that must stay apart (default: must_not_merge.csv next to --truth, if any)")
    p.set_defaults(func=cmd_evaluate)
