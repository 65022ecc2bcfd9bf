-- The managers' at-risk list: the open callbacks with no attempt yet and
-- not yet due that have had an at_risk alert, one row each with the
-- highest share of its target it has passed and when that was said,
-- soonest due first; p_site NULL: every site. The same callbacks as the
-- gauge callbackd_at_risk counts, but only those not yet due. Read from
-- the callbacks not yet due (callbacks_due), each with its own alerts:
-- never a scan of every alert ever sent.
CREATE OR REPLACE FUNCTION cbd_report_at_risk(p_site text, p_limit integer)
RETURNS TABLE (id uuid, site text, topic text, urgent boolean,
    requested_at timestamptz, due_at timestamptz, threshold numeric,
    warned_at timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT c.id, c.site, c.topic, c.urgent, c.requested_at, c.due_at,
        w.threshold, w.fired_at
    FROM callbacks c
    CROSS JOIN LATERAL (
        SELECT a.threshold, a.fired_at FROM alerts a
        WHERE a.callback_id = c.id AND a.level = 'at_risk'
          AND a.fired_at IS NOT NULL
        ORDER BY a.threshold DESC LIMIT 1) w
    WHERE c.first_attempt_at IS NULL AND c.due_at > now()
      AND c.state IN ('queued', 'claimed')
      AND (p_site IS NULL OR c.site = p_site)
    ORDER BY c.due_at, c.id
    LIMIT p_limit
$$;
