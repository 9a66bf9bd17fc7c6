"""Static analysis of migration SQL: the online-safety lint."""
