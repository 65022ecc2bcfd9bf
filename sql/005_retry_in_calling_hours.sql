-- callbackd schema, migration 5: the retry after an unanswered attempt
-- may be given by the daemon, which counts the back-off in the calling
-- hours of the callback's calendar.

-- Logs an attempt and moves the callback on. p_token/p_caseworker NULL:
-- an agent, who may log on a queued callback; otherwise the lease holder.
-- Verdicts: 'ok', 'wrong_state', 'foreign', 'lost', 'not_found'.
CREATE OR REPLACE FUNCTION cbd_attempt(p_id uuid, p_token uuid, p_caseworker text,
    p_actor text, p_result text, p_note text, p_duration_s integer,
    p_not_before timestamptz, p_backoff_ms bigint, p_max_attempts integer)
RETURNS TABLE (verdict text, cb callbacks) LANGUAGE plpgsql AS $$
DECLARE
    r callbacks;
    v text := 'ok';
    n integer;
    next_state text;
    next_nb timestamptz;
BEGIN
    SELECT * INTO r FROM callbacks c WHERE c.id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'not_found'::text, NULL::callbacks;
        RETURN;
    END IF;
    IF p_token IS NULL THEN
        IF r.state <> 'queued' THEN
            v := 'wrong_state';
        END IF;
    ELSE
        v := cbd_lease_check(r, p_token, p_caseworker);
    END IF;
    IF v <> 'ok' THEN
        RETURN QUERY SELECT v, r;
        RETURN;
    END IF;

    INSERT INTO attempts (callback_id, actor, result, note, duration_s)
    VALUES (p_id, p_actor, p_result, p_note, p_duration_s);
    n := r.attempt_count + 1;
    next_nb := r.not_before;
    CASE p_result
    WHEN 'reached' THEN
        next_state := 'completed';
    WHEN 'wrong_number' THEN
        next_state := 'unreachable';
    WHEN 'callback_later' THEN
        next_state := 'queued';
        next_nb := p_not_before;
    ELSE -- no_answer, busy, voicemail
        IF n >= p_max_attempts THEN
            next_state := 'unreachable';
        ELSE
            next_state := 'queued';
            -- the daemon gives the retry time, counted in calling hours;
            -- without it the back-off doubles with each attempt in plain time
            next_nb := coalesce(p_not_before, now() + (p_backoff_ms *
                (1::bigint << (n - 1))) * interval '1 millisecond');
        END IF;
    END CASE;

    UPDATE callbacks c SET state = next_state, attempt_count = n,
        first_attempt_at = coalesce(c.first_attempt_at, now()),
        reached_at = CASE WHEN p_result = 'reached' THEN now() ELSE c.reached_at END,
        closed_at = CASE WHEN next_state IN ('completed', 'unreachable') THEN now() END,
        not_before = next_nb, lease_token = NULL, lease_until = NULL,
        claimed_by = NULL, lapsed_leases = 0, flagged = false, updated_at = now()
    WHERE c.id = p_id RETURNING * INTO r;
    INSERT INTO events (callback_id, actor, kind, data)
    VALUES (p_id, p_actor, 'attempt', jsonb_build_object(
        'result', p_result, 'attempt', n, 'state', next_state));
    RETURN QUERY SELECT v, r;
END $$;

