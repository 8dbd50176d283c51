-- The reads of an export's record: reservations, commits, releases, voids, places, events.
-- Named queries of the library (quota/*.py asks for them by name: ledger.query("NAME", params)).

-- name: event_body
SELECT body FROM events WHERE seq = ?;

-- name: import_keys
SELECT export_id FROM reservations WHERE export_id LIKE 'import-%';

-- name: manual_export_row
SELECT m.*, v.export_id IS NOT NULL AS voided, ve.recorded_at AS voided_at FROM manual_exports m
LEFT JOIN voids v USING (export_id) LEFT JOIN events ve ON ve.seq = v.seq WHERE m.export_id = ?;

-- name: reservation_exists
SELECT 1 FROM reservations WHERE export_id = ?;

-- name: export_record
SELECT r.*, c.files, c.export_id IS NOT NULL AS committed, rel.export_id IS NOT NULL AS released,
       v.export_id IS NOT NULL AS voided, ve.recorded_at AS voided_at, o.outdir,
       p.export_id IS NOT NULL AS published
FROM reservations r LEFT JOIN commits c USING (export_id) LEFT JOIN releases rel USING (export_id)
LEFT JOIN voids v USING (export_id) LEFT JOIN events ve ON ve.seq = v.seq
LEFT JOIN output_places o USING (export_id) LEFT JOIN publications p USING (export_id)
WHERE r.export_id = ?;

-- name: output_places_on_host
SELECT outdir FROM output_places WHERE host = ?;

-- name: manual_export_voided
SELECT m.export_id, v.export_id IS NOT NULL AS voided FROM manual_exports m
LEFT JOIN voids v USING (export_id) WHERE m.export_id = ?;

-- name: commit_files_and_body
SELECT c.files, e.body FROM commits c JOIN events e ON e.seq = c.seq WHERE c.export_id = ?;

-- name: reservation_body
SELECT e.body FROM reservations r JOIN events e ON e.seq = r.seq WHERE r.export_id = ?;

-- name: export_events
SELECT seq, kind, hash FROM events WHERE seq IN (
    SELECT seq FROM reservations WHERE export_id = ? UNION ALL SELECT seq FROM commits WHERE export_id = ?
    UNION ALL SELECT seq FROM manual_exports WHERE export_id = ?
    UNION ALL SELECT seq FROM releases WHERE export_id = ? UNION ALL SELECT seq FROM voids WHERE export_id = ?)
ORDER BY seq;

-- name: unresolved
-- Open reservations (they count, and may have been delivered) and committed exports whose
-- files were never published.
SELECT r.export_id, r.entity, r.person, r.delivered_at AS "at", r.post_ids, r.user_ids, r.dm_ids,
       CASE WHEN c.export_id IS NULL THEN 'open' ELSE 'unpublished' END AS state, o.outdir, o.host
FROM reservations r
LEFT JOIN commits c USING (export_id)
LEFT JOIN output_places o USING (export_id)
WHERE r.export_id NOT IN (SELECT export_id FROM releases)
  AND r.export_id NOT IN (SELECT export_id FROM voids)
  AND (c.export_id IS NULL
       OR (o.export_id IS NOT NULL AND r.export_id NOT IN (SELECT export_id FROM publications)));

-- name: unresolved_by_time
SELECT * FROM {q:unresolved} u ORDER BY u."at";

-- name: unresolved_one
SELECT * FROM {q:unresolved} u WHERE u.export_id = ?;

-- name: reservations_made
-- What ledger import recorded, as it prints it. Fragment: {keys}, a ? for each export id.
SELECT export_id, entity, delivered_at AS "at", post_ids, user_ids, basis FROM reservations
WHERE export_id IN ({keys}) ORDER BY seq;

-- name: manual_objects_near
-- A human's manual hand-overs in a span (objects, not Post IDs). Fragment: {handles}, a ? each.
SELECT delivered_at, posts + users FROM manual_exports
WHERE person IN ({handles}) AND delivered_at > ? AND delivered_at < ?;

-- name: receipts_of
-- The deliveries who-received reports (committed, open or void; not released). Fragment: {keys}.
SELECT export_id, entity, person, "at", basis, state, post_source, user_source, dm_source, void_reason, voided_by
FROM exports WHERE export_id IN ({keys}) AND state IN ('committed', 'open', 'void');
