"""c360 ingestion: one dlt source per source system, each loading into its own raw dataset."""
