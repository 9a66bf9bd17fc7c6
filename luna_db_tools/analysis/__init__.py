"""Checks over schemas and SQL: drift against the models, the online-safety lint, the stairway."""
