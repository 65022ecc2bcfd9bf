-- Takes fired alerts not yet accepted by the webhook, whose next try has
-- come and that no other daemon is trying right now.
CREATE OR REPLACE FUNCTION cbd_webhook_take(p_limit integer, p_claim interval)
RETURNS TABLE (id bigint, callback_id uuid, level text, threshold numeric,
    site text, topic text, due_at timestamptz, fire_at timestamptz,
    fired_at timestamptz, tries integer)
LANGUAGE sql AS $$
    WITH due AS (
        SELECT a.id FROM alerts a
        WHERE a.fired_at IS NOT NULL AND a.webhook_sent_at IS NULL
          AND a.void_at IS NULL
          AND coalesce(a.webhook_next_at, a.fired_at) <= now()
          AND (a.webhook_until IS NULL OR a.webhook_until < now())
        ORDER BY a.fired_at
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED)
    UPDATE alerts a SET webhook_until = now() + p_claim,
        webhook_tries = a.webhook_tries + 1
    FROM due, callbacks c
    WHERE a.id = due.id AND c.id = a.callback_id
    RETURNING a.id, a.callback_id, a.level, a.threshold, c.site, c.topic,
        c.due_at, a.fire_at, a.fired_at, a.webhook_tries
$$;
