-- Cancels a queued or claimed callback.
CREATE OR REPLACE FUNCTION cbd_cancel(p_id uuid, p_actor text)
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
