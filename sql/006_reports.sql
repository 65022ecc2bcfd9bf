-- callbackd schema, migration 6: SLA and breach reports as SQL, so a BI
-- tool can read them straight from PostgreSQL; the API serves the same.
-- The SLA clock runs from requested_at (the first request) to the first
-- attempt; "within target" means a first attempt by due_at.

CREATE INDEX callbacks_requested ON callbacks (requested_at);

CREATE VIEW sla_callbacks AS
SELECT c.id, c.site, c.topic, c.urgent, c.state, c.requested_at, c.due_at,
    c.first_attempt_at, c.reached_at, c.closed_at, c.request_count,
    c.first_attempt_at IS NOT NULL AND c.first_attempt_at <= c.due_at AS within_target,
    CASE
        WHEN c.first_attempt_at > c.due_at THEN 'attempted_late'
        WHEN c.first_attempt_at IS NULL AND c.state IN ('queued', 'claimed')
             AND c.due_at < now() THEN 'open_past_due'
        WHEN c.first_attempt_at IS NULL AND c.state NOT IN ('queued', 'claimed')
             AND c.due_at < coalesce(c.closed_at, now()) THEN 'never_attempted'
    END AS breach,
    c.first_attempt_at IS NULL AND c.state IN ('queued', 'claimed')
        AND c.due_at >= now()
        AND EXISTS (SELECT 1 FROM alerts a WHERE a.callback_id = c.id
                    AND a.level = 'at_risk' AND a.fired_at IS NOT NULL) AS at_risk,
    (extract(epoch FROM c.first_attempt_at - c.requested_at) / 60)::float8
        AS minutes_to_first,
    (extract(epoch FROM c.reached_at - c.requested_at) / 60)::float8
        AS minutes_to_reach
FROM callbacks c;

-- Compliance in [p_from, p_to) by the requested groups (site, topic, day,
-- week, urgency; days and weeks in p_tz), one row per group.
CREATE FUNCTION cbd_report_sla(p_from timestamptz, p_to timestamptz,
    p_groups text[], p_tz text)
RETURNS TABLE (site text, topic text, day date, week date, urgent boolean,
    requests bigint, merged_requests bigint, within_target bigint,
    within_target_pct numeric, breached bigint, open_at_risk bigint,
    unreachable bigint, first_attempt_p50_min numeric,
    first_attempt_p90_min numeric, first_attempt_max_min numeric,
    reach_p50_min numeric, reach_p90_min numeric, reach_max_min numeric)
-- the percentiles sort every group in memory: room for a million rows;
-- JIT compiling costs more than it saves on a query that runs once;
-- PL/pgSQL's RETURN QUERY runs to the end, so it may use parallel workers
LANGUAGE plpgsql STABLE SET work_mem = '64MB' SET jit = off AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT g.site, g.topic, g.day, g.week, g.urgent, g.requests, g.merged,
        g.within, round(100.0 * g.within / g.requests, 1), g.breached, g.at_risk,
        g.unreachable,
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
            -- one sort for both percentiles
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

-- One row per breached callback requested in [p_from, p_to), with why.
CREATE FUNCTION cbd_report_breaches(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (id uuid, site text, topic text, urgent boolean, state text,
    requested_at timestamptz, due_at timestamptz, first_attempt_at timestamptz,
    reached_at timestamptz, reason text, minutes_late numeric)
LANGUAGE sql STABLE SET jit = off AS $$
    SELECT s.id, s.site, s.topic, s.urgent, s.state, s.requested_at, s.due_at,
        s.first_attempt_at, s.reached_at, s.breach,
        round((extract(epoch FROM coalesce(s.first_attempt_at, s.closed_at, now())
            - s.due_at) / 60), 1)
    FROM sla_callbacks s
    WHERE s.requested_at >= p_from AND s.requested_at < p_to
      AND s.breach IS NOT NULL
    ORDER BY s.due_at, s.id
$$;

-- RFC 3339 in UTC with milliseconds, as the API writes times.
CREATE FUNCTION cbd_iso(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;
