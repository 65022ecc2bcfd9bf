-- callbackd schema, migration 9: group commit of intake. Requests that
-- arrive together are taken in one statement, so they share one commit;
-- each still runs cbd_intake under its own savepoint (a failing one fails
-- alone) and, when it created a callback, plans its alerts. Only
-- non-urgent requests come this way: an urgent one may raise a merged
-- callback's deadline, which the daemon computes from the calendars in
-- the same transaction. Several batches may run at once: each takes the
-- locks of all its requests first, in the order every single intake also
-- uses (ascending lock key), so that batches never wait for each other in
-- a circle; cbd_intake takes the same locks again, which costs nothing.
--
-- p: a JSON array of objects with keys (text array), phone, topic, site,
-- language, assignee, name, customer_ref, note, call_id, requested_at,
-- received_at, due_at, not_before, not_after (ms), actor, warn_frac
-- (numbers), warn_at (ms). Returns one row per element, i from 0, in
-- order; outcome 'error' (and no row) for one that failed.

CREATE FUNCTION cbd_intake_batch(p jsonb)
RETURNS TABLE (i integer, outcome text, cb callbacks)
LANGUAGE plpgsql AS $$
DECLARE
    r jsonb;
    n integer := 0;
    v_lock bigint;
    v_res record;
    v_outcome text;
    v_cb callbacks;
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
                r->>'actor') x;
            v_outcome := v_res.outcome;
            v_cb := v_res.cb;
            IF v_outcome = 'created' THEN
                PERFORM cbd_alerts_plan((v_cb).id,
                    ARRAY(SELECT jsonb_array_elements_text(r->'warn_frac'))::numeric[],
                    ARRAY(SELECT jsonb_array_elements_text(r->'warn_at'))::bigint[],
                    cbd_ts((r->>'due_at')::bigint));
            END IF;
            i := n;
            outcome := v_outcome;
            cb := v_cb;
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
