-- Each state table rebuilt from the events alone (PostgreSQL: bodies are TEXT, parsed once per
-- event as jsonb for their values, in a LATERAL subquery that OFFSET 0 keeps from being
-- flattened: a flattened one parses the body again at every use, 4x the time; a sub-object is
-- read from the json form, which keeps its stored text exactly). `quota ledger verify` compares
-- these with the tables, both ways, row for row. Bodies are canonical JSON (sorted keys, no
-- spaces), so a JSON sub-object read back here is the same text the write path stored.
-- The write path stores each event's state with these same queries, appending `AND seq = ?`:
-- every query ends with its WHERE clause, which names the event kinds in quotes.

-- name: entities
SELECT b->>'entity', b->>'name', b->>'kind', seq
FROM events e, LATERAL (SELECT e.body::jsonb AS b OFFSET 0) j WHERE kind = 'entity';

-- name: terms_acceptances
SELECT b->>'entity', b->>'by', (b->>'at')::TIMESTAMP, seq,
       b->>'version', b->>'document_sha256', b->>'method', b->>'evidence_sha256',
       (b->>'backdated')::BOOLEAN
FROM events e, LATERAL (SELECT e.body::jsonb AS b OFFSET 0) j WHERE kind = 'terms';

-- name: persons
SELECT b->>'person', b->>'entity', b->>'name', seq, b->>'email'
FROM events e, LATERAL (SELECT e.body::jsonb AS b OFFSET 0) j WHERE kind = 'person';

-- name: permissions
SELECT b->>'ref', b->>'entity', (b->>'cap')::BIGINT, (b->>'from')::TIMESTAMP,
       (b->>'until')::TIMESTAMP, seq, b->>'letter_sha256', b->>'signed_by', (b->>'granted_on')::DATE
FROM events e, LATERAL (SELECT e.body::jsonb AS b OFFSET 0) j WHERE kind = 'permission';

-- name: policy_changes
SELECT seq, b->>'profile', b->>'version', b->>'reason', b->>'by'
FROM events e, LATERAL (SELECT e.body::jsonb AS b OFFSET 0) j WHERE kind = 'policy';

-- name: reservations
SELECT b->>'export_id', b->>'entity', b->>'person', (b->>'at')::TIMESTAMP,
       (b->>'post_ids')::BIGINT, (b->>'user_ids')::BIGINT,
       CASE kind WHEN 'import' THEN 0 ELSE (b->>'dm_ids')::BIGINT END,
       CASE kind WHEN 'import' THEN 'import' ELSE b->>'basis' END,
       b->>'profile', b->>'version',
       coalesce((t->'ids_sha256')::text, '{}'),
       seq
FROM events e, LATERAL (SELECT e.body::jsonb AS b, e.body::json AS t OFFSET 0) j WHERE kind IN ('reserve', 'import');

-- name: commits
SELECT b->>'export_id', CASE kind WHEN 'import' THEN '[]' ELSE (t->'files')::text END, seq
FROM events e, LATERAL (SELECT e.body::jsonb AS b, e.body::json AS t OFFSET 0) j WHERE kind IN ('commit', 'import');

-- name: releases
SELECT b->>'export_id', b->>'reason', seq
FROM events e, LATERAL (SELECT e.body::jsonb AS b OFFSET 0) j WHERE kind = 'release';

-- name: voids
SELECT b->>'export_id', b->>'reason', seq, b->>'by'
FROM events e, LATERAL (SELECT e.body::jsonb AS b OFFSET 0) j WHERE kind = 'void';

-- name: exemptions
SELECT b->>'ref', b->>'entity', b->>'kind', (b->>'approved_on')::DATE,
       (b->>'from')::TIMESTAMP, (b->>'until')::TIMESTAMP,
       (b->>'post_ids')::BIGINT, (b->>'user_ids')::BIGINT, b->>'parent', b->>'purpose', seq
FROM events e, LATERAL (SELECT e.body::jsonb AS b OFFSET 0) j WHERE kind = 'exemption';

-- name: exemption_persons
SELECT b->>'ref', jsonb_array_elements_text(b->'persons'), seq
FROM events e, LATERAL (SELECT e.body::jsonb AS b OFFSET 0) j WHERE kind = 'exemption';

-- name: exemption_revocations
SELECT b->>'ref', b->>'reason', seq
FROM events e, LATERAL (SELECT e.body::jsonb AS b OFFSET 0) j WHERE kind = 'exemption_revoke';

-- name: exemption_uses
SELECT b->>'export_id', b->>'exemption', seq
FROM events e, LATERAL (SELECT e.body::jsonb AS b OFFSET 0) j WHERE kind = 'reserve' AND b->>'exemption' IS NOT NULL;

-- name: manual_exports
SELECT b->>'export_id', b->>'entity', b->>'person', (b->>'at')::TIMESTAMP,
       (b->>'posts')::BIGINT, (b->>'users')::BIGINT, (t->'files')::text,
       b->>'profile', b->>'version', (t->'ids_sha256')::text, seq
FROM events e, LATERAL (SELECT e.body::jsonb AS b, e.body::json AS t OFFSET 0) j WHERE kind = 'manual';

-- name: deletion_notices
SELECT b->>'notice_id', (b->>'received_at')::TIMESTAMP, b->>'kind', b->>'file', b->>'sha256',
       (b->>'ids')::BIGINT, b->>'ids_sha256', seq, b->>'evidence_sha256', (b->>'backdated')::BOOLEAN, b->>'renews'
FROM events e, LATERAL (SELECT e.body::jsonb AS b OFFSET 0) j WHERE kind = 'notice';

-- name: deletion_notice_sent
SELECT b->>'notice_id', b->>'entity', (b->>'at')::TIMESTAMP, seq, b->>'evidence_sha256', (b->>'backdated')::BOOLEAN
FROM events e, LATERAL (SELECT e.body::jsonb AS b OFFSET 0) j WHERE kind = 'notice_sent';

-- name: output_places
SELECT b->>'export_id', b->>'outdir', b->>'host', seq
FROM events e, LATERAL (SELECT e.body::jsonb AS b OFFSET 0) j WHERE kind = 'reserve' AND b->>'outdir' IS NOT NULL;

-- name: publications
SELECT b->>'export_id', seq
FROM events e, LATERAL (SELECT e.body::jsonb AS b OFFSET 0) j WHERE kind = 'publish';

-- name: deletion_notice_voids
SELECT b->>'notice_id', b->>'reason', seq, b->>'by'
FROM events e, LATERAL (SELECT e.body::jsonb AS b OFFSET 0) j WHERE kind = 'notice_void';

-- name: id_sources
SELECT b->>'export_id', b->'sources'->>'post', b->'sources'->>'user', b->'sources'->>'dm', seq
FROM events e, LATERAL (SELECT e.body::jsonb AS b OFFSET 0) j WHERE kind IN ('reserve', 'import') AND b->>'sources' IS NOT NULL;

-- name: breaches
SELECT b->>'export_id', b->>'breach', seq
FROM events e, LATERAL (SELECT e.body::jsonb AS b OFFSET 0) j WHERE kind = 'import' AND b->>'breach' IS NOT NULL;

-- name: group_links
SELECT b->>'entity', b->>'group',
       CASE kind WHEN 'entity' THEN TIMESTAMP '2006-01-01' ELSE (b->>'at')::TIMESTAMP END, b->>'reason', seq,
       b->>'breach'
FROM events e, LATERAL (SELECT e.body::jsonb AS b OFFSET 0) j WHERE kind IN ('entity', 'entity_link') AND b->>'group' IS NOT NULL;

-- name: entity_domains
SELECT b->>'entity', jsonb_array_elements_text(b->'domains'), seq
FROM events e, LATERAL (SELECT e.body::jsonb AS b OFFSET 0) j WHERE kind = 'entity' AND b->>'domains' IS NOT NULL;

-- name: person_moves
SELECT b->>'person', b->>'entity', (b->>'at')::TIMESTAMP, b->>'reason', seq
FROM events e, LATERAL (SELECT e.body::jsonb AS b OFFSET 0) j WHERE kind = 'person_move';

-- name: person_same
SELECT b->>'first', b->>'second', b->>'reason', seq
FROM events e, LATERAL (SELECT e.body::jsonb AS b OFFSET 0) j WHERE kind = 'person_same';

-- name: recipient_warnings
SELECT CASE kind WHEN 'person' THEN b->>'person' ELSE b->>'entity' END, kind, (t->'warnings')::text, seq
FROM events e, LATERAL (SELECT e.body::jsonb AS b, e.body::json AS t OFFSET 0) j WHERE kind IN ('entity', 'person') AND b->>'warnings' IS NOT NULL;

-- name: datasets
SELECT b->>'name', b->>'title', b->>'description', b->>'collected_with',
       (b->>'from')::TIMESTAMP, (b->>'until')::TIMESTAMP, b->>'citation',
       (t->'inputs')::text, (b->>'post_ids')::BIGINT, (b->>'user_ids')::BIGINT, seq
FROM events e, LATERAL (SELECT e.body::jsonb AS b, e.body::json AS t OFFSET 0) j WHERE kind = 'dataset';

-- name: requests
SELECT b->>'request_id', b->>'dataset', b->>'person', b->>'entity', b->>'exemption',
       b->>'purpose', b->>'ids', (t->'filters')::text, (b->>'post_ids')::BIGINT,
       (b->>'user_ids')::BIGINT, b->>'selection_sha256', b->>'by', seq, b->>'account'
FROM events e, LATERAL (SELECT e.body::jsonb AS b, e.body::json AS t OFFSET 0) j WHERE kind = 'request';

-- name: request_decisions
SELECT b->>'request_id', b->>'decision', b->>'by', b->>'note', seq, b->>'account'
FROM events e, LATERAL (SELECT e.body::jsonb AS b OFFSET 0) j WHERE kind = 'request_decision';

-- name: request_deliveries
SELECT b->>'export_id', b->>'request', seq
FROM events e, LATERAL (SELECT e.body::jsonb AS b OFFSET 0) j WHERE kind = 'reserve' AND b->>'request' IS NOT NULL;

-- name: accounts
SELECT lower(b->>'email'), b->>'role', b->>'person', b->>'entity', seq
FROM events e, LATERAL (SELECT e.body::jsonb AS b OFFSET 0) j WHERE kind = 'account';

-- name: account_changes
SELECT lower(b->>'email'), CASE kind WHEN 'account_role' THEN 'role' ELSE 'disable' END, b->>'role',
       b->>'reason', seq
FROM events e, LATERAL (SELECT e.body::jsonb AS b OFFSET 0) j WHERE kind IN ('account_role', 'account_disable');

-- name: account_links
SELECT lower(b->>'email'), b->>'link_sha256', (b->>'link_expires')::TIMESTAMP, seq
FROM events e, LATERAL (SELECT e.body::jsonb AS b OFFSET 0) j WHERE kind IN ('account', 'account_link');

-- name: account_passwords
SELECT lower(b->>'email'), b->>'link_sha256', seq
FROM events e, LATERAL (SELECT e.body::jsonb AS b OFFSET 0) j WHERE kind = 'account_password';

-- name: entity_contacts
SELECT b->>'entity', lower(b->>'email'), seq
FROM events e, LATERAL (SELECT e.body::jsonb AS b OFFSET 0) j WHERE kind = 'entity_contact';

-- name: account_settings
SELECT lower(b->>'email'), b->>'mode', (b->>'alerts')::BOOLEAN, seq
FROM events e, LATERAL (SELECT e.body::jsonb AS b OFFSET 0) j WHERE kind = 'account_notify';

-- name: notifications
SELECT b->>'message_id', b->>'channel', b->>'recipient', b->>'topic', b->>'dedupe',
       b->>'subject', b->>'text', (t->'data')::text, b->>'held', b->>'link_sha256', seq
FROM events e, LATERAL (SELECT e.body::jsonb AS b, e.body::json AS t OFFSET 0) j WHERE kind = 'notify';

-- name: notification_attempts
SELECT b->>'message_id', (b->>'attempt')::INTEGER, CASE kind WHEN 'notify_attempt' THEN 'sending' ELSE 'result' END,
       (b->>'ok')::BOOLEAN, b->>'detail', seq
FROM events e, LATERAL (SELECT e.body::jsonb AS b OFFSET 0) j WHERE kind IN ('notify_attempt', 'notify_result');

-- name: notice_acks
SELECT b->>'notice_id', b->>'entity', b->>'by', b->>'method', seq
FROM events e, LATERAL (SELECT e.body::jsonb AS b OFFSET 0) j WHERE kind = 'notice_ack';
