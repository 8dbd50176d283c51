-- The reads of usage and of the lists of distributions (quota/usage.py).

-- name: exports_detailed
-- The `exports` view with what `ledger show` adds: hashes, files, reasons.
SELECT e.export_id, e.entity, e.person, e."at", e.post_ids, e.user_ids, e.dm_ids, e.basis, e.exemption,
       e.profile, e.version, coalesce(r.ids_sha256, m.ids_sha256) AS ids_sha256, e.seq, e.state,
       coalesce(c.files, m.files) AS files, v.reason AS void_reason, rel.reason AS release_reason,
       e.post_source, e.user_source, e.dm_source, b.reason AS breach, e.void_reason, e.voided_by
FROM exports e
LEFT JOIN breaches b USING (export_id)
LEFT JOIN reservations r USING (export_id)
LEFT JOIN manual_exports m USING (export_id)
LEFT JOIN commits c USING (export_id)
LEFT JOIN releases rel USING (export_id)
LEFT JOIN voids v USING (export_id);

-- name: exports_listed
-- When each was recorded, joined to what was chosen (joined to the whole, it costs a report of a
-- million exports a fifth of a GiB). Fragment: {condition}, a WHERE clause or nothing.
SELECT x.*, ev.recorded_at FROM (SELECT * FROM {q:exports_detailed} x {condition}) x
JOIN events ev ON ev.seq = x.seq ORDER BY x."at", x.export_id;

-- name: export_detailed
SELECT x.*, ev.recorded_at FROM {q:exports_detailed} x JOIN events ev ON ev.seq = x.seq WHERE x.export_id = ?;

-- name: entries_marked
-- Per entity, of the entries counted in (start, end]: Post IDs imported, Post IDs of voided
-- deliveries, and User IDs of a declared kind.
SELECT c.entity, sum(CASE WHEN c.basis = 'import' THEN c.post_ids ELSE 0 END),
       sum(CASE WHEN v.export_id IS NOT NULL THEN c.post_ids ELSE 0 END),
       sum(CASE WHEN s.user_source = 'declared' THEN c.user_ids ELSE 0 END)
FROM {q:counted_entries} c LEFT JOIN voids v USING (export_id)
LEFT JOIN id_sources s USING (export_id)
WHERE c.delivered_at > ? AND c.delivered_at <= ? GROUP BY c.entity;

-- name: exports_latest
-- The newest distributions (by their time), newest first: the portal's list. Parameters: how many,
-- twice. The time bound lets both sides of the view skip all but the newest rows.
SELECT x.*, ev.recorded_at FROM exports x JOIN events ev ON ev.seq = x.seq
WHERE x."at" >= (SELECT min(t) FROM (
    SELECT t FROM (SELECT delivered_at AS t FROM reservations ORDER BY delivered_at DESC LIMIT ?) a
    UNION ALL SELECT t FROM (SELECT delivered_at AS t FROM manual_exports ORDER BY delivered_at DESC LIMIT ?) b) n)
ORDER BY x."at" DESC, x.export_id DESC LIMIT ?;
