"""samples.evaluation: the must-not-merge figures, on a hand-made identity_map in a real DuckDB file."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from samples.evaluation import evaluate

TRUTH = """source,source_record_id,person_id
sales,1,p1
sales,2,p2
support,7,p1
web_user,2,p2
sales,3,p3
sales,4,p4
sales,5,p5
"""
# customers: A = {sales 1, support 7, sales 2, web_user 2} (p1 and p2 glued), B = {sales 3}, C = {sales 4}
# sales 5 is in truth but missing from identity_map
IDENTITY_MAP = [("sales", "1", "A"), ("support", "7", "A"), ("sales", "2", "A"), ("web_user", "2", "A"),
                ("sales", "3", "B"), ("sales", "4", "C")]
HEADER = "reason,identifier,source_a,source_record_id_a,person_id_a,source_b,source_record_id_b,person_id_b\n"
PAIRS = HEADER + (
    "family_email,email:smithfamily@gmail.com,sales,1,p1,sales,2,p2\n"
    "family_computer,anonymousId:x,support,7,p1,web_user,2,p2\n"
    "twins,last_name+birth_date:lee|1990-01-02,sales,3,p3,sales,4,p4\n"
    "twins,last_name+birth_date:lee|1990-01-02,sales,3,p3,sales,5,p5\n"
)


@pytest.fixture
def warehouse(tmp_path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute("create table marts.identity_map (source varchar, source_record_id varchar, customer_id varchar)")
    con.executemany("insert into marts.identity_map values (?, ?, ?)", IDENTITY_MAP)
    con.close()
    (tmp_path / "truth.csv").write_text(TRUTH, encoding="utf-8")
    return path


def test_merged_pairs_are_counted_per_reason(warehouse, tmp_path):
    (tmp_path / "must_not_merge.csv").write_text(PAIRS, encoding="utf-8")
    result = evaluate(warehouse, tmp_path / "truth.csv")  # found next to truth.csv
    assert result["must_not_merge"] == {
        "pairs": 4, "evaluated": 3, "merged": 2,
        "by_reason": {"family_computer": {"pairs": 1, "evaluated": 1, "merged": 1},
                      "family_email": {"pairs": 1, "evaluated": 1, "merged": 1},
                      "twins": {"pairs": 2, "evaluated": 1, "merged": 0}},
    }
    # the pairwise figures are computed as before, next to it
    assert result["over_merged_customers"] == 1 and result["missing_from_identity_map"] == 1


def test_an_explicit_file_is_used_and_no_file_means_no_figure(warehouse, tmp_path):
    assert "must_not_merge" not in evaluate(warehouse, tmp_path / "truth.csv")
    other = tmp_path / "elsewhere.csv"
    other.write_text(HEADER + "twins,x,sales,3,p3,sales,4,p4\n", encoding="utf-8")
    result = evaluate(warehouse, tmp_path / "truth.csv", must_not_merge_csv=other)
    assert result["must_not_merge"]["pairs"] == 1 and result["must_not_merge"]["merged"] == 0
    empty = tmp_path / "empty.csv"
    empty.write_text(HEADER, encoding="utf-8")
    result = evaluate(warehouse, tmp_path / "truth.csv", must_not_merge_csv=empty)
    assert result["must_not_merge"] == {"pairs": 0, "evaluated": 0, "merged": 0, "by_reason": {}}


def test_bad_must_not_merge_files_name_what_is_wrong(warehouse, tmp_path):
    with pytest.raises(FileNotFoundError, match="must-not-merge file .*missing.csv does not exist"):
        evaluate(warehouse, tmp_path / "truth.csv", must_not_merge_csv=tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="lacks the column"):
        evaluate(warehouse, tmp_path / "truth.csv", must_not_merge_csv=bad)
