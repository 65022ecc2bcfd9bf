-- A merge made the callback urgent: its due time moves up to what the
-- urgent target gives from the first request, never later. A due time
-- that moves leaves a due_moved event with the new time and the old one
-- (the merged event before it says who asked).
CREATE OR REPLACE FUNCTION cbd_intake_raise(p_id uuid, p_due_at timestamptz)
RETURNS TABLE (outcome text, cb callbacks)
LANGUAGE plpgsql AS $$
DECLARE
    v_was timestamptz;
BEGIN
    SELECT c.due_at INTO v_was FROM callbacks c WHERE c.id = p_id;
    UPDATE callbacks c SET due_at = LEAST(c.due_at, p_due_at), updated_at = now()
    WHERE c.id = p_id;
    IF p_due_at < v_was THEN
        INSERT INTO events (callback_id, actor, kind, data)
        VALUES (p_id, 'callbackd', 'due_moved', jsonb_build_object(
            'due_at', cbd_iso(p_due_at), 'was', cbd_iso(v_was),
            'reason', 'urgent'));
    END IF;
    RETURN QUERY SELECT 'merged'::text, c FROM callbacks c WHERE c.id = p_id;
END $$;
