-- The managers' at-risk list: the open callbacks with no attempt yet and
-- not yet due that have had an at_risk alert, one row each with the
-- highest share of its target it has passed and when that was said,
-- soonest due first; p_site NULL: every site. The same callbacks as the
-- gauge callbackd_at_risk counts, but only those not yet due.
CREATE OR REPLACE FUNCTION cbd_report_at_risk(p_site text, p_limit integer)
RETURNS TABLE (id uuid, site text, topic text, urgent boolean,
    requested_at timestamptz, due_at timestamptz, threshold numeric,
    warned_at timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT c.id, c.site, c.topic, c.urgent, c.requested_at, c.due_at,
        max(a.threshold), max(a.fired_at)
    FROM alerts a JOIN callbacks c ON c.id = a.callback_id
    WHERE a.level = 'at_risk' AND a.fired_at IS NOT NULL
      AND c.first_attempt_at IS NULL AND c.state IN ('queued', 'claimed')
      AND c.due_at > now() AND (p_site IS NULL OR c.site = p_site)
    GROUP BY c.id
    ORDER BY c.due_at, c.id
    LIMIT p_limit
$$;
