-- exemption_usage: each research exemption with its approved and used Post/User IDs (a peer-review
-- exemption draws down its academic parent, so both show the shared drawdown) and whether revoked.
CREATE OR REPLACE TEMP VIEW exemption_usage AS
WITH used AS (
    SELECT coalesce(x.parent, x.ref) AS root, sum(e.post_ids) AS posts, sum(e.user_ids) AS users, count(*) AS n
    FROM exemption_uses u JOIN exports e USING (export_id) JOIN exemptions x ON x.ref = u.ref
    WHERE e.state IN ('committed', 'open', 'void')  -- a void of a delivery keeps drawing
    GROUP BY coalesce(x.parent, x.ref))
SELECT x.ref, x.kind, x.entity, x.parent, x.valid_from, x.valid_until,
       coalesce(root.post_ids, x.post_ids) AS approved_post_ids, coalesce(used.posts, 0) AS used_post_ids,
       coalesce(root.user_ids, x.user_ids) AS approved_user_ids, coalesce(used.users, 0) AS used_user_ids,
       r.ref IS NOT NULL AS revoked
FROM exemptions x
LEFT JOIN exemptions root ON root.ref = coalesce(x.parent, x.ref)
LEFT JOIN used ON used.root = coalesce(x.parent, x.ref)
LEFT JOIN exemption_revocations r ON r.ref = x.ref;
