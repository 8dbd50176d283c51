-- usage_30d: for each entity, at each counted ID export, the Post IDs in the 30 days to then
-- ((at - 30 days, at]) against the cap in force. {window_us}, {post_id_cap}: from the profile in force.
CREATE OR REPLACE TEMP VIEW usage_30d AS
WITH counted AS (
    SELECT entity, "at", post_ids FROM exports
    WHERE state IN ('committed', 'open') AND basis NOT IN ('exemption', 'manual'))
SELECT c.entity, c."at",
       sum(c.post_ids) OVER (PARTITION BY c.entity ORDER BY c."at"
           RANGE BETWEEN INTERVAL ({window_us} - 1) MICROSECOND PRECEDING AND CURRENT ROW) AS used,
       greatest({post_id_cap}, (SELECT coalesce(max(p.cap), 0) FROM permissions p
                          WHERE p.entity = c.entity AND p.valid_from <= c."at" AND c."at" < p.valid_until)) AS cap
FROM counted c;
