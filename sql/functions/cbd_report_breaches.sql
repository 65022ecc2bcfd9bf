-- One row per breached callback requested in [p_from, p_to), with why.
CREATE OR REPLACE FUNCTION cbd_report_breaches(p_from timestamptz, p_to timestamptz)
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
