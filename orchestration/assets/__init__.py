"""The c360 assets: raw datasets (dlt), models (dbt), quality checks (Great Expectations), publication."""
