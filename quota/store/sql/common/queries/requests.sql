-- The reads of researchers' requests (quota/requests.py).

-- name: requests_listed
-- Fragment: {condition}, a WHERE clause on q (one request) or nothing.
SELECT q.*, e.recorded_at AS submitted_at, x.decision, x.decided_by, x.note, de.recorded_at AS decided_at
FROM requests q JOIN events e ON e.seq = q.seq
LEFT JOIN request_decisions x ON x.request_id = q.request_id
LEFT JOIN events de ON de.seq = x.seq
{condition} ORDER BY q.seq;

-- name: request_deliveries_listed
-- Deliveries not released. Fragment: {condition}, "AND d.request_id = ?" or nothing.
SELECT d.request_id, d.export_id, r.post_ids, r.user_ids, e.body
FROM request_deliveries d JOIN reservations r ON r.export_id = d.export_id
JOIN events e ON e.seq = r.seq
WHERE d.export_id NOT IN (SELECT export_id FROM releases) {condition}
ORDER BY d.seq;

-- name: delivered_of_kind
-- The IDs of one kind (1 post, 2 user) that the given exports delivered. Fragment: {keys}.
SELECT id FROM lineage WHERE kind = ? AND export_id IN ({keys});

-- name: published_exports
SELECT export_id FROM publications;

-- name: request_delivery_place
-- Where a delivery of a request was published, and whose request it is (not released, not void).
SELECT q.person, p.outdir, EXISTS (SELECT 1 FROM publications b WHERE b.export_id = d.export_id) AS published
FROM request_deliveries d JOIN requests q ON q.request_id = d.request_id
JOIN output_places p ON p.export_id = d.export_id
WHERE d.export_id = ? AND d.export_id NOT IN (SELECT export_id FROM releases)
  AND d.export_id NOT IN (SELECT export_id FROM voids);
