-- Takes the alerts that are due for delivery: those whose time has come,
-- written now, and those another daemon took but did not deliver within
-- its claim. Row locks with SKIP LOCKED: each alert goes to one daemon.
-- About p_limit alerts in all: a callback's warnings are written together,
-- so the last callback may bring a few more.
CREATE OR REPLACE FUNCTION cbd_alerts_take(p_limit integer, p_claim interval)
RETURNS TABLE (id bigint, callback_id uuid, level text, threshold numeric,
    site text, topic text, due_at timestamptz, fire_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    v_cb record;
    v_new bigint[] := '{}';
    v_ids bigint[];
BEGIN
    FOR v_cb IN
        SELECT c.id, c.alert_warn, c.due_at, c.first_attempt_at IS NULL
            AND c.state IN ('queued', 'claimed') AS open
        FROM callbacks c
        WHERE c.alert_at <= now()
        ORDER BY c.alert_at
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED
    LOOP
        EXIT WHEN cardinality(v_new) >= p_limit;
        WITH plan AS (
            SELECT 'at_risk' AS level, (w->>0)::numeric AS threshold,
                   cbd_ts((w->>1)::bigint) AS at
            FROM jsonb_array_elements(coalesce(v_cb.alert_warn, '[]')) w
            UNION ALL SELECT 'breached', 1, v_cb.due_at),
        written AS (
            INSERT INTO alerts AS a (callback_id, level, threshold, fire_at,
                fired_at, send_until)
            SELECT v_cb.id, p.level, p.threshold, p.at, now(), now() + p_claim
            FROM plan p WHERE p.at <= now() AND v_cb.open
            ON CONFLICT ON CONSTRAINT alerts_callback_id_level_threshold_key DO NOTHING
            RETURNING a.id)
        SELECT array_agg(written.id) INTO v_ids FROM written;
        v_new := v_new || coalesce(v_ids, '{}');
        UPDATE callbacks c
        SET alert_at = CASE WHEN v_cb.open
                            THEN cbd_alert_next(v_cb.alert_warn, v_cb.due_at, now()) END
        WHERE c.id = v_cb.id;
    END LOOP;

    RETURN QUERY
    SELECT a.id, a.callback_id, a.level, a.threshold, c.site, c.topic,
        c.due_at, a.fire_at
    FROM alerts a JOIN callbacks c ON c.id = a.callback_id
    WHERE a.id = ANY (v_new)
    ORDER BY a.fire_at, a.id;

    RETURN QUERY
    WITH due AS (
        SELECT a.id FROM alerts a
        WHERE a.fired_at IS NOT NULL AND a.sent_at IS NULL
          AND a.void_at IS NULL AND a.send_until < now()
        ORDER BY a.send_until
        LIMIT greatest(p_limit - cardinality(v_new), 0)
        FOR UPDATE SKIP LOCKED)
    UPDATE alerts a SET send_until = now() + p_claim
    FROM due, callbacks c
    WHERE a.id = due.id AND c.id = a.callback_id
    RETURNING a.id, a.callback_id, a.level, a.threshold, c.site, c.topic,
        c.due_at, a.fire_at;
END $$;
