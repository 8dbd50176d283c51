-- delivered_ids: every ID each recipient holds: one row per ID per export, for exports that are
-- committed or open (an interrupted export may have been delivered), not released or void.
CREATE OR REPLACE TEMP VIEW delivered_ids AS
SELECT l.id, CASE l.kind WHEN 1 THEN 'post' WHEN 2 THEN 'user' ELSE 'dm' END AS kind,
       e.export_id, e.entity, e.person, e."at", e.basis
FROM lineage l JOIN exports e USING (export_id)
WHERE e.state IN ('committed', 'open');
