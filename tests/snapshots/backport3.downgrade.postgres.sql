-- luna-db VERSION: backport3 schema, downgrade head -> base, for postgres
SET lock_timeout = '5000ms';
SET statement_timeout = '3600000ms';

BEGIN;

-- Running downgrade b0003 -> b0002

COMMIT;

DROP INDEX CONCURRENTLY IF EXISTS create_descr_list_time_index;

BEGIN;

COMMIT;

DROP INDEX CONCURRENTLY IF EXISTS create_persons_list_time_index;

BEGIN;

UPDATE alembic_version SET version_num='b0002' WHERE alembic_version.version_num = 'b0003';

COMMIT;

BEGIN;

-- Running downgrade b0002 -> b0001

ALTER TABLE account_token RENAME CONSTRAINT uq_account_token_token TO uq_account_token_token_info;

ALTER TABLE account_token RENAME token TO token_info;

ALTER TABLE account ADD COLUMN password VARCHAR(128) DEFAULT '*' NOT NULL;

COMMENT ON COLUMN account.password IS 'password hash';

ALTER TABLE account ALTER COLUMN password DROP DEFAULT;

ALTER TABLE account ADD COLUMN email VARCHAR(64);

COMMENT ON COLUMN account.email IS 'account email, unique';

ALTER TABLE account ADD CONSTRAINT uq_account_email UNIQUE (email);

ALTER TABLE account ADD COLUMN organization_name VARCHAR(128);

COMMENT ON COLUMN account.organization_name IS 'organization name';

UPDATE alembic_version SET version_num='b0001' WHERE alembic_version.version_num = 'b0002';

COMMIT;

BEGIN;

-- Running downgrade b0001 -> 

DROP TABLE handler;

DROP TABLE person_face;

DROP TABLE list_person;

DROP TABLE descriptors_list;

DROP TABLE persons_list;

DROP TABLE person;

DROP TABLE account_token;

DROP TABLE account;

DELETE FROM alembic_version WHERE alembic_version.version_num = 'b0001';

COMMIT;

