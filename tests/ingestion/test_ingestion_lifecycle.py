"""All four sources against a generated sample: first load, idle rerun, increment.

One module-scoped warehouse goes through the life cycle once (three runs of every source); the tests
then check what each step did against the generator's manifest:

* first load: loaded + quarantined = generated (less duplicates), nothing lost, every kind quarantined
  with its reason;
* second run without new data: nothing loaded, no count changes;
* after a generated increment: exactly the increment is loaded, changed rows are updated in place
  (no duplicate keys).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

import pytest

from ingestion_testkit import KEYS, RAW_TABLES, IngestionEnv, apply_test_settings, copy_sample, expected, make_env
from ingestion.pipelines import SOURCES
from c360.settings import RAW_DATASETS


def _snapshot(env: IngestionEnv) -> dict[tuple[str, str], int]:
    counts = {}
    for source in SOURCES:
        for table in env.tables(source):
            if not table.startswith("_dlt"):
                counts[(source, table)] = env.count(source, table)
    return counts


def _quarantine_kinds(env: IngestionEnv, source: str, load_ids: list[str]) -> Counter:
    if not load_ids:
        return Counter()
    ids = ", ".join(f"'{i}'" for i in load_ids)
    rows = env.query(
        f"select resource, split_part(reason, ':', 1), count(*) from {RAW_DATASETS[source]}.quarantine "
        f"where _dlt_load_id in ({ids}) group by all"
    )
    return Counter({(r, k): n for r, k, n in rows})


@pytest.fixture(scope="module")
def lifecycle(generated_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("lifecycle")
    sample = copy_sample(generated_sample, tmp / "sample")
    with pytest.MonkeyPatch.context() as mp:
        apply_test_settings(mp)
        for env in make_env(sample, tmp, mp):
            steps: dict[str, Any] = {"env": env}
            steps["first"] = env.run()
            steps["after_first"] = _snapshot(env)
            steps["second"] = env.run()
            steps["after_second"] = _snapshot(env)
            steps["increment_manifest"] = env.increment()
            steps["increment"] = env.run()
            steps["after_increment"] = _snapshot(env)
            yield steps


@pytest.mark.parametrize("table", sorted(RAW_TABLES))
def test_first_load_accounts_for_every_generated_record(lifecycle: dict[str, Any], table: str) -> None:
    env: IngestionEnv = lifecycle["env"]
    source, raw_tables = RAW_TABLES[table]
    entry = env.batch(0)[table]
    want_loaded, want_quarantined = expected(entry)
    loaded = sum(lifecycle["after_first"].get((source, t), 0) for t in raw_tables)
    assert loaded == want_loaded, f"{table}: {loaded} rows in {raw_tables}, generator says {want_loaded}"
    report = lifecycle["first"].sources[source]
    assert sum(report.loaded.get(t, 0) for t in raw_tables) == want_loaded
    kinds = _quarantine_kinds(env, source, report.load_ids)
    got = Counter()
    for (resource, kind), n in kinds.items():
        if resource in raw_tables or (source == "web" and resource == "events"):
            got[kind] += n
    assert dict(got) == entry["malformed"], f"{table}: quarantined {dict(got)}, generator made {entry['malformed']}"


def test_first_load_report_counts_quarantine(lifecycle: dict[str, Any]) -> None:
    env: IngestionEnv = lifecycle["env"]
    for source in SOURCES:
        entries = [e for t, e in env.batch(0).items() if RAW_TABLES[t][0] == source]
        want = sum(sum(e["malformed"].values()) for e in entries)
        assert lifecycle["first"].sources[source].quarantined == want, source
        assert lifecycle["after_first"][(source, "quarantine")] == want, source
    assert "quarantined" in str(lifecycle["first"])


def test_quarantine_rows_carry_reason_and_raw_payload(lifecycle: dict[str, Any]) -> None:
    env: IngestionEnv = lifecycle["env"]
    for source in SOURCES:
        rows = env.query(
            f"select source, resource, origin, reason, payload, quarantined_at from {RAW_DATASETS[source]}.quarantine"
        )
        assert rows, source
        for src, resource, origin, reason, payload, at in rows:
            assert src == source
            assert resource and origin and payload and at is not None
            kind, _, detail = reason.partition(": ")
            assert kind in {"unparseable", "wrong_type", "missing_key", "future_timestamp", "invalid_value"}
            assert detail, reason


def test_second_run_loads_nothing(lifecycle: dict[str, Any]) -> None:
    for source, report in lifecycle["second"].sources.items():
        assert report.loaded == {}, source
        assert report.quarantined == 0, source
    assert lifecycle["after_second"] == lifecycle["after_first"]


@pytest.mark.parametrize("table", sorted(RAW_TABLES))
def test_increment_loads_exactly_the_increment(lifecycle: dict[str, Any], table: str) -> None:
    source, raw_tables = RAW_TABLES[table]
    entry = lifecycle["increment_manifest"][table]
    new_rows, want_quarantined = expected(entry)
    before = sum(lifecycle["after_second"].get((source, t), 0) for t in raw_tables)
    after = sum(lifecycle["after_increment"].get((source, t), 0) for t in raw_tables)
    assert after - before == new_rows, f"{table}: +{after - before}, increment adds {new_rows} new rows"
    report = lifecycle["increment"].sources[source]
    # updated rows are loaded again (and replace their old version in place)
    assert sum(report.loaded.get(t, 0) for t in raw_tables) == new_rows + entry["updated"]


def test_increment_quarantine_counts(lifecycle: dict[str, Any]) -> None:
    env: IngestionEnv = lifecycle["env"]
    for source in SOURCES:
        entries = [e for t, e in lifecycle["increment_manifest"].items() if RAW_TABLES[t][0] == source]
        want = sum(sum(e["malformed"].values()) for e in entries)
        assert lifecycle["increment"].sources[source].quarantined == want, source
        q_before = lifecycle["after_second"][(source, "quarantine")]
        assert lifecycle["after_increment"][(source, "quarantine")] == q_before + want, source


@pytest.mark.parametrize("table", sorted({t for _, ts in RAW_TABLES.values() for t in ts}))
def test_no_duplicate_keys_after_increment(lifecycle: dict[str, Any], table: str) -> None:
    env: IngestionEnv = lifecycle["env"]
    source = next(s for s, ts in RAW_TABLES.values() if table in ts)
    key = KEYS.get(table, "id")
    dups = env.query(
        f"select {key}, count(*) from {RAW_DATASETS[source]}.{table} group by 1 having count(*) > 1 limit 5"
    )
    assert dups == []


def test_updated_sales_rows_replaced_in_place(lifecycle: dict[str, Any]) -> None:
    env: IngestionEnv = lifecycle["env"]
    assert lifecycle["increment_manifest"]["sales.customers"]["updated"] > 0
    with sqlite3.connect(env.sample / "sales.sqlite") as db:
        source_rows = dict(db.execute("select id, updated_at from customers").fetchall())
    loaded = dict(env.query("select id, strftime(updated_at, '%Y-%m-%d %H:%M:%S') from raw_sales.customers"))
    assert set(loaded) == set(source_rows)
    stale = [i for i, ts in loaded.items() if not str(source_rows[i]).startswith(ts)]
    assert stale == [], f"customers with an old version loaded: {stale[:5]}"


def test_updated_tickets_replaced_in_place(lifecycle: dict[str, Any]) -> None:
    import json

    env: IngestionEnv = lifecycle["env"]
    assert lifecycle["increment_manifest"]["support.tickets"]["updated"] > 0
    latest = {}
    for line in (env.sample / "support" / "tickets.jsonl").read_text().splitlines():
        t = json.loads(line)
        if isinstance(t.get("id"), int) and isinstance(t.get("requester_id"), int):
            latest[t["id"]] = t["status"]
    loaded = dict(env.query("select id, status from raw_support.tickets"))
    mismatched = [i for i, status in loaded.items() if latest.get(i) != status]
    assert mismatched == []
