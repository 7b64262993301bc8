"""Identity resolution on the Spark engine: the steps dbt-spark cannot run itself.

dbt-spark's ``session`` method runs no Python models, so with ``C360_ENGINE=spark`` the two Python models of the
identity folder run as steps of their own between dbt invocations (orchestration/spark_build.py), on the same
tables and with the same code as on DuckDB:

* ``predict`` - int_identity_matches_predicted: the trained Splink model scores the profile records with Splink's
  Spark backend (``SparkAPI``); scoring settings (:func:`identity.model.settings_for`) and the conversion to rows
  (:func:`identity.matches.to_matches`, per partition) are the DuckDB model's. The saved model's SQL is DuckDB's
  dialect: :func:`spark_settings` translates it (sqlglot, plus Splink's Spark names for the string distances).
* ``cut`` - int_identity_edges_cut: the cluster guard (:mod:`identity.guard`), one conflicted component per group
  of a cogroup, so components are guarded in parallel.

Each step is a process of its own (``python -m identity.spark predict|cut ...``): the local metastore (Derby) admits
one process at a time, and the JVM ends with the step. The session is configured from the ``spark`` target of
transform/profiles.yml, the one place the Spark settings live.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import time
from pathlib import Path
from typing import Any

from identity import guard, matches
from identity import model as identity_model

PROFILES = "intermediate.int_identity_profiles"
MATCHES = "intermediate.int_identity_matches_predicted"
EDGES = "intermediate.int_identity_edges"
COMPONENTS = "intermediate.int_identity_components"
CONFLICTS = "intermediate.int_identity_conflicts"
EDGES_CUT = "intermediate.int_identity_edges_cut"

#: DuckDB functions of the saved model's levels -> the Spark names (Splink's jar registers the string distances
#: under these names; DuckDB's list functions are Spark's array functions).
_FUNCTIONS = {"jaro_winkler_similarity": "jaro_winkler", "jarowinkler_similarity": "jaro_winkler",
              "list_intersect": "array_intersect", "damerau_levenshtein": "damerau_levenshtein"}


#: characters with a meaning in a Java regex (a separator containing none is its own regex)
_REGEX_METACHARACTERS = "\\^$.|?*+()[]{}"


def to_spark_sql(sql: str) -> str:
    """A DuckDB condition of the saved model -> Spark SQL."""
    import sqlglot
    from sqlglot import exp

    def splits(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Split) and isinstance(node.expression, exp.Literal):
            # DuckDB splits on a string, Spark on a regex. sqlglot quotes the separator as '\\Q' || sep || '\\E',
            # but our sessions read literals unescaped (spark.sql.parser.escapedStringLiterals, profiles.yml), so that
            # backslash would stay doubled and never split. A separator without regex metacharacters is its own regex.
            separator = node.expression.name
            if set(separator) & set(_REGEX_METACHARACTERS):
                raise ValueError(f"split on {separator!r}: only separators without regex metacharacters translate")
            return exp.Anonymous(this="split", expressions=[node.this, exp.Literal.string(separator)])
        return node

    def rename(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.JarowinklerSimilarity):
            return exp.Anonymous(this="jaro_winkler", expressions=[node.this, node.expression])
        if isinstance(node, exp.Anonymous) and node.name.lower() in _FUNCTIONS:
            return exp.Anonymous(this=_FUNCTIONS[node.name.lower()], expressions=node.expressions)
        return node

    def sizes(node: exp.Expression) -> exp.Expression:
        # DuckDB's len() of a list is Spark's size()
        if isinstance(node, exp.Length) and isinstance(node.this, (exp.Anonymous, exp.Split)) and (
                not isinstance(node.this, exp.Anonymous) or node.this.name.lower().startswith("array_")):
            return exp.ArraySize(this=node.this)
        return node

    tree = sqlglot.parse_one(sql, read="duckdb").transform(splits).transform(rename).transform(sizes)
    return tree.sql(dialect="spark")


def spark_settings(model: dict, records: int) -> dict:
    """The Splink settings to score ``records`` records on Spark: :func:`identity.model.settings_for` with every
    SQL condition and blocking rule in Spark's dialect."""
    settings = copy.deepcopy(identity_model.settings_for(model, records))
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level["sql_condition"].strip().upper() != "ELSE":
                level["sql_condition"] = to_spark_sql(level["sql_condition"])
    settings["blocking_rules_to_generate_predictions"] = [
        {**rule, "blocking_rule": to_spark_sql(rule["blocking_rule"]), "sql_dialect": "spark"}
        if isinstance(rule, dict) else to_spark_sql(rule)
        for rule in settings["blocking_rules_to_generate_predictions"]
    ]
    settings["sql_dialect"] = "spark"
    return settings


def _spark_api(spark: Any) -> Any:
    """Splink's SparkAPI, executing through sqlglot's stock Spark dialect.

    Splink transpiles each statement to its own ``customspark`` dialect, a subclass of sqlglot's Spark generator;
    with sqlglot's compiled build installed (``sqlglotc``, pulled in by dagster-dbt's ``sqlglot[rs]``) a Python
    subclass of a compiled class cannot be instantiated ("interpreted classes cannot inherit from compiled",
    tobymao/sqlglot#7923). The dialect's one change - a literal cast to double is written as a double literal
    (``0.5D``), so Spark does not read it as a decimal - is made here on the syntax tree instead.
    """
    import sqlglot
    from splink import SparkAPI
    from sqlglot import exp

    def double_literals(node: exp.Expression) -> exp.Expression:
        if (isinstance(node, (exp.Cast, exp.TryCast)) and node.to.is_type("double")
                and isinstance(node.this, exp.Literal) and not node.this.is_string and node.this.name != "Infinity"):
            return exp.Var(this=f"{node.this.name}D")
        return node

    class StockDialectSparkAPI(SparkAPI):
        def _setup_for_execute_sql(self, sql: str, physical_name: str) -> str:
            tree = sqlglot.parse_one(sql, read="spark").transform(double_literals)
            return tree.sql(dialect="spark", pretty=True)

    return StockDialectSparkAPI(spark_session=spark)


def predict(spark: Any, profiles: Any, model: dict, threshold: float) -> Any:
    """Spark DataFrame of the pairs of ``profiles`` scoring >= ``threshold``, as int_identity_matches_predicted."""
    from pyspark.sql import types as T
    from splink import Linker

    identity_model._quiet()
    records = profiles.count()
    schema = T.StructType([
        T.StructField("node_key_a", T.StringType()), T.StructField("node_key_b", T.StringType()),
        T.StructField("match_probability", T.DoubleType()), T.StructField("match_weight", T.DoubleType()),
        T.StructField("is_corroborated", T.BooleanType()), T.StructField("evidence", T.StringType()),
    ])
    if records < 2:
        return spark.createDataFrame([], schema)
    db_api = _spark_api(spark)
    linker = Linker(db_api.register(profiles),
                    {**spark_settings(model, records), "retain_intermediate_calculation_columns": True})
    scored = linker.inference.predict(threshold_match_probability=threshold).as_spark_dataframe()
    weights = identity_model.level_weights(model)

    def convert(frames):
        for frame in frames:
            yield matches.to_matches(frame, weights)

    return scored.mapInPandas(convert, schema)


def cut(spark: Any, edges: Any, components: Any, conflicts: Any) -> Any:
    """Spark DataFrame of the edges the cluster guard cuts, as int_identity_edges_cut."""
    from pyspark.sql import types as T

    schema = T.StructType([
        T.StructField(c, T.DoubleType() if c == "score" else T.StringType()) for c in guard.COLUMNS
    ])
    edges.createOrReplaceTempView("c360_guard_edges")
    components.createOrReplaceTempView("c360_guard_components")
    conflicts.createOrReplaceTempView("c360_guard_conflicts")
    # one frame, one group per conflicted component: its edges (kind 'edge') and its conflicts (kind 'conflict',
    # the reason in `rule`)
    rows = spark.sql("""
        with conflicts as (
            select c.component_key, f.node_key_a, f.node_key_b, f.reason
            from c360_guard_conflicts f join c360_guard_components c on c.node_key = f.node_key_a
        )
        select 'conflict' as kind, component_key, node_key_a, node_key_b, reason as rule, cast(null as double) as score,
            cast(null as string) as shared_key
        from conflicts
        union all
        select 'edge', c.component_key, e.node_key_a, e.node_key_b, e.rule, cast(e.score as double), e.shared_key
        from c360_guard_edges e join c360_guard_components c on c.node_key = e.node_key_a
        where c.component_key in (select component_key from conflicts)
    """)

    def guard_component(frame):
        is_edge = frame["kind"] == "edge"
        return guard.cut_frame(frame[is_edge], frame[~is_edge].rename(columns={"rule": "reason"}))

    return rows.groupBy("component_key").applyInPandas(guard_component, schema)


def spark_conf() -> dict[str, str]:
    """The ``spark`` target's server_side_parameters of transform/profiles.yml, rendered as dbt would."""
    import jinja2
    import yaml

    from c360.settings import TRANSFORM_DIR

    profiles = yaml.safe_load((Path(TRANSFORM_DIR) / "profiles.yml").read_text(encoding="utf-8"))
    params = profiles["c360"]["outputs"]["spark"]["server_side_parameters"]
    env = jinja2.Environment()
    env.globals["env_var"] = lambda key, default=None: os.environ.get(key, default)
    return {key: env.from_string(str(value)).render() for key, value in params.items()}


def session(app_name: str = "c360-identity") -> Any:
    """A Spark session like dbt's (same warehouse folder and metastore), with Splink's string-distance jar."""
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    from c360.settings import spark_dir

    # Python workers of mapInPandas / applyInPandas: this interpreter (its venv has pandas and pyarrow)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder
    for key, value in spark_conf().items():
        builder = builder.config(key, value)
    # the jar ships inside the splink wheel: nothing is downloaded
    spark = (builder.config("spark.app.name", app_name).config("spark.jars", similarity_jar_location())
             .enableHiveSupport().getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    # Splink breaks the lineage of its intermediate tables by writing them as Parquet here
    spark.sparkContext.setCheckpointDir(str(Path(spark_dir()) / "checkpoints"))
    return spark


def _write(frame: Any, table: str) -> int:
    # Parquet, like the tables dbt-spark creates, so the quality step reads every table the same way
    frame.write.mode("overwrite").format("parquet").saveAsTable(table)
    return frame.sparkSession.table(table).count()


def step_args(model_name: str, config: dict) -> list[str]:
    """The command line of the Spark step standing in for dbt Python model ``model_name``, from its dbt config."""
    if model_name == "int_identity_matches_predicted":
        args = ["predict", "--threshold", str(matches.threshold(config["match_threshold"], config["review_threshold"]))]
        return args + (["--model-path", str(config["model_path"])] if config.get("model_path") else [])
    if model_name == "int_identity_edges_cut":
        return ["cut"]
    raise ValueError(f"dbt Python model {model_name} has no Spark step (identity/spark.py): dbt-spark's session "
                     "method runs no Python models")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m identity.spark", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="step", required=True)
    p = sub.add_parser("predict", help=f"score {PROFILES} into {MATCHES}")
    p.add_argument("--model-path", default=None, help="dbt var identity_model_path (default: the shipped model)")
    p.add_argument("--threshold", type=float, required=True, help="lowest match probability kept")
    sub.add_parser("cut", help=f"the cluster guard: {EDGES_CUT}")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    spark = session(f"c360-identity-{args.step}")
    try:
        if args.step == "predict":
            trained = identity_model.load(args.model_path)
            rows = _write(predict(spark, spark.table(PROFILES), trained, args.threshold), MATCHES)
            table = MATCHES
        else:
            rows = _write(cut(spark, spark.table(EDGES), spark.table(COMPONENTS), spark.table(CONFLICTS)), EDGES_CUT)
            table = EDGES_CUT
    finally:
        spark.stop()
    print(f"{table}: {rows} rows in {time.perf_counter() - started:.1f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
