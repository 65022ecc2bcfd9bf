-- Checks a lease for an action on a callback. Returns 'ok', 'lost' (the
-- token is not the callback's current lease: it lapsed, was given back or
-- ended by an attempt, whoever holds the callback now; or the current one
-- has run out), 'foreign' (the current lease token, presented by another
-- caseworker than its holder) or 'wrong_state' (the callback is closed:
-- no lease of it can be current again).
CREATE OR REPLACE FUNCTION cbd_lease_check(c callbacks, p_token uuid,
    p_caseworker text)
RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN CASE
        WHEN c.state NOT IN ('queued', 'claimed') THEN 'wrong_state'
        WHEN c.state <> 'claimed' OR c.lease_token IS DISTINCT FROM p_token THEN 'lost'
        WHEN c.claimed_by IS DISTINCT FROM p_caseworker THEN 'foreign'
        WHEN c.lease_until <= now() THEN 'lost'
        ELSE 'ok' END;
END $$;
