-- What the forecast of each site (p_sites, with its calendar's time zone
-- in p_tzs and the next moment its calendar is open in p_next_open, ms)
-- starts from at p_start, as rows of kind:
--   open      one per open callback not attempted yet: topic, urgent,
--             at_ms its due time, day its local due date
--   retry     one per open callback attempted already (its promise kept,
--             it waits for another attempt): topic, urgent, at_ms its
--             due time, a when it may be claimed again (ms; p_start
--             when its not_before is past or none)
--   arrivals  per topic, local weekday (dow, 0 = Sunday) and hour: a the
--             callbacks requested then per week, b the urgent ones
--   staffing  per local weekday and hour: a the caseworker-hours a week,
--             counted as the distinct actors with a claim or an attempt
--             on a callback of the site in that hour
--   rate      per topic: a the attempts, b the caseworker-hours (distinct
--             actor and hour with an attempt on the topic) behind them
--   day       the local date of p_next_open (day) and the moment that day
--             ends (at_ms): the working day the forecast alert looks at
-- History is the p_weeks whole weeks before the local day of p_start:
-- today, still under way, is left out, so every weekday counts as often.
-- Merged requests add no row: a callback is worked once.
CREATE OR REPLACE FUNCTION cbd_forecast_inputs(p_sites text[], p_tzs text[],
    p_next_open bigint[], p_start timestamptz, p_weeks integer)
RETURNS TABLE (kind text, site text, topic text, urgent boolean, dow integer,
    hour integer, a float8, b float8, at_ms bigint, day text)
LANGUAGE sql STABLE SET jit = off AS $$
    WITH s AS (
        SELECT x.site, x.tz, x.next_open,
            date_trunc('day', p_start AT TIME ZONE x.tz) AS today
        FROM unnest(p_sites, p_tzs, p_next_open) AS x(site, tz, next_open)
    ), w AS (
        SELECT s.site, s.tz, s.next_open,
            (s.today - make_interval(days => 7 * p_weeks)) AT TIME ZONE s.tz
                AS since,
            s.today AT TIME ZONE s.tz AS until
        FROM s
    ), worked AS (
        SELECT c.site, c.topic, a.actor, a.at, true AS attempt
        FROM attempts a JOIN callbacks c ON c.id = a.callback_id
        JOIN w ON w.site = c.site
        WHERE a.at >= (SELECT min(since) FROM w)
          AND a.at < (SELECT max(until) FROM w)
          AND a.at >= w.since AND a.at < w.until
        UNION ALL
        SELECT c.site, c.topic, e.actor, e.at, false
        FROM events e JOIN callbacks c ON c.id = e.callback_id
        JOIN w ON w.site = c.site
        WHERE e.kind = 'claimed'
          AND e.at >= (SELECT min(since) FROM w)
          AND e.at < (SELECT max(until) FROM w)
          AND e.at >= w.since AND e.at < w.until
    ), slots AS (
        SELECT k.site, k.topic, k.actor, k.attempt,
            date_trunc('hour', k.at AT TIME ZONE w.tz) AS slot
        FROM worked k JOIN w ON w.site = k.site
    )
    SELECT 'open', c.site, c.topic, c.urgent, NULL::integer, NULL::integer,
        NULL::float8, NULL::float8, cbd_ms(c.due_at),
        to_char(c.due_at AT TIME ZONE w.tz, 'YYYY-MM-DD')
    FROM callbacks c JOIN w ON w.site = c.site
    WHERE c.closed_at IS NULL AND c.first_attempt_at IS NULL
    UNION ALL
    SELECT 'retry', c.site, c.topic, c.urgent, NULL, NULL,
        cbd_ms(greatest(c.not_before, p_start))::float8, NULL,
        cbd_ms(c.due_at), NULL
    FROM callbacks c JOIN w ON w.site = c.site
    WHERE c.closed_at IS NULL AND c.first_attempt_at IS NOT NULL
    UNION ALL
    SELECT 'arrivals', c.site, c.topic, NULL,
        extract(dow FROM c.requested_at AT TIME ZONE w.tz)::integer,
        extract(hour FROM c.requested_at AT TIME ZONE w.tz)::integer,
        count(*)::float8 / p_weeks,
        (count(*) FILTER (WHERE c.urgent))::float8 / p_weeks, NULL, NULL
    FROM callbacks c JOIN w ON w.site = c.site
    WHERE c.requested_at >= (SELECT min(since) FROM w)
      AND c.requested_at < (SELECT max(until) FROM w)
      AND c.requested_at >= w.since AND c.requested_at < w.until
    GROUP BY 2, 3, 5, 6
    UNION ALL
    SELECT 'staffing', x.site, NULL, NULL,
        extract(dow FROM x.slot)::integer, extract(hour FROM x.slot)::integer,
        sum(x.n)::float8 / p_weeks, NULL, NULL, NULL
    FROM (SELECT site, slot, count(DISTINCT actor) AS n FROM slots
          GROUP BY site, slot) x
    GROUP BY 2, 5, 6
    UNION ALL
    SELECT 'rate', y.site, y.topic, NULL, NULL, NULL,
        (SELECT count(*) FROM worked k WHERE k.attempt AND k.site = y.site
            AND k.topic = y.topic)::float8,
        count(*)::float8, NULL, NULL
    FROM (SELECT DISTINCT site, topic, actor, slot FROM slots
          WHERE attempt) y
    GROUP BY y.site, y.topic
    UNION ALL
    SELECT 'day', w.site, NULL, NULL, NULL, NULL, NULL, NULL,
        cbd_ms(((cbd_ts(w.next_open) AT TIME ZONE w.tz)::date + 1)::timestamp
            AT TIME ZONE w.tz),
        to_char(cbd_ts(w.next_open) AT TIME ZONE w.tz, 'YYYY-MM-DD')
    FROM w
$$;
