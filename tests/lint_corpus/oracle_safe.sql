-- Safe Oracle migration statements. A case starts at a "-- case: NAME" line.

-- case: create-table-then-index
CREATE TABLE audit_note (id NUMBER(19) PRIMARY KEY, stream_id RAW(16) NOT NULL)
/
CREATE INDEX ix_audit_note_stream ON audit_note (stream_id)
/
-- case: create-index-online
CREATE INDEX ix_log_time ON log (time) ONLINE;
-- case: rebuild-online
alter index ix_log_time rebuild online;
-- case: add-nullable
ALTER TABLE stream ADD description VARCHAR2(128 CHAR);
-- case: add-not-null-default
ALTER TABLE stream ADD (version NUMBER(10) DEFAULT 1 NOT NULL);
-- case: check-novalidate
ALTER TABLE stream ADD CONSTRAINT ck_version CHECK (version > 0) ENABLE NOVALIDATE;
-- case: modify-default
ALTER TABLE stream MODIFY status DEFAULT 'pending';
-- case: rename-constraint
ALTER TABLE account_token RENAME CONSTRAINT uq_account_token_token_info TO uq_account_token_token;
-- case: rename-index
ALTER INDEX uq_account_token_token_info RENAME TO uq_account_token_token;
-- case: move-online
ALTER TABLE log MOVE ONLINE;
-- case: comment-and-view
COMMENT ON TABLE stream IS 'streams; DROP TABLE is not run';
CREATE OR REPLACE VIEW stream_view AS SELECT stream_id, name FROM stream;
-- case: q-quoted-literal
INSERT INTO single_process_lock (lock_name) VALUES (q'[DROP TABLE log; TRUNCATE TABLE log]');
-- case: update-where
UPDATE stream SET status = 'restart' WHERE status = 'handler_lost';
-- case: plsql-block-with-hazard-words
BEGIN
  EXECUTE IMMEDIATE 'TRUNCATE TABLE scratch';
  DELETE FROM scratch;
END;
/
-- case: sqlplus-directives
WHENEVER SQLERROR EXIT FAILURE
SET DEFINE OFF
PROMPT dropping nothing; DROP TABLE log
SELECT 1 FROM dual;
