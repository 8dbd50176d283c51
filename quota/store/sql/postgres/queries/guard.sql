-- The tables whose rows are the ledger's history are append-only for every role: the writer
-- role has no grant to change them, and these triggers refuse an UPDATE, DELETE or TRUNCATE
-- even by the schema's owner (who alone could drop them, which verify then sees as missing).

-- name: append_only_function
CREATE OR REPLACE FUNCTION quota_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

-- name: append_only_rows
CREATE OR REPLACE TRIGGER quota_append_only_rows BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION quota_append_only();

-- name: append_only_truncate
CREATE OR REPLACE TRIGGER quota_append_only_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION quota_append_only();
