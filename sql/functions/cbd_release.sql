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
