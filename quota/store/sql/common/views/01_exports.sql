-- exports: every distribution, ID exports and manual (spreadsheet) exports alike, with its state:
-- open (reserved, files not yet committed), committed, released (never delivered) or void.
-- For manual exports post_ids and user_ids count objects and basis is 'manual'.
-- post_source, user_source, dm_source: 'typed' (the IDs came from objects that say what they
-- are) or 'declared' (the kind is the operator's word: a plain list, an ID column); NULL where
-- the kind was not exported or the entry predates the record.
-- void_reason, voided_by: a void's reason and who gave it (a void of a delivery keeps it counting).
CREATE OR REPLACE TEMP VIEW exports AS
SELECT r.export_id, r.entity, r.person, r.delivered_at AS "at", r.post_ids, r.user_ids, r.dm_ids, r.basis,
       u.ref AS exemption, r.profile, r.version,
       CASE WHEN v.export_id IS NOT NULL THEN 'void'
            WHEN rel.export_id IS NOT NULL THEN 'released'
            WHEN c.export_id IS NOT NULL THEN 'committed'
            ELSE 'open' END AS state,
       s.post_source, s.user_source, s.dm_source,
       r.seq, v.reason AS void_reason, v.done_by AS voided_by
FROM reservations r
LEFT JOIN id_sources s USING (export_id)
LEFT JOIN commits c USING (export_id)
LEFT JOIN releases rel USING (export_id)
LEFT JOIN voids v USING (export_id)
LEFT JOIN exemption_uses u USING (export_id)
UNION ALL
SELECT m.export_id, m.entity, m.person, m.delivered_at, m.posts, m.users, 0, 'manual', NULL, m.profile, m.version,
       CASE WHEN v.export_id IS NOT NULL THEN 'void' ELSE 'committed' END, 'typed', 'typed', NULL, m.seq,
       v.reason, v.done_by
FROM manual_exports m
LEFT JOIN voids v USING (export_id);
