-- The ledger's facts are the ledger's (issue 29).
--
-- A delivery happens at the ledger's clock: an export's or manual export's time is the time its
-- event was recorded, and recorded times never go backwards (verify checks both from the first
-- event after the `upgrade` event that applied this migration, or from the start of a ledger
-- made with it). Every event body names its authenticated actor ("actor").
--
-- group_links.breach: a link that put the organisation over its cap in some window, recorded as
-- the fact it is (`entity link --breach`), with how it happened.
-- permissions: X's letter (its sha256), who signed it and when X granted it.
-- deletion notices: a receipt or notification stated more than the clock slack away from now is
-- back-dated, and recorded only with the sha256 of evidence; a re-added file keeps the receipt of
-- the voided notice it renews; a void names who voided it.
-- person_same: two handles that are one human, with one allowance of objects from then on.

ALTER TABLE group_links ADD COLUMN breach VARCHAR;

ALTER TABLE permissions ADD COLUMN letter_sha256 VARCHAR;
ALTER TABLE permissions ADD COLUMN signed_by VARCHAR;
ALTER TABLE permissions ADD COLUMN granted_on DATE;

ALTER TABLE deletion_notices ADD COLUMN evidence_sha256 VARCHAR;
ALTER TABLE deletion_notices ADD COLUMN backdated BOOLEAN;
ALTER TABLE deletion_notices ADD COLUMN renews VARCHAR;
ALTER TABLE deletion_notice_sent ADD COLUMN evidence_sha256 VARCHAR;
ALTER TABLE deletion_notice_sent ADD COLUMN backdated BOOLEAN;
ALTER TABLE deletion_notice_voids ADD COLUMN done_by VARCHAR;

CREATE TABLE person_same (
    first       VARCHAR NOT NULL,
    second      VARCHAR NOT NULL,
    reason      VARCHAR NOT NULL,
    seq         BIGINT NOT NULL
);
