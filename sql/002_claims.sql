-- callbackd schema, migration 2: caseworkers, claims with leases, attempts
-- with their outcomes. Every state change is one function that checks the
-- state it starts from and the lease (the fencing token), writes the event
-- and returns the whole row; the daemon mirrors the row into Redis.

CREATE TABLE caseworkers (
    id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9_-]{1,64}$'),
    site        text NOT NULL,
    topics      text[] NOT NULL CHECK (cardinality(topics) BETWEEN 1 AND 32),
    languages   text[] NOT NULL CHECK (cardinality(languages) BETWEEN 1 AND 16),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE callbacks
    ADD COLUMN lease_token   uuid,
    ADD COLUMN lease_until   timestamptz,
    ADD COLUMN claimed_by    text,
    ADD COLUMN attempt_count integer NOT NULL DEFAULT 0,
    ADD COLUMN lapsed_leases integer NOT NULL DEFAULT 0,
    ADD COLUMN flagged       boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT callbacks_lease_when_claimed
        CHECK ((state = 'claimed') = (lease_token IS NOT NULL));

-- Takes a queued callback for a caseworker under a lease. Returns no row
-- when the callback is not queued any more (the Redis index was stale).
CREATE FUNCTION cbd_claim(p_id uuid, p_token uuid, p_until timestamptz,
    p_caseworker text, p_actor text)
RETURNS SETOF callbacks LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY UPDATE callbacks c SET state = 'claimed', lease_token = p_token,
        lease_until = p_until, claimed_by = p_caseworker, updated_at = now()
    WHERE c.id = p_id AND c.state = 'queued' AND NOT c.flagged
    RETURNING c.*;
    IF FOUND THEN
        INSERT INTO events (callback_id, actor, kind, data)
        VALUES (p_id, p_actor, 'claimed', jsonb_build_object(
            'caseworker', p_caseworker, 'lease_until', p_until));
    END IF;
END $$;

-- Checks a lease for an action on a claimed callback. Returns 'ok',
-- 'wrong_state' (not claimed), 'foreign' (another caseworker holds it) or
-- 'lost' (this caseworker's lease is stale or lapsed).
CREATE FUNCTION cbd_lease_check(c callbacks, p_token uuid, p_caseworker text)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN c.state <> 'claimed' THEN 'wrong_state'
        WHEN c.claimed_by IS DISTINCT FROM p_caseworker THEN 'foreign'
        WHEN c.lease_token IS DISTINCT FROM p_token OR c.lease_until <= now() THEN 'lost'
        ELSE 'ok' END
$$;

-- Extends a lease. Returns the verdict and the row as it is afterwards.
CREATE FUNCTION cbd_heartbeat(p_id uuid, p_token uuid, p_caseworker text,
    p_until timestamptz)
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
        UPDATE callbacks c SET lease_until = p_until, updated_at = now()
        WHERE c.id = p_id RETURNING * INTO r;
    END IF;
    RETURN QUERY SELECT v, r;
END $$;

-- Gives a lease back: the callback is queued again at its place.
CREATE FUNCTION cbd_release(p_id uuid, p_token uuid, p_caseworker text,
    p_actor text)
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
            lease_until = NULL, claimed_by = NULL, updated_at = now()
        WHERE c.id = p_id RETURNING * INTO r;
        INSERT INTO events (callback_id, actor, kind, data)
        VALUES (p_id, p_actor, 'released', jsonb_build_object('caseworker', p_caseworker));
    END IF;
    RETURN QUERY SELECT v, r;
END $$;

-- A lease ran out without an attempt: the callback is queued again. A
-- lapsed lease is not an attempt. After p_flag_after lapses in a row it is
-- flagged for a supervisor instead of circling forever. Returns the row
-- whatever happened, so the caller can bring Redis in line with it.
CREATE FUNCTION cbd_lease_expire(p_id uuid, p_flag_after integer)
RETURNS SETOF callbacks LANGUAGE plpgsql AS $$
DECLARE
    r callbacks;
BEGIN
    SELECT * INTO r FROM callbacks c WHERE c.id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF r.state = 'claimed' AND r.lease_until <= now() THEN
        UPDATE callbacks c SET state = 'queued', lease_token = NULL,
            lease_until = NULL, claimed_by = NULL,
            lapsed_leases = c.lapsed_leases + 1,
            flagged = c.lapsed_leases + 1 >= p_flag_after, updated_at = now()
        WHERE c.id = p_id RETURNING * INTO r;
        INSERT INTO events (callback_id, actor, kind, data)
        VALUES (p_id, 'callbackd', 'lease_expired', jsonb_build_object(
            'lapsed_leases', r.lapsed_leases, 'flagged', r.flagged));
    END IF;
    RETURN NEXT r;
END $$;

-- Logs an attempt and moves the callback on. p_token/p_caseworker NULL:
-- an agent, who may log on a queued callback; otherwise the lease holder.
-- Verdicts: 'ok', 'wrong_state', 'foreign', 'lost', 'not_found'.
CREATE FUNCTION cbd_attempt(p_id uuid, p_token uuid, p_caseworker text,
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
            -- the back-off doubles with each attempt
            next_nb := now() + (p_backoff_ms * (1::bigint << (n - 1)))
                * interval '1 millisecond';
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

-- Cancels a queued or claimed callback.
CREATE FUNCTION cbd_cancel(p_id uuid, p_actor text)
RETURNS TABLE (verdict text, cb callbacks) LANGUAGE plpgsql AS $$
DECLARE
    r callbacks;
BEGIN
    SELECT * INTO r FROM callbacks c WHERE c.id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF r.state NOT IN ('queued', 'claimed') THEN
        RETURN QUERY SELECT 'wrong_state'::text, r;
        RETURN;
    END IF;
    UPDATE callbacks c SET state = 'cancelled', lease_token = NULL,
        lease_until = NULL, claimed_by = NULL, closed_at = now(), updated_at = now()
    WHERE c.id = p_id RETURNING * INTO r;
    INSERT INTO events (callback_id, actor, kind, data)
    VALUES (p_id, p_actor, 'cancelled', '{}');
    RETURN QUERY SELECT 'ok'::text, r;
END $$;
