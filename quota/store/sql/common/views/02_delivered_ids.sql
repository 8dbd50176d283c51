-- delivered_ids: every ID each recipient holds: one row per ID per export, for exports that are
-- committed, open (an interrupted export may have been delivered) or void (a void stops an entry
-- counting toward caps, but its IDs may have been handed over); not released (never delivered).
-- declared: the ID's kind is the operator's word (see exports.post_source), so it may be an ID
-- of another kind: lookups by ID match such rows under every kind.
CREATE OR REPLACE TEMP VIEW delivered_ids AS
SELECT l.id, CASE l.kind WHEN 1 THEN 'post' WHEN 2 THEN 'user' ELSE 'dm' END AS kind,
       e.export_id, e.entity, e.person, e."at", e.basis, e.state,
       coalesce(CASE l.kind WHEN 1 THEN e.post_source WHEN 2 THEN e.user_source ELSE e.dm_source END = 'declared',
                false) AS declared
FROM lineage l JOIN exports e USING (export_id)
WHERE e.state IN ('committed', 'open', 'void');
