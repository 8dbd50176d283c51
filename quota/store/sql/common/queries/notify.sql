-- The outbox of `quota notify run` (quota/notify.py).

-- name: notify_outbox
-- Every message with its attempts so far: sending marks and results, oldest message first.
SELECT n.message_id, n.channel, n.recipient, n.topic, n.dedupe, n.subject, n.body, n.data, n.held,
       n.link_sha256, ev.recorded_at AS due_at, a.attempt, a.phase, a.ok, a.detail, ae.recorded_at AS attempted_at
FROM notifications n JOIN events ev ON ev.seq = n.seq
LEFT JOIN notification_attempts a ON a.message_id = n.message_id
LEFT JOIN events ae ON ae.seq = a.seq
ORDER BY n.seq, a.seq;

-- name: recent_request_events
-- Requests submitted, decided and delivered, recorded at or after a time: what people are told of.
SELECT 'submitted' AS what, q.request_id, NULL AS export_id, e.recorded_at
FROM requests q JOIN events e ON e.seq = q.seq WHERE e.recorded_at >= ?
UNION ALL
SELECT x.decision, x.request_id, NULL, e.recorded_at
FROM request_decisions x JOIN events e ON e.seq = x.seq WHERE e.recorded_at >= ?
UNION ALL
SELECT 'delivered', d.request_id, d.export_id, e.recorded_at
FROM request_deliveries d JOIN publications p ON p.export_id = d.export_id JOIN events e ON e.seq = p.seq
WHERE e.recorded_at >= ?;

-- name: deletion_request_by_link
-- The deletion request (its data: notice, entity, deadline, IDs) an acknowledgement link belongs to.
SELECT data FROM notifications WHERE link_sha256 = ? AND topic = 'deletion_request' ORDER BY seq LIMIT 1;
