-- The registry's reads: entities, their groups and domains, persons, terms, permissions.
-- Named queries of the library (quota/*.py asks for them by name: ledger.query("NAME", params)).

-- name: entity_names
SELECT entity FROM entities;

-- name: terms_first_accepted
SELECT min(accepted_at) AS first FROM terms_acceptances WHERE entity = ? AND accepted_at <= ?;

-- name: entity_kind
SELECT kind FROM entities WHERE entity = ?;

-- name: terms_in_force
SELECT accepted_by, accepted_at, version, document_sha256 FROM terms_acceptances
WHERE entity = ? AND accepted_at <= ? ORDER BY accepted_at DESC, seq DESC LIMIT 1;

-- name: entity_name
SELECT name FROM entities WHERE entity = ?;

-- name: terms_first_accepted_each
SELECT entity, min(accepted_at) FROM terms_acceptances GROUP BY entity;

-- name: entity_row
SELECT * FROM entities WHERE entity = ?;

-- name: entity_exists
SELECT 1 FROM entities WHERE entity = ?;

-- name: group_exists
SELECT 1 FROM group_links WHERE grp = ?;

-- name: group_link_exists
SELECT 1 FROM group_links WHERE entity = ? AND grp = ?;

-- name: person_entity
SELECT entity FROM persons WHERE person = ?;

-- name: person_emails
SELECT person, email FROM persons;

-- name: person_entity_at
SELECT coalesce((SELECT entity FROM person_moves WHERE person = ? AND valid_from <= ?
                 ORDER BY valid_from DESC, seq DESC LIMIT 1), p.entity) AS entity
FROM persons p WHERE p.person = ?;

-- name: permission_exists
SELECT 1 FROM permissions WHERE ref = ?;

-- name: entities_listed
SELECT e.entity, e.name, e.kind,
       (SELECT min(accepted_at) FROM terms_acceptances t WHERE t.entity = e.entity) AS terms_accepted_at,
       (SELECT count(*) FROM persons p WHERE p.entity = e.entity) AS persons
FROM entities e ORDER BY e.entity;

-- name: entity_terms
SELECT accepted_by, accepted_at, version, document_sha256, method, evidence_sha256,
       coalesce(backdated, false) AS backdated
FROM terms_acceptances WHERE entity = ? ORDER BY seq;

-- name: entity_persons
SELECT person, name FROM persons WHERE entity = ? ORDER BY person;

-- name: persons_listed
SELECT p.person, coalesce((SELECT m.entity FROM person_moves m WHERE m.person = p.person
                           ORDER BY m.valid_from DESC, m.seq DESC LIMIT 1), p.entity) AS entity,
       p.name, p.email
FROM persons p ORDER BY p.person;

-- name: group_links_all
SELECT entity, grp FROM group_links;

-- name: person_exists
SELECT 1 FROM persons WHERE person = ?;

-- name: persons_same
SELECT first, second FROM person_same;

-- name: entity_domains_all
SELECT entity, domain FROM entity_domains;

-- name: entity_names_but
SELECT entity, name FROM entities WHERE entity <> ? ORDER BY entity;

-- name: persons_but
SELECT person, entity, name, email FROM persons WHERE person <> ? ORDER BY person;

-- name: entity_names_all
SELECT entity, name FROM entities ORDER BY entity;

-- name: persons_all
SELECT person, entity, name, email FROM persons ORDER BY person;

-- name: holder_entries_near
-- The counted entries of a holder's members in a span. Fragment: {members}, a ? for each member.
SELECT delivered_at, post_ids FROM {q:counted_entries} c
WHERE entity IN ({members}) AND delivered_at > ? AND delivered_at < ?;

-- name: entries_near
SELECT entity, delivered_at, post_ids FROM {q:counted_entries} c WHERE delivered_at > ? AND delivered_at < ?;

-- name: holder_entries
SELECT delivered_at, post_ids FROM {q:counted_entries} c WHERE entity IN ({members});

-- name: permissions_listed
-- Fragment: {condition}, a WHERE clause or nothing.
SELECT ref, entity, cap, valid_from, valid_until, granted_on, signed_by, letter_sha256 FROM permissions
{condition} ORDER BY valid_from, ref;

-- name: accounts_now
-- Each account with its latest role and whether it was disabled or has set a password.
-- Fragment: {condition}, "WHERE a.email = ?" (one account) or nothing.
SELECT a.email,
       coalesce((SELECT c.role FROM account_changes c WHERE c.email = a.email AND c.change = 'role'
                 ORDER BY c.seq DESC LIMIT 1), a.role) AS role,
       a.person, a.entity,
       EXISTS (SELECT 1 FROM account_changes c WHERE c.email = a.email AND c.change = 'disable') AS disabled,
       EXISTS (SELECT 1 FROM account_passwords p WHERE p.email = a.email) AS password_set
FROM accounts a {condition} ORDER BY a.email;

-- name: account_link_of
-- The account a link's sha256 belongs to, if it is that account's newest link, and whether used.
SELECT l.email, l.expires_at,
       EXISTS (SELECT 1 FROM account_passwords p WHERE p.link_sha256 = l.link_sha256) AS used
FROM account_links l
WHERE l.link_sha256 = ? AND l.seq = (SELECT max(seq) FROM account_links m WHERE m.email = l.email);

-- name: entity_contacts_all
SELECT entity, email FROM entity_contacts ORDER BY seq;

-- name: account_settings_now
-- Each account's latest notification settings (accounts without any: immediate, no alerts).
SELECT s.email, s.mode, s.alerts FROM account_settings s
WHERE s.seq = (SELECT max(seq) FROM account_settings t WHERE t.email = s.email);
