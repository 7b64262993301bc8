"""The review queue of uncertain matches, and a steward's decisions on it.

`marts.identity_review_queue` lists profile pairs the model scores between the review and the match threshold.
`c360 identity review` writes it as CSV for people; `c360 identity decide A B --same|--different --by NAME`
appends the decision to the overrides file (dbt var identity_overrides_path), which every run reads: the next run
joins (must_link) or separates (cannot_link) the two records, and the pair leaves the queue. The file is the
audit: who decided, when and why, one row per decision, versioned with the project if the team wants.
"""

from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import yaml

from c360.settings import TRANSFORM_DIR, ConfigError
from identity.model import resolve

QUEUE_TABLE = "marts.identity_review_queue"
COLUMNS = ["action", "source_a", "source_record_id_a", "source_b", "source_record_id_b", "reason", "decided_by",
           "decided_at"]
#: Sources of the records the model scores (int_identity_profiles).
PROFILE_SOURCES = ("sales", "support", "web_user")


def overrides_path() -> Path:
    """The overrides file of dbt var identity_overrides_path (relative paths resolve against transform/)."""
    project = yaml.safe_load((TRANSFORM_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return resolve(project.get("vars", {}).get("identity_overrides_path"))


def write_queue(warehouse: Path, out: Path) -> int:
    """Writes the review queue to ``out`` (CSV); returns the number of pairs."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        exists = con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'marts' and table_name = 'identity_review_queue'"
        ).fetchone()[0]
        if not exists:
            raise FileNotFoundError(f"{warehouse} has no {QUEUE_TABLE}: run the pipeline (c360 run) first")
        out.parent.mkdir(parents=True, exist_ok=True)
        con.execute(f"copy (select * from {QUEUE_TABLE}) to '{out}' (header, delimiter ',')")
        return int(con.execute(f"select count(*) from {QUEUE_TABLE}").fetchone()[0])


def _split(node_key: str) -> tuple[str, str]:
    source, sep, record = node_key.partition(":")
    if not sep or not record or source not in PROFILE_SOURCES:
        raise ConfigError(f"{node_key!r} is not a record key: write SOURCE:ID with SOURCE one of {', '.join(PROFILE_SOURCES)}"
                          " (the node_key_a / node_key_b columns of the review queue)")
    return source, record


def decide(node_key_a: str, node_key_b: str, same: bool, decided_by: str, reason: str = "",
           path: Path | None = None, now: datetime | None = None) -> dict[str, str]:
    """Appends one decision to the overrides file and returns it. A pair already decided is refused: edit the
    file to change a decision, so two contradicting rows never stand side by side."""
    if not decided_by.strip():
        raise ConfigError("a decision needs the steward's name (--by)")
    (source_a, record_a), (source_b, record_b) = sorted([_split(node_key_a), _split(node_key_b)])
    if (source_a, record_a) == (source_b, record_b):
        raise ConfigError("a decision needs two different records")
    path = path or overrides_path()
    rows = []
    if path.exists() and path.stat().st_size:
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    pair = {(source_a, record_a), (source_b, record_b)}
    for row in rows:
        if {(row["source_a"], row["source_record_id_a"]), (row["source_b"], row["source_record_id_b"])} == pair:
            raise ConfigError(f"{node_key_a} and {node_key_b} were already decided ({row['action']} by "
                              f"{row['decided_by']} at {row['decided_at']}): edit {path} to change it")
    decision = {
        "action": "must_link" if same else "cannot_link",
        "source_a": source_a, "source_record_id_a": record_a, "source_b": source_b, "source_record_id_b": record_b,
        "reason": reason, "decided_by": decided_by.strip(),
        "decided_at": (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    new_file = not path.exists() or not path.stat().st_size
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")  # as the shipped file
        if new_file:
            writer.writeheader()
        writer.writerow(decision)
    return decision
