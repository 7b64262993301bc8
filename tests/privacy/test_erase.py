"""`c360 erase` on a real pipeline run: the person is gone from every table, file and report, stays gone after the
same source files are delivered again and after `dbt build --full-refresh`, and the erasure is audited."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb

from c360.cli import main
from orchestration.constants import DBT_BUILD_ARGS
from orchestration.runner import format_summary, run_job
from tests.transform.sample_loader import REPO, dbt


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line] if path.exists() else []


def _person(sample: Path) -> dict:
    """A sales customer with an email and a phone who also has a Zendesk user and SendGrid events; one whose
    Zendesk user has a second address (a secondary identity) if the sample has such a person."""
    support = _jsonl(sample / "support" / "users.jsonl")
    support_emails = {u["email"].strip().lower(): u["id"] for u in support if u.get("email")}
    secondary: dict[int, list[str]] = {}
    for identity in _jsonl(sample / "support" / "user_identities.jsonl"):
        if identity["type"] == "email" and not identity["primary"]:
            secondary.setdefault(identity["user_id"], []).append(identity["value"].strip().lower())
    events = " ".join(p.read_text() for p in (sample / "email").rglob("*.json")).lower()
    con = sqlite3.connect(sample / "sales.sqlite")
    rows = con.execute("select c.id, c.email, c.phone, count(o.id) from customers c join orders o on o.customer_id = c.id "
                       "where c.email like '%@%' and length(c.phone) >= 10 group by 1, 2, 3 order by 4 desc, 1").fetchall()
    con.close()
    found = [{"id": cid, "email": email.strip(), "phone": phone.strip(),
              "secondary": secondary.get(support_emails[email.strip().lower()], [])}
             for cid, email, phone, _ in rows
             if email.strip().lower() in support_emails and email.strip().lower() in events]
    assert found, "the sample has no customer in sales, support and email"
    return sorted(found, key=lambda p: not p["secondary"])[0]


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _forms(sample: Path, person: dict) -> tuple[set[str], str]:
    """Every way the sources wrote the person's email (lower-cased) and the last 9 digits of the phone."""
    email = person["email"].lower()
    local, domain = email.split("@")
    emails = {email, f"{local.split('+')[0]}@{domain}", *person["secondary"]}
    return emails, _digits(person["phone"])[-9:]


def _hits_in_tables(db: Path, emails: set[str], phone_key: str) -> list[str]:
    """Every text value of every table of ``db`` that holds one of the emails or the phone (digits compared)."""
    found = []
    with duckdb.connect(str(db), read_only=True) as con:
        cols = con.execute("select table_schema, table_name, column_name from information_schema.columns c "
                           "join information_schema.tables t using (table_catalog, table_schema, table_name) "
                           "where t.table_type = 'BASE TABLE' and c.data_type in ('VARCHAR', 'JSON')").fetchall()
        for schema, table, column in cols:
            rel = f'"{schema}"."{table}"'
            col = f'"{column}"::varchar'
            n = con.execute(
                f"select count(*) from {rel} where list_has_any(regexp_extract_all(lower({col}), '[^\\s\"<>,;:]+@[^\\s\"<>,;]+'), ?) "
                f"or contains(regexp_replace({col}, '[^0-9]', '', 'g'), ?)", [sorted(emails), phone_key]).fetchone()[0]
            if n:
                found.append(f"{schema}.{table}.{column}: {n}")
    return found


def _hits_in_files(data: Path, emails: set[str], phone_key: str) -> list[str]:
    """Files under ``data`` whose bytes hold an email or the phone (digits with any separators between them)."""
    phone = re.compile(r"[^0-9]{0,3}".join(re.escape(d) for d in phone_key).encode())
    found = []
    for path in sorted(p for p in data.rglob("*") if p.is_file()):
        raw = path.read_bytes()
        low = raw.lower()
        if any(e.encode() in low for e in emails) or phone.search(raw):
            found.append(str(path.relative_to(data)))
    return found


def _checkpoint(*dbs: Path) -> None:
    for db in dbs:
        if db.exists():
            with duckdb.connect(str(db)) as con:
                con.execute("checkpoint")


def test_erase_survives_redelivery_and_full_refresh(sample, data_dir, sources, capsys):
    person = _person(sample)
    emails, phone_key = _forms(sample, person)
    # a quarantined payload carries the person too: a SendGrid event with an unreadable timestamp
    bad = sample / "email" / "late" / "bad-batch.json"
    bad.parent.mkdir(parents=True)
    bad.write_text(json.dumps([{"email": person["email"], "timestamp": "yesterday", "event": "processed",
                                "sg_event_id": "privacy-test-1", "reason": f"call me on {person['phone']}"}]))

    summary = run_job("full_pipeline_job", instance=dg.DagsterInstance.ephemeral(), echo=lambda _: None)
    assert summary.success, format_summary(summary)
    # every emailable customer exported for another tool: files under the data folder the erasure must clean too
    assert main(["export", "segment", "--where", "true"]) == 0
    warehouse, published = data_dir / "warehouse.duckdb", data_dir / "published.duckdb"
    before = _hits_in_tables(warehouse, emails, phone_key)
    assert any(h.startswith("raw_email.quarantine.payload") for h in before), before
    assert any(h.startswith("marts.customer_360") for h in before) and _hits_in_tables(published, emails, phone_key)
    _checkpoint(warehouse)
    assert "published.duckdb" in _hits_in_files(data_dir, emails, phone_key)  # the byte check can see the person

    # --dry-run shows what would go and changes nothing
    assert main(["erase", "--email", person["email"].upper(), "--dry-run"]) == 0
    shown = capsys.readouterr().out
    assert "would remove" in shown and "raw_sales.customers: 1 row(s)" in shown and "marts.customer_360: 1 row(s)" in shown
    assert _hits_in_tables(warehouse, emails, phone_key) == before

    assert main(["erase", "--email", person["email"].upper()]) == 0
    capsys.readouterr()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        audit = con.execute("select requested_kind, requested_digest, rows_removed, finished_at from privacy.erasures").fetchall()
        kinds = {r[0] for r in con.execute("select distinct kind from privacy.tombstones").fetchall()}
        tombstone_text = " ".join(r[0] for r in con.execute("select digest from privacy.tombstones").fetchall())
        orders_left = con.execute("select count(*) from raw_sales.orders where customer_id = ?", [person["id"]]).fetchone()[0]
    assert len(audit) == 1 and audit[0][0] == "email" and audit[0][3] is not None
    removed = json.loads(audit[0][2])
    assert removed["raw_sales.customers"] == 1 and removed["raw_sales.orders"] >= 1 and removed["raw_sales.order_items"] >= 1
    assert removed["raw_email.quarantine"] >= 1 and removed["marts.customer_360"] == 1
    assert {"email", "phone", "record"} <= kinds and person["email"].lower() not in tombstone_text
    assert orders_left == 0
    # every model table, the incremental staging tables of events included, lost the person at once (not only
    # after the next rebuild)
    assert [h for h in _hits_in_tables(warehouse, emails, phone_key)
            if h.startswith(("staging.", "intermediate.", "marts."))] == []

    # the same source files delivered again: every source re-read from scratch (dlt state forgotten)
    with duckdb.connect(str(warehouse)) as con:
        for (schema,) in con.execute("select distinct table_schema from information_schema.tables "
                                     "where table_name = '_dlt_pipeline_state'").fetchall():
            con.execute(f'delete from "{schema}"._dlt_pipeline_state')
    shutil.rmtree(data_dir / "warehouse.duckdb.dlt")
    for path in (sample / "email").rglob("*.json"):
        path.touch()
    reload = subprocess.run([sys.executable, "-c", "from ingestion.pipelines import run; run(echo=False)"],
                            cwd=REPO, capture_output=True, text=True)
    assert reload.returncode == 0, reload.stderr[-4000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from raw_sales.customers").fetchone()[0] > 0  # the others came back
    dbt(warehouse, *DBT_BUILD_ARGS, "--full-refresh", target_path=data_dir.parent / "dbt-target")

    _checkpoint(warehouse, published)
    assert _hits_in_tables(warehouse, emails, phone_key) == []
    assert _hits_in_tables(published, emails, phone_key) == []
    for parquet in (data_dir / "published" / "versions").rglob("*.parquet"):
        with duckdb.connect() as con:
            con.execute(f"create view p as select * from read_parquet('{parquet}')")
            text = " ".join(str(r) for r in con.execute("select * from p").fetchall()).lower()
        assert not any(e in text for e in emails), parquet
    assert _hits_in_files(data_dir, emails, phone_key) == []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from privacy.erasures").fetchone()[0] == 1
        assert con.execute("select count(*) from marts.customer_360").fetchone()[0] > 0
