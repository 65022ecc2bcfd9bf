-- A lease ran out without an attempt: the callback is queued again. A
-- lapsed lease is not an attempt. After p_flag_after lapses in a row it is
-- flagged for a supervisor instead of circling forever. Returns the row
-- whatever happened, so the caller can bring Redis in line with it.
CREATE OR REPLACE FUNCTION cbd_lease_expire(p_id uuid, p_flag_after integer)
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
