"""The SQLAlchemy models of the LUNA schemas: `streams` and `backport3`.

The submodules are not imported here: `luna-db --help` must not pay for
SQLAlchemy. Import `luna_db_tools.models.streams` (or `.backport3`) directly.
"""
