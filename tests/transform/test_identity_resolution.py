"""Identity resolution on generated data at default messiness, scored against the generator's truth."""

from __future__ import annotations

from samples.evaluation import evaluate


def test_pairwise_precision_and_recall_meet_targets(built):
    result = evaluate(built.warehouse, built.truth)
    assert result["missing_from_identity_map"] == 0, result
    assert result["missing_from_truth"] == 0, result
    assert result["precision"] >= 0.995, result
    assert result["recall"] >= 0.98, result
    assert result["over_merged_people"] <= 1, result


def test_every_identifying_record_is_in_identity_map_exactly_once(built):
    expected = built.query(
        """
        select 'sales', id::varchar from raw_sales.customers
        union select 'support', id::varchar from raw_support.users
        union select 'email', email from raw_email.events
        {web}
        """.format(web="\n".join(
            f"union select 'web_user', user_id from raw_web.{t} where user_id is not null "
            f"union select 'web_anonymous', anonymous_id from raw_web.{t} where anonymous_id is not null"
            for t in ("identifies", "tracks", "pages", "screens", "groups", "aliases")
        ))
    )
    mapped = built.query("select source, source_record_id from marts.identity_map")
    assert len(mapped) == len(set(mapped)), "a record appears more than once in identity_map"
    assert set(mapped) == set(expected)
    # and every customer of a non-staff record has a golden record
    orphans = built.query(
        "select count(*) from marts.identity_map m anti join marts.customer_360 c using (customer_id)"
        " where m.rule <> 'support_agent'"
    )
    assert orphans == [(0,)]


def test_evaluation_counts_pairs_set_based(built, tmp_path):
    """The evaluator's figures on a hand-made truth: one person split in two, two persons merged."""
    rows = built.query("select source, source_record_id, customer_id from marts.identity_map order by customer_id, source, source_record_id")
    by_customer: dict[str, list[tuple[str, str]]] = {}
    for source, record, customer in rows:
        by_customer.setdefault(customer, []).append((source, record))
    multi = [records for records in by_customer.values() if len(records) >= 3]
    a, b = multi[0], multi[1]
    truth = tmp_path / "truth.csv"
    lines = ["source,source_record_id,person_id"]
    # person X = customer a, except its first record which is its own person (a split of a in the truth's eyes)
    lines += [f"{s},{r},X" for s, r in a[1:]] + [f"{a[0][0]},{a[0][1]},Y"]
    # person Z = all of b plus... nothing else; and person Y also owns b's first record (an over-merge)
    lines += [f"{s},{r},Z" for s, r in b[1:]] + [f"{b[0][0]},{b[0][1]},Y"]
    truth.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = evaluate(built.warehouse, truth)
    n_a, n_b = len(a), len(b)
    predicted = n_a * (n_a - 1) // 2 + n_b * (n_b - 1) // 2
    true = (n_a - 1) * (n_a - 2) // 2 + (n_b - 1) * (n_b - 2) // 2 + 1
    tp = (n_a - 1) * (n_a - 2) // 2 + (n_b - 1) * (n_b - 2) // 2
    assert result["predicted_pairs"] == predicted
    assert result["true_pairs"] == true
    assert result["true_positive_pairs"] == tp
    assert result["split_people"] == 1  # Y spans customers a and b
    assert result["over_merged_people"] == 3  # X, Y and Z all share a customer with another person
    assert result["missing_from_truth"] == len(rows) - n_a - n_b
