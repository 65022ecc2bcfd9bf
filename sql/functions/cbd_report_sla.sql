-- SLA compliance in [p_from, p_to) by the requested groups (site, topic,
-- day, week, urgency; days and weeks in p_tz), one row per group. The SLA
-- clock runs from requested_at (the first request) to the first attempt;
-- "within target" means a first attempt by due_at. The percentage counts
-- only what is decided: within target / (within target + breached), NULL
-- when nothing is; open callbacks not due yet are "pending" (open and
-- overdue is breached already). Expired callbacks in a column of their own.
-- Dropped first: CREATE OR REPLACE cannot change the columns it returns.
DROP FUNCTION IF EXISTS cbd_report_sla(timestamptz, timestamptz, text[], text);
CREATE OR REPLACE FUNCTION cbd_report_sla(p_from timestamptz, p_to timestamptz,
    p_groups text[], p_tz text)
RETURNS TABLE (site text, topic text, day date, week date, urgent boolean,
    requests bigint, merged_requests bigint, within_target bigint,
    within_target_pct numeric, breached bigint, pending bigint, open_at_risk bigint,
    unreachable bigint, expired bigint, first_attempt_p50_min numeric,
    first_attempt_p90_min numeric, first_attempt_max_min numeric,
    reach_p50_min numeric, reach_p90_min numeric, reach_max_min numeric)
LANGUAGE plpgsql STABLE SET work_mem = '64MB' SET jit = off AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT g.site, g.topic, g.day, g.week, g.urgent, g.requests, g.merged,
        g.within, round(100.0 * g.within / nullif(g.within + g.breached, 0), 1),
        g.breached, g.pending, g.at_risk,
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
            count(*) FILTER (WHERE s.pending) AS pending,
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
