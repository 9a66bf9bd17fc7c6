"""Migration SQL read once: split into statements, each classified once, judged by registered rules.

sqltext splits a script the way the server (or SQL*Plus) reads it; shapes
holds the one table of statement shapes and the volatile functions;
classify turns each statement into a Classified record; locks is the lock
table the dry run reads; rule, pg_rules, oracle_rules and txn_rules are the
lint's rules as registered objects; lint runs them beside squawk and
lint_report renders the findings.
"""
