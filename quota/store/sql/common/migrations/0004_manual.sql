-- Manual object exports: whole Post/User objects handed to one person as a spreadsheet,
-- at most the profile's objects_per_person in any object window (500 in 24 hours by
-- default). They do not count toward the entity's 30-day Post ID cap, and ID exports do
-- not count here. Their object IDs go to `lineage` like an export's delivered IDs.

CREATE TABLE manual_exports (
    export_id    VARCHAR PRIMARY KEY,    -- shares the namespace of reservations.export_id
    entity       VARCHAR NOT NULL,
    person       VARCHAR NOT NULL,
    delivered_at TIMESTAMP NOT NULL,
    posts        BIGINT NOT NULL,        -- Post objects in the file
    users        BIGINT NOT NULL,        -- User objects in the file
    files        VARCHAR NOT NULL,       -- JSON [{path, kind, count, sha256, bytes}]
    profile      VARCHAR NOT NULL,
    version      VARCHAR NOT NULL,
    ids_sha256   VARCHAR NOT NULL,       -- JSON {kind: sha256 of the sorted ID list, one per line}
    seq          BIGINT NOT NULL
);
