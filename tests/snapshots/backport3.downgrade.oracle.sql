-- luna-db VERSION: backport3 schema, downgrade head -> base, for oracle
WHENEVER SQLERROR EXIT FAILURE ROLLBACK
SET DEFINE OFF
-- for Oracle 11.2 and newer (--oracle-version 11.2)

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

-- Running downgrade b0004 -> b0003

COMMENT ON COLUMN descriptors_list.create_time IS 'date: list create time'

/

ALTER TABLE person MODIFY create_time DEFAULT SYS_EXTRACT_UTC(SYSTIMESTAMP)

/

ALTER TABLE persons_list MODIFY create_time DEFAULT SYS_EXTRACT_UTC(SYSTIMESTAMP)

/

ALTER TABLE descriptors_list MODIFY create_time DEFAULT SYS_EXTRACT_UTC(SYSTIMESTAMP)

/

ALTER TABLE handler MODIFY create_time DEFAULT SYS_EXTRACT_UTC(SYSTIMESTAMP)

/

ALTER TABLE handler MODIFY last_update_time DEFAULT SYS_EXTRACT_UTC(SYSTIMESTAMP)

/

ALTER TABLE persons_list MODIFY account_id NOT NULL

/

ALTER TABLE descriptors_list MODIFY account_id NOT NULL

/

UPDATE alembic_version SET version_num='b0003' WHERE alembic_version.version_num = 'b0004'

/

-- Running downgrade b0003 -> b0002

DROP INDEX create_descr_list_time_index

/

DROP INDEX create_persons_list_time_index

/

UPDATE alembic_version SET version_num='b0002' WHERE alembic_version.version_num = 'b0003'

/

-- Running downgrade b0002 -> b0001

ALTER TABLE account_token RENAME CONSTRAINT uq_account_token_token TO uq_account_token_token_info

/

ALTER INDEX uq_account_token_token RENAME TO uq_account_token_token_info

/

ALTER TABLE account_token RENAME COLUMN token TO token_info

/

ALTER TABLE account ADD password VARCHAR2(128 CHAR) DEFAULT '*' NOT NULL

/

COMMENT ON COLUMN account.password IS 'password hash'

/

ALTER TABLE account MODIFY password DEFAULT NULL

/

ALTER TABLE account ADD email VARCHAR2(64 CHAR)

/

COMMENT ON COLUMN account.email IS 'account email, unique'

/

ALTER TABLE account ADD organization_name VARCHAR2(128 CHAR)

/

COMMENT ON COLUMN account.organization_name IS 'organization name'

/

UPDATE account SET password = (SELECT k.password FROM account_credentials_tmp k WHERE k.account_id = account.account_id), email = (SELECT k.email FROM account_credentials_tmp k WHERE k.account_id = account.account_id), organization_name = (SELECT k.organization_name FROM account_credentials_tmp k WHERE k.account_id = account.account_id) WHERE EXISTS (SELECT 1 FROM account_credentials_tmp k WHERE k.account_id = account.account_id)

/

DROP TABLE account_credentials_tmp

/

ALTER TABLE account ADD CONSTRAINT uq_account_email UNIQUE (email)

/

UPDATE alembic_version SET version_num='b0001' WHERE alembic_version.version_num = 'b0002'

/

-- Running downgrade b0001 -> 

DROP TABLE handler

/

DROP TABLE person_face

/

DROP TABLE list_person

/

DROP TABLE descriptors_list

/

DROP TABLE persons_list

/

DROP TABLE person

/

DROP TABLE account_token

/

DROP TABLE account

/

DELETE FROM alembic_version WHERE alembic_version.version_num = 'b0001'

/

COMMIT
/
