-- Each state table rebuilt from the events alone. `quota ledger verify` compares these with
-- the tables, both ways, row for row. Bodies are canonical JSON (sorted keys, no spaces), so
-- a JSON sub-object read back here is the same text the write path stored.
-- The write path stores each event's state with these same queries, appending `AND seq = ?`:
-- every query ends with its WHERE clause, which names the event kinds in quotes.

-- name: entities
SELECT body->>'entity', body->>'name', body->>'kind', seq
FROM events WHERE kind = 'entity';

-- name: terms_acceptances
SELECT body->>'entity', body->>'by', (body->>'at')::TIMESTAMP, seq,
       body->>'version', body->>'document_sha256', body->>'method', body->>'evidence_sha256',
       (body->>'backdated')::BOOLEAN
FROM events WHERE kind = 'terms';

-- name: persons
SELECT body->>'person', body->>'entity', body->>'name', seq, body->>'email'
FROM events WHERE kind = 'person';

-- name: permissions
SELECT body->>'ref', body->>'entity', (body->>'cap')::BIGINT, (body->>'from')::TIMESTAMP,
       (body->>'until')::TIMESTAMP, seq, body->>'letter_sha256', body->>'signed_by', (body->>'granted_on')::DATE
FROM events WHERE kind = 'permission';

-- name: policy_changes
SELECT seq, body->>'profile', body->>'version', body->>'reason', body->>'by'
FROM events WHERE kind = 'policy';

-- name: reservations
-- One parse of each body (json_transform), not one per field: 5.4 s -> 1.0 s at 1M exports.
SELECT j.export_id, j.entity, j.person, j."at"::TIMESTAMP, j.post_ids::BIGINT, j.user_ids::BIGINT,
       CASE kind WHEN 'import' THEN 0 ELSE j.dm_ids::BIGINT END,
       CASE kind WHEN 'import' THEN 'import' ELSE j.basis END,
       j.profile, j.version,
       coalesce(j.ids_sha256::VARCHAR, '{}'),
       seq
FROM (SELECT seq, kind, json_transform(body, '{"export_id": "VARCHAR", "entity": "VARCHAR", "person": "VARCHAR",
          "at": "VARCHAR", "post_ids": "VARCHAR", "user_ids": "VARCHAR", "dm_ids": "VARCHAR", "basis": "VARCHAR",
          "profile": "VARCHAR", "version": "VARCHAR", "ids_sha256": "JSON"}') AS j FROM events) e
WHERE kind IN ('reserve', 'import');

-- name: commits
SELECT j.export_id, CASE kind WHEN 'import' THEN '[]' ELSE j.files::VARCHAR END, seq
FROM (SELECT seq, kind, json_transform(body, '{"export_id": "VARCHAR", "files": "JSON"}') AS j FROM events) e
WHERE kind IN ('commit', 'import');

-- name: releases
SELECT body->>'export_id', body->>'reason', seq
FROM events WHERE kind = 'release';

-- name: voids
SELECT body->>'export_id', body->>'reason', seq, body->>'by'
FROM events WHERE kind = 'void';

-- name: exemptions
SELECT body->>'ref', body->>'entity', body->>'kind', (body->>'approved_on')::DATE,
       (body->>'from')::TIMESTAMP, (body->>'until')::TIMESTAMP,
       (body->>'post_ids')::BIGINT, (body->>'user_ids')::BIGINT, body->>'parent', body->>'purpose', seq
FROM events WHERE kind = 'exemption';

-- name: exemption_persons
SELECT body->>'ref', unnest(from_json(body->'persons', '["VARCHAR"]')), seq
FROM events WHERE kind = 'exemption';

-- name: exemption_revocations
SELECT body->>'ref', body->>'reason', seq
FROM events WHERE kind = 'exemption_revoke';

-- name: exemption_uses
SELECT body->>'export_id', body->>'exemption', seq
FROM events WHERE kind = 'reserve' AND body->>'exemption' IS NOT NULL;

-- name: manual_exports
SELECT body->>'export_id', body->>'entity', body->>'person', (body->>'at')::TIMESTAMP,
       (body->>'posts')::BIGINT, (body->>'users')::BIGINT, (body->'files')::VARCHAR,
       body->>'profile', body->>'version', (body->'ids_sha256')::VARCHAR, seq
FROM events WHERE kind = 'manual';

-- name: deletion_notices
SELECT body->>'notice_id', (body->>'received_at')::TIMESTAMP, body->>'kind', body->>'file', body->>'sha256',
       (body->>'ids')::BIGINT, body->>'ids_sha256', seq, body->>'evidence_sha256', (body->>'backdated')::BOOLEAN,
       body->>'renews'
FROM events WHERE kind = 'notice';

-- name: deletion_notice_sent
SELECT body->>'notice_id', body->>'entity', (body->>'at')::TIMESTAMP, seq, body->>'evidence_sha256',
       (body->>'backdated')::BOOLEAN
FROM events WHERE kind = 'notice_sent';

-- name: output_places
SELECT body->>'export_id', body->>'outdir', body->>'host', seq
FROM events WHERE kind = 'reserve' AND body->>'outdir' IS NOT NULL;

-- name: publications
SELECT body->>'export_id', seq
FROM events WHERE kind = 'publish';

-- name: deletion_notice_voids
SELECT body->>'notice_id', body->>'reason', seq, body->>'by'
FROM events WHERE kind = 'notice_void';

-- name: id_sources
SELECT body->>'export_id', body->>'$.sources.post', body->>'$.sources.user', body->>'$.sources.dm', seq
FROM events WHERE kind IN ('reserve', 'import') AND body->>'sources' IS NOT NULL;

-- name: breaches
SELECT body->>'export_id', body->>'breach', seq
FROM events WHERE kind = 'import' AND body->>'breach' IS NOT NULL;

-- name: group_links
SELECT body->>'entity', body->>'group',
       CASE kind WHEN 'entity' THEN TIMESTAMP '2006-01-01' ELSE (body->>'at')::TIMESTAMP END, body->>'reason', seq,
       body->>'breach'
FROM events WHERE kind IN ('entity', 'entity_link') AND body->>'group' IS NOT NULL;

-- name: entity_domains
SELECT body->>'entity', unnest(from_json(body->'domains', '["VARCHAR"]')), seq
FROM events WHERE kind = 'entity' AND body->>'domains' IS NOT NULL;

-- name: person_moves
SELECT body->>'person', body->>'entity', (body->>'at')::TIMESTAMP, body->>'reason', seq
FROM events WHERE kind = 'person_move';

-- name: person_same
SELECT body->>'first', body->>'second', body->>'reason', seq
FROM events WHERE kind = 'person_same';

-- name: recipient_warnings
SELECT CASE kind WHEN 'person' THEN body->>'person' ELSE body->>'entity' END, kind, (body->'warnings')::VARCHAR, seq
FROM events WHERE kind IN ('entity', 'person') AND body->>'warnings' IS NOT NULL;

-- name: datasets
SELECT body->>'name', body->>'title', body->>'description', body->>'collected_with',
       (body->>'from')::TIMESTAMP, (body->>'until')::TIMESTAMP, body->>'citation',
       (body->'inputs')::VARCHAR, (body->>'post_ids')::BIGINT, (body->>'user_ids')::BIGINT, seq
FROM events WHERE kind = 'dataset';

-- name: requests
SELECT body->>'request_id', body->>'dataset', body->>'person', body->>'entity', body->>'exemption',
       body->>'purpose', body->>'ids', (body->'filters')::VARCHAR, (body->>'post_ids')::BIGINT,
       (body->>'user_ids')::BIGINT, body->>'selection_sha256', body->>'by', seq, body->>'account'
FROM events WHERE kind = 'request';

-- name: request_decisions
SELECT body->>'request_id', body->>'decision', body->>'by', body->>'note', seq, body->>'account'
FROM events WHERE kind = 'request_decision';

-- name: request_deliveries
SELECT body->>'export_id', body->>'request', seq
FROM events WHERE kind = 'reserve' AND body->>'request' IS NOT NULL;

-- name: accounts
SELECT lower(body->>'email'), body->>'role', body->>'person', body->>'entity', seq
FROM events WHERE kind = 'account';

-- name: account_changes
SELECT lower(body->>'email'), CASE kind WHEN 'account_role' THEN 'role' ELSE 'disable' END, body->>'role',
       body->>'reason', seq
FROM events WHERE kind IN ('account_role', 'account_disable');

-- name: account_links
SELECT lower(body->>'email'), body->>'link_sha256', (body->>'link_expires')::TIMESTAMP, seq
FROM events WHERE kind IN ('account', 'account_link');

-- name: account_passwords
SELECT lower(body->>'email'), body->>'link_sha256', seq
FROM events WHERE kind = 'account_password';

-- name: entity_contacts
SELECT body->>'entity', lower(body->>'email'), seq
FROM events WHERE kind = 'entity_contact';

-- name: account_settings
SELECT lower(body->>'email'), body->>'mode', (body->>'alerts')::BOOLEAN, seq
FROM events WHERE kind = 'account_notify';

-- name: notifications
SELECT body->>'message_id', body->>'channel', body->>'recipient', body->>'topic', body->>'dedupe',
       body->>'subject', body->>'text', (body->'data')::VARCHAR, body->>'held', body->>'link_sha256', seq
FROM events WHERE kind = 'notify';

-- name: notification_attempts
SELECT body->>'message_id', (body->>'attempt')::INTEGER, CASE kind WHEN 'notify_attempt' THEN 'sending' ELSE 'result' END,
       (body->>'ok')::BOOLEAN, body->>'detail', seq
FROM events WHERE kind IN ('notify_attempt', 'notify_result');

-- name: notice_acks
SELECT body->>'notice_id', body->>'entity', body->>'by', body->>'method', seq
FROM events WHERE kind = 'notice_ack';
