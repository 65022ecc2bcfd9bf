-- Each callback's SLA outcome, for the reports and for a BI tool reading
-- PostgreSQL directly: the clock runs from requested_at (the first
-- request) to the first attempt; "within target" means a first attempt by
-- due_at. "pending": still open, no attempt, and not due yet (open and
-- overdue is a breach already, open_past_due): undecided.
CREATE OR REPLACE VIEW sla_callbacks AS
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
        AS minutes_to_reach,
    c.first_attempt_at IS NULL AND c.state IN ('queued', 'claimed')
        AND c.due_at >= now() AS pending
FROM callbacks c;
