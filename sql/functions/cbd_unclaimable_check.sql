-- The periodic check: writes an unclaimable alert for each unclaimable
-- callback that has none (taken for delivery at once: its send_until has
-- passed, as for an alert another daemon did not deliver) and returns,
-- per site and topic with any, how many are unclaimable and how many
-- alerts this call wrote.
CREATE OR REPLACE FUNCTION cbd_unclaimable_check()
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
