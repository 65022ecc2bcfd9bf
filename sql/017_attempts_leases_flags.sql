-- callbackd schema, migration 17: what an attempt counts, what a lease
-- proves, and the way back for a flagged callback.
--
-- Only unanswered attempts (no_answer, busy, voicemail) use up a caller's
-- max_attempts and double the back-off: a caller who answered and asked
-- for another time (callback_later) was reached. attempt_count stays the
-- count of all attempts; unanswered_count is the one the policy reads.
ALTER TABLE callbacks
    ADD COLUMN unanswered_count integer NOT NULL DEFAULT 0;

UPDATE callbacks c SET unanswered_count = a.n
FROM (SELECT callback_id, count(*)::integer AS n FROM attempts
      WHERE result IN ('no_answer', 'busy', 'voicemail')
      GROUP BY callback_id) a
WHERE a.callback_id = c.id;

-- Checks a lease for an action on a callback. Returns 'ok', 'lost' (the
-- token is not the callback's current lease: it lapsed, was given back or
-- ended by an attempt, whoever holds the callback now; or the current one
-- has run out), 'foreign' (the current lease token, presented by another
-- caseworker than its holder) or 'wrong_state' (the callback is closed:
-- no lease of it can be current again).
CREATE OR REPLACE FUNCTION cbd_lease_check(c callbacks, p_token uuid,
    p_caseworker text)
RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN CASE
        WHEN c.state NOT IN ('queued', 'claimed') THEN 'wrong_state'
        WHEN c.state <> 'claimed' OR c.lease_token IS DISTINCT FROM p_token THEN 'lost'
        WHEN c.claimed_by IS DISTINCT FROM p_caseworker THEN 'foreign'
        WHEN c.lease_until <= now() THEN 'lost'
        ELSE 'ok' END;
END $$;

-- Gives a lease back: the callback is queued again at its place. A lease
-- given back is no lapse: the count of lapses in a row starts again.
CREATE OR REPLACE FUNCTION cbd_release(p_id uuid, p_token uuid,
    p_caseworker text, p_actor text)
RETURNS TABLE (verdict text, cb callbacks) LANGUAGE plpgsql AS $$
DECLARE
    r callbacks;
    v text;
BEGIN
    SELECT * INTO r FROM callbacks c WHERE c.id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    v := cbd_lease_check(r, p_token, p_caseworker);
    IF v = 'ok' THEN
        UPDATE callbacks c SET state = 'queued', lease_token = NULL,
            lease_until = NULL, claimed_by = NULL, lapsed_leases = 0,
            updated_at = now()
        WHERE c.id = p_id RETURNING * INTO r;
        INSERT INTO events (callback_id, actor, kind, data)
        VALUES (p_id, p_actor, 'released', jsonb_build_object('caseworker', p_caseworker));
    END IF;
    RETURN QUERY SELECT v, r;
END $$;

-- Hands a flagged callback back to the queue: a supervisor has looked at
-- it. Verdicts 'ok', 'not_flagged' (not flagged, or closed since); no row
-- when there is no such callback.
CREATE FUNCTION cbd_unflag(p_id uuid, p_actor text)
RETURNS TABLE (verdict text, cb callbacks) LANGUAGE plpgsql AS $$
DECLARE
    r callbacks;
    lapsed integer;
BEGIN
    SELECT * INTO r FROM callbacks c WHERE c.id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF NOT r.flagged OR r.state <> 'queued' THEN
        RETURN QUERY SELECT 'not_flagged'::text, r;
        RETURN;
    END IF;
    lapsed := r.lapsed_leases;
    UPDATE callbacks c SET flagged = false, lapsed_leases = 0, updated_at = now()
    WHERE c.id = p_id RETURNING * INTO r;
    INSERT INTO events (callback_id, actor, kind, data)
    VALUES (p_id, p_actor, 'unflagged', jsonb_build_object('lapsed_leases', lapsed));
    RETURN QUERY SELECT 'ok'::text, r;
END $$;

-- The rule of migration 14, with two changes: the policy counts
-- unanswered attempts only (max_attempts, and the doubling of the plain
-- back-off), and callback_later must lie before the end of the caller's
-- window (verdict 'window': nothing is written). Verdicts: 'ok',
-- 'wrong_state', 'foreign', 'lost', 'window', 'not_found' (no callback).
CREATE OR REPLACE FUNCTION cbd_attempts(p jsonb)
RETURNS TABLE (i integer, verdict text, cb callbacks) LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    -- looked up as an array, not joined: see cbd_claims (migration 13)
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
            duration_s integer, not_before bigint, backoff_ms bigint,
            max_attempts integer)),
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
                 -- the daemon gives the retry time, counted in calling
                 -- hours; without it the back-off doubles with each
                 -- unanswered attempt in plain time
                 ELSE coalesce(cbd_ts(v.not_before), now() + (v.backoff_ms *
                      (1::bigint << (v.nu - 1))) * interval '1 millisecond')
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
