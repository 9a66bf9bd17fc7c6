-- luna-db VERSION: streams schema, downgrade head -> base, for postgres
SET lock_timeout = '5000ms';
SET statement_timeout = '3600000ms';

-- luna-db: DATA LOSS: this script destroys whatever these hold (luna-db refuses it online
-- unless --allow-data-loss):
--   s0003: drops table handler
--   s0003: drops table restart
--   s0003: drops table location
--   s0002: drops table group_stream
--   s0002: drops table group
--   s0001: drops table single_process_lock
--   s0001: drops table log
--   s0001: drops table stream

BEGIN;

-- Running downgrade s0005 -> s0004

COMMIT;

DROP INDEX CONCURRENTLY IF EXISTS ix_log_stream_id_time;

BEGIN;

UPDATE alembic_version SET version_num='s0004' WHERE alembic_version.version_num = 's0005';

COMMIT;

BEGIN;

-- Running downgrade s0004 -> s0003

DROP VIEW IF EXISTS group_view;

DROP VIEW IF EXISTS stream_view;

COMMIT;

BEGIN;

SET LOCAL lock_timeout = '200ms';

ALTER TABLE stream DROP CONSTRAINT IF EXISTS ck_stream_status;

ALTER TABLE stream ADD CONSTRAINT ck_stream_status CHECK (status IN ('pending', 'in_progress', 'done', 'restart', 'cancel', 'failure', 'pause')) NOT VALID;

COMMIT;

BEGIN;

COMMIT;

-- luna-db: batched backfill: streams back from handler_lost to restart, 5000 rows a batch
DO $luna$
DECLARE
  after_key text;
  batch_count bigint;
BEGIN
  after_key := coalesce((SELECT NULL), '');
  LOOP
    WITH batch AS (SELECT stream_id FROM stream WHERE status = 'handler_lost' AND stream_id > after_key ORDER BY stream_id LIMIT 5000), moved AS (UPDATE stream SET status = 'restart' FROM batch WHERE stream.stream_id = batch.stream_id AND stream.status = 'handler_lost' RETURNING 1) SELECT (SELECT max(stream_id) FROM batch), (SELECT count(*) FROM moved) INTO after_key, batch_count;
    EXIT WHEN after_key IS NULL;
    COMMIT;
  END LOOP;
END
$luna$;

BEGIN;

COMMIT;

ALTER TABLE stream VALIDATE CONSTRAINT ck_stream_status;

BEGIN;

UPDATE alembic_version SET version_num='s0003' WHERE alembic_version.version_num = 's0004';

COMMIT;

BEGIN;

-- Running downgrade s0003 -> s0002

SET LOCAL lock_timeout = '200ms';

DROP TABLE handler;

DROP TABLE restart;

DROP TABLE location;

UPDATE alembic_version SET version_num='s0002' WHERE alembic_version.version_num = 's0003';

COMMIT;

BEGIN;

-- Running downgrade s0002 -> s0001

SET LOCAL lock_timeout = '200ms';

DROP TABLE group_stream;

DROP TABLE "group";

UPDATE alembic_version SET version_num='s0001' WHERE alembic_version.version_num = 's0002';

COMMIT;

BEGIN;

-- Running downgrade s0001 -> 

DROP TABLE single_process_lock;

DROP TABLE log;

DROP TABLE stream;

DELETE FROM alembic_version WHERE alembic_version.version_num = 's0001';

COMMIT;

