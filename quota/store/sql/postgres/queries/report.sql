-- The report's daily chart: per holder of a cap, each UTC day of the period, the most Post IDs
-- in any 30-day window ending that day, and the cap then. Parameters: since, until, since,
-- until, the base cap. {span}: the window in microseconds; {q:counted_holders}: holders.sql's.

-- name: daily_peaks
WITH counted AS (
    SELECT holder, delivered_at AS t, post_ids FROM {q:counted_holders} h
    WHERE delivered_at > ?::TIMESTAMP - ({span} * INTERVAL '1 microsecond') AND delivered_at <= ?),
days AS (SELECT generate_series(date_trunc('day', ?::TIMESTAMP), ?::TIMESTAMP, INTERVAL '1 day') AS day),
holders AS (SELECT coalesce(c.holder, e.entity) AS holder FROM entities e LEFT JOIN {q:components} c ON c.node = e.entity
            UNION SELECT DISTINCT holder FROM counted),
at_start AS (
    SELECT h.holder, d.day, coalesce(sum(c.post_ids), 0) AS used
    FROM holders h CROSS JOIN days d
    LEFT JOIN counted c ON c.holder = h.holder AND c.t > d.day - ({span} * INTERVAL '1 microsecond')
                       AND c.t <= d.day
    GROUP BY h.holder, d.day),
w AS (
    SELECT holder, t, sum(post_ids) OVER (PARTITION BY holder ORDER BY t
        RANGE BETWEEN (({span} - 1) * INTERVAL '1 microsecond') PRECEDING AND CURRENT ROW) AS used
    FROM counted),
peaks AS (SELECT holder, date_trunc('day', t) AS day, max(used) AS used FROM w GROUP BY holder, date_trunc('day', t))
SELECT s.holder, s.day, greatest(s.used, coalesce(p.used, 0)) AS used,
       greatest(?, (SELECT max(x.cap) FROM {q:holder_permissions} x WHERE x.holder = s.holder
                    AND x.valid_from <= s.day + INTERVAL '1 day' AND s.day < x.valid_until)) AS cap
FROM at_start s LEFT JOIN peaks p USING (holder, day)
ORDER BY s.holder, s.day;
