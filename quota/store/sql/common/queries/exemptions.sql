-- The reads of research exemptions.
-- Named queries of the library (quota/*.py asks for them by name: ledger.query("NAME", params)).

-- name: exemption_row
SELECT * FROM exemptions WHERE ref = ?;

-- name: exemption_revoked
SELECT 1 FROM exemption_revocations WHERE ref = ?;

-- name: exemption_refs
SELECT ref FROM exemptions ORDER BY ref;

-- name: exemption_persons_of
SELECT person FROM exemption_persons WHERE ref = ?;

-- name: exemption_kind
SELECT kind FROM exemptions WHERE ref = ?;

-- name: exemption_draws
-- The deliveries drawn under each exemption (a released one drew nothing).
SELECT u.ref, u.export_id, r.post_ids, r.user_ids, r.dm_ids, r.delivered_at
FROM exemption_uses u JOIN reservations r USING (export_id)
WHERE u.export_id NOT IN (SELECT export_id FROM releases);

-- name: exemption_drawn
-- What an academic exemption and its peer-review children drew. Parameters: its ref, twice.
SELECT coalesce(sum(post_ids), 0) AS posts, coalesce(sum(user_ids), 0) AS users FROM {q:exemption_draws} u
WHERE ref = ? OR ref IN (SELECT ref FROM exemptions WHERE parent = ?);

-- name: exemption_own_exports
SELECT export_id FROM {q:exemption_draws} u WHERE ref = ? ORDER BY delivered_at;
