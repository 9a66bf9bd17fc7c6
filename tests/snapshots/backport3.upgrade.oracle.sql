-- luna-db VERSION: backport3 schema, upgrade base -> head, for oracle
WHENEVER SQLERROR EXIT FAILURE ROLLBACK
SET DEFINE OFF
-- for Oracle 11.2 and newer (--oracle-version 11.2)

CREATE TABLE alembic_version (
    version_num VARCHAR2(32 CHAR) NOT NULL, 
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
)

/

-- Running upgrade  -> b0001

CREATE TABLE account (
    account_id VARCHAR2(36 CHAR) NOT NULL, 
    active SMALLINT DEFAULT 1 NOT NULL, 
    password VARCHAR2(128 CHAR) NOT NULL, 
    email VARCHAR2(64 CHAR), 
    organization_name VARCHAR2(128 CHAR), 
    CONSTRAINT pk_account PRIMARY KEY (account_id), 
    CONSTRAINT ck_account_active CHECK (active IN (0, 1)), 
    CONSTRAINT uq_account_email UNIQUE (email)
)

/

COMMENT ON TABLE account IS 'Accounts; credentials live outside since 0.4.0'

/

COMMENT ON COLUMN account.account_id IS 'uuid4: account id'

/

COMMENT ON COLUMN account.active IS 'account status (blocked or not)'

/

COMMENT ON COLUMN account.password IS 'password hash'

/

COMMENT ON COLUMN account.email IS 'account email, unique'

/

COMMENT ON COLUMN account.organization_name IS 'organization name'

/

CREATE TABLE account_token (
    token_id VARCHAR2(36 CHAR) NOT NULL, 
    account_id VARCHAR2(36 CHAR) NOT NULL, 
    token_info VARCHAR2(128 CHAR) NOT NULL, 
    CONSTRAINT pk_account_token PRIMARY KEY (token_id), 
    CONSTRAINT fk_account_token_acco_d9f4cfb7 FOREIGN KEY(account_id) REFERENCES account (account_id) ON DELETE CASCADE, 
    CONSTRAINT uq_account_token_token_info UNIQUE (token_info)
)

/

COMMENT ON TABLE account_token IS 'Access tokens of accounts'

/

COMMENT ON COLUMN account_token.token_id IS 'uuid4: token id'

/

COMMENT ON COLUMN account_token.account_id IS 'uuid4: account id, token is linked to'

/

COMMENT ON COLUMN account_token.token_info IS 'token'

/

CREATE INDEX ix_account_token_account_id ON account_token (account_id)

/

CREATE TABLE person (
    person_id VARCHAR2(36 CHAR) NOT NULL, 
    account_id VARCHAR2(36 CHAR) NOT NULL, 
    user_data VARCHAR2(128 CHAR), 
    external_id VARCHAR2(36 CHAR), 
    create_time TIMESTAMP DEFAULT SYS_EXTRACT_UTC(SYSTIMESTAMP) NOT NULL, 
    CONSTRAINT pk_person PRIMARY KEY (person_id), 
    CONSTRAINT fk_person_account_id_account FOREIGN KEY(account_id) REFERENCES account (account_id)
)

/

COMMENT ON TABLE person IS 'Persons: a person has faces and belongs to lists'

/

COMMENT ON COLUMN person.person_id IS 'uuid4: person id'

/

COMMENT ON COLUMN person.account_id IS 'uuid4: id of the account to which the person belongs'

/

COMMENT ON COLUMN person.user_data IS 'client info about the person'

/

COMMENT ON COLUMN person.external_id IS 'external id of the person, if it has its own mapping in external system'

/

COMMENT ON COLUMN person.create_time IS 'date: person create time'

/

CREATE INDEX ix_person_external_id ON person (external_id)

/

CREATE INDEX ix_person_account_id__c0d95da2 ON person (account_id, create_time)

/

CREATE TABLE persons_list (
    list_id VARCHAR2(36 CHAR) NOT NULL, 
    account_id VARCHAR2(36 CHAR) NOT NULL, 
    create_time TIMESTAMP DEFAULT SYS_EXTRACT_UTC(SYSTIMESTAMP) NOT NULL, 
    CONSTRAINT pk_persons_list PRIMARY KEY (list_id), 
    CONSTRAINT fk_persons_list_accou_da63e3fa FOREIGN KEY(account_id) REFERENCES account (account_id)
)

/

COMMENT ON TABLE persons_list IS 'Lists of persons'

/

COMMENT ON COLUMN persons_list.list_id IS 'uuid4: list id'

/

COMMENT ON COLUMN persons_list.account_id IS 'uuid4: id of the account to which the list belongs'

/

COMMENT ON COLUMN persons_list.create_time IS 'date: list create time'

/

CREATE TABLE descriptors_list (
    list_id VARCHAR2(36 CHAR) NOT NULL, 
    account_id VARCHAR2(36 CHAR) NOT NULL, 
    create_time TIMESTAMP DEFAULT SYS_EXTRACT_UTC(SYSTIMESTAMP) NOT NULL, 
    CONSTRAINT pk_descriptors_list PRIMARY KEY (list_id), 
    CONSTRAINT fk_descriptors_list_a_4fc44efe FOREIGN KEY(account_id) REFERENCES account (account_id)
)

/

COMMENT ON TABLE descriptors_list IS 'Lists of descriptors'

/

COMMENT ON COLUMN descriptors_list.list_id IS 'uuid4: list id'

/

COMMENT ON COLUMN descriptors_list.account_id IS 'uuid4: id of the account to which the list belongs'

/

COMMENT ON COLUMN descriptors_list.create_time IS 'date: list create time'

/

CREATE TABLE list_person (
    list_id VARCHAR2(36 CHAR) NOT NULL, 
    person_id VARCHAR2(36 CHAR) NOT NULL, 
    CONSTRAINT pk_list_person PRIMARY KEY (list_id, person_id), 
    CONSTRAINT fk_list_person_list_i_aa55e757 FOREIGN KEY(list_id) REFERENCES persons_list (list_id) ON DELETE CASCADE, 
    CONSTRAINT fk_list_person_person_b34f3431 FOREIGN KEY(person_id) REFERENCES person (person_id) ON DELETE CASCADE
)

/

COMMENT ON TABLE list_person IS 'Which persons are in which lists'

/

COMMENT ON COLUMN list_person.list_id IS 'uuid4: list id'

/

COMMENT ON COLUMN list_person.person_id IS 'uuid4: person id'

/

CREATE INDEX ix_list_person_person_id ON list_person (person_id)

/

CREATE TABLE person_face (
    face_id VARCHAR2(36 CHAR) NOT NULL, 
    person_id VARCHAR2(36 CHAR) NOT NULL, 
    CONSTRAINT pk_person_face PRIMARY KEY (face_id), 
    CONSTRAINT fk_person_face_person_c80453d4 FOREIGN KEY(person_id) REFERENCES person (person_id) ON DELETE CASCADE
)

/

COMMENT ON TABLE person_face IS 'Faces of persons: a face belongs to one person'

/

COMMENT ON COLUMN person_face.face_id IS 'uuid4: face id'

/

COMMENT ON COLUMN person_face.person_id IS 'uuid4: person id'

/

CREATE INDEX ix_person_face_person_id ON person_face (person_id)

/

CREATE TABLE handler (
    handler_id VARCHAR2(36 CHAR) NOT NULL, 
    account_id VARCHAR2(36 CHAR) NOT NULL, 
    create_time TIMESTAMP DEFAULT SYS_EXTRACT_UTC(SYSTIMESTAMP) NOT NULL, 
    last_update_time TIMESTAMP DEFAULT SYS_EXTRACT_UTC(SYSTIMESTAMP) NOT NULL, 
    policies CLOB NOT NULL, 
    type SMALLINT NOT NULL, 
    version INTEGER DEFAULT 1 NOT NULL, 
    CONSTRAINT pk_handler PRIMARY KEY (handler_id), 
    CONSTRAINT ck_handler_type CHECK (type IN (0, 1, 2)), 
    CONSTRAINT fk_handler_account_id_account FOREIGN KEY(account_id) REFERENCES account (account_id)
)

/

COMMENT ON TABLE handler IS 'Handlers: extractor, identify and verify policies'

/

COMMENT ON COLUMN handler.handler_id IS 'uuid4: handler id'

/

COMMENT ON COLUMN handler.account_id IS 'uuid4: id of the account to which this handler belongs'

/

COMMENT ON COLUMN handler.create_time IS 'date: handler create time'

/

COMMENT ON COLUMN handler.last_update_time IS 'date: handler last update time'

/

COMMENT ON COLUMN handler.policies IS 'json: handler policies'

/

COMMENT ON COLUMN handler.type IS 'handler type (extractor - 0, identify - 1, verify - 2)'

/

COMMENT ON COLUMN handler.version IS 'handler version'

/

INSERT INTO alembic_version (version_num) VALUES ('b0001')

/

-- Running upgrade b0001 -> b0002

CREATE TABLE account_credentials_tmp AS SELECT account_id, password, email, organization_name, CAST(NULL AS TIMESTAMP) AS exported_at FROM account

/

ALTER TABLE account_credentials_tmp ADD CONSTRAINT pk_account_credentials_tmp PRIMARY KEY (account_id)

/

COMMENT ON TABLE account_credentials_tmp IS 'luna-db: account credentials kept by the 0.4.0 migration (b0002) until moved to the Accounts service; remove with luna-db after export'

/

COMMENT ON COLUMN account_credentials_tmp.account_id IS 'uuid4: account id'

/

COMMENT ON COLUMN account_credentials_tmp.password IS 'password hash, as account.password held it'

/

COMMENT ON COLUMN account_credentials_tmp.email IS 'account email'

/

COMMENT ON COLUMN account_credentials_tmp.organization_name IS 'organization name'

/

COMMENT ON COLUMN account_credentials_tmp.exported_at IS 'UTC time of the last export of this row; NULL: never exported'

/

ALTER TABLE account DROP CONSTRAINT uq_account_email

/

ALTER TABLE account DROP COLUMN email

/

ALTER TABLE account DROP COLUMN password

/

ALTER TABLE account DROP COLUMN organization_name

/

ALTER TABLE account_token RENAME COLUMN token_info TO token

/

ALTER TABLE account_token RENAME CONSTRAINT uq_account_token_token_info TO uq_account_token_token

/

ALTER INDEX uq_account_token_token_info RENAME TO uq_account_token_token

/

UPDATE alembic_version SET version_num='b0002' WHERE alembic_version.version_num = 'b0001'

/

-- Running upgrade b0002 -> b0003

CREATE INDEX create_persons_list_time_index ON persons_list (account_id, create_time)

/

CREATE INDEX create_descr_list_time_index ON descriptors_list (account_id, create_time)

/

UPDATE alembic_version SET version_num='b0003' WHERE alembic_version.version_num = 'b0002'

/

-- Running upgrade b0003 -> b0004

ALTER TABLE persons_list MODIFY account_id NULL

/

ALTER TABLE descriptors_list MODIFY account_id NULL

/

ALTER TABLE person MODIFY create_time DEFAULT NULL

/

ALTER TABLE persons_list MODIFY create_time DEFAULT NULL

/

ALTER TABLE descriptors_list MODIFY create_time DEFAULT NULL

/

ALTER TABLE handler MODIFY create_time DEFAULT NULL

/

ALTER TABLE handler MODIFY last_update_time DEFAULT NULL

/

COMMENT ON COLUMN descriptors_list.create_time IS 'list: person create time'

/

UPDATE alembic_version SET version_num='b0004' WHERE alembic_version.version_num = 'b0003'

/

COMMIT
/
