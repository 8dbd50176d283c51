-- manual_usage_24h: for each person, at each manual export, the Post and User objects in the
-- 24 hours to then ((at - 24 h, at]; {object_window_us} is the profile's object window).
CREATE OR REPLACE TEMP VIEW manual_usage_24h AS
SELECT person, entity, "at",
       sum(post_ids + user_ids) OVER (PARTITION BY person ORDER BY "at"
           RANGE BETWEEN (({object_window_us} - 1) * INTERVAL '1 microsecond') PRECEDING AND CURRENT ROW) AS objects
FROM exports WHERE basis = 'manual' AND state IN ('committed', 'void');  -- a void keeps counting
