"""Single-object changes to a database made by `luna-db create`, and benign ones.

Shared by tests/test_drift.py and bench/drift_vs_migra.py. A change names
the difference drift must report (kind, object); a benign change must make
drift report nothing. Each statement runs on its own in autocommit (VACUUM
cannot run in a transaction); `{role}` is a throwaway role of the run.
"""

from __future__ import annotations

from dataclasses import dataclass

S, B = "streams", "backport3"


@dataclass(frozen=True)
class Case:
    id: str
    schema: str
    statements: tuple[str, ...]
    expect: tuple[str, str] | None = None  # (kind, object); None: benign, nothing to report
    needs: str | None = None  # a server feature (db/server_version.POSTGRESQL_FEATURES) the change uses


def _c(id_, schema, expect, *statements, needs=None):
    return Case(id_, schema, tuple(statements), expect, needs)


_STATUS = "'pending', 'in_progress', 'done', 'restart', 'cancel', 'failure', 'pause', 'handler_lost'"
_TOUCH = ("CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS "
          "$$BEGIN NEW.last_update_time := now(); RETURN NEW; END$$")

CHANGES = [
    # --- tables
    _c("extra-table", S, ("extra table", "extra_t"), "CREATE TABLE extra_t (id int)"),
    _c("missing-table", S, ("missing table", "single_process_lock"), "DROP TABLE single_process_lock"),
    _c("renamed-table", S, ("missing table", "log"), "ALTER TABLE log RENAME TO logs"),
    _c("unlogged", S, ("persistence", "log"), "ALTER TABLE log SET UNLOGGED"),
    _c("rls-enabled", S, ("row-level security", "stream"), "ALTER TABLE stream ENABLE ROW LEVEL SECURITY"),
    _c("rls-forced", S, ("forced row-level security", "stream"), "ALTER TABLE stream FORCE ROW LEVEL SECURITY"),
    _c("fillfactor", S, ("table options", "log"), "ALTER TABLE log SET (fillfactor = 70)"),
    _c("table-comment", S, ("table comment", "stream"), "COMMENT ON TABLE stream IS 'streams'"),
    _c("table-comment-dropped", S, ("table comment", "log"), "COMMENT ON TABLE log IS NULL"),
    _c("b3-extra-table", B, ("extra table", "account_credentials"),
       "CREATE TABLE account_credentials (account_id varchar(36) PRIMARY KEY, login varchar(128))"),
    _c("b3-missing-table", B, ("missing table", "person_face"), "DROP TABLE person_face"),
    _c("b3-unlogged", B, ("persistence", "account_token"), "ALTER TABLE account_token SET UNLOGGED"),
    _c("b3-rls", B, ("row-level security", "account"), "ALTER TABLE account ENABLE ROW LEVEL SECURITY"),
    # --- columns
    _c("extra-column", S, ("extra column", "stream.extra"), "ALTER TABLE stream ADD COLUMN extra int"),
    _c("missing-column", S, ("missing column", "log.error"), "ALTER TABLE log DROP COLUMN error"),
    _c("renamed-column", S, ("missing column", "single_process_lock.instance_id"),
       "ALTER TABLE single_process_lock RENAME COLUMN instance_id TO instance"),
    _c("type-length", S, ("type", "log.status"), "ALTER TABLE log ALTER COLUMN status TYPE varchar(32)"),
    _c("type-text-varchar", S, ("type", "log.error"), "ALTER TABLE log ALTER COLUMN error TYPE varchar(100)"),
    _c("type-varchar-longer", S, ("type", "single_process_lock.instance_id"),
       "ALTER TABLE single_process_lock ALTER instance_id TYPE varchar(64)"),
    _c("type-bigint", B, ("type", "handler.version"), "ALTER TABLE handler ALTER version TYPE bigint"),
    _c("type-timestamptz", S, ("type", "single_process_lock.heartbeat_time"),
       "ALTER TABLE single_process_lock ALTER heartbeat_time TYPE timestamptz"),
    _c("set-not-null", S, ("nullable", "log.error"), "ALTER TABLE log ALTER COLUMN error SET NOT NULL"),
    _c("drop-not-null", S, ("nullable", "log.stream_id"), "ALTER TABLE log ALTER COLUMN stream_id DROP NOT NULL"),
    _c("default-now", S, ("default", "stream.create_time"), "ALTER TABLE stream ALTER create_time SET DEFAULT now()"),
    _c("default-value", S, ("default", "stream.version"), "ALTER TABLE stream ALTER version SET DEFAULT 2"),
    _c("default-dropped", S, ("default", "restart.delay"), "ALTER TABLE restart ALTER delay DROP DEFAULT"),
    _c("default-added", S, ("default", "log.error"), "ALTER TABLE log ALTER error SET DEFAULT ''"),
    _c("default-string", S, ("default", "stream.name"), "ALTER TABLE stream ALTER name SET DEFAULT 'x'"),
    _c("default-bool", S, ("default", "restart.restart"), "ALTER TABLE restart ALTER restart SET DEFAULT true"),
    _c("collation-c", S, ("collation", "log.status"), "ALTER TABLE log ALTER status TYPE varchar(16) COLLATE \"C\""),
    _c("collation-posix", S, ("collation", "single_process_lock.lock_name"),
       "ALTER TABLE single_process_lock ALTER lock_name TYPE varchar(64) COLLATE \"POSIX\""),
    _c("identity-always", S, ("identity", "log.log_id"), "ALTER TABLE log ALTER log_id SET GENERATED ALWAYS"),
    _c("identity-increment", S, ("identity", "log.log_id"), "ALTER TABLE log ALTER log_id SET INCREMENT BY 2"),
    _c("identity-cache", S, ("identity", "log.log_id"), "ALTER TABLE log ALTER log_id SET CACHE 20"),
    _c("identity-maxvalue", S, ("identity", "log.log_id"), "ALTER TABLE log ALTER log_id SET MAXVALUE 1000000"),
    _c("identity-dropped", S, ("identity", "log.log_id"), "ALTER TABLE log ALTER log_id DROP IDENTITY"),
    _c("generated-column", S, ("extra column", "stream.doubled"),
       "ALTER TABLE stream ADD COLUMN doubled int GENERATED ALWAYS AS (version * 2) STORED"),
    _c("column-comment", S, ("comment", "stream.name"), "COMMENT ON COLUMN stream.name IS 'the name'"),
    _c("column-comment-dropped", S, ("comment", "log.error"), "COMMENT ON COLUMN log.error IS NULL"),
    _c("b3-type-int", B, ("type", "handler.type"), "ALTER TABLE handler ALTER type TYPE bigint"),
    _c("b3-extra-column", B, ("extra column", "account.login"), "ALTER TABLE account ADD COLUMN login varchar(128)"),
    _c("b3-default", B, ("default", "account.active"), "ALTER TABLE account ALTER active SET DEFAULT false"),
    _c("b3-default-utc", B, ("default", "person.create_time"), "ALTER TABLE person ALTER create_time SET DEFAULT now()"),
    _c("b3-nullable", B, ("nullable", "person.external_id"), "ALTER TABLE person ALTER external_id SET NOT NULL"),
    _c("b3-collation", B, ("collation", "account_token.token"),
       "ALTER TABLE account_token ALTER token TYPE varchar(128) COLLATE \"C\""),
    # --- constraints
    _c("check-body", S, ("check", "stream.ck_stream_status"),
       "ALTER TABLE stream DROP CONSTRAINT ck_stream_status",
       "ALTER TABLE stream ADD CONSTRAINT ck_stream_status CHECK (status IN ('pending', 'done'))"),
    _c("check-dropped", S, ("missing constraint", "stream.ck_stream_status"),
       "ALTER TABLE stream DROP CONSTRAINT ck_stream_status"),
    _c("check-added", S, ("extra constraint", "stream.ck_stream_version"),
       "ALTER TABLE stream ADD CONSTRAINT ck_stream_version CHECK (version > 0)"),
    _c("check-renamed", S, ("extra constraint", "stream.stream_status_check"),
       "ALTER TABLE stream RENAME CONSTRAINT ck_stream_status TO stream_status_check"),
    _c("check-not-valid", S, ("check", "stream.ck_stream_status"),
       "ALTER TABLE stream DROP CONSTRAINT ck_stream_status",
       f"ALTER TABLE stream ADD CONSTRAINT ck_stream_status CHECK (status IN ({_STATUS})) NOT VALID"),
    _c("pk-order", S, ("primary key", "group_stream.pk_group_stream"),
       "ALTER TABLE group_stream DROP CONSTRAINT pk_group_stream",
       "ALTER TABLE group_stream ADD CONSTRAINT pk_group_stream PRIMARY KEY (stream_id, group_id)"),
    _c("pk-columns", S, ("primary key", "handler.pk_handler"),
       "ALTER TABLE handler DROP CONSTRAINT pk_handler",
       "ALTER TABLE handler ADD CONSTRAINT pk_handler PRIMARY KEY (handler_id)"),
    _c("pk-dropped", S, ("missing constraint", "single_process_lock.pk_single_process_lock"),
       "ALTER TABLE single_process_lock DROP CONSTRAINT pk_single_process_lock"),
    _c("pk-renamed", S, ("extra constraint", "log.log_pkey"), "ALTER TABLE log RENAME CONSTRAINT pk_log TO log_pkey"),
    _c("unique-dropped", S, ("missing constraint", "group.uq_group_account_id_group_name"),
       'ALTER TABLE "group" DROP CONSTRAINT uq_group_account_id_group_name'),
    _c("unique-added", S, ("extra constraint", "stream.uq_stream_name"),
       "ALTER TABLE stream ADD CONSTRAINT uq_stream_name UNIQUE (account_id, name)"),
    _c("unique-order", S, ("unique", "group.uq_group_account_id_group_name"),
       'ALTER TABLE "group" DROP CONSTRAINT uq_group_account_id_group_name',
       'ALTER TABLE "group" ADD CONSTRAINT uq_group_account_id_group_name UNIQUE (group_name, account_id)'),
    _c("unique-deferrable", S, ("unique", "group.uq_group_account_id_group_name"),
       'ALTER TABLE "group" DROP CONSTRAINT uq_group_account_id_group_name',
       'ALTER TABLE "group" ADD CONSTRAINT uq_group_account_id_group_name UNIQUE (account_id, group_name) DEFERRABLE'),
    _c("fk-on-delete", S, ("foreign key", "location.fk_location_stream_id_stream"),
       "ALTER TABLE location DROP CONSTRAINT fk_location_stream_id_stream",
       "ALTER TABLE location ADD CONSTRAINT fk_location_stream_id_stream FOREIGN KEY (stream_id) "
       "REFERENCES stream (stream_id) ON DELETE RESTRICT"),
    _c("fk-on-update", S, ("foreign key", "restart.fk_restart_stream_id_stream"),
       "ALTER TABLE restart DROP CONSTRAINT fk_restart_stream_id_stream",
       "ALTER TABLE restart ADD CONSTRAINT fk_restart_stream_id_stream FOREIGN KEY (stream_id) "
       "REFERENCES stream (stream_id) ON DELETE CASCADE ON UPDATE CASCADE"),
    _c("fk-deferrable", S, ("foreign key", "handler.fk_handler_stream_id_stream"),
       "ALTER TABLE handler DROP CONSTRAINT fk_handler_stream_id_stream",
       "ALTER TABLE handler ADD CONSTRAINT fk_handler_stream_id_stream FOREIGN KEY (stream_id) "
       "REFERENCES stream (stream_id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED"),
    _c("fk-not-valid", S, ("foreign key", "handler.fk_handler_stream_id_stream"),
       "ALTER TABLE handler DROP CONSTRAINT fk_handler_stream_id_stream",
       "ALTER TABLE handler ADD CONSTRAINT fk_handler_stream_id_stream FOREIGN KEY (stream_id) "
       "REFERENCES stream (stream_id) ON DELETE CASCADE NOT VALID"),
    _c("fk-dropped", S, ("missing constraint", "group_stream.fk_group_stream_group_id_group"),
       "ALTER TABLE group_stream DROP CONSTRAINT fk_group_stream_group_id_group"),
    _c("fk-added", S, ("extra constraint", "log.fk_log_stream"),
       "ALTER TABLE log ADD CONSTRAINT fk_log_stream FOREIGN KEY (stream_id) REFERENCES stream ON DELETE CASCADE"),
    _c("exclude-added", S, ("extra constraint", "log.ex_log"),
       "ALTER TABLE log ADD CONSTRAINT ex_log EXCLUDE USING btree (log_id WITH =)"),
    _c("b3-check-body", B, ("check", "handler.ck_handler_type"),
       "ALTER TABLE handler DROP CONSTRAINT ck_handler_type",
       "ALTER TABLE handler ADD CONSTRAINT ck_handler_type CHECK (type IN (0, 1, 2, 3))"),
    _c("b3-fk-action", B, ("foreign key", "handler.fk_handler_account_id_account"),
       "ALTER TABLE handler DROP CONSTRAINT fk_handler_account_id_account",
       "ALTER TABLE handler ADD CONSTRAINT fk_handler_account_id_account FOREIGN KEY (account_id) "
       "REFERENCES account (account_id) ON DELETE CASCADE"),
    _c("b3-pk-renamed", B, ("extra constraint", "account.account_pkey"),
       "ALTER TABLE account RENAME CONSTRAINT pk_account TO account_pkey"),
    _c("b3-unique-dropped", B, ("missing constraint", "account_token.uq_account_token_token"),
       "ALTER TABLE account_token DROP CONSTRAINT uq_account_token_token"),
    _c("b3-pk-order", B, ("primary key", "list_person.pk_list_person"),
       "ALTER TABLE list_person DROP CONSTRAINT pk_list_person",
       "ALTER TABLE list_person ADD CONSTRAINT pk_list_person PRIMARY KEY (person_id, list_id)"),
    # --- indexes
    _c("index-dropped", S, ("missing index", "stream.ix_stream_status"), "DROP INDEX ix_stream_status"),
    _c("index-added", S, ("extra index", "log.ix_log_status"), "CREATE INDEX ix_log_status ON log (status)"),
    _c("index-renamed", S, ("extra index", "stream.stream_status_idx"),
       "ALTER INDEX ix_stream_status RENAME TO stream_status_idx"),
    _c("index-method", S, ("index method", "stream.ix_stream_status"),
       "DROP INDEX ix_stream_status", "CREATE INDEX ix_stream_status ON stream USING hash (status)"),
    _c("index-brin", S, ("index method", "log.ix_log_stream_id_time"),
       "DROP INDEX ix_log_stream_id_time", "CREATE INDEX ix_log_stream_id_time ON log USING brin (stream_id, time)"),
    _c("index-predicate", S, ("index predicate", "stream.ix_stream_status"),
       "DROP INDEX ix_stream_status", "CREATE INDEX ix_stream_status ON stream (status) WHERE status <> 'done'"),
    _c("index-expression", S, ("index keys", "stream.ix_stream_status"),
       "DROP INDEX ix_stream_status", "CREATE INDEX ix_stream_status ON stream (lower(status))"),
    _c("index-desc", S, ("index keys", "log.ix_log_stream_id_time"),
       "DROP INDEX ix_log_stream_id_time", "CREATE INDEX ix_log_stream_id_time ON log (stream_id, time DESC)"),
    _c("index-nulls-first", S, ("index keys", "stream.ix_stream_status"),
       "DROP INDEX ix_stream_status", "CREATE INDEX ix_stream_status ON stream (status NULLS FIRST)"),
    _c("index-column-order", S, ("index keys", "log.ix_log_stream_id_time"),
       "DROP INDEX ix_log_stream_id_time", "CREATE INDEX ix_log_stream_id_time ON log (time, stream_id)"),
    _c("index-unique", S, ("index unique", "handler.ix_handler_handler_id"),
       "DROP INDEX ix_handler_handler_id", "CREATE UNIQUE INDEX ix_handler_handler_id ON handler (handler_id)"),
    _c("index-include", S, ("index include", "handler.ix_handler_handler_id"),
       "DROP INDEX ix_handler_handler_id",
       "CREATE INDEX ix_handler_handler_id ON handler (handler_id) INCLUDE (last_feedback_time)"),
    _c("index-opclass", S, ("index keys", "stream.ix_stream_status"),
       "DROP INDEX ix_stream_status", "CREATE INDEX ix_stream_status ON stream (status varchar_pattern_ops)"),
    _c("index-collation", S, ("index keys", "stream.ix_stream_status"),
       "DROP INDEX ix_stream_status", "CREATE INDEX ix_stream_status ON stream (status COLLATE \"C\")"),
    _c("index-fillfactor", S, ("index options", "stream.ix_stream_status"),
       "ALTER INDEX ix_stream_status SET (fillfactor = 50)"),
    _c("index-nulls-not-distinct", S, ("extra index", "single_process_lock.uq_instance"),
       "CREATE UNIQUE INDEX uq_instance ON single_process_lock (instance_id) NULLS NOT DISTINCT",
       needs="nulls_not_distinct"),
    _c("b3-seed-index-renamed", B, ("missing index", "persons_list.create_persons_list_time_index"),
       "ALTER INDEX create_persons_list_time_index RENAME TO persons_list_account_id_create_time_idx"),
    _c("b3-index-dropped", B, ("missing index", "person.ix_person_external_id"), "DROP INDEX ix_person_external_id"),
    _c("b3-index-predicate", B, ("index predicate", "person.ix_person_external_id"),
       "DROP INDEX ix_person_external_id",
       "CREATE INDEX ix_person_external_id ON person (external_id) WHERE external_id IS NOT NULL"),
    _c("b3-index-desc", B, ("index keys", "descriptors_list.create_descr_list_time_index"),
       "DROP INDEX create_descr_list_time_index",
       "CREATE INDEX create_descr_list_time_index ON descriptors_list (account_id, create_time DESC)"),
    # --- views
    _c("view-dropped", S, ("missing view", "group_view"), "DROP VIEW group_view"),
    _c("view-added", S, ("extra view", "extra_v"), "CREATE VIEW extra_v AS SELECT 1 AS x"),
    _c("view-column", S, ("view definition", "group_view"),
       "CREATE OR REPLACE VIEW group_view AS SELECT g.group_id, g.account_id, g.group_name, g.description, "
       "g.create_time, count(gs.stream_id) AS stream_count, 1 AS x FROM \"group\" g "
       "LEFT JOIN group_stream gs ON gs.group_id = g.group_id GROUP BY g.group_id"),
    _c("view-where", S, ("view definition", "group_view"),
       "CREATE OR REPLACE VIEW group_view AS SELECT g.group_id, g.account_id, g.group_name, g.description, "
       "g.create_time, count(gs.stream_id) AS stream_count FROM \"group\" g "
       "LEFT JOIN group_stream gs ON gs.group_id = g.group_id WHERE g.account_id IS NOT NULL GROUP BY g.group_id"),
    _c("view-inner-join", S, ("view definition", "stream_view"),
       "CREATE OR REPLACE VIEW stream_view AS SELECT stream.stream_id, stream.account_id, stream.name, "
       "stream.description, stream.data, stream.event_handler, stream.policies, stream.status, stream.version, "
       "stream.create_time, stream.last_update_time, location.city, location.area, location.district, "
       "location.street, location.house_number, location.geo_position_latitude, location.geo_position_longitude, "
       "restart.restart, restart.attempt_count, restart.delay, restart.current_attempt, restart.last_attempt_time, "
       "restart.status AS restart_status, handler.handler_id, handler.last_feedback_time FROM stream "
       "JOIN location ON location.stream_id = stream.stream_id LEFT JOIN restart ON restart.stream_id = "
       "stream.stream_id LEFT JOIN handler ON handler.stream_id = stream.stream_id"),
    _c("materialized-view", S, ("extra view", "stream_counts"),
       "CREATE MATERIALIZED VIEW stream_counts AS SELECT account_id, count(*) FROM stream GROUP BY account_id"),
    _c("view-comment", S, ("view comment", "stream_view"), "COMMENT ON VIEW stream_view IS 'streams'"),
    _c("view-security-barrier", S, ("view options", "stream_view"), "ALTER VIEW stream_view SET (security_barrier = true)"),
    _c("view-security-invoker", S, ("view options", "stream_view"),
       "ALTER VIEW stream_view SET (security_invoker = true)", needs="security_invoker"),
    # --- row-level security policies (enabling it is a table's property, above)
    _c("policy", S, ("extra policy", "stream.p_tenant"), "ALTER TABLE stream ENABLE ROW LEVEL SECURITY",
       "CREATE POLICY p_tenant ON stream USING (account_id = current_setting('app.account_id'))"),
    _c("policy-without-rls", S, ("extra policy", "log.p_log"), "CREATE POLICY p_log ON log FOR SELECT USING (true)"),
    _c("policy-restrictive", S, ("extra policy", "stream.p_mine"),
       "CREATE POLICY p_mine ON stream AS RESTRICTIVE FOR UPDATE TO {role} USING (status <> 'done') "
       "WITH CHECK (version > 0)"),
    _c("b3-policy", B, ("extra policy", "account.p_active"), "ALTER TABLE account ENABLE ROW LEVEL SECURITY",
       "CREATE POLICY p_active ON account FOR SELECT USING (active)"),
    # --- triggers, functions, sequences, types, extensions
    _c("trigger", S, ("extra trigger", "stream.touch_stream"), _TOUCH,
       "CREATE TRIGGER touch_stream BEFORE UPDATE ON stream FOR EACH ROW EXECUTE FUNCTION touch()"),
    _c("trigger-statement", S, ("extra trigger", "log.log_truncate"), _TOUCH,
       "CREATE TRIGGER log_truncate AFTER TRUNCATE ON log FOR EACH STATEMENT EXECUTE FUNCTION touch()"),
    _c("constraint-trigger", S, ("extra trigger", "handler.handler_check"), _TOUCH,
       "CREATE CONSTRAINT TRIGGER handler_check AFTER INSERT ON handler DEFERRABLE FOR EACH ROW "
       "EXECUTE FUNCTION touch()"),
    _c("b3-trigger", B, ("extra trigger", "handler.touch_handler"), _TOUCH,
       "CREATE TRIGGER touch_handler BEFORE UPDATE ON handler FOR EACH ROW EXECUTE FUNCTION touch()"),
    _c("function", S, ("extra function", "stream_count()"),
       "CREATE FUNCTION stream_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM stream'"),
    _c("sequence", S, ("extra sequence", "stream_seq"), "CREATE SEQUENCE stream_seq"),
    _c("enum", S, ("extra type", "stream_status"), f"CREATE TYPE stream_status AS ENUM ({_STATUS})"),
    _c("domain", B, ("extra type", "uuid4"), "CREATE DOMAIN uuid4 AS varchar(36) CHECK (length(VALUE) = 36)"),
    _c("extension", S, ("extra extension", "citext"), "CREATE EXTENSION citext"),
    # --- grants
    _c("grant-public", S, ("extra grant", "stream"), "GRANT SELECT ON stream TO PUBLIC"),
    _c("grant-insert", S, ("extra grant", "log"), "GRANT INSERT ON log TO PUBLIC"),
    _c("grant-view", S, ("extra grant", "stream_view"), "GRANT SELECT ON stream_view TO PUBLIC"),
    _c("grant-column", S, ("extra grant", "stream.status"), "GRANT UPDATE (status) ON stream TO PUBLIC"),
    _c("grant-role", S, ("extra grant", "handler"), "GRANT SELECT, UPDATE ON handler TO {role}"),
    _c("grant-role-option", B, ("extra grant", "account"), "GRANT SELECT ON account TO {role} WITH GRANT OPTION"),
    _c("b3-grant", B, ("extra grant", "person"), "GRANT DELETE ON person TO PUBLIC"),
]

_OTHER = "lt_other"
BENIGN = [
    _c(f"{schema}-{id_}", schema, None, *statements)
    for schema, table in ((S, "stream"), (B, "person"))
    for id_, statements in (
        ("rows", (f"INSERT INTO {table} SELECT * FROM {table} WHERE false",
                  f"DELETE FROM {table}", "SELECT 1")),
        ("analyze", ("ANALYZE",)),
        ("vacuum", ("VACUUM",)),
        ("vacuum-full", (f"VACUUM FULL {table}",)),
        ("reindex", (f"REINDEX TABLE {table}",)),
        ("reindex-concurrently", (f"REINDEX TABLE CONCURRENTLY {table}",)),
        ("cluster", (f"CLUSTER {table} USING pk_{table}",)),
        ("other-schema", (f"CREATE SCHEMA {_OTHER}", f"CREATE TABLE {_OTHER}.t (id int PRIMARY KEY)",
                          f"CREATE VIEW {_OTHER}.v AS SELECT 1 AS x", f"CREATE SEQUENCE {_OTHER}.s",
                          f"CREATE FUNCTION {_OTHER}.f() RETURNS int LANGUAGE sql AS 'SELECT 1'")),
        ("role", ("CREATE ROLE {role}_2", "DROP ROLE {role}_2")),
        ("database-setting", ("ALTER DATABASE {database} SET work_mem = '8MB'",)),
        ("statistics-target", (f"ALTER TABLE {table} ALTER COLUMN account_id SET STATISTICS 500",)),
        ("autovacuum", (f"ALTER TABLE {table} SET (autovacuum_vacuum_scale_factor = 0.01)",)),
        ("stats-reset", ("SELECT pg_stat_reset()",)),
        ("checkpoint", ("CHECKPOINT",)),
        ("audit-table", ("CREATE INDEX ON luna_db_audit (revision)",)),
        ("temp-table", ("CREATE TEMP TABLE scratch (id int)",)),
    )
] + [
    _c("identity-values", S, None, "INSERT INTO log (stream_id, status) VALUES ('x', 'pending')",
       "SELECT nextval(pg_get_serial_sequence('log', 'log_id'))",
       "SELECT setval(pg_get_serial_sequence('log', 'log_id'), 1000)"),
    _c("owner-privileges-granted-again", S, None, "GRANT ALL ON stream TO CURRENT_USER"),
]
