"""Spark's connected components (large-star/small-star, c360/spark_graph.py) give exactly the clusters of the
DuckDB macro (transform/macros/connected_components.sql) on graphs of every shape."""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
import pytest

from c360.spark_graph import connected_components

MACRO = Path(__file__).resolve().parents[2] / "transform" / "macros" / "connected_components.sql"


def duckdb_components(nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, str]:
    text = MACRO.read_text()
    start = text.index("with recursive")  # the DuckDB implementation (default__), up to its own endmacro
    body = text[start:text.index("{%- endmacro %}", start)]
    body = body.replace("{{ edges }}", "edges").replace("{{ nodes }}", "nodes")
    con = duckdb.connect()
    con.execute("create table nodes (node_key varchar)")
    con.execute("create table edges (node_key_a varchar, node_key_b varchar)")
    con.executemany("insert into nodes values (?)", [(n,) for n in nodes])
    if edges:
        con.executemany("insert into edges values (?, ?)", edges)
    return dict(con.execute(body).fetchall())


def graphs() -> dict[str, tuple[list[str], list[tuple[str, str]]]]:
    rng = random.Random(7)
    keys = [f"n{i:04d}" for i in range(400)]
    shuffled = keys[:]
    rng.shuffle(shuffled)  # chains whose labels are not in chain order: the hard case for label propagation
    chain = [(shuffled[i], shuffled[i + 1]) for i in range(199)]
    star = [("n0300", k) for k in keys[301:340]]
    random_edges = [(rng.choice(keys), rng.choice(keys)) for _ in range(150)]
    cycle = [(keys[200 + i], keys[200 + (i + 1) % 30]) for i in range(30)]
    # two graphs, not one per shape: each Spark round costs a few shuffles even on tiny data
    return {
        "no_edges_self_loops_duplicates": (keys[:10], [("n0001", "n0001"), ("n0002", "n0003"), ("n0003", "n0002"),
                                                        ("n0002", "n0003")]),
        "chain_star_cycle_random_isolated": (keys, chain + star + cycle + random_edges),
    }


@pytest.fixture(scope="module")
def spark():
    from spark_session import session

    with_session = session()
    yield with_session
    with_session.stop()


@pytest.mark.parametrize("name", list(graphs()))
def test_same_clusters_as_duckdb(spark, name: str) -> None:
    nodes, edges = graphs()[name]
    expected = duckdb_components(nodes, edges)
    nodes_df = spark.createDataFrame([(n,) for n in nodes], "node_key string")
    edges_df = spark.createDataFrame(edges, "node_key_a string, node_key_b string")
    result, rounds = connected_components(nodes_df, edges_df)
    got = {row.node_key: row.cluster_key for row in result.collect()}
    assert got == expected
    assert rounds >= 1
