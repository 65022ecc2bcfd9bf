-- callbackd schema, migration 16: an idempotency key belongs to one request
-- of one sender, an assignee is a caseworker, and a merge keeps what the
-- repeated request adds.
--
-- Keys. A key (idem:... or call:...) is now scoped to the token that sent
-- it (scope: tokens.id), so two telephony systems never meet on one, and
-- stored with the fingerprint of its request (SHA-256 hex of the
-- normalised fields, computed by the daemon). The same key with another
-- fingerprint is refused ('conflict_idem', 'conflict_call') and nothing is
-- written. Keys stored before this migration have scope 0 and no
-- fingerprint: they match any sender and any request, so that a retry
-- across the upgrade is still a replay.
--
-- Assignees. A request naming an assignee that is not an active caseworker
-- is refused ('unknown_assignee'); the caseworker's row is share-locked
-- until the commit, so a deactivation cannot slip in between.
--
-- Merges. A repeated request for an open callback fills what the callback
-- lacks (name, customer_ref, call_id; language only where the first
-- request named none, assignee only where it had none), appends its note
-- after the time it came, and narrows the window (a later not_before, an
-- earlier not_after) unless that would leave no time at all. The merged
-- event says which fields changed, never their values.

ALTER TABLE callback_keys ADD COLUMN scope bigint NOT NULL DEFAULT 0,
    ADD COLUMN fingerprint text;
ALTER TABLE callback_keys DROP CONSTRAINT callback_keys_pkey,
    ADD PRIMARY KEY (scope, key);

-- Whether the request named its language; rows from before: as if it had.
ALTER TABLE callbacks ADD COLUMN language_given boolean NOT NULL DEFAULT true;

-- Languages were stored as given (de-DE, TR): open callbacks and the
-- caseworkers' profiles now speak primary tags, as the daemon does.
UPDATE callbacks SET language = lower(split_part(language, '-', 1)),
    updated_at = now()
WHERE state IN ('queued', 'claimed')
  AND language <> lower(split_part(language, '-', 1));
UPDATE caseworkers w SET languages = ARRAY(
        SELECT l FROM (SELECT lower(split_part(x, '-', 1)) AS l, min(o) AS o
                       FROM unnest(w.languages) WITH ORDINALITY AS u(x, o)
                       GROUP BY 1) s
        ORDER BY s.o),
    updated_at = now()
WHERE EXISTS (SELECT 1 FROM unnest(w.languages) x
              WHERE x <> lower(split_part(x, '-', 1)));

-- A note appended to a callback's note: after a line with the time it
-- came, in UTC to the minute, within p_max bytes (the daemon's
-- CBD_NOTE_MAX): what does not fit of the new note is cut, the merge
-- itself never fails. A note the callback already ends with is not
-- repeated.
CREATE FUNCTION cbd_note_append(p_old text, p_new text, p_at timestamptz,
    p_max integer DEFAULT 2000)
RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_head text;
    v_room integer;
    v_n integer;
BEGIN
    IF p_new IS NULL OR p_new = '' THEN
        RETURN p_old;
    END IF;
    IF p_old IS NULL OR p_old = '' THEN
        RETURN p_new;
    END IF;
    IF right(p_old, length(p_new)) = p_new THEN
        RETURN p_old;
    END IF;
    v_head := p_old || E'\n[' ||
        to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI"Z"') || '] ';
    v_room := p_max - octet_length(v_head);
    v_n := least(length(p_new), v_room);
    -- a character is at most 4 bytes: cut at least what is too much / 4
    WHILE v_n > 0 AND octet_length(left(p_new, v_n)) > v_room LOOP
        v_n := v_n - greatest(1, (octet_length(left(p_new, v_n)) - v_room + 3) / 4);
    END LOOP;
    IF v_n <= 0 THEN
        RETURN p_old;
    END IF;
    RETURN v_head || left(p_new, v_n);
END $$;

DROP FUNCTION cbd_intake(text[], text, text, text, text, boolean, text, text,
    text, text, text, timestamptz, timestamptz, timestamptz, timestamptz,
    timestamptz, text, jsonb);
CREATE FUNCTION cbd_intake(
    p_keys text[], p_phone text, p_topic text, p_site text, p_language text,
    p_urgent boolean, p_assignee text, p_name text, p_customer_ref text,
    p_note text, p_call_id text, p_requested_at timestamptz,
    p_received_at timestamptz, p_due_at timestamptz,
    p_not_before timestamptz, p_not_after timestamptz, p_actor text,
    p_warn jsonb DEFAULT NULL, p_scope bigint DEFAULT 0,
    p_fingerprint text DEFAULT NULL, p_language_given boolean DEFAULT true)
RETURNS TABLE (outcome text, cb callbacks)
LANGUAGE plpgsql AS $$
DECLARE
    v_lock bigint;
    v_id uuid;
    v_key text;
    v_old callbacks;
    v_nb timestamptz;
    v_na timestamptz;
    v_note text;
    v_language text;
    v_changed text[];
    v_outcome text;
BEGIN
    -- a key's lock is its sender's: scope/key
    FOR v_lock IN
        SELECT DISTINCT hashtextextended(k, 0) AS h
        FROM unnest(ARRAY(SELECT p_scope || '/' || x FROM unnest(p_keys) AS x)
                    || ('open:' || p_phone || '|' || p_topic)) AS k
        ORDER BY h
    LOOP
        PERFORM pg_advisory_xact_lock(v_lock);
    END LOOP;

    IF cardinality(p_keys) > 0 THEN
        -- NULL on either side (a key from before, a request without one)
        -- is no conflict
        SELECT ck.key INTO v_key FROM callback_keys ck
        WHERE ck.scope IN (0, p_scope) AND ck.key = ANY (p_keys)
          AND ck.fingerprint <> p_fingerprint
        ORDER BY ck.key DESC LIMIT 1;
        IF FOUND THEN
            RETURN QUERY SELECT 'conflict_' || split_part(v_key, ':', 1),
                NULL::callbacks;
            RETURN;
        END IF;
        SELECT ck.callback_id INTO v_id FROM callback_keys ck
        WHERE ck.scope IN (0, p_scope) AND ck.key = ANY (p_keys) LIMIT 1;
        IF FOUND THEN
            RETURN QUERY SELECT 'replayed'::text, c FROM callbacks c WHERE c.id = v_id;
            RETURN;
        END IF;
    END IF;

    IF p_assignee IS NOT NULL THEN
        PERFORM 1 FROM caseworkers w WHERE w.id = p_assignee AND w.active
        FOR SHARE;
        IF NOT FOUND THEN
            RETURN QUERY SELECT 'unknown_assignee'::text, NULL::callbacks;
            RETURN;
        END IF;
    END IF;

    SELECT c.* INTO v_old FROM callbacks c
    WHERE c.phone = p_phone AND c.topic = p_topic
      AND c.state IN ('queued', 'claimed')
    FOR UPDATE;
    IF FOUND THEN
        v_id := v_old.id;
        v_nb := greatest(v_old.not_before, p_not_before);
        v_na := least(v_old.not_after, p_not_after);
        IF v_nb >= v_na THEN -- the windows do not meet: keep the first
            v_nb := v_old.not_before;
            v_na := v_old.not_after;
        END IF;
        v_note := cbd_note_append(v_old.note, p_note, p_received_at);
        v_language := CASE WHEN p_language_given AND NOT v_old.language_given
                           THEN p_language ELSE v_old.language END;
        v_changed := array_remove(ARRAY[
            CASE WHEN v_old.name IS NULL AND p_name IS NOT NULL THEN 'name' END,
            CASE WHEN v_old.customer_ref IS NULL AND p_customer_ref IS NOT NULL
                 THEN 'customer_ref' END,
            CASE WHEN v_note IS DISTINCT FROM v_old.note THEN 'note' END,
            CASE WHEN v_language <> v_old.language THEN 'language' END,
            CASE WHEN v_old.assignee IS NULL AND p_assignee IS NOT NULL
                 THEN 'assignee' END,
            CASE WHEN v_nb IS DISTINCT FROM v_old.not_before
                   OR v_na IS DISTINCT FROM v_old.not_after THEN 'window' END],
            NULL);
        UPDATE callbacks c SET request_count = c.request_count + 1,
            urgent = c.urgent OR p_urgent,
            name = coalesce(c.name, p_name),
            customer_ref = coalesce(c.customer_ref, p_customer_ref),
            call_id = coalesce(c.call_id, p_call_id),
            note = v_note,
            language = v_language,
            language_given = c.language_given OR p_language_given,
            assignee = coalesce(c.assignee, p_assignee),
            not_before = v_nb, not_after = v_na,
            updated_at = now()
        WHERE c.id = v_id;
        v_outcome := CASE WHEN p_urgent AND NOT v_old.urgent
                          THEN 'merged_raised' ELSE 'merged' END;
        INSERT INTO events (callback_id, actor, kind, data)
        VALUES (v_id, p_actor, 'merged', jsonb_build_object(
            'urgent', p_urgent, 'urgency_raised', v_outcome = 'merged_raised',
            'site', p_site, 'changed', to_jsonb(v_changed)));
    ELSE
        INSERT INTO callbacks (phone, topic, site, language, language_given,
            urgent, assignee, name, customer_ref, note, call_id, requested_at,
            received_at, due_at, not_before, not_after, alert_warn, alert_at)
        VALUES (p_phone, p_topic, p_site, p_language, p_language_given,
            p_urgent, p_assignee, p_name, p_customer_ref, p_note, p_call_id,
            p_requested_at, p_received_at, p_due_at, p_not_before, p_not_after,
            p_warn,
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
        INSERT INTO callback_keys (scope, key, callback_id, fingerprint)
        SELECT p_scope, k, v_id, p_fingerprint FROM unnest(p_keys) AS k;
    END IF;

    RETURN QUERY SELECT v_outcome, c FROM callbacks c WHERE c.id = v_id;
END $$;

-- Batched intake with scoped keys, fingerprints and assignee checks: a
-- request may carry scope, fingerprint and language_given (absent, from a
-- daemon of an earlier version: scope 0, no fingerprint, given). New
-- callbacks of the batch are written set-wise only when their assignee
-- (if any) is an active caseworker; every other request, also two under
-- one key in this batch, goes through cbd_intake in batch order, which
-- gives the second the replay or the conflict. A refused request has its
-- outcome and no row. Otherwise as in migration 15.
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
             LATERAL (SELECT coalesce((e->>'scope')::bigint, 0) || '/' || x
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
                   coalesce((t.e->>'scope')::bigint, 0) AS scope,
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
                    WHERE ck.scope IN (0, x.scope) AND ck.key = ANY (x.keys))
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
                coalesce((f.r->>'language_given')::boolean, true),
                f.r->>'assignee', f.r->>'name', f.r->>'customer_ref',
                f.r->>'note', f.r->>'call_id',
                cbd_ts((f.r->>'requested_at')::bigint),
                cbd_ts((f.r->>'received_at')::bigint),
                cbd_ts((f.r->>'due_at')::bigint),
                cbd_ts((f.r->>'not_before')::bigint),
                cbd_ts((f.r->>'not_after')::bigint), f.r->'warn',
                coalesce(cbd_ts((f.r->>'alert_at')::bigint),
                    CASE WHEN f.r->'warn' IS NOT NULL
                         THEN cbd_alert_next(f.r->'warn',
                              cbd_ts((f.r->>'due_at')::bigint), '-infinity') END)
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
                r->>'actor', r->'warn', coalesce((r->>'scope')::bigint, 0),
                r->>'fingerprint', coalesce((r->>'language_given')::boolean, true)) x;
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

-- A key's fingerprint is a hash of the caller's phone, name and note:
-- erasing a callback's personal data erases its keys too (a retry that
-- late is a new request). Otherwise as in migration 7.
CREATE OR REPLACE FUNCTION cbd_erase_personal(p_older_than interval, p_limit integer)
RETURNS integer LANGUAGE sql AS $$
    WITH old AS (
        SELECT id FROM callbacks
        WHERE erased_at IS NULL AND closed_at IS NOT NULL
          AND closed_at < now() - p_older_than
        ORDER BY closed_at
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED),
    erased AS (
        UPDATE callbacks c SET phone = NULL, name = NULL, customer_ref = NULL,
            note = NULL, erased_at = now()
        FROM old WHERE c.id = old.id
        RETURNING c.id),
    notes AS (
        UPDATE attempts a SET note = NULL
        FROM erased WHERE a.callback_id = erased.id AND a.note IS NOT NULL),
    keys AS (
        DELETE FROM callback_keys k USING erased WHERE k.callback_id = erased.id),
    logged AS (
        INSERT INTO events (callback_id, actor, kind, data)
        SELECT id, 'callbackd', 'personal_data_erased',
            jsonb_build_object('retention', p_older_than::text)
        FROM erased)
    SELECT count(*)::integer FROM erased
$$;
