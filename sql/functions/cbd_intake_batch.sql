-- Group commit of intake: requests that arrive together are taken in one
-- statement, so they share one commit. p is a JSON array of objects with
-- keys (text array), scope, fingerprint, phone, topic, site, language,
-- language_given, assignee, name, customer_ref, note, call_id,
-- requested_at, received_at, due_at, not_before, not_after, alert_at
-- (ms; the first alert of the plan the daemon made), warn, actor. Returns
-- one row per element, i from 0, in order; outcome 'error' (and no row)
-- for one that failed, a refused request its outcome and no row. Only
-- non-urgent requests come this way (an urgent one may raise a merged
-- callback's deadline, which the daemon computes from the calendars).
-- The batch takes the locks of all its requests first, in the order
-- every single intake uses, so that batches never wait for each other in
-- a circle. New callbacks (keys unknown, nothing open for their phone and
-- topic, no other request of the batch sharing either, assignee if any an
-- active caseworker) are written set-wise, with one INSERT each into
-- callbacks, events and callback_keys under one savepoint; every other
-- request goes one by one through cbd_intake under its own, in batch
-- order, which gives the second of two under one key the replay or the
-- conflict. If the set-wise INSERT fails, every request goes one by one,
-- so the refused one fails alone.
CREATE OR REPLACE FUNCTION cbd_intake_batch(p jsonb)
RETURNS TABLE (i integer, outcome text, cb callbacks)
LANGUAGE plpgsql AS $$
DECLARE
    r jsonb;
    n integer;
    v_lock bigint;
    v_res record;
    v_new integer[] := '{}';
    v_rows callbacks[];
BEGIN
    FOR v_lock IN
        SELECT DISTINCT hashtextextended(k, 0) AS h
        FROM jsonb_array_elements(p) AS e,
             LATERAL (SELECT (e->>'scope')::bigint || '/' || x
                      FROM jsonb_array_elements_text(e->'keys') AS x
                      UNION ALL
                      SELECT 'open:' || (e->>'phone') || '|' || (e->>'topic')) AS y(k)
        ORDER BY h
    LOOP
        PERFORM pg_advisory_xact_lock(v_lock);
    END LOOP;
    -- the batch's assignees stay active until the commit
    PERFORM 1 FROM caseworkers w
    WHERE w.id IN (SELECT e->>'assignee' FROM jsonb_array_elements(p) AS e)
      AND w.active
    ORDER BY w.id FOR SHARE;

    BEGIN
        WITH x AS (
            SELECT (t.o - 1)::integer AS i, t.e AS r, t.e->>'phone' AS phone,
                   t.e->>'topic' AS topic,
                   (t.e->>'scope')::bigint AS scope,
                   ARRAY(SELECT jsonb_array_elements_text(t.e->'keys')) AS keys
            FROM jsonb_array_elements(p) WITH ORDINALITY AS t(e, o)),
        keyed AS (SELECT x.i, k FROM x, unnest(x.keys) AS k),
        fresh AS (
            SELECT x.* FROM x
            WHERE NOT EXISTS (
                    SELECT 1 FROM x y
                    WHERE y.phone = x.phone AND y.topic = x.topic AND y.i <> x.i)
              AND NOT EXISTS (
                    SELECT 1 FROM keyed a JOIN keyed b ON b.k = a.k AND b.i <> a.i
                    WHERE a.i = x.i)
              AND NOT EXISTS (
                    SELECT 1 FROM callback_keys ck
                    WHERE ck.scope = x.scope AND ck.key = ANY (x.keys))
              AND NOT EXISTS (
                    SELECT 1 FROM callbacks c
                    WHERE c.phone = x.phone AND c.topic = x.topic
                      AND c.state IN ('queued', 'claimed'))
              AND (x.r->>'assignee' IS NULL OR EXISTS (
                    SELECT 1 FROM caseworkers w
                    WHERE w.id = x.r->>'assignee' AND w.active))),
        made AS (
            INSERT INTO callbacks (phone, topic, site, language, language_given,
                assignee, name, customer_ref, note, call_id, requested_at,
                received_at, due_at, not_before, not_after, alert_warn, alert_at)
            SELECT f.phone, f.topic, f.r->>'site', f.r->>'language',
                (f.r->>'language_given')::boolean,
                f.r->>'assignee', f.r->>'name', f.r->>'customer_ref',
                f.r->>'note', f.r->>'call_id',
                cbd_ts((f.r->>'requested_at')::bigint),
                cbd_ts((f.r->>'received_at')::bigint),
                cbd_ts((f.r->>'due_at')::bigint),
                cbd_ts((f.r->>'not_before')::bigint),
                cbd_ts((f.r->>'not_after')::bigint), f.r->'warn',
                cbd_ts((f.r->>'alert_at')::bigint)
            FROM fresh f ORDER BY f.i
            RETURNING *),
        -- phone and topic are unique among the fresh requests
        pairs AS (
            SELECT f.i, f.r, f.keys, f.scope, m.id, m.site, m.topic, m.due_at,
                   ROW(m.*)::callbacks AS made_row
            FROM made m
            JOIN fresh f ON f.phone = m.phone AND f.topic = m.topic),
        ev AS (
            INSERT INTO events (callback_id, actor, kind, data)
            SELECT s.id, s.r->>'actor', 'created', jsonb_build_object(
                'site', s.site, 'topic', s.topic, 'urgent', false,
                'due_at', s.due_at)
            FROM pairs s ORDER BY s.i),
        ks AS (
            INSERT INTO callback_keys (scope, key, callback_id, fingerprint)
            SELECT s.scope, k, s.id, s.r->>'fingerprint'
            FROM pairs s, unnest(s.keys) AS k)
        SELECT coalesce(array_agg(s.i ORDER BY s.i), '{}'),
               coalesce(array_agg(s.made_row ORDER BY s.i), '{}')
        INTO v_new, v_rows FROM pairs s;
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'cbd_intake_batch: set-wise insert failed: %, one by one',
            SQLSTATE;
        v_new := '{}';
    END;

    RETURN QUERY
    SELECT s.i, 'created'::text, v_rows[s.k]
    FROM unnest(v_new) WITH ORDINALITY AS s(i, k);

    FOR r, n IN
        SELECT t.e, (t.o - 1)::integer FROM jsonb_array_elements(p)
            WITH ORDINALITY AS t(e, o)
        WHERE (t.o - 1)::integer <> ALL (v_new) ORDER BY t.o
    LOOP
        BEGIN
            SELECT x.outcome, x.cb INTO v_res FROM cbd_intake(
                ARRAY(SELECT jsonb_array_elements_text(r->'keys')),
                r->>'phone', r->>'topic', r->>'site', r->>'language', false,
                r->>'assignee', r->>'name', r->>'customer_ref', r->>'note',
                r->>'call_id', cbd_ts((r->>'requested_at')::bigint),
                cbd_ts((r->>'received_at')::bigint), cbd_ts((r->>'due_at')::bigint),
                cbd_ts((r->>'not_before')::bigint), cbd_ts((r->>'not_after')::bigint),
                r->>'actor', r->'warn', (r->>'scope')::bigint,
                r->>'fingerprint', (r->>'language_given')::boolean) x;
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
    END LOOP;
END $$;
