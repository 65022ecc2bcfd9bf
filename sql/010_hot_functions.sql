-- callbackd schema, migration 10: no SQL function parsed per call.

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
