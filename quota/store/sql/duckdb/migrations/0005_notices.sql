-- Deletion notices: X's batch compliance results (IDs deleted, protected, suspended, ...)
-- that every recipient of those IDs must act on within 24 hours of receipt.

CREATE TABLE deletion_notices (
    notice_id    VARCHAR PRIMARY KEY,
    received_at  TIMESTAMP NOT NULL,     -- when X's result reached us; the deadline is 24 h later
    kind         VARCHAR NOT NULL,       -- post | user
    file         VARCHAR NOT NULL,       -- the file's name as given
    sha256       VARCHAR NOT NULL,       -- of the file's bytes: one file is recorded once
    ids          BIGINT NOT NULL,        -- rows in deletion_notice_ids
    ids_sha256   VARCHAR NOT NULL,       -- sha256 of the sorted rows, one per line (see notices.py)
    seq          BIGINT NOT NULL
);

CREATE TABLE deletion_notice_ids (       -- one row per line of the file (an ID may repeat)
    notice_id    VARCHAR NOT NULL,
    kind         UTINYINT NOT NULL,      -- 1 post, 2 user (as in lineage)
    id           UBIGINT NOT NULL,
    action       VARCHAR NOT NULL,
    reason       VARCHAR NOT NULL,
    created_at   VARCHAR,
    redacted_at  VARCHAR
);

CREATE TABLE deletion_notice_sent (      -- a recipient was told
    notice_id    VARCHAR NOT NULL,
    entity       VARCHAR NOT NULL,
    told_at      TIMESTAMP NOT NULL,
    seq          BIGINT NOT NULL
);
