-- callbackd schema, migration 10: several intake batches at once. A batch
-- now takes the locks of all its requests first, in one order shared by
-- every batch and every single intake (ascending lock key), so that two
-- batches never wait for each other in a circle; then it runs each request
-- as before. cbd_intake takes the same locks again, which costs nothing.

CREATE OR REPLACE FUNCTION cbd_intake_batch(p jsonb)
RETURNS TABLE (i integer, outcome text, cb callbacks)
LANGUAGE plpgsql AS $$
DECLARE
    r jsonb;
    n integer := 0;
    v_lock bigint;
    v_res record;
    v_outcome text;
    v_cb callbacks;
BEGIN
    FOR v_lock IN
        SELECT DISTINCT hashtextextended(k, 0) AS h
        FROM jsonb_array_elements(p) AS e,
             LATERAL (SELECT jsonb_array_elements_text(e->'keys')
                      UNION ALL
                      SELECT 'open:' || (e->>'phone') || '|' || (e->>'topic')) AS x(k)
        ORDER BY h
    LOOP
        PERFORM pg_advisory_xact_lock(v_lock);
    END LOOP;

    FOR r IN SELECT e FROM jsonb_array_elements(p) AS e LOOP
        BEGIN
            SELECT x.outcome, x.cb INTO v_res FROM cbd_intake(
                ARRAY(SELECT jsonb_array_elements_text(r->'keys')),
                r->>'phone', r->>'topic', r->>'site', r->>'language', false,
                r->>'assignee', r->>'name', r->>'customer_ref', r->>'note',
                r->>'call_id', cbd_ts((r->>'requested_at')::bigint),
                cbd_ts((r->>'received_at')::bigint), cbd_ts((r->>'due_at')::bigint),
                cbd_ts((r->>'not_before')::bigint), cbd_ts((r->>'not_after')::bigint),
                r->>'actor') x;
            v_outcome := v_res.outcome;
            v_cb := v_res.cb;
            IF v_outcome = 'created' THEN
                PERFORM cbd_alerts_plan((v_cb).id,
                    ARRAY(SELECT jsonb_array_elements_text(r->'warn_frac'))::numeric[],
                    ARRAY(SELECT jsonb_array_elements_text(r->'warn_at'))::bigint[],
                    cbd_ts((r->>'due_at')::bigint));
            END IF;
            i := n;
            outcome := v_outcome;
            cb := v_cb;
        EXCEPTION WHEN OTHERS THEN
            RAISE WARNING 'cbd_intake_batch: request % failed: %', n, SQLSTATE;
            i := n;
            outcome := 'error';
            cb := NULL;
        END;
        RETURN NEXT;
        n := n + 1;
    END LOOP;
END $$;

-- Two helpers on the hot path were SQL-language functions that cannot be
-- inlined where they are called, so PostgreSQL parsed their bodies again
-- on every call (seen as most of its parser time under intake load). In
-- PL/pgSQL their plans are kept for the session. Same bodies.
CREATE OR REPLACE FUNCTION cbd_alerts_plan(p_id uuid, p_fracs numeric[],
    p_times_ms bigint[], p_due timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO alerts (callback_id, level, threshold, fire_at)
    SELECT p_id, 'at_risk', f, cbd_ts(t) FROM unnest(p_fracs, p_times_ms) AS w(f, t)
    UNION ALL SELECT p_id, 'breached', 1, p_due
    ON CONFLICT (callback_id, level, threshold) DO UPDATE
        SET fire_at = excluded.fire_at
        WHERE alerts.fired_at IS NULL AND alerts.void_at IS NULL;
END $$;

CREATE OR REPLACE FUNCTION cbd_lease_check(c callbacks, p_token uuid,
    p_caseworker text)
RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN CASE
        WHEN c.state <> 'claimed' THEN 'wrong_state'
        WHEN c.claimed_by IS DISTINCT FROM p_caseworker THEN 'foreign'
        WHEN c.lease_token IS DISTINCT FROM p_token OR c.lease_until <= now() THEN 'lost'
        ELSE 'ok' END;
END $$;

-- The same for the two time conversions: declared IMMUTABLE with a body
-- that PostgreSQL counts as STABLE (timestamptz arithmetic), they were
-- never inlined, and every call went through the SQL-function executor.
-- Declared STABLE, what they are, they are inlined into each query.
CREATE OR REPLACE FUNCTION cbd_ms(t timestamptz) RETURNS bigint
LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$ SELECT floor(extract(epoch FROM t) * 1000)::bigint $$;

CREATE OR REPLACE FUNCTION cbd_ts(ms bigint) RETURNS timestamptz
LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$ SELECT 'epoch'::timestamptz + ms * interval '1 millisecond' $$;
