"""Where the database is and who connects: the DSN grammar and the settings resolved from options, environment and config files."""
