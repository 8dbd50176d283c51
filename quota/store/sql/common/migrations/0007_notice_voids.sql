-- Deletion notices recorded in error (the wrong --kind, the wrong file): a void event. The
-- notice stays in the ledger and stops demanding action; the same file may be recorded again.

CREATE TABLE deletion_notice_voids (
    notice_id   VARCHAR PRIMARY KEY,
    reason      VARCHAR NOT NULL,
    seq         BIGINT NOT NULL
);
