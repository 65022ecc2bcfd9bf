-- The next alert of a plan after p_after: the earliest warning or the
-- breach still ahead. PL/pgSQL, so that its plan is kept for the session
-- (an SQL function that cannot be inlined is parsed again on every call).
CREATE OR REPLACE FUNCTION cbd_alert_next(p_warn jsonb, p_due timestamptz, p_after timestamptz)
RETURNS timestamptz LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT min(x.t) FROM (
        SELECT cbd_ts((w->>1)::bigint) FROM jsonb_array_elements(coalesce(p_warn, '[]')) w
        UNION ALL SELECT p_due) x(t)
    WHERE x.t > p_after);
END $$;
