"""Sample source systems for c360: the data generator, the Zendesk-compatible server, and the scoring of
identity resolution against the generator's truth (evaluation)."""
