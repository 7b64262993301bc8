"""The cluster guard, one definition for both engines: evidence cut so that no customer holds two records that must
not be one person.

For every component of int_identity_components holding a conflict (int_identity_conflicts: two records that
contradict each other, or a steward's cannot-link pair), the component's evidence is applied strongest first -
steward must-link, claimed customer id, cookie with userId, Segment alias, email, phone, then probabilistic links by
match probability - and an edge that would put two conflicting records into one customer is cut instead. So the
weakest evidence between the two goes, never the whole cluster. A steward's must-link is never cut.

A shared identifier (email, phone, claimed id, cookie: the edge's ``shared_key``) one of whose links had to be cut
is held by people who must stay apart - the contradiction showed only through their other records (a family
computer's cookie is seen with two userIds whose sales accounts contradict). Like a key int_identity_keys_overshared
finds, such a key then links nothing: every edge of it is cut (conflict_reason 'shared_by_different_people', with
the conflicting pair), and the guard runs again without them.

Python because this is a sequential greedy over a union-find. Components are independent of each other, so the
guard runs per component: the dbt Python model on DuckDB (int_identity_edges_cut.py) hands it all conflicted
components at once, the Spark step (identity/spark.py) one component per group of a cogroup, in parallel.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

RULE_STRENGTH = {
    "steward_must_link": 0,
    "customer_id": 1,
    "anonymous_id_with_user_id": 2,
    "alias": 3,
    "email": 4,
    "phone": 5,
    "probabilistic": 6,
}
COLUMNS = ["node_key_a", "node_key_b", "rule", "score", "conflict_node_key_a", "conflict_node_key_b", "conflict_reason"]


SHARED = "shared_by_different_people"
#: each round can only find keys joined by stronger evidence than the last; a handful of rounds is plenty
MAX_ROUNDS = 5


def cut_edges(edges: Iterable[tuple], conflicts: Iterable[tuple]) -> list[tuple]:
    """edges: iterable of (a, b, rule, score[, shared_key]); conflicts: iterable of (a, b, reason). Returns the cut
    rows: the edges the greedy cut, and every edge of a key one of whose edges had to be cut."""
    edges = [(*e[:4], e[4] if len(e) > 4 else None) for e in edges]
    conflicts = list(conflicts)
    dropped: dict[str, tuple] = {}
    for _ in range(MAX_ROUNDS):
        cut = _greedy([e for e in edges if e[4] is None or e[4] not in dropped], conflicts)
        found: dict[str, tuple] = {}
        for row, key in cut:
            if key is not None and key not in dropped:
                found.setdefault(key, row[4:6])
        if not found:
            break
        dropped.update(found)
    shared = [(a, b, rule, float(score), *dropped[key][:2], SHARED) for a, b, rule, score, key in edges
              if key is not None and key in dropped]
    return [row for row, _ in cut] + shared


def _greedy(edges: list[tuple], conflicts: list[tuple]) -> list[tuple]:
    """One pass of the guard; returns [(cut row, the cut edge's shared key)]."""
    parent: dict = {}
    members: dict = {}
    against: dict = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b, reason in conflicts:
        against.setdefault(a, {})[b] = reason
        against.setdefault(b, {})[a] = reason
    ordered = sorted(edges, key=lambda e: (RULE_STRENGTH.get(e[2], 9), -float(e[3]), e[0], e[1]))
    cut = []
    for a, b, rule, score, key in ordered:
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        set_a, set_b = members.get(ra, {ra}), members.get(rb, {rb})
        clash = None
        if rule != "steward_must_link":
            small, large = (set_a, set_b) if len(set_a) <= len(set_b) else (set_b, set_a)
            for x in small:
                for y, reason in against.get(x, {}).items():
                    if y in large:
                        clash = (min(x, y), max(x, y), reason)
                        break
                if clash:
                    break
        if clash:
            cut.append(((a, b, rule, float(score), *clash), key if rule != "steward_must_link" else None))
            continue
        parent[rb] = ra
        members[ra] = set_a | set_b
        members.pop(rb, None)
    return cut


def empty() -> Any:
    import pandas as pd

    return pd.DataFrame({c: pd.Series(dtype="float64" if c == "score" else "object") for c in COLUMNS})


def cut_frame(edges: Any, conflicts: Any) -> Any:
    """pandas: ``edges`` (node_key_a, node_key_b, rule, score[, shared_key]) of conflicted components,
    ``conflicts`` (node_key_a, node_key_b, reason) -> the cut edges (:data:`COLUMNS`)."""
    import pandas as pd

    if conflicts.empty or edges.empty:
        return empty()
    columns = ["node_key_a", "node_key_b", "rule", "score"] + (["shared_key"] if "shared_key" in edges else [])
    rows = cut_edges(
        edges[columns].astype(object).where(edges[columns].notna(), None).itertuples(index=False, name=None),
        conflicts[["node_key_a", "node_key_b", "reason"]].itertuples(index=False, name=None),
    )
    return pd.DataFrame(rows, columns=COLUMNS).astype({"score": "float64"}) if rows else empty()
