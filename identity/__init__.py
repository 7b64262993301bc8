"""Identity resolution code that is not SQL: the trained probabilistic model (Splink) and its training.

The SQL side (nodes, keys, edges, clusters, stable ids) is in transform/models/intermediate/identity/; the
dbt Python model int_identity_matches_predicted calls :func:`identity.model.predict`.
"""
