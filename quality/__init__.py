"""c360 quality."""
