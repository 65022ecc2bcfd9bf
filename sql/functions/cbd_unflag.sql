-- Hands a flagged callback back to the queue: a supervisor has looked at
-- it. Verdicts 'ok', 'not_flagged' (not flagged, or closed since); no row
-- when there is no such callback.
CREATE OR REPLACE FUNCTION cbd_unflag(p_id uuid, p_actor text)
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
