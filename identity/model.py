"""The probabilistic part of identity resolution: a Splink 5 (Fellegi-Sunter) model over profile records.

Profile records are the identity nodes that carry person attributes (sales customers, Zendesk users, Segment
identify traits), one row each in ``intermediate.int_identity_profiles``. The model compares pairs of them
field by field; each comparison level has an m probability (how often true matches land in it) and a u
probability (how often random pairs do), and term-frequency adjustments make a common name or postcode count
for less than a rare one.

* :func:`train` estimates the model on a warehouse (``c360 identity train``): the prior from deterministic
  rules, u by random sampling, m by expectation maximisation on several blocking rules. It is the only code
  that trains.
* :func:`predict` scores candidate pairs with a saved model (every pipeline run, from the dbt Python model
  ``int_identity_matches_predicted``); it never estimates anything.

The saved model (Splink's JSON settings with the m/u values) is versioned in the repo at
:data:`DEFAULT_MODEL_PATH`; dbt var ``identity_model_path`` points a deployment at its own.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from pathlib import Path
from typing import Any

import duckdb

TRANSFORM_DIR = Path(__file__).resolve().parents[1] / "transform"
#: The trained model shipped with the project (relative paths of the dbt var resolve against transform/).
DEFAULT_MODEL_PATH = TRANSFORM_DIR / "identity" / "splink_model.json"
PROFILES_TABLE = "intermediate.int_identity_profiles"
UNIQUE_ID = "node_key"


def configured_model_path() -> Path:
    """The model file of dbt var identity_model_path (transform/dbt_project.yml), where training writes."""
    import yaml

    project = yaml.safe_load((TRANSFORM_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return resolve(project.get("vars", {}).get("identity_model_path"))


def resolve(path: str | Path | None) -> Path:
    """A model/overrides path from a setting: absolute as given, relative to transform/, default the shipped model."""
    if not path:
        return DEFAULT_MODEL_PATH
    p = Path(path)
    return p if p.is_absolute() else TRANSFORM_DIR / p


def _comparisons() -> list:
    import splink.comparison_level_library as cll
    from splink import comparison_library as cl

    def jw(col: str, threshold: float):
        return cll.JaroWinklerLevel(col, threshold)

    first_name = cl.CustomComparison(
        output_column_name="first_name",
        comparison_levels=[
            cll.NullLevel("first_name"),
            cll.ExactMatchLevel("first_name").configure(tf_adjustment_column="first_name"),
            # Bob / Robert: the same name once nicknames are mapped (seed nickname_map)
            cll.ExactMatchLevel("first_name_canonical").configure(label_for_charts="nickname or alias"),
            # given name and surname entered the other way round
            cll.CustomLevel("first_name_l = last_name_r", "first name equals the other's surname"),
            jw("first_name", 0.92),
            # an initial against a full name ("J" / "john")
            cll.CustomLevel(
                "(length(first_name_l) = 1 or length(first_name_r) = 1) and left(first_name_l, 1) = left(first_name_r, 1)",
                "initial",
            ),
            jw("first_name", 0.8),
            cll.ElseLevel(),
        ],
    )
    last_name = cl.CustomComparison(
        output_column_name="last_name",
        comparison_levels=[
            cll.NullLevel("last_name"),
            cll.ExactMatchLevel("last_name").configure(tf_adjustment_column="last_name"),
            cll.CustomLevel("last_name_l = first_name_r", "surname equals the other's first name"),
            cll.DamerauLevenshteinLevel("last_name", 1),
            jw("last_name", 0.92),
            # a double-barrelled or changed surname: one part in common ("smith jones" / "jones")
            cll.CustomLevel(
                "len(list_intersect(string_split(last_name_l, ' '), string_split(last_name_r, ' '))) > 0",
                "a surname part in common",
            ),
            jw("last_name", 0.8),
            cll.ElseLevel(),
        ],
    )
    birth_date = cl.CustomComparison(
        output_column_name="birth_date",
        comparison_levels=[
            cll.NullLevel("birth_date"),
            cll.ExactMatchLevel("birth_date"),
            cll.CustomLevel(
                "year(birth_date_l) = year(birth_date_r) and month(birth_date_l) = day(birth_date_r)"
                " and day(birth_date_l) = month(birth_date_r)",
                "day and month transposed",
            ),
            cll.CustomLevel(
                "damerau_levenshtein(strftime(birth_date_l, '%Y%m%d'), strftime(birth_date_r, '%Y%m%d')) <= 1",
                "one digit apart",
            ),
            cll.CustomLevel("abs(date_diff('day', birth_date_l, birth_date_r)) <= 7", "within a week"),
            cll.CustomLevel(
                "year(birth_date_l) = year(birth_date_r) and month(birth_date_l) = month(birth_date_r)",
                "same year and month",
            ),
            cll.ElseLevel(),
        ],
    )
    street = cl.CustomComparison(
        output_column_name="street_normalized",
        comparison_levels=[
            cll.NullLevel("street_normalized"),
            cll.ExactMatchLevel("street_normalized"),
            jw("street_normalized", 0.9),
            jw("street_normalized", 0.7),
            cll.ElseLevel(),
        ],
    )
    postal_code = cl.CustomComparison(
        output_column_name="postal_code",
        comparison_levels=[
            cll.NullLevel("postal_code"),
            cll.ExactMatchLevel("postal_code").configure(tf_adjustment_column="postal_code"),
            cll.DamerauLevenshteinLevel("postal_code", 1),
            cll.ElseLevel(),
        ],
    )
    city = cl.CustomComparison(
        output_column_name="city",
        comparison_levels=[
            cll.NullLevel("city"),
            cll.ExactMatchLevel("city").configure(tf_adjustment_column="city"),
            jw("city", 0.88),
            cll.ElseLevel(),
        ],
    )
    email = cl.CustomComparison(
        output_column_name="email",
        comparison_levels=[
            cll.NullLevel("email"),
            # only the whole address: a mailbox name is mostly the person's name ("andrew.allen"), and counting
            # it next to the name comparisons would count the name twice
            cll.ExactMatchLevel("email"),
            cll.ElseLevel(),
        ],
    )
    phone = cl.CustomComparison(
        output_column_name="phone",
        comparison_levels=[
            cll.NullLevel("phone"),
            cll.ExactMatchLevel("phone"),
            cll.CustomLevel("right(phone_l, 7) = right(phone_r, 7)", "same last 7 digits"),
            cll.ElseLevel(),
        ],
    )
    return [first_name, last_name, birth_date, street, postal_code, city, email, phone]


def _blocking_rules() -> list:
    """Candidate pairs: any of these agreeing, so one corrupted field never hides a pair."""
    from splink import block_on

    return [
        block_on("first_name_canonical", "last_name"),
        block_on("birth_date"),
        block_on("postal_code", "substr(last_name, 1, 1)"),
        block_on("postal_code", "substr(first_name_canonical, 1, 1)"),
        block_on("street_normalized"),
        block_on("last_name", "year(birth_date)"),
        block_on("phone"),
        # a shared email links by rule; a household's or a team's links nothing, so its holders are scored here
        # (the names then tell "chloe young" from "dale miller" on millerfamily@gmail.com)
        block_on("email"),
    ]


def blocking_rule_sql() -> list[str]:
    """The blocking rules as DuckDB SQL conditions on l. / r. (what prediction and the benchmark use)."""
    return [rule.get_blocking_rule("duckdb").blocking_rule_sql for rule in _blocking_rules()]


def settings() -> Any:
    from splink import SettingsCreator

    return SettingsCreator(
        unique_id_column_name=UNIQUE_ID,
        link_type="dedupe_only",
        comparisons=_comparisons(),
        blocking_rules_to_generate_predictions=_blocking_rules(),
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        additional_columns_to_retain=[],
    )


def _quiet() -> None:
    # Splink logs each training step at INFO; a pipeline run's log should show our summary only
    logging.getLogger("splink").setLevel(logging.WARNING)


#: An EM estimate of exactly 0 (a level the likely matches of one session never reach) is floored here: it
#: means "rare among matches", not "impossible", and Splink 5 rejects 0 as a probability.
PROBABILITY_FLOOR = 1e-6


@contextlib.contextmanager
def _floored_em_estimates():
    from splink.internals import expectation_maximisation as em

    original = em.populate_m_u_from_lookup

    def floored(fixed, level, column, lookup):
        for record in lookup.get(column, {}).values():
            for key in ("m_probability", "u_probability"):
                if isinstance(record.get(key), float) and record[key] < PROBABILITY_FLOOR:
                    record[key] = PROBABILITY_FLOOR
        return original(fixed, level, column, lookup)

    em.populate_m_u_from_lookup = floored
    try:
        yield
    finally:
        em.populate_m_u_from_lookup = original


def train(con: duckdb.DuckDBPyConnection, table: str = PROFILES_TABLE, seed: int = 1, max_pairs: float = 5e6) -> dict:
    """Estimate the model on the profile records in ``table``; returns Splink's settings dict with m/u values."""
    from splink import DuckDBAPI, Linker, block_on

    _quiet()
    db_api = DuckDBAPI(connection=con)
    linker = Linker(db_api.register(con.sql(f"select * from {table}")), settings())
    # the prior: pairs the deterministic rules find, assuming they catch 80 % of the true matches
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name_canonical", "last_name", "birth_date"), block_on("email"), block_on("phone")],
        recall=0.8,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    # m by EM, each session blocked on fields it then cannot estimate; together they cover every comparison
    with _floored_em_estimates():
        for rule in (
            block_on("birth_date"),
            block_on("first_name_canonical", "last_name"),
            block_on("postal_code", "substr(last_name, 1, 1)"),
        ):
            linker.training.estimate_parameters_using_expectation_maximisation(rule, estimate_without_term_frequencies=True)
    trained = regularize(linker.misc.save_model_to_json(), u_floor=1.0 / max_pairs)
    trained[TRAINING_RECORDS_KEY] = con.sql(f"select count(*) from {table}").fetchall()[0][0]
    return trained


#: Additive smoothing of the m probabilities: every comparison level keeps at least about this share of the
#: true matches. Without it a level the training data never showed among matches (a nickname, a swapped day and
#: month, a different city) would count as proof of a non-match on data with other habits than the training set.
M_SMOOTHING = 1e-3


def regularize(model: dict, u_floor: float) -> dict:
    """Smooth m (see M_SMOOTHING) and give levels never seen among random pairs u = ``u_floor`` (one in the
    sampled pairs: an upper bound), then renormalize each comparison so its m and u each sum to 1."""
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        m = [(lv.get("m_probability") if isinstance(lv.get("m_probability"), (int, float)) else 0.0) + M_SMOOTHING
             for lv in levels]
        u = [max(lv["u_probability"], u_floor) if isinstance(lv.get("u_probability"), (int, float)) else u_floor
             for lv in levels]
        for lv, mv, uv in zip(levels, m, u):
            lv["m_probability"] = mv / sum(m)
            lv["u_probability"] = uv / sum(u)
    return model


def save(model: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(model, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def load(path: str | Path | None) -> dict:
    p = resolve(path)
    if not p.exists():
        raise FileNotFoundError(f"identity model {p} does not exist (dbt var identity_model_path; run `c360 identity train`)")
    return json.loads(p.read_text(encoding="utf-8"))


def level_weights(model: dict) -> dict[str, list[tuple[float, str]]]:
    """comparison output column -> [(match weight log2(m/u), level label)] for the non-null levels."""
    import math

    weights: dict[str, list[tuple[float, str]]] = {}
    for comparison in model["comparisons"]:
        weights[comparison["output_column_name"]] = [
            (math.log2(lv["m_probability"] / lv["u_probability"]), lv.get("label_for_charts", lv["sql_condition"]))
            for lv in comparison["comparison_levels"]
            if not lv.get("is_null_level")
        ]
    return weights


def field_levels(frame: Any, weights: dict[str, list[tuple[float, str]]]) -> dict[str, tuple[Any, Any]]:
    """column -> (level index, match weight incl. term frequency), numpy arrays over the rows of Splink's
    predictions (a pandas frame, or any mapping of column name to values). The index counts the non-null levels
    of :func:`level_weights` (the last is "All other comparisons"); -1 where the field is missing on either side.

    Splink 5 reports each field's match weight (mw_<column>, plus mw_tf_adj_<column> for term frequencies), not
    its level; the level is the first one whose weight log2(m/u) is nearest. A missing field weighs 0. Column by
    column with numpy (a Python loop over the rows took 2.5x as long: 1.35 s against 0.55 s for 24,187 pairs).
    """
    import numpy as np

    found = {}
    for column, levels in weights.items():
        mw = np.asarray(frame[f"mw_{column}"], dtype="float64")
        tf_column = f"mw_tf_adj_{column}"
        tf = np.nan_to_num(np.asarray(frame[tf_column], dtype="float64"), nan=0.0) if tf_column in frame else np.zeros(len(mw))
        index = np.abs(mw[:, None] - np.array([w for w, _ in levels])[None, :]).argmin(axis=1)
        found[column] = (np.where((mw == 0.0) & (tf == 0.0), -1, index), mw + tf)
    return found


def evidence_texts(frame: Any, weights: dict[str, list[tuple[float, str]]]) -> list[str]:
    """Each row's evidence in words, fields missing on either side left out: 'first_name: Exact match on
    first_name (+6.1); birth_date: day and month transposed (+3.9); ...' (levels from :func:`field_levels`)."""
    parts = [
        [f"{column}: {weights[column][i][1]} ({w:+.1f})" if i >= 0 else "" for i, w in zip(index, weight)]
        for column, (index, weight) in field_levels(frame, weights).items()
    ]
    return ["; ".join(p for p in row if p) for row in zip(*parts)]


#: Fields that identify a person besides the name. A name alone - even a rare one, even exact - is shared by
#: strangers often enough that the model's odds overstate it among many records (at 20,000 customers, pairs that
#: agreed on first and last name and nothing else scored above 0.95). So a pair links only if at least one of these
#: fields lands in an agreeing level (any level above "All other comparisons"; missing on either side does not
#: count); otherwise it waits in the review queue whatever its probability. City is not among them: a city is
#: shared by thousands. The rule adds no threshold: it uses the comparison levels the model already has.
CORROBORATING_FIELDS = ("birth_date", "street_normalized", "postal_code", "email", "phone")


def corroborated(frame: Any, weights: dict[str, list[tuple[float, str]]]) -> list[bool]:
    """Per row of Splink's predictions: does at least one of :data:`CORROBORATING_FIELDS` agree (a level of
    :func:`field_levels` other than missing (-1) and "All other comparisons" (the last)?"""
    import numpy as np

    levels = field_levels(frame, {f: weights[f] for f in CORROBORATING_FIELDS if f in weights})
    agree = np.zeros(len(frame), dtype=bool)
    for field, (index, _) in levels.items():
        agree |= (index >= 0) & (index < len(weights[field]) - 1)
    return agree.tolist()


#: How many profile records the model was trained on. The prior (probability that two random records match) is
#: about "matches per record / number of records": at prediction it is scaled by training records / records now,
#: so a model trained on 4,000 records does not overrate every same-name pair among 40,000.
TRAINING_RECORDS_KEY = "c360_training_record_count"


def settings_for(model: dict, records: int) -> dict:
    """The Splink settings to predict ``records`` records with: the prior scaled to their number, and the
    candidate pairs from this code's blocking rules (:func:`blocking_rule_sql`), not from the ones saved in the
    model file. Blocking decides only which pairs get scored - speed and recall, nothing trained - so a change
    of the rules applies without retraining."""
    settings = {k: v for k, v in model.items() if k != TRAINING_RECORDS_KEY}
    settings["blocking_rules_to_generate_predictions"] = [
        {"blocking_rule": rule, "sql_dialect": "duckdb"} for rule in blocking_rule_sql()
    ]
    trained_on = model.get(TRAINING_RECORDS_KEY)
    if trained_on and records > 1:
        prior = model["probability_two_random_records_match"] * (trained_on - 1) / (records - 1)
        settings["probability_two_random_records_match"] = min(prior, 0.5)
    return settings


def unwrap(session: Any) -> duckdb.DuckDBPyConnection:
    """The DuckDB connection under dbt-duckdb's cursor wrappers (Splink accepts only a real connection)."""
    while not isinstance(session, duckdb.DuckDBPyConnection) and hasattr(session, "_cursor"):
        session = session._cursor
    return session


def work_connection(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB for Splink's work tables, with ``con``'s memory limit, threads and spill
    directory. Splink materialises every step (records with term frequencies, blocked pairs, scores) as a table
    in its connection's default catalog: on dbt's connection that is the warehouse file, which then wrote
    and checkpointed them and kept some (the term-frequency tables) after the run."""
    memory_limit, threads, temp_directory = con.execute(
        "select current_setting('memory_limit'), current_setting('threads'), current_setting('temp_directory')"
    ).fetchall()[0]
    config = {"memory_limit": memory_limit, "threads": threads}
    if temp_directory:
        config["temp_directory"] = temp_directory
    return duckdb.connect(":memory:", config=config)


def predict(con: duckdb.DuckDBPyConnection, relation: duckdb.DuckDBPyRelation, model: dict, threshold: float) -> Any:
    """Pairs of ``relation``'s profile records with match probability >= ``threshold``, scored with ``model``.

    Returns a pandas DataFrame: node_key_l, node_key_r, match_probability, match_weight and per comparison
    gamma_<column> (the level index) and mw_<column> (its match weight). Term frequencies come from the
    records being scored. ``relation`` is read once (as Arrow) into a private work database
    (:func:`work_connection`); ``con`` only lends its settings.
    """
    from splink import DuckDBAPI, Linker

    _quiet()
    records = relation.to_arrow_table()
    with work_connection(con) as work:
        db_api = DuckDBAPI(connection=work)
        # the gamma_<column> levels and mw_<column> weights are the evidence a steward reads: keep them
        settings = {**settings_for(model, records.num_rows), "retain_intermediate_calculation_columns": True}
        linker = Linker(db_api.register(records), settings)
        return linker.inference.predict(threshold_match_probability=threshold).as_pandas_dataframe()


def timed_train(warehouse: Path, out: Path, seed: int = 1) -> tuple[dict, float]:
    """``c360 identity train``: train on a built warehouse (read-only) and write the model; returns (model, seconds)."""
    started = time.perf_counter()
    # Splink writes work tables into the connection's default catalog: an in-memory one, the warehouse attached
    # read-only (a pipeline run may be writing it)
    con = duckdb.connect()
    try:
        con.execute("attach ? as warehouse (read_only)", [str(warehouse)]).fetchall()
        exists = con.execute(
            "select count(*) from duckdb_tables() where database_name = 'warehouse'"
            " and schema_name = 'intermediate' and table_name = 'int_identity_profiles'"
        ).fetchall()[0][0]
        if not exists:
            raise FileNotFoundError(f"{warehouse} has no {PROFILES_TABLE}: run `dbt build` (c360 run) first")
        model = train(con, table=f"warehouse.{PROFILES_TABLE}", seed=seed)
    finally:
        con.close()
    save(model, out)
    return model, time.perf_counter() - started
