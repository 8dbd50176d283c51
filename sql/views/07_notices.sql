-- notices: each deletion notice, with each entity that received any of its IDs: how many, the
-- deadline (received + the profile's notice deadline, 24 h by default) and when the entity was
-- told (NULL: not yet), whether that was after the deadline (late), and whether the notice was
-- voided as recorded in error (void: it no longer demands action).
CREATE OR REPLACE TEMP VIEW notices AS
WITH hit AS (
    SELECT n.notice_id, d.entity, count(DISTINCT n.id) AS ids
    FROM deletion_notice_ids n JOIN lineage l ON l.kind = n.kind AND l.id = n.id
    JOIN exports d ON d.export_id = l.export_id AND d.state IN ('committed', 'open')
    GROUP BY ALL)
SELECT d.notice_id, d.received_at, d.received_at + INTERVAL {notice_deadline_us} MICROSECOND AS deadline,
       d.kind, d.ids AS notice_ids, h.entity, h.ids, s.told_at,
       s.told_at > d.received_at + INTERVAL {notice_deadline_us} MICROSECOND AS late,
       v.notice_id IS NOT NULL AS void
FROM deletion_notices d
LEFT JOIN deletion_notice_voids v USING (notice_id)
LEFT JOIN hit h USING (notice_id)
LEFT JOIN (SELECT notice_id, entity, min(told_at) AS told_at FROM deletion_notice_sent GROUP BY ALL) s
       ON s.notice_id = d.notice_id AND s.entity = h.entity;
