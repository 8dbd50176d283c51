-- usage_30d: for each entity, at each counted ID export, the Post IDs its holder (its organisation:
-- the entities and groups linked together, directly or through other links, at any time; else
-- itself) received in the 30 days to then ((at - 30 days, at]), against the holder's cap in
-- force (a group's permission lifts its organisation's; an entity's only while it was never
-- linked). A void of a delivery keeps it counting; a voided import does not.
-- {window_us}, {post_id_cap}: from the profile in force.
CREATE OR REPLACE TEMP VIEW usage_30d AS
WITH RECURSIVE edges AS (
    SELECT entity AS a, grp AS b FROM group_links UNION SELECT grp, entity FROM group_links),
reach(node, other) AS (
    SELECT a, a FROM edges
    UNION
    SELECT r.node, e.b FROM reach r JOIN edges e ON e.a = r.other),
components AS (
    SELECT r.node, min(g.grp) AS holder
    FROM reach r LEFT JOIN (SELECT DISTINCT grp FROM group_links) g ON g.grp = r.other
    GROUP BY r.node),
counted AS (
    SELECT e.entity, coalesce(c.holder, e.entity) AS holder, e."at", e.post_ids FROM exports e
    LEFT JOIN components c ON c.node = e.entity
    WHERE basis NOT IN ('exemption', 'manual')
      AND (state IN ('committed', 'open') OR (state = 'void' AND basis <> 'import'))),
perms AS (
    SELECT coalesce(c.holder, p.entity) AS holder, p.cap, p.valid_from, p.valid_until
    FROM permissions p LEFT JOIN components c ON c.node = p.entity
    WHERE c.node IS NULL OR p.entity IN (SELECT grp FROM group_links))
SELECT c.entity, c."at",
       sum(c.post_ids) OVER (PARTITION BY c.holder ORDER BY c."at"
           RANGE BETWEEN (({window_us} - 1) * INTERVAL '1 microsecond') PRECEDING AND CURRENT ROW) AS used,
       greatest({post_id_cap}, (SELECT coalesce(max(p.cap), 0) FROM perms p
                          WHERE p.holder = c.holder AND p.valid_from <= c."at" AND c."at" < p.valid_until)) AS cap,
       c.holder
FROM counted c;
