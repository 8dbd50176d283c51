-- The compliance report's reads that are not the views' (both dialects).
-- Named queries of the library (quota/*.py asks for them by name: ledger.query("NAME", params)).

-- name: report_exemptions
SELECT ref, kind, entity, parent, valid_from, valid_until, approved_post_ids, used_post_ids,
approved_user_ids, used_user_ids, revoked FROM exemption_usage ORDER BY ref;

-- name: report_manual_persons
SELECT p.person, p.entity, count(e.export_id) AS exports,
       coalesce(sum(e.post_ids + e.user_ids), 0) AS objects,
       coalesce((SELECT max(m.objects) FROM manual_usage_24h m WHERE m.person = p.person
                 AND m."at" >= ? AND m."at" <= ?), 0) AS peak_24h
FROM people p LEFT JOIN exports e ON e.person = p.person AND e.basis = 'manual'
     AND e.state = 'committed' AND e."at" >= ? AND e."at" <= ?
GROUP BY p.person, p.entity ORDER BY p.person;

-- name: report_terms
SELECT entity, accepted_by, accepted_at, version, document_sha256, method, evidence_sha256,
       coalesce(backdated, false) AS backdated
FROM terms_acceptances ORDER BY entity, accepted_at, seq;

-- name: report_permissions
SELECT ref, entity AS holder, cap, valid_from, valid_until, granted_on, signed_by, letter_sha256
FROM permissions ORDER BY valid_from, ref;

-- name: report_person_moves
SELECT m.person, m.entity, m.valid_from, m.reason, e.recorded_at FROM person_moves m
JOIN events e USING (seq) ORDER BY m.seq;

-- name: report_persons_same
SELECT s.first, s.second, s.reason, e.recorded_at FROM person_same s JOIN events e USING (seq)
ORDER BY s.seq;

-- name: report_request_decisions
SELECT d.request_id, d.decision, d.decided_by, e.recorded_at, e.body, q.submitted_by, qe.body AS asked
FROM request_decisions d JOIN events e ON e.seq = d.seq
JOIN requests q ON q.request_id = d.request_id JOIN events qe ON qe.seq = q.seq
WHERE e.recorded_at >= ? AND e.recorded_at <= ? ORDER BY d.seq;

-- name: report_profile_changes
SELECT p.seq, e.recorded_at AS "at", p.profile, p.version, p.reason, p.done_by
FROM policy_changes p JOIN events e USING (seq)
WHERE e.recorded_at >= ? AND e.recorded_at <= ? ORDER BY p.seq;

-- name: report_group_links
SELECT g.entity, g.grp AS "group", g.valid_from, g.reason, g.breach, g.seq, e.recorded_at
FROM group_links g JOIN events e USING (seq) ORDER BY g.grp, g.valid_from, g.seq;

-- name: report_voids
SELECT v.export_id, v.reason, v.done_by, e.recorded_at, e.body FROM voids v JOIN events e USING (seq)
WHERE e.recorded_at >= ? AND e.recorded_at <= ? ORDER BY v.seq;

-- name: report_notice_voids
SELECT v.notice_id, v.reason, v.done_by, e.recorded_at, e.body FROM deletion_notice_voids v
JOIN events e USING (seq) ORDER BY v.seq;
