-- One attempt, by the rule of cbd_attempts (written once, there): the
-- verdict and the row as it is afterwards. p_backoff_ms is not read: the
-- daemon gives the retry time of an unanswered attempt in p_not_before
-- (its one computation of the back-off); the parameter stays so that
-- the signature does (another one would need a migration).
CREATE OR REPLACE FUNCTION cbd_attempt(p_id uuid, p_token uuid, p_caseworker text,
    p_actor text, p_result text, p_note text, p_duration_s integer,
    p_not_before timestamptz, p_backoff_ms bigint, p_max_attempts integer)
RETURNS TABLE (verdict text, cb callbacks) LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY SELECT a.verdict, a.cb FROM cbd_attempts(jsonb_build_array(
        jsonb_build_object('i', 0, 'id', p_id, 'token', p_token,
            'caseworker', p_caseworker, 'actor', p_actor, 'result', p_result,
            'note', p_note, 'duration_s', p_duration_s,
            'not_before', cbd_ms(p_not_before),
            'max_attempts', p_max_attempts))) a;
END $$;
