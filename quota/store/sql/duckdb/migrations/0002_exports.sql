-- Distributions. An export is reserved (checked and counted) before its files are written,
-- and committed with its files' hashes after; a crash in between leaves an open reservation
-- that still counts against the cap until `quota ledger recover` releases it.

CREATE TABLE reservations (
    export_id   VARCHAR PRIMARY KEY,     -- --export-id, or generated; a retry with the same key never records twice
    entity      VARCHAR NOT NULL,
    person      VARCHAR,                 -- NULL: the entity as a whole
    delivered_at TIMESTAMP NOT NULL,     -- UTC instant of the distribution (--at for past ones)
    post_ids    BIGINT NOT NULL,         -- unique Post IDs: what the 30-day cap counts
    user_ids    BIGINT NOT NULL,
    dm_ids      BIGINT NOT NULL,
    basis       VARCHAR NOT NULL,        -- 'cap', 'permission:<ref>' or 'import'
    profile     VARCHAR NOT NULL,        -- the policy profile it was judged under
    version     VARCHAR NOT NULL,
    ids_sha256  VARCHAR NOT NULL,        -- JSON {kind: sha256 of the sorted ID list, one per line}
    seq         BIGINT NOT NULL
);

CREATE TABLE commits (
    export_id   VARCHAR PRIMARY KEY,
    files       VARCHAR NOT NULL,        -- JSON [{path, kind, count, sha256, bytes}]
    seq         BIGINT NOT NULL
);

CREATE TABLE releases (                  -- open reservations resolved as never delivered
    export_id   VARCHAR PRIMARY KEY,
    reason      VARCHAR NOT NULL,
    seq         BIGINT NOT NULL
);

CREATE TABLE voids (                     -- entries recorded in error; the original stays
    export_id   VARCHAR PRIMARY KEY,
    reason      VARCHAR NOT NULL,
    seq         BIGINT NOT NULL
);

-- Every delivered ID of every export: "who received ID X" (kind: 1 post, 2 user, 3 dm).
CREATE TABLE lineage (
    export_id   VARCHAR NOT NULL,
    kind        UTINYINT NOT NULL,
    id          UBIGINT NOT NULL
);
