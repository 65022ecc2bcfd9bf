-- One claim, by the rule of cbd_claims.
CREATE OR REPLACE FUNCTION cbd_claim(p_id uuid, p_token uuid, p_until timestamptz,
    p_caseworker text, p_site text, p_topics text, p_languages text,
    p_actor text)
RETURNS SETOF callbacks LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY SELECT (x.cb).* FROM cbd_claims(jsonb_build_array(
        jsonb_build_object('i', 0, 'id', p_id, 'token', p_token,
            'until_ms', cbd_ms(p_until), 'caseworker', p_caseworker,
            'site', p_site, 'topics', p_topics, 'languages', p_languages,
            'actor', p_actor))) x;
END $$;
