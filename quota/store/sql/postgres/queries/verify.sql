-- PostgreSQL: the digests of stored IDs are MATERIALIZED (computed once, not by every
-- parallel worker that joins them: 6.9 s instead of 10.9 s at 10M IDs); arg_max is the max
-- of a zero-padded seq and the value (there is no arg_max, and no ordered aggregate as a
-- window function); text sorts as bytes (COLLATE "C"), as in Python.
-- What `quota ledger verify` recomputes, independently of the state tables' own arithmetic.
-- {braces} are filled in by quota/store/verify.py: {taken_back} (the entries a void took back:
-- an import's, which delivered nothing; and any void recorded before the ledger kept today's
-- rules, when a void stopped an entry counting), {kinds} (the event kinds), {profiles} (a
-- CTE of every profile this code knows), {span} (a window's length in microseconds minus one),
-- {after} (the event a checkpoint names: only what came after it is checked; 0 for all), and
-- the filters {range}, {ends} and {notices} (TRUE for all; see verify.py).

-- name: verify_chain
-- The first event after {after} whose predecessor is missing (a gap), unlinked, altered, of an
-- unknown kind, not JSON, or recorded before its predecessor (after {clock_from}, the event
-- from which the ledger keeps its clock's rules). Parameter: the hash event {after} has (the
-- genesis hash for 0). Up to event {upto}: a verify checks ranges of events side by side, each
-- against the stored hash before its first (the range before checks that one).
-- Each event is joined to the one before it by number rather than ordered by a window: the
-- join keeps only numbers and hashes in memory and runs on every core (2.9 s and 0.7 GB
-- instead of 4.5 s and 2.6 GB at 2M events).
WITH p AS (SELECT seq + 1 AS next, hash, recorded_at FROM events WHERE seq >= {after} AND seq < {upto}),
e AS (
    SELECT e.seq, e.kind, e.body, e.prev_hash, e.hash, e.recorded_at, p.recorded_at AS recorded_before,
           CASE WHEN e.seq = {after} + 1 THEN ? ELSE p.hash END AS before,
           encode(sha256(convert_to(e.prev_hash || chr(10) || e.seq::text || chr(10) || e.recorded_at || chr(10)
                  || e.kind || chr(10) || e.body, 'UTF8')), 'hex') AS recomputed
    FROM events e LEFT JOIN p ON p.next = e.seq
    WHERE e.seq > {after} AND e.seq <= {upto})
SELECT seq, kind, before IS NULL AS gap, prev_hash = before, recomputed = hash, kind IN ({kinds}),
       recorded_at, recorded_before
FROM e
WHERE before IS NULL OR prev_hash <> before OR recomputed <> hash OR kind NOT IN ({kinds})
   OR (seq > {clock_from} AND recorded_at < recorded_before COLLATE "C")
   OR NOT quota_json_valid(body)
ORDER BY seq LIMIT 1;

-- name: verify_profiles
-- An entry naming another profile than the one it was judged by: the reading chosen then (the
-- last policy change before it), if the text of X's it reads was in force at the entry's time;
-- else, for a delivery, the default; for an import, the profile of the text in force at its
-- date (none before the cap existed: the chosen one). Entries up to {clock_from} were recorded
-- before texts had periods: the reading chosen then. Parameters: the default profile, twice.
WITH {profiles},
entries AS (
    SELECT seq, export_id, profile, delivered_at AS t, basis = 'import' AS imported FROM reservations WHERE seq > {after}
    UNION ALL SELECT seq, export_id, profile, delivered_at, false FROM manual_exports WHERE seq > {after}),
chosen AS (
    SELECT e.*, coalesce(p.profile, ?) AS chosen
    FROM entries e LEFT JOIN LATERAL (SELECT profile FROM policy_changes p WHERE p.seq <= e.seq
                                   ORDER BY p.seq DESC LIMIT 1) p ON true),
texts AS (SELECT min(name) AS name, in_force_from, in_force_until FROM profiles GROUP BY in_force_from, in_force_until),
judged AS (
    SELECT c.*, CASE
        WHEN c.seq <= {clock_from} THEN c.chosen
        WHEN pc.in_force_from <= c.t AND (pc.in_force_until IS NULL OR c.t < pc.in_force_until) THEN c.chosen
        WHEN NOT c.imported THEN ?
        ELSE coalesce(older.name, c.chosen)
    END AS in_force
    FROM chosen c LEFT JOIN profiles pc ON pc.name = c.chosen
    -- The texts' periods do not overlap: an import's date lies in one at most.
    LEFT JOIN texts older ON c.imported AND older.in_force_from <= c.t
                         AND (older.in_force_until IS NULL OR c.t < older.in_force_until))
SELECT seq, export_id, profile, in_force FROM judged
WHERE profile <> in_force OR profile NOT IN (SELECT name FROM profiles)
ORDER BY seq LIMIT 1;

-- name: verify_windows
-- The first 30-day window of a holder over its cap. Parameter: the profile in force.
WITH {profiles},
-- `entity` here is the holder of the cap: the organisation its entity is part of (the connected
-- components of every link ever recorded: before a link as after it), else the entity itself.
-- What counts: every ID entry not under an exemption, not released (never delivered), and not
-- taken back by a void ({taken_back}: an import's; a void of a delivery only marks it).
counted AS (
    SELECT coalesce(c.holder, r.entity) AS entity, r.delivered_at AS t, r.post_ids, r.seq, r.profile, r.export_id
    FROM reservations r LEFT JOIN {q:components} c ON c.node = r.entity
    WHERE r.basis <> 'exemption'
      AND r.export_id NOT IN (SELECT export_id FROM releases)
      AND r.export_id NOT IN (SELECT export_id FROM {taken_back})
      AND {range}),
-- A group's permission lifts its organisation's cap; an entity's, only while it was never linked.
perms AS (SELECT holder AS entity, cap, valid_from, valid_until, seq FROM {q:holder_permissions} p),
ends AS (
    SELECT entity, t, seq, sum(post_ids) OVER (PARTITION BY entity ORDER BY t
        RANGE BETWEEN ({span} * INTERVAL '1 microsecond') PRECEDING AND CURRENT ROW) AS used
    FROM counted
    UNION ALL
    SELECT p.entity, p.valid_until, p.seq,
           (SELECT coalesce(sum(c.post_ids), 0) FROM counted c WHERE c.entity = p.entity
              AND c.t > p.valid_until - (({span} + 1) * INTERVAL '1 microsecond') AND c.t <= p.valid_until)
    FROM perms p),
-- Only a window over the lowest cap of any profile can be over its own, and finding the
-- entry recorded last in it is the costly part: so only for those.
candidates AS (
    SELECT e.*, (SELECT c.profile FROM counted c WHERE c.entity = e.entity
                   AND c.t > e.t - (({span} + 1) * INTERVAL '1 microsecond') AND c.t <= e.t
                 ORDER BY c.seq DESC LIMIT 1) AS judge,
           (SELECT max(c.t) FROM counted c WHERE c.entity = e.entity
              AND c.t > e.t - (({span} + 1) * INTERVAL '1 microsecond') AND c.t <= e.t) AS last_t
    FROM ends e
    WHERE e.used > (SELECT min(post_id_cap) FROM profiles WHERE window_us = {span} + 1) AND {ends}),
judged AS (
    SELECT e.entity, e.t, e.seq, e.used, e.last_t, greatest(pr.post_id_cap, coalesce(max(p.cap), 0)) AS cap
    FROM candidates e
    JOIN profiles pr ON pr.name = coalesce(e.judge, ?) AND pr.window_us = {span} + 1
    LEFT JOIN perms p ON p.entity = e.entity AND p.valid_from <= e.t AND e.t < p.valid_until
    WHERE pr.post_id_cap IS NOT NULL
    GROUP BY e.entity, e.t, e.seq, e.used, e.last_t, pr.post_id_cap)
-- A window holding a recorded breach was over the cap, and says so; so was a window whose
-- entries all came before a link recorded as a breach (it made them one holder's).
SELECT j.entity, j.t, j.seq, j.used, j.cap FROM judged j WHERE j.used > j.cap
  AND NOT EXISTS (SELECT 1 FROM counted c JOIN breaches b USING (export_id)
                  WHERE c.entity = j.entity AND c.t > j.t - (({span} + 1) * INTERVAL '1 microsecond') AND c.t <= j.t)
  AND NOT EXISTS (SELECT 1 FROM group_links g JOIN {q:components} c ON c.node = g.entity
                  WHERE g.breach IS NOT NULL AND c.holder = j.entity AND g.valid_from >= j.last_t)
ORDER BY j.t LIMIT 1;

-- name: verify_objects
-- Manual objects per human in the window each entry closes ({in_window}: the 24 hours to it, or
-- its UTC day up to it), judged by the profile of the window's last-recorded entry when that
-- profile counts windows of this shape ({days}, {span}). A void marks a hand-over; what was
-- handed over keeps counting. {humans}: (person, valid_from, valid_until, human), the human
-- each handle is part of in each span between the acts that made handles one (one email,
-- `person same`): one allowance from then on. Parameter: the profile in force.
WITH {profiles},
{humans},
counted AS (SELECT person, delivered_at AS t, posts + users AS n, seq, profile FROM manual_exports
            WHERE export_id NOT IN (SELECT export_id FROM {taken_back})),
ends AS (
    SELECT e.t, e.seq, h.human FROM counted e
    JOIN humans h ON h.person = e.person AND e.t >= h.valid_from AND e.t < h.valid_until),
w AS (
    SELECT e.human, e.t, e.seq, sum(x.n) AS used, substr(max(lpad(x.seq::text, 20, '0') || x.profile), 21) AS judge
    FROM ends e
    JOIN humans hx ON hx.human = e.human AND e.t >= hx.valid_from AND e.t < hx.valid_until
    JOIN counted x ON x.person = hx.person AND {in_window}
    GROUP BY e.human, e.t, e.seq)
SELECT w.human, w.t, w.seq, w.used, pr.objects
FROM w JOIN profiles pr ON pr.name = coalesce(w.judge, ?)
   AND pr.object_days = '{days}' AND pr.object_window_us = {span} + 1
WHERE w.used > pr.objects ORDER BY w.t, w.seq LIMIT 1;

-- name: verify_notice_digests
-- The first notice whose stored rows do not hash to what its event recorded (sorted lines, see notices.py).
WITH lines AS (
    SELECT notice_id, id::text || chr(9) || action || chr(9) || reason || chr(9) || coalesce(created_at, '')
           || chr(9) || coalesce(redacted_at, '') || chr(10) AS line
    FROM deletion_notice_ids WHERE {notices}),
stored AS MATERIALIZED (
    SELECT notice_id, count(*) AS n, encode(sha256(convert_to(string_agg(line, '' ORDER BY line COLLATE "C"), 'UTF8')), 'hex') AS digest
    FROM lines GROUP BY notice_id)
SELECT d.seq, d.notice_id FROM deletion_notices d LEFT JOIN stored s USING (notice_id)
WHERE d.seq > {after} AND (coalesce(s.n, 0) <> d.ids OR coalesce(s.digest, encode(sha256(''::bytea), 'hex')) <> d.ids_sha256)
ORDER BY d.seq LIMIT 1;

-- name: lineage_digests
-- Every stored ID set's digest: sha256 of its sorted IDs, one per line.
SELECT export_id, kind AS n, encode(sha256(convert_to(string_agg(id::text, chr(10) ORDER BY id) || chr(10), 'UTF8')), 'hex') AS digest
FROM lineage GROUP BY export_id, kind;

-- name: verify_lineage
-- The first entry whose stored IDs of a kind do not hash to its recorded digest; failing that, a
-- stored set that no entry recorded (seq NULL: IDs stored for nothing). Parameters: sha256 of
-- nothing, twice.
-- {stored}: (export_id, n, digest) of every stored set (lineage_digests).
WITH k(n, kind) AS (VALUES {kinds}),
stored AS MATERIALIZED ({stored}),
recorded AS (
    SELECT r.seq, r.export_id, k.n, k.kind, coalesce(r.ids_sha256::json->>k.kind, ?) AS digest
    FROM (SELECT seq, export_id, ids_sha256 FROM reservations
          UNION ALL SELECT seq, export_id, ids_sha256 FROM manual_exports) r CROSS JOIN k)
SELECT rec.seq, coalesce(rec.export_id, s.export_id), rec.kind
FROM recorded rec FULL JOIN stored s ON s.export_id = rec.export_id AND s.n = rec.n
WHERE rec.seq IS NULL OR coalesce(s.digest, ?) <> rec.digest
ORDER BY rec.seq NULLS LAST LIMIT 1;

-- name: verify_lineage_after
-- verify_lineage for the entries after event {after} only: each one's IDs found through
-- lineage's export_id (an index on the server), not every entry's digest computed.
WITH k(n, kind) AS (VALUES {kinds}),
recorded AS (
    SELECT r.seq, r.export_id, k.n, k.kind, coalesce(r.ids_sha256::json->>k.kind, ?) AS digest
    FROM (SELECT seq, export_id, ids_sha256 FROM reservations WHERE seq > {after}
          UNION ALL SELECT seq, export_id, ids_sha256 FROM manual_exports WHERE seq > {after}) r CROSS JOIN k)
SELECT rec.seq, rec.export_id, rec.kind
FROM recorded rec LEFT JOIN LATERAL (
    SELECT encode(sha256(convert_to(string_agg(id::text, chr(10) ORDER BY id) || chr(10), 'UTF8')), 'hex') AS digest
    FROM lineage l WHERE l.export_id = rec.export_id AND l.kind = rec.n) s ON true
WHERE coalesce(s.digest, ?) <> rec.digest
ORDER BY rec.seq LIMIT 1;

-- name: verify_state_table
-- A row of a state table ({kept}) and its rebuild from the events ({rebuilt}) that are not the
-- same multiset, row for row: 'holds' (the table has it, or more copies of it) or 'lacks'.
-- ({names} serves DuckDB's one-pass form; EXCEPT ALL is PostgreSQL's fastest here.) The rebuild
-- is made once for both ways (MATERIALIZED): parsing the bodies is most of its cost.
WITH rebuilt AS MATERIALIZED ({rebuilt})
SELECT * FROM (
    (SELECT 'holds' AS side, * FROM (({kept}) EXCEPT ALL (SELECT * FROM rebuilt)) d LIMIT 1)
    UNION ALL
    (SELECT 'lacks', * FROM ((SELECT * FROM rebuilt) EXCEPT ALL ({kept})) d LIMIT 1)) x
LIMIT 1;

-- name: lineage_digests_of
-- lineage_digests of the sets of these exports (parameter: their ids), found through the index
-- on export_id: the few sets a streamed digest could not vouch for.
SELECT export_id, kind AS n, encode(sha256(convert_to(string_agg(id::text, chr(10) ORDER BY id) || chr(10), 'UTF8')), 'hex') AS digest
FROM lineage WHERE export_id = ANY(?::text[]) GROUP BY export_id, kind;

-- name: lineage_digests_in_blocks
-- lineage_digests of the rows in one range of the table's blocks ({blocks}: a ctid condition),
-- one range per session side by side. A set whose rows lie in two ranges gets two wrong digests
-- here, so each set found in more than one range is hashed again whole (lineage_digests_of).
SELECT export_id, kind AS n, encode(sha256(convert_to(string_agg(id::text, chr(10) ORDER BY id) || chr(10), 'UTF8')), 'hex') AS digest
FROM lineage WHERE {blocks} GROUP BY export_id, kind;

-- name: lineage_digests_confirmed_in_blocks
-- lineage_digests_in_blocks without its sort, which was three quarters of its time: each set's IDs
-- hashed in the order the range's scan reads them (an export's COPY stores them ascending), and
-- `confirmed` where that equals the digest its entry recorded, which is of the sorted IDs: equal
-- bytes, the same IDs. A set read in another order, split between ranges or altered is not
-- confirmed, and is hashed again in order (lineage_digests_of); only confirmed digests stand.
-- {blocks}: a ctid condition; {kinds}: (n, kind) values.
WITH k(n, kind) AS (VALUES {kinds}),
d AS (SELECT export_id, kind AS n,
             encode(sha256(convert_to(string_agg(id::text, chr(10)) || chr(10), 'UTF8')), 'hex') AS digest
      FROM lineage WHERE {blocks} GROUP BY export_id, kind)
-- The entry's digests are looked up set by set (subqueries, through the primary keys): a join
-- was planned as a merge over the whole of reservations, for every range.
SELECT d.export_id, d.n, d.digest,
       coalesce(d.digest = coalesce((SELECT r.ids_sha256 FROM reservations r WHERE r.export_id = d.export_id),
                                    (SELECT m.ids_sha256 FROM manual_exports m WHERE m.export_id = d.export_id)
                                   )::json->>k.kind, false) AS confirmed
FROM d LEFT JOIN k ON k.n = d.n;
