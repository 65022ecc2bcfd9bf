-- Saves a caseworker's profile and writes the admin event (p_event
-- 'caseworker_created', 'caseworker_updated' or 'caseworker_deactivated')
-- with the acting token. p_create: insert, no row when the id exists;
-- else update, no row when there is no such caseworker. A profile saved
-- inactive gives back every lease its caseworker holds: each callback is
-- queued again at its place (a 'lease_released' event by the actor; not
-- an attempt, no lapse), returned in released for the caller to index.
CREATE OR REPLACE FUNCTION cbd_caseworker_save(p_create boolean, p_id text, p_site text,
    p_topics text[], p_languages text[], p_active boolean, p_actor text,
    p_event text)
RETURNS TABLE (w caseworkers, released callbacks[]) LANGUAGE plpgsql AS $$
DECLARE
    r caseworkers;
    rel callbacks[] := '{}';
BEGIN
    IF p_create THEN
        INSERT INTO caseworkers AS c (id, site, topics, languages, active)
        VALUES (p_id, p_site, p_topics, p_languages, p_active)
        ON CONFLICT (id) DO NOTHING RETURNING c.* INTO r;
    ELSE
        UPDATE caseworkers AS c SET site = p_site, topics = p_topics,
            languages = p_languages, active = p_active, updated_at = now()
        WHERE c.id = p_id RETURNING c.* INTO r;
    END IF;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF NOT r.active THEN
        -- by the index of open callbacks: an index on claimed_by would
        -- keep every claim from rewriting its row in place (HOT), and a
        -- deactivation is rare
        WITH u AS (
            UPDATE callbacks c SET state = 'queued', lease_token = NULL,
                lease_until = NULL, claimed_by = NULL, updated_at = now()
            WHERE c.closed_at IS NULL AND c.state = 'claimed'
              AND c.claimed_by = p_id
            RETURNING c AS cb),
        e AS (
            INSERT INTO events (callback_id, actor, kind, data)
            SELECT (u.cb).id, p_actor, 'lease_released', jsonb_build_object(
                'caseworker', p_id, 'reason', 'caseworker_inactive')
            FROM u ORDER BY (u.cb).id)
        SELECT coalesce(array_agg(u.cb ORDER BY (u.cb).id), '{}') INTO rel FROM u;
    END IF;
    INSERT INTO admin_events (actor, kind, data)
    VALUES (p_actor, p_event, jsonb_build_object('caseworker', r.id,
        'site', r.site, 'topics', r.topics, 'languages', r.languages,
        'active', r.active, 'leases_released', cardinality(rel)));
    RETURN QUERY SELECT r, rel;
END $$;
