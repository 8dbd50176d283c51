-- The ledger: an append-only hash chain of events, and the state those events made.
-- Every TIMESTAMP is UTC (DuckDB's TIMESTAMPTZ needs the ICU extension, which is not bundled).
-- Rows are only ever inserted. `quota ledger verify` replays `events` and checks that every
-- state table holds exactly what the events say.

CREATE TABLE ledger_meta (
    ledger_id   VARCHAR PRIMARY KEY,     -- random; the chain's genesis hash is derived from it
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE events (
    seq          BIGINT PRIMARY KEY,     -- 1, 2, 3, ... without gaps
    recorded_at  VARCHAR NOT NULL,       -- ISO 8601 UTC, as hashed: when it was written (the clock, not --at)
    kind         VARCHAR NOT NULL,
    body         VARCHAR NOT NULL,       -- canonical JSON: sorted keys, no spaces
    prev_hash    VARCHAR NOT NULL,
    hash         VARCHAR NOT NULL UNIQUE -- sha256(prev_hash, seq, recorded_at, kind, body)
);

CREATE TABLE entities (
    entity      VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,        -- organization | academic | individual
    seq         BIGINT NOT NULL          -- the event that made it
);

CREATE TABLE terms_acceptances (
    entity      VARCHAR NOT NULL,
    accepted_by VARCHAR NOT NULL,
    accepted_at TIMESTAMP NOT NULL,
    seq         BIGINT NOT NULL
);

CREATE TABLE persons (
    person      VARCHAR PRIMARY KEY,
    entity      VARCHAR NOT NULL,
    name        VARCHAR,
    seq         BIGINT NOT NULL
);

CREATE TABLE permissions (
    ref         VARCHAR PRIMARY KEY,     -- X's reference for the written permission
    entity      VARCHAR NOT NULL,
    cap         BIGINT NOT NULL,         -- Post IDs per 30-day window while in force
    valid_from  TIMESTAMP NOT NULL,    -- windows ending in [valid_from, valid_until)
    valid_until TIMESTAMP NOT NULL,
    seq         BIGINT NOT NULL
);

CREATE TABLE policy_changes (
    seq         BIGINT PRIMARY KEY,
    profile     VARCHAR NOT NULL,
    version     VARCHAR NOT NULL
);
