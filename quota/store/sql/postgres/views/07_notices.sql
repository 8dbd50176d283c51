-- notices: each deletion notice, with each entity that received any of its IDs: how many, the
-- deadline (received + the profile's notice deadline, 24 h by default) and when the entity was
-- told (NULL: not yet), whether that was after the deadline (late), and whether the notice was
-- voided as recorded in error (void: it no longer demands action), and whether some of the
-- entity's matches are IDs of a declared kind (matched whatever kind they were declared as).
-- backdated, told_backdated: the receipt, or the telling, was stated more than the clock's
-- slack before it was recorded (with evidence); void_reason, voided_by: a void's reason and who.
CREATE OR REPLACE TEMP VIEW notices AS
WITH hit AS (
    SELECT n.notice_id, d.entity, count(DISTINCT n.id) AS ids, bool_or(d.declared) AS declared
    FROM deletion_notice_ids n JOIN delivered_ids d
      ON d.id = n.id AND (d.kind = CASE n.kind WHEN 1 THEN 'post' ELSE 'user' END OR d.declared)
    GROUP BY n.notice_id, d.entity)
SELECT d.notice_id, d.received_at, d.received_at + ({notice_deadline_us} * INTERVAL '1 microsecond') AS deadline,
       d.kind, d.ids AS notice_ids, h.entity, h.ids, s.told_at,
       s.told_at > d.received_at + ({notice_deadline_us} * INTERVAL '1 microsecond') AS late,
       v.notice_id IS NOT NULL AS void, h.declared,
       coalesce(d.backdated, false) AS backdated, coalesce(s.backdated, false) AS told_backdated,
       v.reason AS void_reason, v.done_by AS voided_by
FROM deletion_notices d
LEFT JOIN deletion_notice_voids v USING (notice_id)
LEFT JOIN hit h USING (notice_id)
LEFT JOIN (SELECT notice_id, entity, min(told_at) AS told_at, bool_or(coalesce(backdated, false)) AS backdated
           FROM deletion_notice_sent GROUP BY notice_id, entity) s
       ON s.notice_id = d.notice_id AND s.entity = h.entity;
