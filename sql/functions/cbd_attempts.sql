-- Logs a group of attempts in one statement each for the locks, the
-- attempts, the rows and the events (PostgreSQL spent most of the time of
-- one statement per attempt starting statements). p is [{i, id, token,
-- caseworker, actor, result, note, duration_s, not_before (ms),
-- max_attempts}, ...]: one row (i, verdict, callback) for each
-- item, the group's callbacks locked in id order. token and caseworker
-- NULL: an agent, who may log on a queued callback; otherwise the lease
-- holder. The policy counts unanswered attempts only (max_attempts; the
-- daemon computes the retry time of an unanswered attempt, the back-off
-- doubled with each one, counted in calling hours, and gives it in
-- not_before), and callback_later must lie before the end of the
-- caller's window (verdict 'window': nothing is written).
-- Verdicts: 'ok', 'wrong_state', 'foreign', 'lost', 'window', 'not_found'
-- (no callback). Planned once per session, as cbd_claims.
CREATE OR REPLACE FUNCTION cbd_attempts(p jsonb)
RETURNS TABLE (i integer, verdict text, cb callbacks) LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    -- looked up as an array, not joined: see cbd_claims
    v_ids uuid[] := ARRAY(SELECT (e->>'id')::uuid FROM jsonb_array_elements(p) e);
BEGIN
    -- Two attempts on one callback: one by one, each seeing the one before.
    IF (SELECT count(DISTINCT u) < count(*) FROM unnest(v_ids) u) THEN
        RETURN QUERY
        SELECT a.i, a.verdict, a.cb
        FROM jsonb_array_elements(p) WITH ORDINALITY AS t(e, o),
             LATERAL cbd_attempts(jsonb_build_array(t.e)) a
        ORDER BY t.o;
        RETURN;
    END IF;

    PERFORM 1 FROM callbacks c WHERE c.id = ANY (v_ids) ORDER BY c.id FOR UPDATE;

    -- a statement of its own: it sees the locked rows as they are now
    RETURN QUERY
    WITH x AS (
        SELECT * FROM jsonb_to_recordset(p) AS x(i integer, id uuid,
            token uuid, caseworker text, actor text, result text, note text,
            duration_s integer, not_before bigint, max_attempts integer)),
    l AS (
        SELECT x.*, c AS old, c.attempt_count + 1 AS n,
            c.unanswered_count + CASE WHEN x.result IN ('no_answer', 'busy',
                'voicemail') THEN 1 ELSE 0 END AS nu,
            CASE WHEN c.id IS NULL THEN 'not_found'
                 WHEN x.token IS NULL THEN
                     CASE WHEN c.state <> 'queued' THEN 'wrong_state' ELSE 'ok' END
                 ELSE cbd_lease_check(c, x.token, x.caseworker) END AS lease
        FROM x LEFT JOIN callbacks c ON c.id = ANY (v_ids) AND c.id = x.id),
    v AS (
        SELECT l.*,
            CASE WHEN l.lease = 'ok' AND l.result = 'callback_later'
                      AND cbd_ts(l.not_before) >= (l.old).not_after
                 THEN 'window' ELSE l.lease END AS verdict
        FROM l),
    s AS (
        SELECT v.*,
            CASE WHEN v.result = 'reached' THEN 'completed'
                 WHEN v.result = 'wrong_number' THEN 'unreachable'
                 WHEN v.result = 'callback_later' THEN 'queued'
                 -- no_answer, busy, voicemail
                 WHEN v.nu >= v.max_attempts THEN 'unreachable'
                 ELSE 'queued' END AS next_state,
            CASE WHEN v.result = 'callback_later' THEN cbd_ts(v.not_before)
                 WHEN v.result IN ('reached', 'wrong_number')
                      OR v.nu >= v.max_attempts THEN (v.old).not_before
                 -- no_answer, busy, voicemail: the daemon's retry time
                 ELSE cbd_ts(v.not_before)
                 END AS next_nb
        FROM v WHERE v.verdict = 'ok'),
    a AS (
        INSERT INTO attempts (callback_id, actor, result, note, duration_s)
        SELECT s.id, s.actor, s.result, s.note, s.duration_s FROM s ORDER BY s.i),
    u AS (
        UPDATE callbacks c SET state = s.next_state, attempt_count = s.n,
            unanswered_count = s.nu,
            first_attempt_at = coalesce(c.first_attempt_at, now()),
            reached_at = CASE WHEN s.result = 'reached' THEN now() ELSE c.reached_at END,
            closed_at = CASE WHEN s.next_state IN ('completed', 'unreachable')
                             THEN now() END,
            not_before = s.next_nb, lease_token = NULL, lease_until = NULL,
            claimed_by = NULL, lapsed_leases = 0, flagged = false,
            updated_at = now()
        FROM s WHERE c.id = ANY (v_ids) AND c.id = s.id
        RETURNING s.i, c AS cb),
    ev AS (
        INSERT INTO events (callback_id, actor, kind, data)
        SELECT s.id, s.actor, 'attempt', jsonb_build_object(
            'result', s.result, 'attempt', s.n, 'unanswered', s.nu,
            'state', s.next_state)
        FROM s ORDER BY s.i)
    SELECT v.i, v.verdict,
        CASE WHEN v.verdict <> 'not_found' THEN coalesce(u.cb, v.old) END
    FROM v LEFT JOIN u ON u.i = v.i
    ORDER BY v.i;
END $$;
