-- Plans (or moves, after an urgency upgrade) a callback's alerts. Alerts
-- already fired stay as they are; one due again is not written twice.
CREATE OR REPLACE FUNCTION cbd_alerts_plan(p_id uuid, p_fracs numeric[],
    p_times_ms bigint[], p_due timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE callbacks c
    SET alert_warn = w.warn, alert_at = least(w.first, p_due)
    FROM (SELECT coalesce(jsonb_agg(jsonb_build_array(f, t) ORDER BY t), '[]'::jsonb)
                     AS warn,
                 min(cbd_ts(t)) AS first
          FROM unnest(p_fracs, p_times_ms) AS u(f, t)) w
    WHERE c.id = p_id;
END $$;
