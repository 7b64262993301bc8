"""C360_ENGINE=spark end to end: the full Dagster job (dlt into the Parquet lakehouse, dbt on the `spark` target with
the identity steps, quality checks and publication reading the Spark tables) on local Spark, against the same job on
DuckDB over the same sample. One run per engine for the whole module: a Spark run costs minutes on 2 cores.

Beyond the published marts, the tables along the way (the normalized identifiers, the identity graph, the customer
mart) are compared cell by cell: the Spark run's warehouse holds a view of each of its lakehouse tables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import job_process
from orchestration.runner import RunSummary, format_summary

#: tables compared cell by cell between the two engines' warehouses, with the key their rows are ordered by
COMPARED = {
    # the normalized identifiers of all four sources (staging models are views, which Spark keeps in its
    # metastore only: these tables are the first to hold them)
    "intermediate.int_identity_profiles": "node_key",
    "intermediate.int_identity_keys": "node_key",
    "intermediate.int_identity_nodes": "node_key",
    "intermediate.int_identity_matches_predicted": "node_key_a",
    "intermediate.int_identity_components": "node_key",
    "intermediate.int_identity_clusters": "node_key",
    "marts.identity_map": "source_record_id",
    "marts.customer_360": "customer_id",
}
#: minted per load by dlt (the two engines loaded the same sample separately), and the start of the run that
#: resolved an identity component (the two runs started at different times)
LOAD_COLUMNS = {"_dlt_id", "_dlt_load_id", "user_dlt_id", "resolved_at"}


@dataclass
class Run:
    summary: RunSummary
    progress: str
    env: dict[str, str]

    @classmethod
    def of(cls, result: dict) -> Run:
        fields = result["summary"]
        return cls(RunSummary(**{**fields, "log_path": fields["log_path"] and Path(fields["log_path"])}),
                   "\n".join(result["progress"]), result["env"])

    def published(self, sql: str) -> list[tuple]:
        with duckdb.connect(self.env["C360_PUBLISHED"], read_only=True) as con:
            return con.execute(sql).fetchall()

    def query(self, sql: str) -> list[tuple]:
        """Rows of the warehouse (on Spark: the views of the lakehouse tables)."""
        with duckdb.connect(self.env["C360_WAREHOUSE"], read_only=True) as con:
            return con.execute(sql).fetchall()

    def table(self, table: str) -> pd.DataFrame:
        with duckdb.connect(self.env["C360_WAREHOUSE"], read_only=True) as con:
            return con.execute(f"select * from {table}").df()


@pytest.fixture(scope="module")
def runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """The job once per engine on the same sample, started by conftest.py when the tests were collected (here if
    they were not)."""
    jobs = request.config.stash.get(job_process.JOBS, None)
    if jobs is None:
        jobs = job_process.start_both(tmp_path_factory.mktemp("engine-jobs"))
    return {engine: Run.of(job.result()) for engine, job in jobs.items()}


def test_the_spark_job_runs_every_step_and_publishes(runs: dict[str, Run]) -> None:
    spark = runs["spark"]
    assert spark.summary.success, spark.progress + format_summary(spark.summary)
    # dlt wrote the lakehouse, not the DuckDB warehouse (which holds only views of it and the quality records)
    lake = Path(spark.env["C360_SPARK_DIR"])
    assert list((lake / "raw" / "raw_sales" / "customers").glob("*.parquet"))
    assert list((lake / "warehouse" / "marts.db" / "customer_360").glob("*.parquet"))
    with duckdb.connect(spark.env["C360_WAREHOUSE"], read_only=True) as con:
        kinds = dict(con.execute("select table_type, count(*) from information_schema.tables "
                                 "where table_schema in ('raw_sales', 'marts') group by all").fetchall())
        suites = {r[0] for r in con.execute("select distinct suite from quality.validation_results where run_id = ?",
                                            [spark.summary.run_id]).fetchall()}
    assert set(kinds) == {"VIEW"}
    assert {"raw_sales", "raw_support", "raw_email", "raw_web", "identity", "marts"} <= suites
    # the identity steps ran on Spark and are assets of the run like every dbt model
    for model in ("intermediate.int_identity_matches_predicted", "intermediate.int_identity_edges_cut"):
        assert model in spark.summary.materialized
    assert spark.summary.published is True
    assert (Path(spark.env["C360_PUBLISHED_PARQUET_DIR"]) / "current" / "customer_360.parquet").exists()
    # the DuckDB run publishes exactly the same set of marts
    duck = runs["duckdb"]
    assert duck.summary.success, duck.progress + format_summary(duck.summary)
    tables = "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
    assert spark.published(tables) == duck.published(tables)


def test_the_lakehouse_holds_the_warehouses_raw_rows(runs: dict[str, Run]) -> None:
    """dlt's filesystem destination wrote every raw table the DuckDB destination did, with the same rows (the
    Spark build read them through the tables dbt's on-run-start registered)."""
    raw = ("select table_schema || '.' || table_name from information_schema.tables where table_schema in "
           "('raw_sales', 'raw_support', 'raw_email', 'raw_web') and table_name not like '\\_dlt%' escape '\\' "
           "and table_name <> 'quarantine' order by 1")
    duck, spark = runs["duckdb"], runs["spark"]
    tables = [row[0] for row in duck.query(raw)]
    assert {"raw_sales.customers", "raw_support.users", "raw_email.events", "raw_web.pages"} <= set(tables)
    assert set(tables) <= {row[0] for row in spark.query(raw)}
    counts = " union all ".join(f"select '{t}', count(*) from {t}" for t in tables)
    counts = f"select * from ({counts}) order by 1"
    assert spark.query(counts) == duck.query(counts)


def test_spark_marts_equal_duckdb_marts(runs: dict[str, Run]) -> None:
    duck, spark = runs["duckdb"], runs["spark"]
    assert duck.summary.success and spark.summary.success

    # same customers
    count = "select count(*) from marts.customer_360"
    assert spark.published(count) == duck.published(count)
    assert duck.published(count)[0][0] > job_process.CUSTOMERS / 2

    # identical identity clustering: the same source records grouped into the same customers, under the same ids
    clusters = ("select customer_id, list(source || ':' || source_record_id order by source, source_record_id) "
                "from marts.identity_map group by customer_id order by customer_id")
    duck_clusters, spark_clusters = duck.published(clusters), spark.published(clusters)
    # every customer is a cluster (identity_map also holds the support agents, who are no customers)
    customers = {row[0] for row in duck.published("select customer_id from marts.customer_360")}
    assert customers <= {customer for customer, _ in duck_clusters}
    assert spark_clusters == duck_clusters
    # ... by the same evidence, the probabilistic links scored the same
    links = ("select source, source_record_id, customer_id, rule, round(score, 9), round(link_probability, 9) "
             "from marts.identity_map order by all")
    assert spark.published(links) == duck.published(links)
    assert any(rule == "probabilistic" for _, _, _, rule, _, _ in duck.published(links))

    # same revenue and CSAT per customer
    figures = ("select customer_id, order_count, round(revenue, 6), round(csat, 9), ticket_count "
               "from marts.customer_360 order by customer_id")
    duck_figures = duck.published(figures)
    assert spark.published(figures) == duck_figures
    assert sum(1 for row in duck_figures if row[2]) > 0 and sum(1 for row in duck_figures if row[3] is not None) > 0
    satisfaction = ("select customer_id, round(csat, 9), round(satisfaction_score, 6), satisfaction_band "
                    "from marts.customer_satisfaction order by customer_id")
    assert spark.published(satisfaction) == duck.published(satisfaction)



def _canonical(value: object) -> object:
    """One spelling per value whatever the engine's pandas conversion: instants as UTC text, dates as midnight,
    numbers as floats to the cent, nulls as None."""
    import datetime
    import decimal

    import numpy as np

    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, (pd.Timestamp, datetime.datetime)):
        stamp = pd.Timestamp(value)
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
        return stamp.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m-%d 00:00:00.000000")
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, decimal.Decimal, np.integer, np.floating)):
        return round(float(value), 2)
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(_canonical(item) for item in value)
    return value


def _comparable(frame: pd.DataFrame, key: str) -> tuple[list[str], list[tuple]]:
    """(columns, rows): every cell canonical, rows in the order of the key and then every column."""
    columns = [c for c in frame.columns if c not in LOAD_COLUMNS]
    rows = [tuple(_canonical(value) for value in row) for row in frame[columns].astype(object).itertuples(index=False)]
    at = columns.index(key)
    return columns, sorted(rows, key=lambda row: (repr(row[at]), repr(row)))


@pytest.mark.parametrize("table", sorted(COMPARED))
def test_spark_table_equals_duckdb(runs: dict[str, Run], table: str) -> None:
    key = COMPARED[table]
    columns, spark = _comparable(runs["spark"].table(table), key)
    duck_columns, duck = _comparable(runs["duckdb"].table(table), key)
    assert columns == duck_columns
    assert len(spark) == len(duck) > 0
    differing = {}
    for at, column in enumerate(columns):
        if column == "average_order_value":
            # Spark rounds a double to decimal from its shortest decimal form (38.785 -> 38.79), DuckDB from its
            # binary value (38.78499... -> 38.78): exact ties may differ by a cent (docs/readme/spark.md)
            unequal = [i for i, (a, b) in enumerate(zip(spark, duck))
                       if (a[at] is None) != (b[at] is None) or (a[at] is not None and abs(a[at] - b[at]) > 0.0101)]
        else:
            unequal = [i for i, (a, b) in enumerate(zip(spark, duck)) if a[at] != b[at]]
        if unequal:
            differing[column] = [(spark[i][columns.index(key)], spark[i][at], duck[i][at]) for i in unequal[:3]]
    assert not differing, differing
