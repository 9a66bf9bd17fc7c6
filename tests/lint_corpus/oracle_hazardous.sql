-- Hazardous Oracle migration statements (SQL*Plus syntax). A case starts at a
-- "-- case: NAME expect: RULE" line and runs to the next.

-- case: create-index expect: require-online-index-build
CREATE INDEX ix_log_time ON log (time);
-- case: create-index-lower expect: require-online-index-build
create unique index uq_stream_name on luna.stream (name) tablespace luna_idx;
-- case: create-bitmap-index-slash expect: require-online-index-build
CREATE BITMAP INDEX ix_stream_status ON stream (status)
/
-- case: rebuild-index expect: require-online-index-build
ALTER INDEX ix_log_time REBUILD;
-- case: rebuild-index-tablespace expect: require-online-index-build
alter index luna.ix_log_time rebuild tablespace fast_idx;
-- case: drop-column expect: ban-drop-column
ALTER TABLE account DROP COLUMN password;
-- case: drop-columns-list expect: ban-drop-column
alter table account drop (email, organization_name);
-- case: set-unused expect: ban-drop-column
ALTER TABLE account SET UNUSED COLUMN password;
-- case: set-unused-list expect: ban-drop-column
ALTER TABLE account SET UNUSED (email);
-- case: drop-unused expect: ban-drop-unused-columns
ALTER TABLE account DROP UNUSED COLUMNS CHECKPOINT 1000;
-- case: rename-column expect: renaming-column
ALTER TABLE account_token RENAME COLUMN token_info TO token;
-- case: rename-table expect: renaming-table
ALTER TABLE account_token RENAME TO token;
-- case: rename-statement expect: renaming-table
RENAME account_token TO token;
-- case: move expect: require-online-table-move
ALTER TABLE log MOVE;
-- case: move-tablespace expect: require-online-table-move
alter table "LOG" move tablespace users compress;
-- case: add-not-null-no-default expect: adding-required-field
ALTER TABLE stream ADD priority NUMBER(10) NOT NULL;
-- case: add-list-not-null expect: adding-required-field
ALTER TABLE stream ADD (note VARCHAR2(64 CHAR), priority NUMBER(10) NOT NULL);
-- case: add-nullable-default expect: adding-field-with-default
ALTER TABLE stream ADD (priority NUMBER(10) DEFAULT 0);
-- case: modify-not-null expect: adding-not-nullable-field
ALTER TABLE stream MODIFY name NOT NULL;
-- case: modify-list-not-null expect: adding-not-nullable-field
alter table stream modify (name varchar2(128 char) not null);
-- case: check-validated expect: constraint-missing-not-valid
ALTER TABLE stream ADD CONSTRAINT ck_version CHECK (version > 0);
-- case: foreign-key-validated expect: adding-foreign-key-constraint
ALTER TABLE log ADD CONSTRAINT fk_log_stream FOREIGN KEY (stream_id) REFERENCES stream (stream_id);
-- case: unique-constraint expect: disallowed-unique-constraint
ALTER TABLE stream ADD CONSTRAINT uq_stream_name UNIQUE (name);
-- case: primary-key expect: adding-primary-key-constraint
ALTER TABLE restart ADD PRIMARY KEY (stream_id);
-- case: drop-table expect: ban-drop-table
DROP TABLE log CASCADE CONSTRAINTS PURGE;
-- case: truncate expect: ban-truncate
TRUNCATE TABLE log;
-- case: lock expect: ban-lock-table
LOCK TABLE stream IN EXCLUSIVE MODE;
-- case: update-all expect: ban-unbounded-update
UPDATE stream SET status = 'x;y';
-- case: delete-all expect: ban-unbounded-update
DELETE log;
-- case: after-plsql-block expect: ban-drop-table
BEGIN
  EXECUTE IMMEDIATE 'DROP TABLE scratch';
EXCEPTION WHEN OTHERS THEN NULL;
END;
/
DROP TABLE log
/
