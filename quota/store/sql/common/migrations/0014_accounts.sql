-- Portal accounts (`quota account ...`, `quota serve`): who may sign in, in which role, linked to
-- which person. Every change is an event (who made it, when). Passwords are not in the ledger:
-- the portal keeps their argon2id hashes in its own store; the ledger records that a one-time
-- link was issued (its sha256) and that it was used.
--
-- An act done in the portal names the signed-in account in its event body ("account"); a
-- request and a decision keep it beside the name, so that whoever decides a request is never
-- the account that asked.

CREATE TABLE accounts (
    email        VARCHAR NOT NULL,       -- lower case: the sign-in name
    role         VARCHAR NOT NULL,       -- researcher | compliance | data-team | auditor | admin
    person       VARCHAR,                -- a researcher's person (so their entity)
    entity       VARCHAR,
    seq          BIGINT NOT NULL
);

-- A role changed, or the account disabled (role null).
CREATE TABLE account_changes (
    email        VARCHAR NOT NULL,
    change       VARCHAR NOT NULL,       -- role | disable
    role         VARCHAR,
    reason       VARCHAR,
    seq          BIGINT NOT NULL
);

-- One-time sign-up and reset links: the sha256 of the link's secret, until when it works.
CREATE TABLE account_links (
    email        VARCHAR NOT NULL,
    link_sha256  VARCHAR NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    seq          BIGINT NOT NULL
);

-- A link used to set a password (each link once).
CREATE TABLE account_passwords (
    email        VARCHAR NOT NULL,
    link_sha256  VARCHAR NOT NULL,
    seq          BIGINT NOT NULL
);

ALTER TABLE requests ADD COLUMN account VARCHAR;
ALTER TABLE request_decisions ADD COLUMN account VARCHAR;
