"""Connected components on Spark: large-star / small-star (Kiveris et al., "Connected Components in MapReduce and
Beyond", SoCC 2014).

DuckDB computes the identity clusters with a recursive CTE (transform/macros/connected_components.sql: min-label
propagation whose work per step is the frontier, USING KEY). Spark has no keyed recursion, and plain label
propagation needs as many rounds as the graph's diameter (a 1,000-link chain: 1,000 shuffles). Large-star/small-star
rewires the graph towards stars around each component's smallest node instead: O(log^2 n) rounds in theory, a
handful in practice, each round one shuffle of the edge list, so it scales with the cluster. Runs as a step of its
own on the Spark path (dbt-spark's session method runs no Python models; docs/readme/spark.md).
"""

from __future__ import annotations

from typing import Any

#: Safety net against a bug ever looping forever; real graphs converge in well under 20 rounds.
MAX_ROUNDS = 100


def _large_star(edges: Any) -> Any:
    from pyspark.sql import functions as F

    both = edges.unionByName(edges.select(F.col("dst").alias("src"), F.col("src").alias("dst")))
    smallest = both.groupBy("src").agg(F.least(F.min("dst"), F.first("src")).alias("m"))
    # every larger neighbour of u is re-attached to the smallest node of u's neighbourhood
    return (both.join(smallest, "src").where(F.col("dst") > F.col("src"))
            .select(F.col("dst").alias("src"), F.col("m").alias("dst")).distinct())


def _small_star(edges: Any) -> Any:
    from pyspark.sql import functions as F

    down = edges.select(F.greatest("src", "dst").alias("src"), F.least("src", "dst").alias("dst")).distinct()
    smallest = down.groupBy("src").agg(F.min("dst").alias("m"))
    # u and its smaller neighbours are all attached to the smallest of them
    moved = down.join(smallest, "src").where(F.col("dst") != F.col("m")).select(F.col("dst").alias("src"), "m")
    own = smallest.select("src", "m")
    return moved.unionByName(own).select("src", F.col("m").alias("dst")).distinct()


def connected_components(nodes: Any, edges: Any) -> tuple[Any, int]:
    """``nodes`` (node_key), ``edges`` (node_key_a, node_key_b) -> ((node_key, cluster_key), rounds).

    cluster_key is the smallest node_key of the component, as on DuckDB, so both engines give identical clusters.
    """
    from pyspark.sql import functions as F

    current = (edges.where(F.col("node_key_a") != F.col("node_key_b"))
               .select(F.least("node_key_a", "node_key_b").alias("src"), F.greatest("node_key_a", "node_key_b").alias("dst"))
               .distinct().localCheckpoint())
    rounds = 0
    while True:
        rounds += 1
        if rounds > MAX_ROUNDS:
            raise RuntimeError(f"connected components did not converge in {MAX_ROUNDS} rounds")
        following = _small_star(_large_star(current)).localCheckpoint()
        # converged when a round leaves the edge set unchanged (every edge then points at its component's minimum)
        if following.count() == current.count() and following.exceptAll(current).isEmpty():
            break
        current = following
    labels = current.select(F.col("src").alias("node_key"), F.col("dst").alias("label"))
    return (nodes.select("node_key").distinct().join(labels, "node_key", "left")
            .groupBy("node_key").agg(F.least(F.min("label"), F.first("node_key")).alias("cluster_key"))), rounds
