-- Research exemptions approved by X in writing. Exports under one do not count toward the
-- 30-day cap: academic (and peer-review, which draws down its academic parent) exports draw
-- down the approved quantities; DSA Art. 40 exports go only to the persons named.

CREATE TABLE exemptions (
    ref          VARCHAR PRIMARY KEY,
    entity       VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL,       -- academic | peer-review | dsa-art40
    approved_on  DATE NOT NULL,
    valid_from   TIMESTAMP NOT NULL,     -- exports at times in [valid_from, valid_until)
    valid_until  TIMESTAMP NOT NULL,
    post_ids     BIGINT,                 -- approved quantity (academic); NULL otherwise
    user_ids     BIGINT,
    parent       VARCHAR,                -- peer-review: the academic exemption it draws down
    purpose      VARCHAR,
    seq          BIGINT NOT NULL
);

CREATE TABLE exemption_persons (         -- dsa-art40: the persons named in the application
    ref          VARCHAR NOT NULL,
    person       VARCHAR NOT NULL,
    seq          BIGINT NOT NULL
);

CREATE TABLE exemption_revocations (
    ref          VARCHAR PRIMARY KEY,
    reason       VARCHAR NOT NULL,
    seq          BIGINT NOT NULL
);

CREATE TABLE exemption_uses (            -- which exports were made under which exemption
    export_id    VARCHAR PRIMARY KEY,
    ref          VARCHAR NOT NULL,
    seq          BIGINT NOT NULL
);
