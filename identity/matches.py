"""Splink's scored pairs -> the rows of int_identity_matches_predicted, one definition for both engines.

The DuckDB engine converts the whole prediction at once (the dbt Python model), the Spark engine each partition
of it (``mapInPandas`` in identity/spark.py); both call :func:`to_matches`.
"""

from __future__ import annotations

from typing import Any

COLUMNS = ["node_key_a", "node_key_b", "match_probability", "match_weight", "is_corroborated", "evidence"]
DTYPES = {"match_probability": "float64", "match_weight": "float64", "is_corroborated": "bool"}


def empty() -> Any:
    import pandas as pd

    return pd.DataFrame({c: pd.Series(dtype=DTYPES.get(c, "object")) for c in COLUMNS})


def threshold(match_threshold: float, review_threshold: float) -> float:
    """Pairs down to the review threshold are kept: below the match threshold they only reach the review queue."""
    return min(float(match_threshold), float(review_threshold))


def to_matches(scored: Any, weights: dict) -> Any:
    """pandas frame of Splink predictions (node_key_l/_r, match_probability, match_weight, mw_<column>...) ->
    :data:`COLUMNS`, the pair ordered (node_key_a < node_key_b), whether a field besides the name agrees
    (:func:`identity.model.corroborated`) and the evidence in words."""
    import pandas as pd

    from identity.model import corroborated, evidence_texts

    if scored.empty:
        return empty()
    out = pd.DataFrame({
        "node_key_a": scored[["node_key_l", "node_key_r"]].min(axis=1),
        "node_key_b": scored[["node_key_l", "node_key_r"]].max(axis=1),
        "match_probability": scored["match_probability"].astype("float64"),
        "match_weight": scored["match_weight"].astype("float64"),
        "is_corroborated": corroborated(scored, weights),
        "evidence": evidence_texts(scored, weights),
    })
    return out[COLUMNS]
