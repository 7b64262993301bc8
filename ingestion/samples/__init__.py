"""Sample source systems for c360: the data generator and the Zendesk-compatible server."""
