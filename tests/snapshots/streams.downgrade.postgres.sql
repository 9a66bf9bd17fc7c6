-- luna-db VERSION: streams schema, downgrade head -> base, for postgres
SET lock_timeout = '5000ms';
SET statement_timeout = '3600000ms';

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

UPDATE stream SET status = 'restart' WHERE status = 'handler_lost';

ALTER TABLE stream DROP CONSTRAINT ck_stream_status;

ALTER TABLE stream ADD CONSTRAINT ck_stream_status CHECK (status IN ('pending', 'in_progress', 'done', 'restart', 'cancel', 'failure', 'pause')) NOT VALID;

COMMIT;

ALTER TABLE stream VALIDATE CONSTRAINT ck_stream_status;

BEGIN;

UPDATE alembic_version SET version_num='s0003' WHERE alembic_version.version_num = 's0004';

COMMIT;

BEGIN;

-- Running downgrade s0003 -> s0002

DROP TABLE handler;

DROP TABLE restart;

DROP TABLE location;

UPDATE alembic_version SET version_num='s0002' WHERE alembic_version.version_num = 's0003';

COMMIT;

BEGIN;

-- Running downgrade s0002 -> s0001

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

