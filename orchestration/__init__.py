"""c360 orchestration."""
