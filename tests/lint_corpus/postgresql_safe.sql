-- Safe PostgreSQL migration statements: none locks a busy table for long,
-- rewrites it or breaks the running release. A linter must flag none.
-- A case starts at a "-- case: NAME" line and runs to the next.

-- case: create-table
CREATE TABLE audit_note (id bigint PRIMARY KEY, note text NOT NULL, created timestamp DEFAULT now());
-- case: create-table-then-index
CREATE TABLE audit_note (id bigint PRIMARY KEY, stream_id uuid NOT NULL);
CREATE INDEX ix_audit_note_stream ON audit_note (stream_id);
-- case: create-table-then-constraints
create table if not exists streams.audit_note (id bigint, stream_id uuid);
alter table streams.audit_note add constraint fk_note_stream foreign key (stream_id) references streams.stream (stream_id);
alter table only audit_note add constraint uq_note unique (stream_id);
alter table audit_note alter column stream_id set not null;
-- case: create-table-then-rename-and-drop
CREATE TABLE "Staging" (id int);
ALTER TABLE "Staging" RENAME COLUMN id TO staging_id;
DROP TABLE "Staging";
-- case: create-index-concurrently
CREATE INDEX CONCURRENTLY ix_log_time ON log (time);
-- case: create-index-concurrently-lower
create unique index concurrently if not exists uq_stream_name on streams.stream using btree (name);
-- case: drop-index-concurrently
DROP INDEX CONCURRENTLY IF EXISTS ix_log_stream_id_time;
-- case: reindex-concurrently
REINDEX INDEX CONCURRENTLY ix_log_stream_id_time;
-- case: add-nullable-column
ALTER TABLE stream ADD COLUMN description varchar(128);
-- case: add-column-constant-default
ALTER TABLE stream ADD COLUMN version integer DEFAULT 1 NOT NULL;
-- case: add-column-now-default
alter table only log add column if not exists seen timestamp default now() not null;
-- case: add-column-literal-default-semicolon
ALTER TABLE stream ADD COLUMN status varchar(16) DEFAULT 'on;off' NOT NULL;
-- case: add-column-utc-default
ALTER TABLE log ADD COLUMN recorded timestamp DEFAULT timezone('utc', now()) NOT NULL;
-- case: check-not-valid
ALTER TABLE stream ADD CONSTRAINT ck_version CHECK (version > 0) NOT VALID;
-- case: validate-separately
ALTER TABLE stream VALIDATE CONSTRAINT ck_version;
-- case: foreign-key-not-valid
alter table log add constraint fk_log_stream foreign key (stream_id) references stream (stream_id) not valid;
-- case: unique-using-index
ALTER TABLE stream ADD CONSTRAINT uq_stream_name UNIQUE USING INDEX uq_stream_name_idx;
-- case: rename-constraint
ALTER TABLE account_token RENAME CONSTRAINT uq_account_token_token_info TO uq_account_token_token;
-- case: rename-index
ALTER INDEX ix_old RENAME TO ix_new;
-- case: set-default
ALTER TABLE stream ALTER COLUMN status SET DEFAULT 'active';
-- case: set-statistics
ALTER TABLE log ALTER COLUMN stream_id SET STATISTICS 500;
-- case: set-storage-params
ALTER TABLE log SET (autovacuum_vacuum_scale_factor = 0.01);
-- case: comments
COMMENT ON TABLE stream IS 'streams; one row each';
COMMENT ON COLUMN stream.name IS 'DROP TABLE is not run here';
-- case: create-view
CREATE OR REPLACE VIEW stream_view AS SELECT stream_id, name FROM stream WHERE name <> 'TRUNCATE';
-- case: insert-with-hazard-words
INSERT INTO single_process_lock (lock_name) VALUES ('DROP TABLE log; VACUUM FULL log');
-- case: update-one-row
UPDATE stream SET status = 'off' WHERE stream_id = '00000000-0000-0000-0000-000000000000';
-- case: delete-some-rows
delete from log where time < now() - interval '90 days';
-- case: function-with-hazard-body
CREATE OR REPLACE FUNCTION purge() RETURNS void AS $$
BEGIN
  TRUNCATE staging;
  DROP TABLE IF EXISTS scratch;
END;
$$ LANGUAGE plpgsql;
-- case: do-block
DO $do$ BEGIN IF false THEN EXECUTE 'LOCK TABLE stream'; END IF; END $do$;
-- case: timeouts
SET lock_timeout = '5s';
SET statement_timeout = '3600s';
-- case: analyze
ANALYZE log;
-- case: vacuum-plain
VACUUM (ANALYZE) log;
-- case: grant
GRANT SELECT ON stream TO luna_reader;
-- case: create-sequence-and-type
CREATE SEQUENCE IF NOT EXISTS ticket_seq;
CREATE TYPE stream_status AS ENUM ('active', 'paused');
-- case: refresh-concurrently
REFRESH MATERIALIZED VIEW CONCURRENTLY stream_stats;
-- case: comment-lines
-- DROP TABLE log;
/* ALTER TABLE stream DROP COLUMN name; */
SELECT 1;
-- case: quoted-identifier-with-keywords
CREATE TABLE "drop table x; truncate" (id int);
CREATE INDEX ix_odd ON "drop table x; truncate" (id);
-- case: alembic-version
UPDATE alembic_version SET version_num='s0005' WHERE alembic_version.version_num = 's0004';
-- case: set-not-null-proven-by-a-validated-check
BEGIN;
ALTER TABLE stream ADD CONSTRAINT ck_stream_name_nn CHECK (name IS NOT NULL) NOT VALID;
COMMIT;
ALTER TABLE stream VALIDATE CONSTRAINT ck_stream_name_nn;
ALTER TABLE stream ALTER COLUMN name SET NOT NULL;
-- case: drop-not-null
ALTER TABLE stream ALTER COLUMN description DROP NOT NULL;
-- case: add-column-utc-default-at-time-zone
alter table log add column received timestamp default (now() at time zone 'utc') not null;
-- case: set-default-volatile
ALTER TABLE stream ALTER COLUMN stream_id SET DEFAULT gen_random_uuid();
-- case: unique-index-concurrently-then-constraint
CREATE UNIQUE INDEX CONCURRENTLY uq_stream_name_idx ON stream (name);
ALTER TABLE stream ADD CONSTRAINT uq_stream_name UNIQUE USING INDEX uq_stream_name_idx;
-- case: type-widen-varchar
ALTER TABLE stream ALTER COLUMN name TYPE varchar(256);
-- case: type-varchar-to-text
ALTER TABLE stream ALTER COLUMN name TYPE text;
-- case: type-varchar-unbounded
alter table only stream alter column description set data type character varying;
-- case: type-text-to-unbounded-varchar
ALTER TABLE log ALTER COLUMN error TYPE varchar;
-- case: type-widen-two-columns
ALTER TABLE stream ALTER COLUMN name TYPE varchar(200), ALTER COLUMN status TYPE varchar(32);
