-- A merge made the callback urgent: its due time moves up to what the
-- urgent target gives from the first request, never later.
CREATE OR REPLACE FUNCTION cbd_intake_raise(p_id uuid, p_due_at timestamptz)
RETURNS TABLE (outcome text, cb callbacks)
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE callbacks c SET due_at = LEAST(c.due_at, p_due_at), updated_at = now()
    WHERE c.id = p_id;
    RETURN QUERY SELECT 'merged'::text, c FROM callbacks c WHERE c.id = p_id;
END $$;
