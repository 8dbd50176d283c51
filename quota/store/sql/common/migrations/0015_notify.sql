-- Notifications that are never lost (`quota notify run`), deletion duties passed on to recipients,
-- and their acknowledgements.
--
-- An outbox in the ledger: a message is recorded (`notify` event) when it is due, with whom it goes
-- to, over which channel (email or webhook), its text and data. Each attempt to send it is recorded
-- before its last byte leaves (`notify_attempt`), and its result after (`notify_result`): an
-- attempt without a result is one a crash interrupted; it was sent at most once, and is sent at
-- most once more. A deletion request's message holds the sha256 of its acknowledgement link.

-- Whom a recipient entity's deletion requests and notices go to.
CREATE TABLE entity_contacts (
    entity      VARCHAR NOT NULL,
    email       VARCHAR NOT NULL,
    seq         BIGINT NOT NULL
);

-- How an account wants its messages: immediately, in a daily digest, or not at all (deletion
-- duties always go); and whether it wants alerts.
CREATE TABLE account_settings (
    email       VARCHAR NOT NULL,
    mode        VARCHAR NOT NULL,        -- immediate | daily | off
    alerts      BOOLEAN NOT NULL,
    seq         BIGINT NOT NULL
);

CREATE TABLE notifications (
    message_id  VARCHAR PRIMARY KEY,     -- also the receiver's idempotency key
    channel     VARCHAR NOT NULL,        -- email | webhook
    recipient   VARCHAR NOT NULL,        -- an email address or a webhook's URL
    topic       VARCHAR NOT NULL,        -- deletion_request | request_submitted | ... | alert | checkpoint | digest
    dedupe      VARCHAR NOT NULL,        -- what it is about: one message per recipient and dedupe
    subject     VARCHAR NOT NULL,
    body        VARCHAR NOT NULL,        -- the text
    data        VARCHAR NOT NULL,        -- JSON: what a webhook receives beside the text
    held        VARCHAR,                 -- 'digest': waits for the account's daily digest
    link_sha256 VARCHAR,                 -- a deletion request's acknowledgement link
    seq         BIGINT NOT NULL
);

CREATE TABLE notification_attempts (
    message_id  VARCHAR NOT NULL,
    attempt     INTEGER NOT NULL,
    phase       VARCHAR NOT NULL,        -- sending | result
    ok          BOOLEAN,                 -- a result's: delivered, or not
    detail      VARCHAR,                 -- the receiver's answer, or why not
    seq         BIGINT NOT NULL
);

-- A recipient confirmed that it removed what a deletion notice names.
CREATE TABLE notice_acks (
    notice_id   VARCHAR NOT NULL,
    entity      VARCHAR NOT NULL,
    acked_by    VARCHAR NOT NULL,
    method      VARCHAR NOT NULL,        -- command | link
    seq         BIGINT NOT NULL
);
