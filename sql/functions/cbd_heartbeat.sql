-- Extends a lease. Returns the verdict and the row as it is afterwards.
CREATE OR REPLACE FUNCTION cbd_heartbeat(p_id uuid, p_token uuid, p_caseworker text,
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
