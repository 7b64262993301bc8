"""`c360 export segment` on a hand-made publication: SendGrid's contact CSV layout, nobody who must not be emailed,
and every export recorded in the warehouse."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from activation.export import ExportError, export_segment
from c360.cli import main

SENDGRID_HEADER = ["email", "first_name", "last_name", "address_line_1", "address_line_2", "city",
                   "state_province_region", "postal_code", "country", "phone_number", "external_id"]
# id, email, first, last, street, segment, unsubscribed, complained, undeliverable, contactable
CUSTOMERS = [
    ("c1", "ana@example.com", "Ana", "Souza, Jr.", '1 "Main" St', "Champions", 0, 0, 0, True),
    ("c2", "bo@example.com", "Bø", "Ødegård", None, "Champions", 0, 0, 0, True),
    ("c3", "unsub@example.com", "Un", "Sub", None, "Champions", 1, 0, 0, False),
    ("c4", "spam@example.com", "Sp", "Am", None, "Champions", 0, 2, 0, False),
    ("c5", "bounce@example.com", "Bo", "Unce", None, "Champions", 0, 0, 1, True),  # another address still works
    ("c6", None, "No", "Mail", None, "Champions", 0, 0, 0, False),
    ("c7", "blocked@example.com", "Not", "Contactable", None, "Champions", 0, 0, 0, False),
    ("c8", "loyal@example.com", "Lo", "Yal", None, "Loyal", 0, 0, 0, True),
    ("c9", "cant@example.com", "Can", "Not", None, "Can't lose", 0, 0, 0, True),
]


def build_marts(path: Path) -> Path:
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema marts")
        con.execute("""create table marts.customer_360 (customer_id varchar, first_name varchar, last_name varchar,
            email varchar, phone varchar, street varchar, city varchar, postal_code varchar, country varchar,
            order_count bigint, emails_unsubscribed bigint, emails_complained bigint,
            email_addresses_undeliverable bigint, _dlt_load_id varchar)""")
        con.execute("""create table marts.customer_segments (customer_id varchar, segment varchar, value_tier varchar,
            order_count bigint)""")
        con.execute("""create table marts.channel_preference (customer_id varchar, is_email_contactable boolean,
            emails_unsubscribed bigint, best_channel varchar)""")
        for i, (cid, email, first, last, street, seg, unsub, spam, bounced, ok) in enumerate(CUSTOMERS):
            con.execute("insert into marts.customer_360 values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'l')",
                        [cid, first, last, email, "+14155550100" if i == 0 else None, street,
                         "Zürich" if i == 1 else None, None, "CH" if i == 1 else None, i, unsub, spam, bounced])
            con.execute("insert into marts.customer_segments values (?, ?, ?, ?)",
                        [cid, seg, "platinum" if i % 2 == 0 else "silver", i])
            con.execute("insert into marts.channel_preference values (?, ?, ?, 'email')", [cid, ok, unsub])
    finally:
        con.close()
    return path


@pytest.fixture
def site(tmp_path, monkeypatch):
    published = build_marts(tmp_path / "published.duckdb")
    warehouse = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(warehouse)).close()
    monkeypatch.setenv("C360_PUBLISHED", str(published))
    monkeypatch.setenv("C360_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("C360_EXPORTS_DIR", str(tmp_path / "exports"))
    return tmp_path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_sendgrid_csv_has_only_emailable_customers_in_sendgrid_layout(site):
    result = export_segment("champions")
    assert result.segment == "Champions", "matched case-insensitively, recorded by its real name"
    with result.files["sendgrid"].open(encoding="utf-8") as f:
        assert next(csv.reader(f)) == SENDGRID_HEADER, "email first, SendGrid's reserved field names"
    rows = read_csv(result.files["sendgrid"])
    assert [r["email"] for r in rows] == ["ana@example.com", "bo@example.com"]
    assert rows[0] == {"email": "ana@example.com", "first_name": "Ana", "last_name": "Souza, Jr.",
                       "address_line_1": '1 "Main" St', "address_line_2": "", "city": "", "state_province_region": "",
                       "postal_code": "", "country": "", "phone_number": "+14155550100", "external_id": "c1"}
    assert rows[1]["first_name"] == "Bø" and rows[1]["city"] == "Zürich", "UTF-8 survives"
    assert result.excluded == {"no_email": 1, "unsubscribed": 1, "complained": 1, "bounced": 1, "not_contactable": 1}
    assert (result.row_count, result.audience_count) == (2, 7)

    generic = read_csv(result.files["csv"])
    assert [r["customer_id"] for r in generic] == ["c1", "c2"]
    assert {"segment", "value_tier", "is_email_contactable", "best_channel"} <= set(generic[0])
    assert "_dlt_load_id" not in generic[0], "loader columns stay in the warehouse"
    con = duckdb.connect()
    assert con.execute(f"select count(*) from '{result.files['parquet']}'").fetchall() == [(2,)]

    con = duckdb.connect(str(site / "warehouse.duckdb"), read_only=True)
    try:
        recorded = con.execute("""select segment, filter, row_count, audience_count, excluded_unsubscribed,
            excluded_bounced, excluded_complained, sendgrid_file, exported_at is not null from activation.exports""").fetchall()
    finally:
        con.close()
    assert recorded == [("Champions", None, 2, 7, 1, 1, 1, str(result.files["sendgrid"]), True)]


def test_where_filter_and_the_cli_record_every_export(site, capsys):
    assert main(["export", "segment", "--where", "value_tier = 'platinum' and order_count >= 0",
                 "--format", "sendgrid"]) == 0
    out = capsys.readouterr().out
    assert "exported 2 of 5 customers" in out and "recorded in activation.exports" in out
    assert main(["export", "segment", "Can't lose", "--format", "csv", "--where", "best_channel = 'email'"]) == 0
    files = sorted((site / "exports").iterdir())
    assert [f.name.split(".", 1)[1] for f in files] == ["csv", "sendgrid.csv"]
    sendgrid = next(f for f in files if f.name.startswith("filter-"))
    assert [r["external_id"] for r in read_csv(sendgrid)] == ["c1", "c9"]
    con = duckdb.connect(str(site / "warehouse.duckdb"), read_only=True)
    try:
        rows = con.execute("select segment, filter, row_count, formats from activation.exports order by exported_at").fetchall()
    finally:
        con.close()
    assert rows == [(None, "value_tier = 'platinum' and order_count >= 0", 2, "sendgrid"),
                    ("Can't lose", "best_channel = 'email'", 1, "csv")]


def test_errors_name_the_problem(site, capsys):
    with pytest.raises(ExportError, match=r"no customer is in segment 'Gold'; segments: Can't lose \(1\), Champions \(7\), Loyal \(1\)"):
        export_segment("Gold")
    with pytest.raises(ExportError, match="not a valid filter over the marts"):
        export_segment(where="no_such_column = 1")
    with pytest.raises(ExportError, match="without ';'"):
        export_segment(where="true; drop table marts.customer_360")
    assert main(["export", "segment"]) == 2
    assert "name a segment or give --where" in capsys.readouterr().err
    assert not (site / "exports").exists() or not list((site / "exports").iterdir()), "nothing written on an error"
