-- callbackd schema, migration 18: open callbacks that nobody may claim.
--
-- A caseworker may claim what is assigned to them, or unassigned callbacks
-- of their site, one of their topics and one of their languages. A queued
-- callback (ready or waiting) is unclaimable when
--   it is assigned and its assignee is not an active caseworker
--     (reason assignee_inactive, or assignee_unknown when there is no
--     caseworker of that id at all), or
--   it is unassigned and no active caseworker has its site, its topic and
--     its language (reason no_caseworker).
-- Claimed callbacks are someone's already; flagged ones (lapsed leases)
-- are offered to nobody on purpose and wait for a supervisor, so neither
-- counts. Each unclaimable callback gets one alert, level unclaimable,
-- whichever daemon finds it first: the unique key decides, and the
-- watchdog sends it like an at_risk or breached alert that another daemon
-- did not deliver.

ALTER TABLE alerts DROP CONSTRAINT alerts_level_check;
ALTER TABLE alerts ADD CONSTRAINT alerts_level_check
    CHECK (level IN ('at_risk', 'breached', 'unclaimable'));
-- why an unclaimable alert went out; NULL for the SLA levels
ALTER TABLE alerts ADD COLUMN reason text;

-- The routes and assignees of open callbacks, each read by a skip scan
-- (one index probe per distinct value, not a row per callback). None of
-- their columns changes while a callback is open, so claims still rewrite
-- rows in place (migration 13). Intake writes one entry more per callback.
CREATE INDEX callbacks_open_route ON callbacks (site, topic, language)
    WHERE closed_at IS NULL AND assignee IS NULL;
CREATE INDEX callbacks_open_assignee ON callbacks (assignee)
    WHERE closed_at IS NULL AND assignee IS NOT NULL;

-- The unclaimable callbacks now, with their reason. The distinct routes
-- and assignees of open callbacks are few (sites x topics x languages,
-- and caseworkers); each is checked against the caseworkers once, and
-- only the callbacks of the dead ones are read, by the index (OFFSET 0
-- keeps each a lookup of its own: flattened, PostgreSQL read every open
-- callback to join them). The planner cannot know that dead routes are
-- few and thinks the statement costly enough to compile (JIT, half a
-- second each time): it is not. Measured on 88 000 open callbacks, 110 of
-- them unclaimable: about 1 ms, a check that writes no alert 2 ms.
CREATE FUNCTION cbd_unclaimable()
RETURNS TABLE (id uuid, site text, topic text, reason text)
LANGUAGE sql STABLE SET jit = off AS $$
    WITH RECURSIVE routes AS (
        (SELECT c.site, c.topic, c.language FROM callbacks c
         WHERE c.closed_at IS NULL AND c.assignee IS NULL
         ORDER BY c.site, c.topic, c.language LIMIT 1)
        UNION ALL
        SELECT n.site, n.topic, n.language FROM routes r, LATERAL (
            SELECT c.site, c.topic, c.language FROM callbacks c
            WHERE c.closed_at IS NULL AND c.assignee IS NULL
              AND (c.site, c.topic, c.language) > (r.site, r.topic, r.language)
            ORDER BY c.site, c.topic, c.language LIMIT 1) n),
    assignees AS (
        (SELECT c.assignee FROM callbacks c
         WHERE c.closed_at IS NULL AND c.assignee IS NOT NULL
         ORDER BY c.assignee LIMIT 1)
        UNION ALL
        SELECT n.assignee FROM assignees a, LATERAL (
            SELECT c.assignee FROM callbacks c
            WHERE c.closed_at IS NULL AND c.assignee IS NOT NULL
              AND c.assignee > a.assignee
            ORDER BY c.assignee LIMIT 1) n),
    dead_routes AS MATERIALIZED (
        SELECT r.* FROM routes r
        WHERE NOT EXISTS (SELECT 1 FROM caseworkers w
                          WHERE w.active AND w.site = r.site
                            AND r.topic = ANY (w.topics)
                            AND r.language = ANY (w.languages))),
    dead_assignees AS MATERIALIZED (
        SELECT a.assignee, CASE WHEN EXISTS (SELECT 1 FROM caseworkers w
                                             WHERE w.id = a.assignee)
                                THEN 'assignee_inactive'
                                ELSE 'assignee_unknown' END AS reason
        FROM assignees a
        WHERE NOT EXISTS (SELECT 1 FROM caseworkers w
                          WHERE w.id = a.assignee AND w.active))
    SELECT c.id, c.site, c.topic, 'no_caseworker'
    FROM dead_routes d, LATERAL (
        SELECT c.id, c.site, c.topic FROM callbacks c
        WHERE c.site = d.site AND c.topic = d.topic AND c.language = d.language
          AND c.closed_at IS NULL AND c.assignee IS NULL
          AND c.state = 'queued' AND NOT c.flagged OFFSET 0) c
    UNION ALL
    SELECT c.id, c.site, c.topic, d.reason
    FROM dead_assignees d, LATERAL (
        SELECT c.id, c.site, c.topic FROM callbacks c
        WHERE c.assignee = d.assignee AND c.closed_at IS NULL
          AND c.state = 'queued' AND NOT c.flagged OFFSET 0) c
$$;

-- The periodic check: writes an unclaimable alert for each unclaimable
-- callback that has none (taken for delivery at once: its send_until has
-- passed, as for an alert another daemon did not deliver) and returns,
-- per site and topic with any, how many are unclaimable and how many
-- alerts this call wrote.
CREATE FUNCTION cbd_unclaimable_check()
RETURNS TABLE (site text, topic text, unclaimable bigint, alerts bigint)
LANGUAGE sql SET jit = off AS $$
    WITH found AS (SELECT * FROM cbd_unclaimable()),
    written AS (
        INSERT INTO alerts AS a (callback_id, level, threshold, fire_at,
            fired_at, send_until, reason)
        SELECT f.id, 'unclaimable', 1, now(), now(),
            now() - interval '1 millisecond', f.reason
        FROM found f
        WHERE NOT EXISTS (SELECT 1 FROM alerts x WHERE x.callback_id = f.id
                          AND x.level = 'unclaimable' AND x.threshold = 1)
        ON CONFLICT ON CONSTRAINT alerts_callback_id_level_threshold_key DO NOTHING
        RETURNING a.callback_id)
    SELECT f.site, f.topic, count(*), count(w.callback_id)
    FROM found f LEFT JOIN written w ON w.callback_id = f.id
    GROUP BY f.site, f.topic
$$;

-- Open callbacks whose topic or site is not among those given (the
-- topics and sites of a configuration about to be used): how many of
-- each. kind is 'topic' or 'site'.
CREATE FUNCTION cbd_open_outside(p_topics text[], p_sites text[])
RETURNS TABLE (kind text, name text, open bigint)
LANGUAGE sql STABLE AS $$
    SELECT 'topic', c.topic, count(*) FROM callbacks c
    WHERE c.closed_at IS NULL AND c.topic <> ALL (p_topics)
    GROUP BY c.topic
    UNION ALL
    SELECT 'site', c.site, count(*) FROM callbacks c
    WHERE c.closed_at IS NULL AND c.site <> ALL (p_sites)
    GROUP BY c.site
$$;

-- An alert's reason, for the statement that takes it for delivery. Its
-- own snapshot (VOLATILE): cbd_alerts_take, in the same statement, may take
-- an unclaimable alert committed after that statement began, which the
-- statement's own snapshot would not show.
CREATE FUNCTION cbd_alert_reason(p_id bigint)
RETURNS text LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RETURN (SELECT a.reason FROM alerts a WHERE a.id = p_id);
END $$;
