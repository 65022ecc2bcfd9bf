-- callbackd schema, migration 3: SLA alerts. One row per callback, level
-- and threshold, planned at intake; the unique key and row locks make each
-- alert fire once, whichever daemon gets to it.

CREATE TABLE alerts (
    id           bigserial PRIMARY KEY,
    callback_id  uuid NOT NULL REFERENCES callbacks (id),
    level        text NOT NULL CHECK (level IN ('at_risk', 'breached')),
    threshold    numeric(4, 3) NOT NULL CHECK (threshold > 0 AND threshold <= 1),
    fire_at      timestamptz NOT NULL,
    fired_at     timestamptz,  -- a daemon found it due, unattempted: it goes out
    send_until   timestamptz,  -- that daemon's claim on delivering it
    sent_at      timestamptz,  -- handed to the syslog transport
    void_at      timestamptz,  -- not needed: attempted or closed in time
    UNIQUE (callback_id, level, threshold)
);
CREATE INDEX alerts_pending ON alerts (fire_at)
    WHERE fired_at IS NULL AND void_at IS NULL;
CREATE INDEX alerts_unsent ON alerts (send_until)
    WHERE fired_at IS NOT NULL AND sent_at IS NULL;
CREATE INDEX alerts_fired ON alerts (fired_at) WHERE fired_at IS NOT NULL;

-- Open callbacks from before this migration get their breach alert.
INSERT INTO alerts (callback_id, level, threshold, fire_at)
SELECT id, 'breached', 1, due_at FROM callbacks
WHERE state IN ('queued', 'claimed') AND first_attempt_at IS NULL;

-- Plans (or moves, after an urgency upgrade) a callback's alerts. Alerts
-- already fired stay as they are.
CREATE FUNCTION cbd_alerts_plan(p_id uuid, p_fracs numeric[], p_times_ms bigint[],
    p_due timestamptz)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO alerts (callback_id, level, threshold, fire_at)
    SELECT p_id, 'at_risk', f, cbd_ts(t) FROM unnest(p_fracs, p_times_ms) AS w(f, t)
    UNION ALL SELECT p_id, 'breached', 1, p_due
    ON CONFLICT (callback_id, level, threshold) DO UPDATE
        SET fire_at = excluded.fire_at
        WHERE alerts.fired_at IS NULL AND alerts.void_at IS NULL
$$;

-- Takes the alerts that are due for delivery: those whose time has come
-- (voiding the ones whose callback was attempted or closed meanwhile),
-- and those another daemon took but did not deliver within its claim.
-- Row locks with SKIP LOCKED: each alert goes to one daemon.
CREATE FUNCTION cbd_alerts_take(p_limit integer, p_claim interval)
RETURNS TABLE (id bigint, callback_id uuid, level text, threshold numeric,
    site text, topic text, due_at timestamptz, fire_at timestamptz)
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE alerts a SET void_at = now()
    FROM callbacks c
    WHERE c.id = a.callback_id AND a.fired_at IS NULL AND a.void_at IS NULL
      AND a.fire_at <= now()
      AND (c.first_attempt_at IS NOT NULL OR c.state NOT IN ('queued', 'claimed'));

    RETURN QUERY
    WITH due AS (
        SELECT a.id FROM alerts a
        WHERE a.void_at IS NULL AND a.sent_at IS NULL
          AND ((a.fired_at IS NULL AND a.fire_at <= now())
            OR (a.fired_at IS NOT NULL AND a.send_until < now()))
        ORDER BY a.fire_at
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED)
    UPDATE alerts a SET fired_at = coalesce(a.fired_at, now()),
        send_until = now() + p_claim
    FROM due, callbacks c
    WHERE a.id = due.id AND c.id = a.callback_id
    RETURNING a.id, a.callback_id, a.level, a.threshold, c.site, c.topic,
        c.due_at, a.fire_at;
END $$;
