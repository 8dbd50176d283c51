-- recipients: each entity with its first recorded terms acceptance, whether any of its
-- acceptances was back-dated (recorded more than 24 hours after the time it states), and how
-- many persons it has.
CREATE OR REPLACE TEMP VIEW recipients AS
SELECT e.entity, e.name, e.kind,
       (SELECT min(t.accepted_at) FROM terms_acceptances t WHERE t.entity = e.entity) AS terms_accepted_at,
       coalesce((SELECT bool_or(t.backdated) FROM terms_acceptances t WHERE t.entity = e.entity), false)
           AS terms_backdated,
       (SELECT count(*) FROM persons p WHERE p.entity = e.entity) AS persons
FROM entities e;
