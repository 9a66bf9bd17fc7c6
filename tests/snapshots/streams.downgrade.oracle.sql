-- luna-db VERSION: streams schema, downgrade head -> base, for oracle
WHENEVER SQLERROR EXIT FAILURE ROLLBACK
SET DEFINE OFF
-- for Oracle 12.1 and newer (--oracle-version 12.1)

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

-- Running downgrade s0005 -> s0004

DROP INDEX ix_log_stream_id_time

/

UPDATE alembic_version SET version_num='s0004' WHERE alembic_version.version_num = 's0005'

/

-- Running downgrade s0004 -> s0003

DROP VIEW group_view

/

DROP VIEW stream_view

/

UPDATE stream SET status = 'restart' WHERE status = 'handler_lost'

/

ALTER TABLE stream DROP CONSTRAINT ck_stream_status

/

ALTER TABLE stream ADD CONSTRAINT ck_stream_status CHECK (status IN ('pending', 'in_progress', 'done', 'restart', 'cancel', 'failure', 'pause'))

/

UPDATE alembic_version SET version_num='s0003' WHERE alembic_version.version_num = 's0004'

/

-- Running downgrade s0003 -> s0002

DROP TABLE handler

/

DROP TABLE restart

/

DROP TABLE location

/

UPDATE alembic_version SET version_num='s0002' WHERE alembic_version.version_num = 's0003'

/

-- Running downgrade s0002 -> s0001

DROP TABLE group_stream

/

DROP TABLE "group"

/

UPDATE alembic_version SET version_num='s0001' WHERE alembic_version.version_num = 's0002'

/

-- Running downgrade s0001 -> 

DROP TABLE single_process_lock

/

DROP TABLE log

/

DROP TABLE stream

/

DELETE FROM alembic_version WHERE alembic_version.version_num = 's0001'

/

COMMIT
/
