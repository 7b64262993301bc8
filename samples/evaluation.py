"""Score identity resolution (marts.identity_map) against a ground-truth CSV (truth.csv of `c360 generate`).

Everything is counted with set-based SQL in DuckDB; pairs are never enumerated. Definitions (over the records
present on both sides, matched on (source, source_record_id)):

* a *true pair* is two records of the same truth person, a *predicted pair* two records with the same
  customer_id; with n records in a group, the group holds n*(n-1)/2 pairs. True positives are pairs that share
  both, i.e. the sum of n*(n-1)/2 over (person_id, customer_id) groups.
* precision = TP / predicted pairs, recall = TP / true pairs, F1 their harmonic mean (1.0 when a side has no
  pairs at all, by convention).
* over-merged people: truth persons at least one of whose records sits in a customer_id that also holds a
  record of another person (they were glued to someone); over-merged customers: customer_ids holding records
  of more than one person.
* split people: truth persons whose records are spread over more than one customer_id; split customers is the
  number of extra customer_ids this creates (sum over persons of customer_ids - 1).
* missing: records in truth but not in identity_map (never resolved) and records in identity_map but not in
  truth (the pipeline invented or mis-keyed a record).
* must-not-merge (when the sample has a must_not_merge.csv, as `c360 generate --profile hard` writes): pairs
  of records of different people that share an identifier or look alike; *merged* counts the pairs whose two
  records got the same customer_id (the target is 0), per reason; pairs with a record missing from
  identity_map are counted as not evaluated.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

IDENTITY_MAP = "marts.identity_map"


MUST_NOT_MERGE = "must_not_merge.csv"


def evaluate(warehouse: Path, truth_csv: Path, must_not_merge_csv: Path | None = None) -> dict[str, Any]:
    """Pairwise precision / recall / F1 and over-merge / split counts of identity_map against truth.csv, and
    how many must-not-merge pairs were merged (``must_not_merge_csv``, by default the must_not_merge.csv next
    to truth.csv when there is one).

    Opens ``warehouse`` read-only; raises FileNotFoundError / ValueError with what to fix when an input is missing.
    """
    warehouse, truth_csv = Path(warehouse), Path(truth_csv)
    if must_not_merge_csv is None and (truth_csv.parent / MUST_NOT_MERGE).exists():
        must_not_merge_csv = truth_csv.parent / MUST_NOT_MERGE
    if must_not_merge_csv is not None and not Path(must_not_merge_csv).exists():
        raise FileNotFoundError(f"must-not-merge file {must_not_merge_csv} does not exist")
    if not warehouse.exists():
        raise FileNotFoundError(f"warehouse {warehouse} does not exist (set C360_WAREHOUSE or pass --warehouse)")
    if not truth_csv.exists():
        raise FileNotFoundError(f"truth file {truth_csv} does not exist")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        has_map = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts' and table_name = 'identity_map'"
        ).fetchall()[0][0]
        if not has_map:
            raise ValueError(f"{warehouse} has no {IDENTITY_MAP}: run the transform (dbt build) first")
        con.execute(
            "create temp table truth as select source::varchar as source, source_record_id::varchar as source_record_id,"
            " person_id::varchar as person_id from read_csv(?, header = true, all_varchar = true)",
            [str(truth_csv)],
        )
        con.execute(
            f"create temp table predicted as select source, source_record_id::varchar as source_record_id, customer_id"
            f" from {IDENTITY_MAP}"
        )
        con.execute(
            "create temp table both_sides as select t.source, t.source_record_id, t.person_id, p.customer_id"
            " from truth t join predicted p using (source, source_record_id)"
        )
        row = con.execute(
            """
            with
            true_pairs as (
                select coalesce(sum(n * (n - 1) / 2), 0) as v from (select count(*) as n from both_sides group by person_id)
            ),
            predicted_pairs as (
                select coalesce(sum(n * (n - 1) / 2), 0) as v from (select count(*) as n from both_sides group by customer_id)
            ),
            true_positives as (
                select coalesce(sum(n * (n - 1) / 2), 0) as v
                from (select count(*) as n from both_sides group by person_id, customer_id)
            ),
            customers_persons as (
                select customer_id, count(distinct person_id) as persons from both_sides group by customer_id
            ),
            over_merged_people as (
                select count(distinct b.person_id) as v
                from both_sides b join customers_persons c using (customer_id)
                where c.persons > 1
            ),
            persons_customers as (
                select person_id, count(distinct customer_id) as customers from both_sides group by person_id
            )
            select
                (select count(*) from truth),
                (select count(*) from predicted),
                (select count(*) from both_sides),
                (select count(*) from truth t anti join predicted p using (source, source_record_id)),
                (select count(*) from predicted p anti join truth t using (source, source_record_id)),
                (select count(distinct person_id) from both_sides),
                (select count(distinct customer_id) from both_sides),
                (select v from true_pairs)::hugeint,
                (select v from predicted_pairs)::hugeint,
                (select v from true_positives)::hugeint,
                (select v from over_merged_people),
                (select count(*) from customers_persons where persons > 1),
                (select count(*) from persons_customers where customers > 1),
                (select coalesce(sum(customers - 1), 0) from persons_customers)::bigint
            """
        ).fetchall()[0]
        per_source = con.execute(
            """
            select t.source,
                   count(*) as in_truth,
                   count(p.customer_id) as resolved
            from truth t left join predicted p using (source, source_record_id)
            group by t.source order by t.source
            """
        ).fetchall()
        must_not_merge = _must_not_merge(con, Path(must_not_merge_csv)) if must_not_merge_csv else None
    finally:
        con.close()
    (truth_n, predicted_n, both_n, missing_pred, missing_truth, persons, customers,
     true_pairs, predicted_pairs, tp, over_people, over_customers, split_people, extra_customers) = row
    true_pairs, predicted_pairs, tp = int(true_pairs), int(predicted_pairs), int(tp)
    precision = tp / predicted_pairs if predicted_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    result = {
        "records_in_truth": truth_n,
        "records_in_identity_map": predicted_n,
        "records_evaluated": both_n,
        "missing_from_identity_map": missing_pred,
        "missing_from_truth": missing_truth,
        "persons": persons,
        "customers": customers,
        "true_pairs": true_pairs,
        "predicted_pairs": predicted_pairs,
        "true_positive_pairs": tp,
        "precision": round(precision, 6),
        "recall": round(recall, 6),
        "f1": round(f1, 6),
        "over_merged_people": over_people,
        "over_merged_customers": over_customers,
        "split_people": split_people,
        "extra_customers_from_splits": extra_customers,
        "records_by_source": {s: {"in_truth": n, "resolved": r} for s, n, r in per_source},
    }
    if must_not_merge is not None:
        result["must_not_merge"] = must_not_merge
    return result


def _must_not_merge(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, Any]:
    """Pairs of must_not_merge.csv whose two records share a customer_id, in total and per reason."""
    con.execute(
        "create temp table must_not_merge as select * from read_csv(?, header = true, all_varchar = true)", [str(path)]
    )
    missing = {"reason", "source_a", "source_record_id_a", "source_b", "source_record_id_b"} - {
        r[0] for r in con.execute("select column_name from information_schema.columns"
                                  " where table_name = 'must_not_merge'").fetchall()}
    if missing:
        raise ValueError(f"{path} lacks the column(s) {', '.join(sorted(missing))}")
    rows = con.execute(
        """
        select m.reason,
               count(*) as pairs,
               count(a.customer_id is not null and b.customer_id is not null or null) as evaluated,
               count(a.customer_id = b.customer_id or null) as merged
        from must_not_merge m
        left join predicted a on a.source = m.source_a and a.source_record_id = m.source_record_id_a
        left join predicted b on b.source = m.source_b and b.source_record_id = m.source_record_id_b
        group by m.reason order by m.reason
        """
    ).fetchall()
    return {
        "pairs": sum(r[1] for r in rows),
        "evaluated": sum(r[2] for r in rows),
        "merged": sum(r[3] for r in rows),
        "by_reason": {reason: {"pairs": n, "evaluated": e, "merged": k} for reason, n, e, k in rows},
    }
