"""Talking to the database: connections that land on the primary, the migration lock, the audit trail, luna-db's own tables."""
