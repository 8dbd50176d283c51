-- Acts that change what the limits mean are signed: a profile switch and a void carry a reason
-- and the name of who did it; a terms acceptance records what was accepted (a document's
-- sha256 and name, or a version), how, and whether it was recorded more than 24 hours after
-- the acceptance it states (back-dated: then only with the sha256 of evidence).

ALTER TABLE policy_changes ADD COLUMN reason VARCHAR;
ALTER TABLE policy_changes ADD COLUMN done_by VARCHAR;
ALTER TABLE voids ADD COLUMN done_by VARCHAR;
ALTER TABLE terms_acceptances ADD COLUMN version VARCHAR;          -- the name or version of the terms
ALTER TABLE terms_acceptances ADD COLUMN document_sha256 VARCHAR;  -- sha256 of the accepted document
ALTER TABLE terms_acceptances ADD COLUMN method VARCHAR;           -- "web form", "signed PDF", ...
ALTER TABLE terms_acceptances ADD COLUMN evidence_sha256 VARCHAR;
ALTER TABLE terms_acceptances ADD COLUMN backdated BOOLEAN;        -- NULL: recorded before this was

-- A real past delivery that broke the cap, recorded as such (`ledger import --breach`): it
-- counts like any entry, and verify accepts the windows it puts over the cap, naming it.
CREATE TABLE breaches (
    export_id   VARCHAR PRIMARY KEY,
    reason      VARCHAR NOT NULL,
    seq         BIGINT NOT NULL
);
