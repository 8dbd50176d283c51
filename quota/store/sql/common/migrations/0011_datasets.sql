-- Collections the data team holds, from which researchers ask for ID sets (`quota dataset add`).
-- Registered by path: the inputs stay where they are, and each one's sha256 is recorded, so a
-- later request can tell whether the files it reads are still the ones registered.
-- inputs: JSON [{"path", "file", "sha256", "bytes", "format"}] (path: where the data team keeps
-- it; deliveries name an input by file and sha256 only).

CREATE TABLE datasets (
    name            VARCHAR PRIMARY KEY,
    title           VARCHAR NOT NULL,
    description     VARCHAR NOT NULL,
    collected_with  VARCHAR,                 -- the collection method (tool, query, stream rules)
    period_from     TIMESTAMP,               -- what the collection covers (--from, --until)
    period_until    TIMESTAMP,
    citation        VARCHAR,                 -- how to cite it (a DOI, a reference)
    inputs          VARCHAR NOT NULL,
    post_ids        BIGINT NOT NULL,         -- unique Post IDs and User IDs in the inputs
    user_ids        BIGINT NOT NULL,
    seq             BIGINT NOT NULL
);
