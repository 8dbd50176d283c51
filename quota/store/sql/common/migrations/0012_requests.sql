-- Researchers' requests for ID sets from a dataset (`quota request ...`): submitted, decided by
-- compliance (approved or rejected, by someone other than the requester), delivered by exports.
-- A request's state is derived: no decision = submitted; rejected; approved and nothing counted
-- delivered = approved; all of its Post IDs delivered = delivered; else partly-delivered.

CREATE TABLE requests (
    request_id        VARCHAR PRIMARY KEY,
    dataset           VARCHAR NOT NULL,
    person            VARCHAR NOT NULL,        -- the researcher who asks
    entity            VARCHAR NOT NULL,        -- theirs when they asked: the recipient
    exemption         VARCHAR,                 -- delivered under it; else under the 30-day cap
    purpose           VARCHAR NOT NULL,
    kinds             VARCHAR NOT NULL,        -- "post" or "post,user" (the posts' authors)
    filters           VARCHAR NOT NULL,        -- JSON: from, until, lang, hashtag, keyword, author, order, limit, seed
    post_ids          BIGINT NOT NULL,         -- the request's whole set, as chosen when submitted
    user_ids          BIGINT NOT NULL,
    selection_sha256  VARCHAR NOT NULL,        -- of its Post IDs, ascending, one per line
    submitted_by      VARCHAR NOT NULL,
    seq               BIGINT NOT NULL
);

CREATE TABLE request_decisions (
    request_id        VARCHAR PRIMARY KEY,     -- one decision a request
    decision          VARCHAR NOT NULL,        -- approved | rejected
    decided_by        VARCHAR NOT NULL,
    note              VARCHAR,                 -- the approval's note, or why it was rejected
    seq               BIGINT NOT NULL
);

-- The exports that deliver a request (their reserve events name it).
CREATE TABLE request_deliveries (
    export_id         VARCHAR PRIMARY KEY,
    request_id        VARCHAR NOT NULL,
    seq               BIGINT NOT NULL
);
