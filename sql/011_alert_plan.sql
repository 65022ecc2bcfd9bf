-- callbackd schema, migration 11: a callback carries its alert plan; an
-- alert becomes a row when it fires.
--
-- Intake planned four alert rows per callback (three at-risk warnings and
-- the breach), each with three index entries and a foreign-key check:
-- pgbench on cbd_intake_batch took 9 200 intakes/s with them and 14 500/s
-- without. Most of those rows were never used: a callback attempted in
-- time fires none. Now a callback has
--   alert_warn  its at-risk warnings, [[threshold, fire time ms], ...],
--               planned at intake from the calendars; the breach is due_at
--   alert_at    when its next alert is due; NULL when none is, which an
--               attempt or closing sets by itself (callbacks_alert_void)
-- and the watchdog takes callbacks whose alert_at has come, writes the
-- alerts due by then (the unique key keeps each to one row, whichever
-- daemon gets there) and moves alert_at on to the next.

ALTER TABLE callbacks ADD COLUMN alert_warn jsonb, ADD COLUMN alert_at timestamptz;
CREATE INDEX callbacks_alert_at ON callbacks (alert_at) WHERE alert_at IS NOT NULL;

-- Planned rows become plans; fired ones stay as they are.
UPDATE callbacks c SET alert_warn = p.warn, alert_at = p.next
FROM (SELECT a.callback_id,
             coalesce(jsonb_agg(jsonb_build_array(a.threshold, cbd_ms(a.fire_at))
                                ORDER BY a.fire_at) FILTER (WHERE a.level = 'at_risk'),
                      '[]'::jsonb) AS warn,
             min(a.fire_at) FILTER (WHERE a.fired_at IS NULL AND a.void_at IS NULL)
                 AS next
      FROM alerts a GROUP BY a.callback_id) p
WHERE p.callback_id = c.id AND c.state IN ('queued', 'claimed')
  AND c.first_attempt_at IS NULL;
DELETE FROM alerts WHERE fired_at IS NULL;
DROP INDEX alerts_pending;

-- An attempted or closed callback has no alert to come.
CREATE FUNCTION cbd_alert_void() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.alert_at := NULL;
    RETURN NEW;
END $$;
CREATE TRIGGER callbacks_alert_void BEFORE UPDATE ON callbacks FOR EACH ROW
    WHEN (NEW.alert_at IS NOT NULL AND (NEW.first_attempt_at IS NOT NULL
          OR NEW.state NOT IN ('queued', 'claimed')))
    EXECUTE FUNCTION cbd_alert_void();

-- The next alert of a plan after p_after: the earliest warning or the
-- breach still ahead. PL/pgSQL, so that its plan is kept (migration 10).
CREATE FUNCTION cbd_alert_next(p_warn jsonb, p_due timestamptz, p_after timestamptz)
RETURNS timestamptz LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT min(x.t) FROM (
        SELECT cbd_ts((w->>1)::bigint) FROM jsonb_array_elements(coalesce(p_warn, '[]')) w
        UNION ALL SELECT p_due) x(t)
    WHERE x.t > p_after);
END $$;

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

-- Takes the alerts that are due for delivery: those whose time has come,
-- written now, and those another daemon took but did not deliver within
-- its claim. Row locks with SKIP LOCKED: each alert goes to one daemon.
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
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED)
    UPDATE alerts a SET send_until = now() + p_claim
    FROM due, callbacks c
    WHERE a.id = due.id AND c.id = a.callback_id
    RETURNING a.id, a.callback_id, a.level, a.threshold, c.site, c.topic,
        c.due_at, a.fire_at;
END $$;

-- Intake writes the plan with the row, when the caller has it (p_warn:
-- the at-risk warnings, [[threshold, ms], ...]); without, the caller
-- plans after (cbd_alerts_plan). Otherwise as in migration 1.
DROP FUNCTION cbd_intake(text[], text, text, text, text, boolean, text, text,
    text, text, text, timestamptz, timestamptz, timestamptz, timestamptz,
    timestamptz, text);
CREATE FUNCTION cbd_intake(
    p_keys text[], p_phone text, p_topic text, p_site text, p_language text,
    p_urgent boolean, p_assignee text, p_name text, p_customer_ref text,
    p_note text, p_call_id text, p_requested_at timestamptz,
    p_received_at timestamptz, p_due_at timestamptz,
    p_not_before timestamptz, p_not_after timestamptz, p_actor text,
    p_warn jsonb DEFAULT NULL)
RETURNS TABLE (outcome text, cb callbacks)
LANGUAGE plpgsql AS $$
DECLARE
    v_lock bigint;
    v_id uuid;
    v_urgent boolean;
    v_outcome text;
BEGIN
    FOR v_lock IN
        SELECT DISTINCT hashtextextended(k, 0) AS h
        FROM unnest(p_keys || ('open:' || p_phone || '|' || p_topic)) AS k
        ORDER BY h
    LOOP
        PERFORM pg_advisory_xact_lock(v_lock);
    END LOOP;

    IF cardinality(p_keys) > 0 THEN
        SELECT ck.callback_id INTO v_id FROM callback_keys ck
        WHERE ck.key = ANY (p_keys) LIMIT 1;
        IF FOUND THEN
            RETURN QUERY SELECT 'replayed'::text, c FROM callbacks c WHERE c.id = v_id;
            RETURN;
        END IF;
    END IF;

    SELECT c.id, c.urgent INTO v_id, v_urgent FROM callbacks c
    WHERE c.phone = p_phone AND c.topic = p_topic
      AND c.state IN ('queued', 'claimed')
    FOR UPDATE;
    IF FOUND THEN
        UPDATE callbacks c SET request_count = c.request_count + 1,
            urgent = c.urgent OR p_urgent, updated_at = now()
        WHERE c.id = v_id;
        v_outcome := CASE WHEN p_urgent AND NOT v_urgent
                          THEN 'merged_raised' ELSE 'merged' END;
        INSERT INTO events (callback_id, actor, kind, data)
        VALUES (v_id, p_actor, 'merged', jsonb_build_object(
            'urgent', p_urgent, 'urgency_raised', v_outcome = 'merged_raised',
            'site', p_site));
    ELSE
        INSERT INTO callbacks (phone, topic, site, language, urgent, assignee,
            name, customer_ref, note, call_id, requested_at, received_at,
            due_at, not_before, not_after, alert_warn, alert_at)
        VALUES (p_phone, p_topic, p_site, p_language, p_urgent, p_assignee,
            p_name, p_customer_ref, p_note, p_call_id, p_requested_at,
            p_received_at, p_due_at, p_not_before, p_not_after, p_warn,
            CASE WHEN p_warn IS NOT NULL
                 THEN cbd_alert_next(p_warn, p_due_at, '-infinity') END)
        RETURNING id INTO v_id;
        v_outcome := 'created';
        INSERT INTO events (callback_id, actor, kind, data)
        VALUES (v_id, p_actor, 'created', jsonb_build_object(
            'site', p_site, 'topic', p_topic, 'urgent', p_urgent,
            'due_at', p_due_at));
    END IF;

    IF cardinality(p_keys) > 0 THEN
        INSERT INTO callback_keys (key, callback_id)
        SELECT k, v_id FROM unnest(p_keys) AS k;
    END IF;

    RETURN QUERY SELECT v_outcome, c FROM callbacks c WHERE c.id = v_id;
END $$;

-- Batched intake passes each request's plan (key warn) to cbd_intake.
-- Otherwise as in migration 9.
CREATE OR REPLACE FUNCTION cbd_intake_batch(p jsonb)
RETURNS TABLE (i integer, outcome text, cb callbacks)
LANGUAGE plpgsql AS $$
DECLARE
    r jsonb;
    n integer := 0;
    v_lock bigint;
    v_res record;
BEGIN
    FOR v_lock IN
        SELECT DISTINCT hashtextextended(k, 0) AS h
        FROM jsonb_array_elements(p) AS e,
             LATERAL (SELECT jsonb_array_elements_text(e->'keys')
                      UNION ALL
                      SELECT 'open:' || (e->>'phone') || '|' || (e->>'topic')) AS x(k)
        ORDER BY h
    LOOP
        PERFORM pg_advisory_xact_lock(v_lock);
    END LOOP;

    FOR r IN SELECT e FROM jsonb_array_elements(p) AS e LOOP
        BEGIN
            SELECT x.outcome, x.cb INTO v_res FROM cbd_intake(
                ARRAY(SELECT jsonb_array_elements_text(r->'keys')),
                r->>'phone', r->>'topic', r->>'site', r->>'language', false,
                r->>'assignee', r->>'name', r->>'customer_ref', r->>'note',
                r->>'call_id', cbd_ts((r->>'requested_at')::bigint),
                cbd_ts((r->>'received_at')::bigint), cbd_ts((r->>'due_at')::bigint),
                cbd_ts((r->>'not_before')::bigint), cbd_ts((r->>'not_after')::bigint),
                r->>'actor', r->'warn') x;
            i := n;
            outcome := v_res.outcome;
            cb := v_res.cb;
        EXCEPTION WHEN OTHERS THEN
            RAISE WARNING 'cbd_intake_batch: request % failed: %', n, SQLSTATE;
            i := n;
            outcome := 'error';
            cb := NULL;
        END;
        RETURN NEXT;
        n := n + 1;
    END LOOP;
END $$;
