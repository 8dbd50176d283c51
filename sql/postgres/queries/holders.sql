-- Who holds each entry's allowance. Shared by the checks, `usage`, `verify` and the report.

-- name: entry_holders
-- Every ID entry with the holder of the cap it counts toward: the group its entity belonged
-- to at the entry's time (the latest link at or before it), else the entity itself.
SELECT r.*, coalesce(g.grp, r.entity) AS holder
FROM reservations r LEFT JOIN LATERAL (
    SELECT grp FROM group_links g WHERE g.entity = r.entity AND g.valid_from <= r.delivered_at
    ORDER BY g.valid_from DESC, g.seq DESC LIMIT 1) g ON true

-- name: counted_entries
-- The ID entries that count toward a 30-day cap: not under an exemption, not released (never
-- delivered), not voided (recorded in error). The one statement of that rule; verify keeps an
-- independent one of its own.
SELECT r.* FROM reservations r
WHERE r.basis <> 'exemption'
  AND r.export_id NOT IN (SELECT export_id FROM releases)
  AND r.export_id NOT IN (SELECT export_id FROM voids)

-- name: counted_holders
-- counted_entries, each with the holder of the cap it counts toward (as entry_holders).
SELECT r.*, coalesce(g.grp, r.entity) AS holder
FROM {q:counted_entries} r LEFT JOIN LATERAL (
    SELECT grp FROM group_links g WHERE g.entity = r.entity AND g.valid_from <= r.delivered_at
    ORDER BY g.valid_from DESC, g.seq DESC LIMIT 1) g ON true

-- name: holder_at
-- The holder of ENTITY's cap at a time: parameters (entity, time).
SELECT coalesce((SELECT grp FROM group_links WHERE entity = $1 AND valid_from <= $2
                 ORDER BY valid_from DESC, seq DESC LIMIT 1), $1)

-- name: human_of
-- The human a person handle counts for (one parameter: the handle): its email, or itself.
SELECT coalesce('email:' || lower(email), 'person:' || person) FROM persons WHERE person = ?

-- name: manual_humans
-- Every manual entry with the human it counts toward: handles sharing an email are one human.
SELECT m.*, coalesce('email:' || lower(p.email), 'person:' || m.person) AS human
FROM manual_exports m LEFT JOIN persons p USING (person)
