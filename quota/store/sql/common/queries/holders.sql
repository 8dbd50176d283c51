-- Who holds each entry's allowance. Shared by `usage`, `verify`, the report and the views (the write
-- path keeps its own reading of the components, quota/registry.py).

-- name: components
-- Every entity and group ever linked, with the holder of the one cap they share: the connected
-- components of all links ever recorded (an organisation is one holder before and after a
-- link, and links are permanent), each named by its smallest group name. An entity never
-- linked holds its own cap (it has no row here).
WITH RECURSIVE edges AS (
    SELECT entity AS a, grp AS b FROM group_links UNION SELECT grp, entity FROM group_links),
reach(node, other) AS (
    SELECT a, a FROM edges
    UNION
    SELECT r.node, e.b FROM reach r JOIN edges e ON e.a = r.other)
SELECT r.node, min(g.grp) AS holder
FROM reach r LEFT JOIN (SELECT DISTINCT grp FROM group_links) g ON g.grp = r.other
GROUP BY r.node

-- name: holder_permissions
-- X's written permissions with the holder whose cap each lifts: a group's lifts its whole
-- organisation's; an entity's only while it was never linked (then it is the organisation).
SELECT coalesce(c.holder, p.entity) AS holder, p.*
FROM permissions p LEFT JOIN {q:components} c ON c.node = p.entity
WHERE c.node IS NULL OR p.entity IN (SELECT grp FROM group_links)

-- name: counted_entries
-- The ID entries that count toward a 30-day cap: not under an exemption, not released (never
-- delivered), and not a voided import (the one kind of entry a void takes back: a row recorded
-- in error that delivered nothing; a void of anything delivered only marks it). The one
-- statement of that rule; verify keeps an independent one of its own.
SELECT r.* FROM reservations r
WHERE r.basis <> 'exemption'
  AND r.export_id NOT IN (SELECT export_id FROM releases)
  AND NOT (r.basis = 'import' AND r.export_id IN (SELECT export_id FROM voids))

-- name: counted_holders
-- counted_entries, each with the holder of the cap it counts toward.
SELECT r.*, coalesce(c.holder, r.entity) AS holder
FROM {q:counted_entries} r LEFT JOIN {q:components} c ON c.node = r.entity
