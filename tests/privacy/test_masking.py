"""Least exposure: the published marts in masked form (settings choose keep / hash / drop per kind of personal
data), and quarantine examples on the steward page masked — on a real quality run and publication."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb

from privacy import mask_pii
from quality import run_quality
from tests.quality.quality_factory import build_warehouse, execute

PII = {"email": "maria.lopez@example.org", "phone": "+1 415 555 0142", "first_name": "Maria",
       "last_name": "Lopez", "address": {"street": "7 Quayside Lane", "city": "Portsmouth"}}
HEX64 = re.compile(r"[0-9a-f]{64}")


def _warehouse(tmp_path: Path) -> Path:
    wh = build_warehouse(tmp_path / "warehouse.duckdb", customers=60)
    execute(wh,
            # the factory's golden record has no phone, street or birth date: give every customer one
            "alter table marts.customer_360 add column street varchar",
            "alter table marts.customer_360 add column postal_code varchar",
            "alter table marts.customer_360 add column birth_date date",
            "update marts.customer_360 set phone = '+4477009' || lpad(substr(customer_id, 2), 5, '0'), "
            "street = substr(customer_id, 2) || ' Harbour Road', postal_code = 'PO1 ' || substr(customer_id, 2), "
            "birth_date = date '1980-01-01' + cast(substr(customer_id, 2) as integer)",
            "insert into raw_sales.quarantine values ('sales', 'customers', 'sales.customers', 'missing_key: id', "
            f"'{json.dumps(PII)}', now())",
            "insert into raw_sales.quarantine values ('sales', 'orders', 'sales.orders', 'unparseable: not JSON', "
            "'name=Maria Lopez;mail=maria.lopez@example.org;tel +1 415 555 0142', now())")
    return wh


def _publish(tmp_path: Path, wh: Path, run_id: str):
    run = run_quality(wh, run_id, quality_dir=tmp_path / "quality", publish_marts=True,
                      published_path=tmp_path / "published.duckdb", parquet_dir=tmp_path / "published")
    assert run.publication is not None and run.publication.published, run.publication
    return run


def _mart(db: Path) -> list[dict]:
    with duckdb.connect(str(db), read_only=True) as con:
        cur = con.execute("select * from marts.customer_360 order by customer_id")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]


def test_masked_publication_has_no_plain_email_or_phone(tmp_path, monkeypatch):
    monkeypatch.delenv("C360_PRIVACY_SALT", raising=False)
    monkeypatch.setenv("C360_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    wh = _warehouse(tmp_path)
    with duckdb.connect(str(wh), read_only=True) as con:
        plain = con.execute("select customer_id, email, phone from marts.customer_360 order by 1").fetchall()

    # default (keep): the full form, as before — the check below can see plain values
    _publish(tmp_path, wh, "full")
    assert [(r["customer_id"], r["email"], r["phone"]) for r in _mart(tmp_path / "published.duckdb")] == plain

    for kind, mode in (("EMAIL", "hash"), ("PHONE", "hash"), ("ADDRESS", "drop"), ("BIRTH_DATE", "drop")):
        monkeypatch.setenv(f"C360_PUBLISHED_MASK_{kind}", mode)
    _publish(tmp_path, wh, "masked")
    rows = _mart(tmp_path / "published.duckdb")
    assert [r["customer_id"] for r in rows] == [p[0] for p in plain]
    assert not {"street", "postal_code", "birth_date"} & set(rows[0]), "dropped columns are gone"
    assert "order_count" in rows[0] and "csat" in rows[0], "other columns stay"
    assert all(HEX64.fullmatch(r["email"]) and HEX64.fullmatch(r["phone"]) for r in rows)
    assert len({r["email"] for r in rows}) == len({p[1] for p in plain}), "one hash per address: still countable"
    # the salt was generated into the warehouse (no C360_PRIVACY_SALT), and hashes repeat across publications
    with duckdb.connect(str(wh), read_only=True) as con:
        assert con.execute("select count(*) from privacy.salt where salt is not null").fetchone()[0] == 1
    _publish(tmp_path, wh, "masked-again")
    assert [r["email"] for r in _mart(tmp_path / "published.duckdb")] == [r["email"] for r in rows]

    # no plain email or phone in the bytes of the published file or of the current Parquet version
    current = (tmp_path / "published" / "current").resolve()
    for path in [tmp_path / "published.duckdb", *current.glob("*.parquet")]:
        data = path.read_bytes()
        for _, email, phone in plain:
            assert email.encode() not in data and phone.encode() not in data, (path, email)


def test_steward_report_shows_no_plain_personal_data_from_quarantine(tmp_path, monkeypatch):
    monkeypatch.setenv("C360_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    wh = _warehouse(tmp_path)
    _publish(tmp_path, wh, "report")
    pages = [p for p in (tmp_path / "quality").rglob("*.html")]
    index = (tmp_path / "quality" / "index.html").read_text()
    assert "Rejected at load" in index and "m***@***.org" in index, "the quarantine examples are on the page, masked"
    for page in pages:
        text = page.read_text(errors="replace")
        for secret in ("maria.lopez@example.org", "Maria", "Lopez", "Quayside", "Portsmouth", "415 555 0142"):
            assert secret not in text, (page, secret)


def test_mask_pii_masks_json_fields_and_text_shapes():
    masked = json.loads(mask_pii(json.dumps({"id": 7, "traits": PII, "ts": "2026-01-05T18:27:39Z"})))
    assert masked["id"] == 7 and masked["ts"] == "2026-01-05T18:27:39Z"
    assert masked["traits"]["email"] == "m***@***.org" and masked["traits"]["phone"] == "***42"
    assert masked["traits"]["address"]["street"] == "7***"
    assert mask_pii("mail jo.x@web.de, tel (030) 1234567 on 2026-01-05") == "mail j***@***.de, tel ***67 on 2026-01-05"
    assert mask_pii(None) is None and mask_pii("") == ""
