"""The Spark engine's pieces that need no JVM: the cut of the dbt build around the Python models, the saved identity
model in Spark's SQL dialect, and the DuckDB views the checks read the lakehouse through. (The whole job on Spark:
test_spark_job.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from identity import model as identity_model
from identity.spark import spark_settings, step_args, to_spark_sql
from orchestration.spark_build import plan
from quality.lakehouse import attach


@pytest.fixture(scope="module")
def manifest() -> dict:
    from orchestration.assets.transform import dbt_project, prepare

    return json.loads(prepare(dbt_project()).read_text(encoding="utf-8"))


def test_the_spark_build_builds_every_node_once_in_dependency_order(manifest: dict) -> None:
    nodes = {uid: n for uid, n in manifest["nodes"].items() if n["resource_type"] in ("model", "seed", "snapshot", "test")}
    names = {n["name"] for n in nodes.values()}
    python = {n["name"] for n in nodes.values() if n.get("language") == "python"}
    assert python == {"int_identity_matches_predicted", "int_identity_edges_cut"}
    segments = plan(manifest)
    assert [s.step for s in segments] == ["int_identity_matches_predicted", "int_identity_edges_cut", None]

    built = [names - set(s.exclude) for s in segments]
    # every node exactly once: by one dbt invocation, or (a Python model) by its step
    assert sum(len(b) for b in built) + len(python) == len(names)
    assert set().union(*built) | python == names
    # a node's parents are built before it: in an earlier or the same invocation, or by an earlier step
    when = {name: 2 * i for i, b in enumerate(built) for name in b}
    when.update({s.step: 2 * i + 1 for i, s in enumerate(segments) if s.step})
    by_id = {uid: n["name"] for uid, n in nodes.items()}
    for uid, node in nodes.items():
        for parent in manifest["parent_map"].get(uid, []):
            if parent in by_id:
                assert when[by_id[parent]] <= when[node["name"]], (by_id[parent], node["name"])
    # the predicted matches' own data tests run right after their step, not later and not before
    assert "not_null_int_identity_matches_predicted_node_key_a" in built[1]
    assert "customer_360" in built[2] and "int_identity_profiles" in built[0]


def test_each_python_model_has_its_spark_step(manifest: dict) -> None:
    config = next(n["config"] for n in manifest["nodes"].values() if n["name"] == "int_identity_matches_predicted")
    args = step_args("int_identity_matches_predicted", config)
    assert args[:3] == ["predict", "--threshold", str(min(config["match_threshold"], config["review_threshold"]))]
    assert step_args("int_identity_edges_cut", {}) == ["cut"]
    with pytest.raises(ValueError, match="has no Spark step"):
        step_args("some_new_python_model", {})


def test_the_saved_model_reads_as_spark_sql() -> None:
    import sqlglot

    model = identity_model.load(None)
    settings = spark_settings(model, records=10_000)
    assert settings["sql_dialect"] == "spark"
    # the m and u values and the prior scaling are the DuckDB prediction's, only the SQL differs
    assert settings["probability_two_random_records_match"] == identity_model.settings_for(model, 10_000)[
        "probability_two_random_records_match"]
    levels = [lv for c in settings["comparisons"] for lv in c["comparison_levels"]]
    assert len(levels) == sum(len(c["comparison_levels"]) for c in model["comparisons"])
    duckdb_only = ("jaro_winkler_similarity", "list_intersect", "strftime", "string_split", "len(")
    for sql in [lv["sql_condition"] for lv in levels if lv["sql_condition"] != "ELSE"] + [
            r["blocking_rule"] for r in settings["blocking_rules_to_generate_predictions"]]:
        assert not any(f in sql.lower() for f in duckdb_only), sql
        # our sessions read string literals unescaped (escapedStringLiterals): a backslash would stay doubled
        assert "\\" not in sql, sql
        sqlglot.parse_one(sql, read="spark")  # Splink parses each as Spark SQL
    assert to_spark_sql("len(list_intersect(string_split(a_l, ' '), string_split(a_r, ' '))) > 0").lower() == (
        "size(array_intersect(split(a_l, ' '), split(a_r, ' '))) > 0")
    with pytest.raises(ValueError, match="metacharacters"):
        to_spark_sql("string_split(a_l, '.')")
    assert to_spark_sql("length(first_name_l) = 1").lower() == "length(first_name_l) = 1"
    assert "date_format(" in to_spark_sql("strftime(birth_date_l, '%Y%m%d') = '1'").lower()


def test_the_checks_read_the_lakehouse_through_views(tmp_path: Path) -> None:
    lake, warehouse = tmp_path / "lake", tmp_path / "warehouse.duckdb"
    folders = {
        "raw/raw_sales/customers": "select 1 as id, timestamptz '2026-01-01 10:00:00+00' as updated_at",
        "warehouse/marts.db/customer_360": "select 'c1' as customer_id, 12.5 as revenue union all select 'c2', 0",
        # an empty table (Spark writes one file with the schema)
        "warehouse/intermediate.db/int_identity_edges_cut": "select 'a' as node_key_a where false",
    }
    con = duckdb.connect()
    for folder, sql in folders.items():
        (lake / folder).mkdir(parents=True)
        con.execute(f"copy ({sql}) to '{lake / folder / 'part-00000.parquet'}' (format parquet)")
    (lake / "raw" / "raw_sales" / "orders").mkdir()  # no file yet: no view
    con.close()

    views = attach(warehouse, lake)
    assert sorted(views) == ["intermediate.int_identity_edges_cut", "marts.customer_360", "raw_sales.customers"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select sum(revenue) from marts.customer_360").fetchone()[0] == 12.5
        assert con.execute("select count(*) from intermediate.int_identity_edges_cut").fetchone()[0] == 0
        assert con.execute("select typeof(updated_at) from raw_sales.customers").fetchone()[0] == "TIMESTAMP WITH TIME ZONE"
        # the publication lists the marts through information_schema, like the DuckDB warehouse's tables
        assert con.execute("select table_name from information_schema.tables where table_schema = 'marts'").fetchall() == [
            ("customer_360",)]

    # a table that is gone from the lakehouse loses its view; a new file of a table shows up in it
    import shutil

    shutil.rmtree(lake / "warehouse" / "intermediate.db" / "int_identity_edges_cut")
    with duckdb.connect() as con:
        con.execute(f"copy (select 'c3' as customer_id, 1.5 as revenue) to "
                    f"'{lake / 'warehouse/marts.db/customer_360/part-00001.parquet'}' (format parquet)")
    assert "intermediate.int_identity_edges_cut" not in attach(warehouse, lake)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from marts.customer_360").fetchone()[0] == 3
        assert con.execute("select count(*) from duckdb_views() where view_name = 'int_identity_edges_cut'").fetchone()[0] == 0
