-- Where each export's files were written, and when they were published there. An export is
-- committed (its files hashed) before its output directory is renamed into place; a crash in
-- between leaves a committed export whose files wait in the hidden work directory beside
-- OUTDIR: `quota ledger recover` lists it (committed, no publication) and `--publish` ends it.

CREATE TABLE output_places (
    export_id   VARCHAR PRIMARY KEY,
    outdir      VARCHAR NOT NULL,        -- absolute path of OUTDIR on the host that wrote it
    host        VARCHAR NOT NULL,
    seq         BIGINT NOT NULL
);

CREATE TABLE publications (
    export_id   VARCHAR PRIMARY KEY,
    seq         BIGINT NOT NULL
);
