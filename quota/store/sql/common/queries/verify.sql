-- The verify queries both dialects write alike; those that differ are in duckdb/queries/verify.sql
-- and postgres/queries/verify.sql (whose head says what the {braces} stand for).

-- name: verify_delivery_times
-- The first export or manual export (not an import) after {after} and {clock_from} whose time is
-- not the time its event was recorded: a delivery happens when it is made. (The bounds on e.seq
-- too: after a checkpoint, PostgreSQL otherwise walks every event for the few new entries.)
SELECT d.seq, d.export_id, d.delivered_at, e.recorded_at
FROM (SELECT seq, export_id, delivered_at FROM reservations WHERE basis <> 'import'
      UNION ALL SELECT seq, export_id, delivered_at FROM manual_exports) d
JOIN events e ON e.seq = d.seq AND e.seq > {after} AND e.seq > {clock_from}
WHERE d.seq > {after} AND d.seq > {clock_from} AND d.delivered_at <> CAST(e.recorded_at AS TIMESTAMP)
ORDER BY d.seq LIMIT 1;

-- name: verify_exemptions
-- The first academic exemption drawn beyond what X approved.
WITH used AS (
    SELECT coalesce(x.parent, x.ref) AS root, sum(r.post_ids) AS posts, sum(r.user_ids) AS users
    FROM exemption_uses u JOIN reservations r USING (export_id) JOIN exemptions x ON x.ref = u.ref
    WHERE u.export_id NOT IN (SELECT export_id FROM releases)
      AND u.export_id NOT IN (SELECT export_id FROM {taken_back})
    GROUP BY coalesce(x.parent, x.ref))
SELECT e.ref, e.seq, u.posts, e.post_ids, u.users, e.user_ids
FROM used u JOIN exemptions e ON e.ref = u.root
WHERE e.kind = 'academic' AND (u.posts > e.post_ids OR u.users > e.user_ids)
ORDER BY e.seq LIMIT 1;

-- name: verify_notice_kinds
WITH k(kind, n) AS (VALUES {kinds})
SELECT d.seq, d.notice_id FROM deletion_notices d JOIN k USING (kind)
JOIN deletion_notice_ids i USING (notice_id) WHERE i.kind <> k.n AND d.seq > {after}
ORDER BY d.seq LIMIT 1;

-- name: verify_withheld
-- The first delivery (an export, a manual export: not an import) after {after} and {clock_from}
-- that holds an ID a deletion notice recorded before it names, while that notice stood (not
-- voided before the delivery): a typed kind against notices of its kind, a declared kind against
-- every notice. What X says is gone never leaves again.
WITH deliveries AS (
    SELECT r.export_id, r.seq, s.post_source, s.user_source, s.dm_source
    FROM reservations r LEFT JOIN id_sources s USING (export_id)
    WHERE r.basis <> 'import' AND r.seq > {after} AND r.seq > {clock_from}
    UNION ALL
    SELECT export_id, seq, 'typed', 'typed', NULL FROM manual_exports WHERE seq > {after} AND seq > {clock_from}),
standing AS (
    SELECT n.notice_id, n.kind, n.id, d.seq AS noticed, v.seq AS voided
    FROM deletion_notice_ids n JOIN deletion_notices d USING (notice_id)
    LEFT JOIN deletion_notice_voids v USING (notice_id))
SELECT x.seq, x.export_id, s.notice_id, l.id
FROM deliveries x JOIN lineage l ON l.export_id = x.export_id
JOIN standing s ON s.id = l.id AND s.noticed < x.seq AND (s.voided IS NULL OR s.voided > x.seq)
WHERE s.kind = l.kind
   OR (CASE l.kind WHEN 1 THEN x.post_source WHEN 2 THEN x.user_source ELSE x.dm_source END) = 'declared'
ORDER BY x.seq LIMIT 1;

-- name: verify_notice_orphans
SELECT DISTINCT notice_id FROM deletion_notice_ids
WHERE notice_id NOT IN (SELECT notice_id FROM deletion_notices) LIMIT 1;

-- name: verify_breaches
SELECT b.export_id, r.entity, r.delivered_at AS "at", r.post_ids, b.reason
FROM breaches b JOIN reservations r USING (export_id) ORDER BY r.delivered_at, b.export_id;

-- name: verify_requests
-- Every delivery of a request: the request is recorded, was approved before the delivery, and
-- the delivery goes to its entity and person under its exemption (or none); and no request's
-- counted deliveries (not released; a void keeps counting) hold more Post or User IDs than it asked for,
-- nor one Post ID twice.
SELECT seq, problem, request_id, export_id, n, m FROM (
    SELECT d.seq, CASE
               WHEN q.request_id IS NULL THEN 'unknown'
               WHEN x.decision IS NULL OR x.decision <> 'approved' OR x.seq > d.seq THEN 'unapproved'
               WHEN r.entity <> q.entity OR coalesce(r.person, '') <> q.person
                    OR coalesce(u.ref, '') <> coalesce(q.exemption, '') THEN 'elsewhere'
           END AS problem, d.request_id, d.export_id, 0 AS n, 0 AS m
    FROM request_deliveries d JOIN reservations r ON r.export_id = d.export_id
    LEFT JOIN requests q ON q.request_id = d.request_id
    LEFT JOIN request_decisions x ON x.request_id = d.request_id
    LEFT JOIN exemption_uses u ON u.export_id = d.export_id
    UNION ALL
    SELECT max(d.seq), CASE WHEN sum(r.post_ids) > max(q.post_ids) THEN 'posts' ELSE 'users' END, d.request_id,
           NULL, CASE WHEN sum(r.post_ids) > max(q.post_ids) THEN sum(r.post_ids) ELSE sum(r.user_ids) END,
           CASE WHEN sum(r.post_ids) > max(q.post_ids) THEN max(q.post_ids) ELSE max(q.user_ids) END
    FROM request_deliveries d JOIN reservations r ON r.export_id = d.export_id
    JOIN requests q ON q.request_id = d.request_id
    WHERE d.export_id NOT IN (SELECT export_id FROM releases) AND d.export_id NOT IN (SELECT export_id FROM {taken_back})
    GROUP BY d.request_id
    HAVING sum(r.post_ids) > max(q.post_ids) OR sum(r.user_ids) > max(q.user_ids)
    UNION ALL
    SELECT max(d.seq), 'twice', d.request_id, NULL, count(*), count(DISTINCT l.id)
    FROM request_deliveries d JOIN lineage l ON l.export_id = d.export_id AND l.kind = 1
    WHERE d.export_id NOT IN (SELECT export_id FROM releases) AND d.export_id NOT IN (SELECT export_id FROM {taken_back})
    GROUP BY d.request_id
    HAVING count(*) > count(DISTINCT l.id)
) p WHERE problem IS NOT NULL ORDER BY seq LIMIT 1;

-- name: verify_account_events
-- The events an account of the portal recorded (canonical JSON: a key is written "key":).
SELECT seq, kind, CAST(body AS VARCHAR) AS body FROM events
WHERE seq > ? AND CAST(body AS VARCHAR) LIKE '%"account":%' ORDER BY seq;
