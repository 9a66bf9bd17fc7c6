"""luna-db-tools: create, migrate and check the databases of LUNA Streams and Backport 3."""

__version__ = "0.1.0"
