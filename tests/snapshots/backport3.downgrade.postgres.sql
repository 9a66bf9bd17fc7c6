-- luna-db VERSION: backport3 schema, downgrade head -> base, for postgres
SET lock_timeout = '5000ms';
SET statement_timeout = '3600000ms';

-- luna-db: DATA LOSS: this script destroys whatever these hold (luna-db refuses it online
-- unless --allow-data-loss):
--   b0001: drops table handler
--   b0001: drops table person_face
--   b0001: drops table list_person
--   b0001: drops table descriptors_list
--   b0001: drops table persons_list
--   b0001: drops table person
--   b0001: drops table account_token
--   b0001: drops table account

BEGIN;

-- Running downgrade b0004 -> b0003

SET LOCAL lock_timeout = '200ms';

ALTER TABLE handler ALTER COLUMN type TYPE SMALLINT;

COMMENT ON COLUMN descriptors_list.create_time IS 'date: list create time';

ALTER TABLE person ALTER COLUMN create_time SET DEFAULT timezone('utc', now());

ALTER TABLE persons_list ALTER COLUMN create_time SET DEFAULT timezone('utc', now());

ALTER TABLE descriptors_list ALTER COLUMN create_time SET DEFAULT timezone('utc', now());

ALTER TABLE handler ALTER COLUMN create_time SET DEFAULT timezone('utc', now());

ALTER TABLE handler ALTER COLUMN last_update_time SET DEFAULT timezone('utc', now());

ALTER TABLE persons_list DROP CONSTRAINT IF EXISTS ck_persons_list_account_id_nn;

ALTER TABLE persons_list ADD CONSTRAINT ck_persons_list_account_id_nn CHECK (account_id IS NOT NULL) NOT VALID;

COMMIT;

ALTER TABLE persons_list VALIDATE CONSTRAINT ck_persons_list_account_id_nn;

BEGIN;

ALTER TABLE persons_list ALTER COLUMN account_id SET NOT NULL;

ALTER TABLE persons_list DROP CONSTRAINT ck_persons_list_account_id_nn;

ALTER TABLE descriptors_list DROP CONSTRAINT IF EXISTS ck_descriptors_list_account_id_nn;

ALTER TABLE descriptors_list ADD CONSTRAINT ck_descriptors_list_account_id_nn CHECK (account_id IS NOT NULL) NOT VALID;

COMMIT;

ALTER TABLE descriptors_list VALIDATE CONSTRAINT ck_descriptors_list_account_id_nn;

BEGIN;

ALTER TABLE descriptors_list ALTER COLUMN account_id SET NOT NULL;

ALTER TABLE descriptors_list DROP CONSTRAINT ck_descriptors_list_account_id_nn;

UPDATE alembic_version SET version_num='b0003' WHERE alembic_version.version_num = 'b0004';

COMMIT;

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

SET LOCAL lock_timeout = '200ms';

ALTER TABLE account_token RENAME CONSTRAINT uq_account_token_token TO uq_account_token_token_info;

ALTER TABLE account_token RENAME token TO token_info;

DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'account_token_token_not_null' AND conrelid = 'account_token'::regclass) THEN ALTER TABLE account_token RENAME CONSTRAINT account_token_token_not_null TO account_token_token_info_not_null; END IF; END $$;

ALTER TABLE account ADD COLUMN password VARCHAR(128) DEFAULT '*' NOT NULL;

COMMENT ON COLUMN account.password IS 'password hash';

ALTER TABLE account ALTER COLUMN password DROP DEFAULT;

ALTER TABLE account ADD COLUMN email VARCHAR(64);

COMMENT ON COLUMN account.email IS 'account email, unique';

ALTER TABLE account ADD COLUMN organization_name VARCHAR(128);

COMMENT ON COLUMN account.organization_name IS 'organization name';

UPDATE account SET password = (SELECT k.password FROM account_credentials_tmp k WHERE k.account_id = account.account_id), email = (SELECT k.email FROM account_credentials_tmp k WHERE k.account_id = account.account_id), organization_name = (SELECT k.organization_name FROM account_credentials_tmp k WHERE k.account_id = account.account_id) WHERE EXISTS (SELECT 1 FROM account_credentials_tmp k WHERE k.account_id = account.account_id);

DROP TABLE account_credentials_tmp;

ALTER TABLE account ADD CONSTRAINT uq_account_email UNIQUE (email);

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

