"""`c360 erase` refuses requests it cannot carry out, with one clear line; the load gate drops exactly the erased
person's records from dict batches, Arrow tables and quarantine rows."""

from __future__ import annotations

import base64
import gzip

import duckdb
import pyarrow as pa

from c360.cli import main
from privacy.identifiers import canonical_email, phone_key
from privacy.load_filter import TombstoneFilter
from privacy.matching import Matcher


def _warehouse(tmp_path, monkeypatch):
    wh = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(wh)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.identity_map (source varchar, source_record_id varchar, customer_id varchar)")
        con.execute("insert into marts.identity_map values ('sales', '1', 'C1')")
    monkeypatch.setenv("C360_WAREHOUSE", str(wh))
    for key, name in (("C360_PUBLISHED", "published.duckdb"), ("C360_PUBLISHED_PARQUET_DIR", "published"),
                      ("C360_QUALITY_DIR", "quality"), ("C360_DAGSTER_HOME", "dagster")):
        monkeypatch.setenv(key, str(tmp_path / name))
    return wh


def test_requests_that_name_nobody_fail_clearly(tmp_path, monkeypatch, capsys):
    wh = _warehouse(tmp_path, monkeypatch)
    assert main(["erase", "--customer-id", "C404"]) == 1
    assert "C404" in capsys.readouterr().err
    assert main(["erase", "--source-record", "crm:1"]) == 1
    assert "unknown source 'crm'" in capsys.readouterr().err
    assert main(["erase", "--source-record", "no-colon"]) == 2
    assert main(["erase", "--email", "not an address"]) == 2
    assert main(["erase", "--email", "a@b.example", "--customer-id", "C1"]) == 2
    capsys.readouterr()
    with duckdb.connect(str(wh), read_only=True) as con:  # nothing was written by the refused requests
        assert con.execute("select count(*) from information_schema.tables where table_schema = 'privacy'").fetchone()[0] == 0
    monkeypatch.setenv("C360_WAREHOUSE", str(tmp_path / "absent.duckdb"))
    assert main(["erase", "--customer-id", "C1"]) == 2
    assert "C360_WAREHOUSE" in capsys.readouterr().err


def test_identifiers_are_compared_as_the_mailbox_and_the_number():
    assert canonical_email(" <Jane.Doe+news@GoogleMail.com>") == canonical_email("janedoe@gmail.com") == "janedoe@gmail.com"
    assert canonical_email("Jane.Doe@Example.com") == "jane.doe@example.com"  # dots matter outside Gmail
    assert phone_key("+1 (512) 419-7795 ext. 12") == phone_key("512.419.7795") == phone_key("001 512 4197795")
    assert phone_key("12345") is None and phone_key(None) is None


def test_the_load_gate_drops_only_the_erased_persons_records():
    matcher = Matcher.from_identifiers("salt", emails={"janedoe@gmail.com"}, phones={phone_key("+15124197795")},
                                       records={"web_user:42", "sales:7"})
    gate = TombstoneFilter("web", "tracks")
    gate._matcher = matcher
    rows = [{"userId": "42", "event": "x"}, {"userId": "43", "anonymousId": "a", "event": "x"},
            {"userId": "44", "context": {"traits": {"email": "Jane.Doe+x@gmail.com"}}},
            {"userId": "45", "properties": {"note": "call (512) 419-7795"}}]
    assert [r["userId"] for r in gate(rows)] == ["43"]
    table = pa.Table.from_pylist([{"user_id": "42", "n": 1}, {"user_id": "43", "n": 2}])
    assert gate(table).column("n").to_pylist() == [2]
    assert gate(pa.Table.from_pylist([{"user_id": "42"}])) is None

    class Meta:
        table_name = "quarantine"

    sales = TombstoneFilter("sales", "customers")
    sales._matcher = matcher
    quarantined = [{"resource": "customers", "payload": '{"id": 7, "email": null}'},
                   {"resource": "customers", "payload": '{"id": 8, "email": "someone@else.example"}'},
                   {"resource": "orders", "payload": "broken line JaneDoe@gmail.com"},
                   # original bytes kept as base64 (not UTF-8; or a truncated gzip file): read inside them too
                   {"resource": "customers", "payload_encoding": "base64",
                    "payload": base64.b64encode(b'{"email": "jane.doe@gmail.com", "x": "\xff"}').decode()},
                   {"resource": "customers", "payload_encoding": "base64",
                    "payload": base64.b64encode(gzip.compress(b'[{"email": "jane.doe@gmail.com"}, {"e')[:-9]).decode()}]
    assert [r["payload"] for r in sales(quarantined, Meta())] == ['{"id": 8, "email": "someone@else.example"}']
    # a warehouse without tombstones passes everything through untouched
    nothing = TombstoneFilter("sales", "customers")
    nothing._matcher = None
    assert nothing(rows) is rows


def test_erase_waits_for_a_run_and_gives_up_naming_the_setting(tmp_path, monkeypatch, capsys):
    import subprocess
    import sys

    from c360.locks import run_lock_path

    wh = _warehouse(tmp_path, monkeypatch)
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from filelock import FileLock; "
                               f"lock = FileLock({str(run_lock_path(wh))!r}); lock.acquire(); print('held', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setenv("C360_WAREHOUSE_LOCK_TIMEOUT", "1s")
        assert main(["erase", "--customer-id", "C1"]) == 1
        captured = capsys.readouterr()
        assert "waiting for it" in captured.out and "C360_WAREHOUSE_LOCK_TIMEOUT" in captured.err
    finally:
        holder.kill()
        holder.wait()
    with duckdb.connect(str(wh), read_only=True) as con:  # nothing happened while the run held the warehouse
        assert con.execute("select count(*) from marts.identity_map").fetchone()[0] == 1


def test_erase_by_customer_id_on_a_bare_warehouse_is_audited(tmp_path, monkeypatch, capsys):
    wh = _warehouse(tmp_path, monkeypatch)  # no raw data, no publication, no reports yet
    assert main(["erase", "--customer-id", "C1"]) == 0
    assert "marts.identity_map: 1 row(s)" in capsys.readouterr().out
    with duckdb.connect(str(wh), read_only=True) as con:
        assert con.execute("select count(*) from marts.identity_map").fetchone()[0] == 0
        assert con.execute("select requested_kind, source_records from privacy.erasures").fetchall() == [("customer_id", 1)]
        assert con.execute("select location, table_name, rows_removed from privacy.erasure_counts").fetchall() == \
            [("warehouse", "marts.identity_map", 1)]
    assert main(["erase", "--customer-id", "C1"]) == 1, "gone: a second request names nobody"
