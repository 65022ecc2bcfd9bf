-- Claims a group: p is [{i, id, token, until_ms, caseworker, site,
-- topics, languages, actor}, ...], topics and languages as '{a,b}'. One
-- row (i, the claimed callback) for each item whose callback was queued,
-- not flagged, and assigned to the caseworker or unassigned and of their
-- site, one of their topics and one of their languages (whatever the
-- index offered: a tampered index cannot hand one to the wrong person);
-- none for the others (the Redis index was stale). Of two items for one
-- callback, one gets it. The rows are found by their ids as an array:
-- PostgreSQL takes a set-returning function for 100 rows, and would read
-- the whole table rather than look up 100 ids. Its plan is made once per
-- session: left to choose, PostgreSQL planned the statement anew for each
-- group of one (100-150 us a claim).
CREATE OR REPLACE FUNCTION cbd_claims(p jsonb)
RETURNS TABLE (i integer, cb callbacks) LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    v_ids uuid[] := ARRAY(SELECT (e->>'id')::uuid FROM jsonb_array_elements(p) e);
BEGIN
    RETURN QUERY
    WITH x AS (
        SELECT * FROM jsonb_to_recordset(p) AS x(i integer, id uuid,
            token uuid, until_ms bigint, caseworker text, site text,
            topics text, languages text, actor text)),
    u AS (
        UPDATE callbacks c SET state = 'claimed', lease_token = x.token,
            lease_until = cbd_ts(x.until_ms), claimed_by = x.caseworker,
            updated_at = now()
        FROM x WHERE c.id = ANY (v_ids) AND c.id = x.id
            AND c.state = 'queued' AND NOT c.flagged
            AND (c.assignee = x.caseworker
                 OR (c.assignee IS NULL AND c.site = x.site
                     AND c.topic = ANY (x.topics::text[])
                     AND c.language = ANY (x.languages::text[])))
        RETURNING x.i, x.actor, c AS cb),
    e AS (
        INSERT INTO events (callback_id, actor, kind, data)
        SELECT (u.cb).id, u.actor, 'claimed', jsonb_build_object(
            'caseworker', (u.cb).claimed_by, 'lease_until', (u.cb).lease_until)
        FROM u ORDER BY u.i)
    SELECT u.i, u.cb FROM u;
END $$;
