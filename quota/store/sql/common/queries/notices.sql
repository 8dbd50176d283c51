-- The reads of deletion notices and who must be told.
-- Named queries of the library (quota/*.py asks for them by name: ledger.query("NAME", params)).

-- name: notices_standing_of_file
SELECT notice_id FROM deletion_notices WHERE sha256 = ?
AND notice_id NOT IN (SELECT notice_id FROM deletion_notice_voids);

-- name: notice_first_of_file
SELECT notice_id, received_at FROM deletion_notices WHERE sha256 = ? ORDER BY received_at, seq LIMIT 1;

-- name: notice_voided
SELECT 1 FROM deletion_notice_voids WHERE notice_id = ?;

-- name: notice_row
SELECT * FROM deletion_notices WHERE notice_id = ?;

-- name: notice_recipients
SELECT entity, ids, deadline, told_at, declared FROM notices
WHERE notice_id = ? AND entity IS NOT NULL ORDER BY entity;

-- name: notice_detail
SELECT e.entity, n.id::VARCHAR AS id, CASE n.kind WHEN 1 THEN 'post' ELSE 'user' END AS kind,
       min(n.action) AS action, min(n.reason) AS reason,
       string_agg(DISTINCT e.export_id, ',' ORDER BY e.export_id) AS export_ids,
       bool_or(e.declared) AS declared
FROM deletion_notice_ids n JOIN delivered_ids e
  ON e.id = n.id AND (e.kind = CASE n.kind WHEN 1 THEN 'post' ELSE 'user' END OR e.declared)
WHERE n.notice_id = ? GROUP BY e.entity, n.id, n.kind ORDER BY e.entity, n.id;

-- name: notices_open_by_deadline
SELECT notice_id, received_at, deadline, entity, ids, told_at, late, void, declared, backdated,
       told_backdated, void_reason, voided_by FROM notices
ORDER BY deadline, notice_id, entity;

-- name: noticed_ids
-- Every ID a standing (unvoided) notice recorded after event ? names: what no delivery holds.
SELECT i.notice_id, i.kind, i.id FROM deletion_notice_ids i JOIN deletion_notices d USING (notice_id)
WHERE d.seq > ? AND i.notice_id NOT IN (SELECT notice_id FROM deletion_notice_voids);

-- name: noticed_any
SELECT 1 FROM {q:noticed_ids} n LIMIT 1;

-- name: compliance_last
-- The first delivery that was not released (ID exports, imports and manual hand-overs) and the
-- newest compliance result of X's recorded (a notice not voided).
SELECT (SELECT min(t) FROM (
            SELECT delivered_at AS t FROM reservations WHERE export_id NOT IN (SELECT export_id FROM releases)
            UNION ALL SELECT delivered_at FROM manual_exports) d) AS first_delivery,
       (SELECT max(received_at) FROM deletion_notices
        WHERE notice_id NOT IN (SELECT notice_id FROM deletion_notice_voids)) AS last_result;

-- name: upload_ids
-- Every distinct ID of one kind delivered (not released) at or after a time, ascending, as text:
-- the upload file of X's batch compliance. Fragments: {kind} (1 post, 2 user), {since} (a TIMESTAMP).
SELECT CAST(d.id AS VARCHAR) AS id FROM (
    SELECT DISTINCT l.id FROM lineage l
    WHERE l.kind = {kind} AND l.export_id IN (
        SELECT export_id FROM reservations
        WHERE delivered_at >= {since} AND export_id NOT IN (SELECT export_id FROM releases)
        UNION ALL SELECT export_id FROM manual_exports WHERE delivered_at >= {since})) d
ORDER BY d.id;

-- name: notice_person_contacts
-- The people (with an email) who received, by hand, objects a notice names: per entity.
SELECT DISTINCT e.entity, lower(p.email) AS email
FROM deletion_notice_ids n JOIN delivered_ids e
  ON e.id = n.id AND (e.kind = CASE n.kind WHEN 1 THEN 'post' ELSE 'user' END OR e.declared)
JOIN persons p ON p.person = e.person
WHERE n.notice_id = ? AND e.basis = 'manual' AND p.email IS NOT NULL;

-- name: notice_acked
-- Who acknowledged a notice's deletion request, per entity (the first acknowledgement).
SELECT a.notice_id, a.entity, a.acked_by, a.method, ev.recorded_at AS acked_at
FROM notice_acks a JOIN events ev ON ev.seq = a.seq ORDER BY a.seq;
