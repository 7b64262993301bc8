"""Build a small demo warehouse with a week of quality runs and render the steward page (and a screenshot).

    python scripts/steward_page_demo.py OUT_DIR [--screenshot docs/images/steward-page.png]

Uses the quality tests' warehouse factory (tests/quality/quality_factory.py): six runs, one a day, with more
rows loaded each day, a few records quarantined (with personal data in their payloads, which the page
masks) and, on the last day, a stale source and duplicated orders. The history of the runs is real; only
their timestamps are moved back by whole days afterwards, so the charts span a week.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "quality")]

from quality import run_quality  # noqa: E402
from quality_factory import build_warehouse, execute  # noqa: E402

QUARANTINE = """insert into {ds}.quarantine (source, resource, origin, reason, payload, quarantined_at)
                values ('{src}', '{res}', '{src}.{res}', '{reason}', '{payload}', now() - interval {ago} hour)"""
PAYLOADS = [
    ("raw_sales", "sales", "customers", "missing_key: id",
     '{"first_name": "Maria", "last_name": "Lopez", "email": "maria.lopez@example.org", "phone": "+1 415 555 0142"}'),
    ("raw_sales", "sales", "orders", "invalid_value: status ''lost'' is not one of pending, paid, shipped",
     '{"id": 88412, "customer_id": 17, "status": "lost", "total": "49.90"}'),
    ("raw_email", "email", "events", "invalid_value: event ''opened'' is not a SendGrid event type",
     '{"email": "j.smith@example.com", "event": "opened", "timestamp": 1764400000, "sg_event_id": "x1"}'),
    ("raw_support", "support", "users", "wrong_type: id is not an integer",
     '{"id": "abc", "name": "Tom Becker", "email": "tom@becker.example", "phone": "030 1234567"}'),
    ("raw_web", "web", "identifies", "future_timestamp: 2031-01-01T00:00:00Z",
     '{"anonymous_id": "a-77", "traits": {"email": "li.wei@example.net", "address": {"street": "5 Elm St"}}}'),
]


def build(out: Path) -> Path:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    warehouse = build_warehouse(out / "warehouse.duckdb", customers=600)
    for ds in ("raw_email", "raw_web"):
        execute(warehouse, f"""create table {ds}.quarantine (source varchar, resource varchar, origin varchar,
                               reason varchar, payload varchar, quarantined_at timestamptz)""")
    days = 6
    for day in range(days):
        statements = [QUARANTINE.format(ds=ds, src=src, res=res, reason=reason, payload=payload, ago=0)
                      for i, (ds, src, res, reason, payload) in enumerate(PAYLOADS) if (i + day) % 2 == 0]
        statements += [
            f"insert into raw_email.events select 'd{day}-' || sg_event_id, email, event, timestamp, sg_message_id "
            f"from raw_email.events where sg_event_id like 'sg%' limit {400 + 150 * day}",
            f"insert into raw_web.tracks select 'd{day}-' || message_id, anonymous_id, user_id, event, timestamp "
            f"from raw_web.tracks where message_id like 'm%' limit {300 + 100 * day}",
            f"insert into marts.customer_id_history values ('x{day}', 'c{day + 1}', 'merge', now())",
        ]
        if day == days - 1:  # the last day: the support export stopped, and a duplicated order arrived
            statements += ["update raw_support.tickets set updated_at = updated_at - interval 40 day",
                           "insert into raw_sales.orders select * from raw_sales.orders where id = 7"]
        execute(warehouse, *statements)
        run_quality(warehouse, f"demo-day-{day + 1}", quality_dir=out / "quality", publish_marts=True,
                    published_path=out / "published.duckdb", parquet_dir=out / "published")
        # Move this run (and what it quarantined) back by the days still to come, so the runs span a week.
        back = f"interval {days - 1 - day} day"
        execute(warehouse,
                f"update quality.validation_results set checked_at = checked_at - {back} "
                f"where run_id = 'demo-day-{day + 1}'",
                *[f"update {ds}.quarantine set quarantined_at = quarantined_at - {back} "
                  f"where quarantined_at > now() - interval 1 hour" for ds in ("raw_sales", "raw_support",
                                                                                "raw_email", "raw_web")])
    from quality.report import write_report

    write_report(f"demo-day-{days}", warehouse=warehouse, quality_dir=out / "quality")
    return out / "quality" / "index.html"


def screenshot(page: Path, png: Path, height: int = 2300) -> None:
    png.parent.mkdir(parents=True, exist_ok=True)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--window-size=1100,{height}", f"--screenshot={png}", page.resolve().as_uri()],
                   check=True, capture_output=True, timeout=120)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--screenshot", type=Path)
    parser.add_argument("--height", type=int, default=2300)
    args = parser.parse_args()
    index = build(args.out)
    print(index)
    if args.screenshot:
        screenshot(index, args.screenshot, args.height)
        print(args.screenshot)
