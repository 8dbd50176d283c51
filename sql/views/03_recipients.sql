-- recipients: each entity with its first recorded terms acceptance and how many persons it has.
CREATE OR REPLACE TEMP VIEW recipients AS
SELECT e.entity, e.name, e.kind,
       (SELECT min(t.accepted_at) FROM terms_acceptances t WHERE t.entity = e.entity) AS terms_accepted_at,
       (SELECT count(*) FROM persons p WHERE p.entity = e.entity) AS persons
FROM entities e;
