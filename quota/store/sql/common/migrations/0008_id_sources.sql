-- Where the kind of each export's IDs came from, per kind: 'typed' when every ID came from an
-- object that says what it is (a post, a user), 'declared' when some came by the operator's
-- word alone (a plain ID list, an ID column). Post and User IDs share one number space, so a
-- declared kind may be wrong: who-received and deletion notices match such IDs under every
-- kind. Exports recorded before this table have no row (their kinds are taken as typed).

CREATE TABLE id_sources (
    export_id   VARCHAR PRIMARY KEY,
    post_source VARCHAR,                 -- 'typed' | 'declared'; NULL: the kind was not exported
    user_source VARCHAR,
    dm_source   VARCHAR,
    seq         BIGINT NOT NULL
);
