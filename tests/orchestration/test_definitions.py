"""The one c360 code location: its asset graph, checks, jobs and the wiring between dlt, dbt and quality."""

from __future__ import annotations

import dagster as dg
import pytest
from dagster_dbt import DbtCliResource
from dagster_dlt import DagsterDltResource

from orchestration.build import build_definitions
from orchestration.constants import WAREHOUSE_POOL

EXPECTED_ASSET_KEYS = {
    # dlt: one asset per resource, keyed [dataset, resource], plus each source's quarantine table
    "raw_sales/customers", "raw_sales/orders", "raw_sales/order_items", "raw_sales/products", "raw_sales/quarantine",
    "raw_support/users", "raw_support/tickets", "raw_support/satisfaction_ratings", "raw_support/quarantine",
    "raw_email/events", "raw_email/quarantine",
    "raw_web/events", "raw_web/quarantine",
    # dbt seeds
    "seeds/address_abbreviations", "seeds/crm_rfm_segments", "seeds/junk_identifiers", "seeds/nickname_map",
    # dbt staging
    "staging/stg_email__events",
    "staging/stg_sales__customers", "staging/stg_sales__order_items", "staging/stg_sales__orders",
    "staging/stg_sales__products",
    "staging/stg_support__satisfaction_ratings", "staging/stg_support__ticket_tags", "staging/stg_support__tickets",
    "staging/stg_support__user_identities", "staging/stg_support__users",
    "staging/stg_web__aliases", "staging/stg_web__groups", "staging/stg_web__identifies", "staging/stg_web__pages",
    "staging/stg_web__screens", "staging/stg_web__tracks",
    # dbt intermediate
    "intermediate/int_crm_orders_attributed", "intermediate/int_crm_reference_dates",
    "intermediate/int_crm_satisfaction_ratings_attributed", "intermediate/int_crm_tickets_attributed",
    "intermediate/int_customer_accounts_latest",
    "intermediate/int_customer_attribute_candidates", "intermediate/int_customer_attributes_survived",
    "intermediate/int_customer_email_engagement_aggregated", "intermediate/int_customer_ids_assigned",
    "intermediate/int_customer_orders_aggregated", "intermediate/int_customer_tickets_aggregated",
    "intermediate/int_customer_web_activity_aggregated", "intermediate/int_email_addresses_observed",
    "intermediate/int_email_group_subscriptions_resolved",
    "intermediate/int_identity_clusters", "intermediate/int_identity_clusters_oversized",
    "intermediate/int_identity_components", "intermediate/int_identity_components_guarded",
    "intermediate/int_identity_conflicts", "intermediate/int_identity_edges",
    "intermediate/int_identity_edges_cut", "intermediate/int_identity_keys", "intermediate/int_identity_keys_overshared",
    "intermediate/int_identity_matches_predicted", "intermediate/int_identity_nodes",
    "intermediate/int_identity_nodes_fingerprinted",
    "intermediate/int_identity_overrides", "intermediate/int_identity_profiles",
    "intermediate/int_web_events_unioned", "intermediate/int_web_identifiers_observed",
    "intermediate/int_web_sessions_sessionized",
    # dbt marts (docs/contracts.md section 3)
    "marts/channel_preference", "marts/customer_360", "marts/customer_id_history", "marts/customer_interactions",
    "marts/customer_satisfaction", "marts/customer_segments", "marts/customer_value", "marts/identity_map",
    "marts/retention_cohorts", "marts/satisfaction_by_segment_month",
    "marts/product_affinities", "marts/customer_recommendations", "marts/identity_links",
    "marts/identity_review_queue",
    # publication
    "published_marts",
}


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    return build_definitions()


def _assets_defs(defs: dg.Definitions) -> list[dg.AssetsDefinition]:
    return [a for a in defs.assets if isinstance(a, dg.AssetsDefinition)]


def test_asset_keys_are_exactly_the_c360_graph(defs):
    keys = {key.to_user_string() for key in defs.resolve_all_asset_keys()}
    assert keys == EXPECTED_ASSET_KEYS, (
        f"new: {sorted(keys - EXPECTED_ASSET_KEYS)}; gone: {sorted(EXPECTED_ASSET_KEYS - keys)}"
    )


def test_every_dbt_source_is_a_dlt_asset(defs):
    assets = _assets_defs(defs)
    dlt_keys = {k for a in assets if a.op.name.startswith("ingest_") for k in a.keys}
    (dbt,) = [a for a in assets if a.op.name == "dbt_build"]
    translator = next(iter(dbt.specs)).metadata["dagster_dbt/dagster_dbt_translator"]
    manifest = next(iter(dbt.specs)).metadata["dagster_dbt/manifest"].manifest
    sources = manifest["sources"].values()
    assert {s["source_name"] for s in sources} == {"sales", "support", "email", "web"}
    for source in sources:
        key = translator.get_asset_key(source)
        assert key in dlt_keys, f"dbt source {source['unique_id']} -> {key.to_user_string()} is no dlt asset"
    # and the graph is one piece: every staging model reads a dlt asset
    graph = defs.resolve_asset_graph()
    for key in dbt.keys:
        if key.path[0] == "staging":
            assert graph.get(key).parent_keys & dlt_keys, key.to_user_string()
    # the published marts sit downstream of every mart
    marts = {k for k in dbt.keys if k.path[0] == "marts"}
    assert graph.get(dg.AssetKey("published_marts")).parent_keys == marts


def test_quality_suites_are_asset_checks_and_critical_ones_block(defs):
    from quality.config import load_config

    config = load_config()
    quality_checks = [c for c in defs.asset_checks if c.node_def.name.startswith("quality_")]
    specs = [spec for c in quality_checks for spec in c.check_specs]
    # every configured expectation is wired to the asset holding its table
    assert len(specs) == len(config.checks)
    by_name = {(s.asset_key, s.name): s for s in specs}
    assert len(by_name) == len(specs)
    for spec in specs:
        assert spec.blocking == (spec.metadata["c360/severity"] == "critical"), spec.name
    assert sum(s.blocking for s in specs) == sum(c.severity == "critical" for c in config.checks) > 0
    # raw tables of the web source land on its one dlt asset
    assert any(s.asset_key == dg.AssetKey(["raw_web", "events"]) and s.metadata["c360/table"] == "raw_web.tracks"
               for s in specs)
    # dbt tests are asset checks too
    (dbt,) = [a for a in _assets_defs(defs) if a.op.name == "dbt_build"]
    assert any(k.name.startswith("unique_") for k in dbt.check_keys)


def test_every_warehouse_step_is_in_the_warehouse_pool_and_ingestion_retries(defs):
    ops = [a.op for a in _assets_defs(defs)] + [c.node_def for c in defs.asset_checks]
    assert {op.name for op in ops} >= {
        "ingest_sales", "ingest_support", "ingest_email", "ingest_web", "dbt_build", "published_marts",
        "quality_raw", "quality_identity", "quality_marts",
    }
    for op in ops:
        assert op.pool == WAREHOUSE_POOL, op.name
        assert "warehouse_lock" in op.required_resource_keys, op.name
        if op.name.startswith("ingest_"):
            assert op.retry_policy.max_retries == 3 and op.retry_policy.delay == 15
            assert op.retry_policy.backoff == dg.Backoff.EXPONENTIAL


def test_jobs_and_resources(defs):
    repo = defs.get_repository_def()
    assert set(repo.job_names) >= {
        "full_pipeline_job", "ingest_events_job",
        "ingest_sales_job", "ingest_support_job", "ingest_email_job", "ingest_web_job",
    }
    full = defs.resolve_job_def("full_pipeline_job")
    assert full.asset_layer.selected_asset_keys == set(defs.resolve_all_asset_keys())
    for source in ("sales", "support", "email", "web"):
        job = defs.resolve_job_def(f"ingest_{source}_job")
        assert {k.path[0] for k in job.asset_layer.selected_asset_keys} == {f"raw_{source}"}
    assert isinstance(defs.resources["dbt"], DbtCliResource)
    assert isinstance(defs.resources["dlt"], DagsterDltResource)
    assert {s.name for s in defs.sensors} == {"email_new_files", "web_new_files", "alert_on_run_failure"}
