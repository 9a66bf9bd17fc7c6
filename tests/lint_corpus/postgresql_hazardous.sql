-- Hazardous PostgreSQL migration statements: each case would lock a busy
-- table for long, rewrite it, or break the release still running against it.
-- A case starts at a "-- case: NAME expect: RULE" line and runs to the next.

-- case: create-index expect: require-concurrent-index-creation
CREATE INDEX ix_log_time ON log (time);
-- case: create-index-lower expect: require-concurrent-index-creation
create index ix_log_time on log (time);
-- case: create-unique-index expect: require-concurrent-index-creation
CREATE UNIQUE INDEX uq_stream_name ON stream (name);
-- case: create-index-if-not-exists expect: require-concurrent-index-creation
CREATE INDEX IF NOT EXISTS ix_log_time ON log (time);
-- case: create-index-only expect: require-concurrent-index-creation
CREATE INDEX ix_log_time ON ONLY log (time);
-- case: create-index-schema-quoted expect: require-concurrent-index-creation
CREATE INDEX "ix_Log_time" ON "streams"."log" USING btree ("time" DESC);
-- case: create-index-gin expect: require-concurrent-index-creation
create index ix_stream_data on streams.stream using gin (data jsonb_path_ops);
-- case: create-index-partial-literal expect: require-concurrent-index-creation
CREATE INDEX ix_log_error ON log (time) WHERE message = 'a;b';
-- case: create-index-no-name expect: require-concurrent-index-creation
CREATE INDEX ON log (stream_id);
-- case: drop-index expect: require-concurrent-index-deletion
DROP INDEX ix_log_stream_id_time;
-- case: drop-index-if-exists expect: require-concurrent-index-deletion
drop index if exists ix_log_stream_id_time;
-- case: drop-index-schema expect: require-concurrent-index-deletion
DROP INDEX streams.ix_log_stream_id_time CASCADE;
-- case: drop-index-two expect: require-concurrent-index-deletion
DROP INDEX ix_a, ix_b;
-- case: reindex-table expect: require-concurrent-reindex
REINDEX TABLE log;
-- case: reindex-index expect: require-concurrent-reindex
reindex index ix_log_stream_id_time;
-- case: reindex-options expect: require-concurrent-reindex
REINDEX (VERBOSE) TABLE streams.log;
-- case: reindex-schema expect: require-concurrent-reindex
REINDEX SCHEMA streams;
-- case: add-not-null-no-default expect: adding-required-field
ALTER TABLE stream ADD COLUMN priority INTEGER NOT NULL;
-- case: add-not-null-lower-only expect: adding-required-field
alter table only stream add column priority integer not null;
-- case: add-not-null-no-column-keyword expect: adding-required-field
ALTER TABLE stream ADD priority INTEGER NOT NULL;
-- case: add-not-null-if-exists expect: adding-required-field
ALTER TABLE IF EXISTS streams.stream ADD COLUMN IF NOT EXISTS priority int NOT NULL;
-- case: add-volatile-default expect: adding-field-with-default
ALTER TABLE stream ADD COLUMN token uuid DEFAULT gen_random_uuid();
-- case: add-clock-default expect: adding-field-with-default
ALTER TABLE log ADD COLUMN seen timestamp NOT NULL DEFAULT clock_timestamp();
-- case: add-random-default expect: adding-field-with-default
alter table stream add column shard float8 default random();
-- case: add-serial expect: adding-serial-field
ALTER TABLE log ADD COLUMN seq serial;
-- case: add-bigserial expect: adding-serial-field
alter table only log add column seq bigserial;
-- case: add-smallserial expect: adding-serial-field
ALTER TABLE log ADD seq SMALLSERIAL;
-- case: add-generated-stored expect: adding-field-with-default
ALTER TABLE log ADD COLUMN day date GENERATED ALWAYS AS (time::date) STORED;
-- case: add-identity expect: adding-field-with-default
ALTER TABLE log ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY;
-- case: add-column-unique expect: disallowed-unique-constraint
ALTER TABLE stream ADD COLUMN code varchar(20) UNIQUE;
-- case: add-column-primary-key expect: adding-primary-key-constraint
ALTER TABLE restart ADD COLUMN id bigint PRIMARY KEY;
-- case: add-column-references expect: adding-foreign-key-constraint
ALTER TABLE log ADD COLUMN group_id uuid REFERENCES "group" (group_id);
-- case: set-not-null expect: adding-not-nullable-field
ALTER TABLE stream ALTER COLUMN name SET NOT NULL;
-- case: set-not-null-lower-only expect: adding-not-nullable-field
alter table only streams.stream alter name set not null;
-- case: set-not-null-if-exists expect: adding-not-nullable-field
ALTER TABLE IF EXISTS "stream" ALTER COLUMN "name" SET NOT NULL;
-- case: type-change expect: changing-column-type
ALTER TABLE stream ALTER COLUMN version TYPE numeric(12, 2);
-- case: type-narrow-varchar expect: changing-column-type
ALTER TABLE stream ALTER COLUMN description TYPE varchar(256);
-- case: type-text-to-bounded-varchar expect: changing-column-type
ALTER TABLE log ALTER COLUMN error TYPE varchar(1000);
-- case: type-int-to-bigint expect: changing-column-type
ALTER TABLE stream ALTER COLUMN version TYPE bigint;
-- case: type-timestamp-to-timestamptz expect: changing-column-type
ALTER TABLE stream ALTER COLUMN create_time TYPE timestamptz;
-- case: type-widen-with-collation expect: changing-column-type
ALTER TABLE stream ALTER COLUMN status TYPE varchar(32) COLLATE "C";
-- case: type-widen-then-narrow expect: changing-column-type
ALTER TABLE stream ALTER COLUMN name TYPE varchar(256);
ALTER TABLE stream ALTER COLUMN name TYPE varchar(200);
-- case: type-unknown-column expect: changing-column-type
ALTER TABLE stream ALTER COLUMN not_in_the_schema TYPE text;
-- case: type-change-set-data expect: changing-column-type
alter table stream alter column version set data type bigint;
-- case: type-change-using expect: changing-column-type
ALTER TABLE ONLY log ALTER COLUMN time TYPE timestamptz USING time AT TIME ZONE 'UTC';
-- case: check-not-valid-missing expect: constraint-missing-not-valid
ALTER TABLE stream ADD CONSTRAINT ck_version CHECK (version > 0);
-- case: check-lower expect: constraint-missing-not-valid
alter table only stream add constraint ck_version check (version > 0);
-- case: check-literal-semicolon expect: constraint-missing-not-valid
ALTER TABLE stream ADD CONSTRAINT ck_name CHECK (name <> ';');
-- case: foreign-key expect: adding-foreign-key-constraint
ALTER TABLE log ADD CONSTRAINT fk_log_stream FOREIGN KEY (stream_id) REFERENCES stream (stream_id);
-- case: foreign-key-unnamed expect: adding-foreign-key-constraint
alter table log add foreign key (stream_id) references stream;
-- case: unique-constraint expect: disallowed-unique-constraint
ALTER TABLE stream ADD CONSTRAINT uq_stream_name UNIQUE (name);
-- case: primary-key expect: adding-primary-key-constraint
ALTER TABLE restart ADD PRIMARY KEY (stream_id);
-- case: exclusion-constraint expect: adding-exclusion-constraint
ALTER TABLE stream ADD CONSTRAINT ex_stream EXCLUDE USING gist (name WITH =);
-- case: validate-same-transaction expect: validate-constraint-in-transaction
BEGIN;
ALTER TABLE stream ADD CONSTRAINT ck_version CHECK (version > 0) NOT VALID;
ALTER TABLE stream VALIDATE CONSTRAINT ck_version;
COMMIT;
-- case: drop-table expect: ban-drop-table
DROP TABLE log;
-- case: drop-table-if-exists expect: ban-drop-table
drop table if exists streams.log cascade;
-- case: drop-column expect: ban-drop-column
ALTER TABLE stream DROP COLUMN description;
-- case: drop-column-lower-if-exists expect: ban-drop-column
alter table only stream drop column if exists description;
-- case: drop-column-no-keyword expect: ban-drop-column
ALTER TABLE stream DROP description;
-- case: rename-table expect: renaming-table
ALTER TABLE account_token RENAME TO token;
-- case: rename-table-if-exists expect: renaming-table
alter table if exists backport3.account_token rename to token;
-- case: rename-column expect: renaming-column
ALTER TABLE account_token RENAME COLUMN token_info TO token;
-- case: rename-column-no-keyword expect: renaming-column
ALTER TABLE account_token RENAME token_info TO token;
-- case: rename-column-quoted expect: renaming-column
alter table only "account_token" rename column "token_info" to "token";
-- case: truncate expect: ban-truncate
TRUNCATE log;
-- case: truncate-table-cascade expect: ban-truncate
truncate table only streams.log restart identity cascade;
-- case: vacuum-full expect: ban-vacuum-full
VACUUM FULL log;
-- case: vacuum-full-options expect: ban-vacuum-full
vacuum (full, analyze) streams.log;
-- case: cluster expect: ban-cluster
CLUSTER log USING ix_log_stream_id_time;
-- case: cluster-verbose expect: ban-cluster
cluster verbose log;
-- case: lock-table expect: ban-lock-table
LOCK TABLE stream IN ACCESS EXCLUSIVE MODE;
-- case: lock-lower expect: ban-lock-table
lock stream;
-- case: set-logged expect: ban-set-logged
ALTER TABLE log SET LOGGED;
-- case: set-unlogged expect: ban-set-logged
alter table only log set unlogged;
-- case: set-tablespace expect: ban-set-tablespace
ALTER TABLE log SET TABLESPACE fast_disk;
-- case: refresh-matview expect: require-concurrent-refresh
REFRESH MATERIALIZED VIEW stream_stats;
-- case: update-all-rows expect: ban-unbounded-update
UPDATE log SET message = '' ;
-- case: update-all-rows-lower expect: ban-unbounded-update
update streams.stream set status = 'on;off';
-- case: delete-all-rows expect: ban-unbounded-update
DELETE FROM log;
-- case: type-change-after-literal expect: changing-column-type
INSERT INTO stream (name) VALUES ('ALTER TABLE x; fine');
ALTER TABLE stream ALTER COLUMN name TYPE varchar(10);
-- case: after-dollar-function expect: ban-drop-table
CREATE FUNCTION f() RETURNS void AS $body$ BEGIN PERFORM 1; END; $body$ LANGUAGE plpgsql;
DROP TABLE log;
-- case: set-persistence-in-alter-list expect: ban-set-logged
ALTER TABLE log ADD COLUMN note text, SET UNLOGGED;
-- case: drop-column-in-alter-list expect: ban-drop-column
ALTER TABLE stream ADD COLUMN note text, DROP COLUMN description;
-- case: drop-schema expect: ban-drop-schema
DROP SCHEMA streams CASCADE;
-- case: drop-database expect: ban-drop-database
DROP DATABASE luna_streams;
-- case: create-index-after-comment expect: require-concurrent-index-creation
/* a comment with a ; inside */ CREATE INDEX ix_log_time ON log (time);
-- case: drop-default expect: ban-drop-default
alter table stream alter column status drop default;
