-- callbackd schema, migration 20: open callbacks expire, retention erases
-- call_id too, and a claim checks the caseworker's routing itself.
--
-- A callback whose window (not_after) has passed, or that stayed open
-- longer than the configured max_open_age, closes as expired: it would
-- otherwise stay in the queue, and keep its personal data, for good. It
-- then falls under retention like any closed one. call_id is the
-- telephony system's id of the call, which joins to the PBX's call
-- records: retention erases it with the rest. A claim and a peek take the
-- ids Redis offers only for callbacks the caseworker may claim, so a
-- tampered index cannot hand one to the wrong person.

ALTER TABLE callbacks DROP CONSTRAINT callbacks_state_check,
    ADD CONSTRAINT callbacks_state_check CHECK (state IN ('queued', 'claimed',
        'completed', 'unreachable', 'cancelled', 'expired'));

-- What the expiry looks for among the open callbacks. Neither column
-- changes with a claim, so claims still rewrite their rows in place
-- (migration 13).
CREATE INDEX callbacks_open_not_after ON callbacks (not_after)
    WHERE closed_at IS NULL AND not_after IS NOT NULL;
CREATE INDEX callbacks_open_received ON callbacks (received_at)
    WHERE closed_at IS NULL;

-- Expires at most p_limit queued callbacks (flagged ones too) whose
-- not_after has passed or that were received longer than p_max_open_age
-- ago (0: never by age), each with an expired event saying why; returns
-- them as they are now. A claimed one is left to its lease: once the
-- lease lapses or is given back it is queued, and the next call takes
-- it. Rows another daemon holds are skipped; the caller repeats while it
-- gets p_limit.
CREATE FUNCTION cbd_expire(p_max_open_age interval, p_limit integer)
RETURNS SETOF callbacks LANGUAGE sql AS $$
    WITH due AS (
        SELECT c.id, CASE WHEN c.not_after < now() THEN 'not_after'
                          ELSE 'max_open_age' END AS reason
        FROM callbacks c
        WHERE c.closed_at IS NULL AND c.state = 'queued'
          AND (c.not_after < now()
               OR (p_max_open_age > interval '0'
                   AND c.received_at < now() - p_max_open_age))
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED),
    expired AS (
        UPDATE callbacks c SET state = 'expired', closed_at = now(),
            updated_at = now()
        FROM due WHERE c.id = due.id AND c.state = 'queued'
        RETURNING c.*),
    logged AS (
        INSERT INTO events (callback_id, actor, kind, data)
        SELECT e.id, 'callbackd', 'expired', CASE WHEN due.reason = 'not_after'
            THEN jsonb_build_object('reason', due.reason, 'not_after',
                cbd_iso(e.not_after))
            ELSE jsonb_build_object('reason', due.reason, 'max_open_age',
                p_max_open_age::text) END
        FROM expired e JOIN due ON due.id = e.id)
    SELECT * FROM expired
$$;

-- call_id goes with the rest of the personal data. Otherwise as in
-- migration 19 (which takes erased callbacks out of the access log).
CREATE OR REPLACE FUNCTION cbd_erase_personal(p_older_than interval, p_limit integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    PERFORM set_config('callbackd.erasing', 'on', true);
    WITH old AS (
        SELECT id FROM callbacks
        WHERE erased_at IS NULL AND closed_at IS NOT NULL
          AND closed_at < now() - p_older_than
        ORDER BY closed_at
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED),
    erased AS (
        UPDATE callbacks c SET phone = NULL, name = NULL, customer_ref = NULL,
            note = NULL, call_id = NULL, erased_at = now()
        FROM old WHERE c.id = old.id
        RETURNING c.id),
    notes AS (
        UPDATE attempts a SET note = NULL
        FROM erased WHERE a.callback_id = erased.id AND a.note IS NOT NULL),
    keys AS (
        DELETE FROM callback_keys k USING erased WHERE k.callback_id = erased.id),
    ids AS (
        SELECT coalesce(array_agg(id), '{}') AS a FROM erased),
    gone AS (
        DELETE FROM access_log l USING ids
        WHERE l.callback_ids && ids.a AND l.callback_ids <@ ids.a),
    thinned AS (
        UPDATE access_log l SET callback_ids = ARRAY(
            SELECT x FROM unnest(l.callback_ids) WITH ORDINALITY AS u(x, k)
            WHERE x <> ALL (ids.a) ORDER BY k)
        FROM ids
        WHERE l.callback_ids && ids.a AND NOT l.callback_ids <@ ids.a),
    logged AS (
        INSERT INTO events (callback_id, actor, kind, data)
        SELECT id, 'callbackd', 'personal_data_erased',
            jsonb_build_object('retention', p_older_than::text)
        FROM erased)
    SELECT count(*)::integer INTO n FROM erased;
    PERFORM set_config('callbackd.erasing', 'off', true);
    RETURN n;
END $$;

-- Expired callbacks in a column of their own. Otherwise as in migration 6.
DROP FUNCTION cbd_report_sla(timestamptz, timestamptz, text[], text);
CREATE FUNCTION cbd_report_sla(p_from timestamptz, p_to timestamptz,
    p_groups text[], p_tz text)
RETURNS TABLE (site text, topic text, day date, week date, urgent boolean,
    requests bigint, merged_requests bigint, within_target bigint,
    within_target_pct numeric, breached bigint, open_at_risk bigint,
    unreachable bigint, expired bigint, first_attempt_p50_min numeric,
    first_attempt_p90_min numeric, first_attempt_max_min numeric,
    reach_p50_min numeric, reach_p90_min numeric, reach_max_min numeric)
LANGUAGE plpgsql STABLE SET work_mem = '64MB' SET jit = off AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT g.site, g.topic, g.day, g.week, g.urgent, g.requests, g.merged,
        g.within, round(100.0 * g.within / g.requests, 1), g.breached, g.at_risk,
        g.unreachable, g.expired,
        round(g.first[1]::numeric, 1), round(g.first[2]::numeric, 1),
        round(g.first_max::numeric, 1),
        round(g.reach[1]::numeric, 1), round(g.reach[2]::numeric, 1),
        round(g.reach_max::numeric, 1)
    FROM (
        SELECT
            CASE WHEN 'site' = ANY (p_groups) THEN s.site END AS site,
            CASE WHEN 'topic' = ANY (p_groups) THEN s.topic END AS topic,
            CASE WHEN 'day' = ANY (p_groups)
                 THEN (s.requested_at AT TIME ZONE p_tz)::date END AS day,
            CASE WHEN 'week' = ANY (p_groups)
                 THEN date_trunc('week', s.requested_at AT TIME ZONE p_tz)::date
                 END AS week,
            CASE WHEN 'urgency' = ANY (p_groups) THEN s.urgent END AS urgent,
            count(*) AS requests,
            sum(s.request_count - 1) AS merged,
            count(*) FILTER (WHERE s.within_target) AS within,
            count(*) FILTER (WHERE s.breach IS NOT NULL) AS breached,
            count(*) FILTER (WHERE s.at_risk) AS at_risk,
            count(*) FILTER (WHERE s.state = 'unreachable') AS unreachable,
            count(*) FILTER (WHERE s.state = 'expired') AS expired,
            percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP
                (ORDER BY s.minutes_to_first) AS first,
            max(s.minutes_to_first) AS first_max,
            percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP
                (ORDER BY s.minutes_to_reach) AS reach,
            max(s.minutes_to_reach) AS reach_max
        FROM sla_callbacks s
        WHERE s.requested_at >= p_from AND s.requested_at < p_to
        GROUP BY 1, 2, 3, 4, 5) g
    ORDER BY 1, 2, 3, 4, 5;
END
$$;

-- A claim group's items carry the caseworker's routing as well: site,
-- topics and languages ('{a,b}'). A callback is claimed only when it is
-- assigned to the caseworker, or unassigned and of their site, one of
-- their topics and one of their languages: whatever the index offered.
-- Otherwise as in migration 13.
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

-- One claim, by the same rule.
DROP FUNCTION cbd_claim(uuid, uuid, timestamptz, text, text);
CREATE FUNCTION cbd_claim(p_id uuid, p_token uuid, p_until timestamptz,
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
