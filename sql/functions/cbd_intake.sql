-- Intake of one request, inside the caller's transaction. Advisory locks
-- on every key (a key is its sender's: scope is the token's id) and on
-- phone+topic, taken in one order, make concurrent requests (from any
-- number of daemons) wait for each other instead of racing. A key known
-- with another fingerprint (SHA-256 hex of the normalised request,
-- computed by the daemon) is refused ('conflict_idem', 'conflict_call'),
-- a known key replays ('replayed'), an assignee that is not an active
-- caseworker is refused ('unknown_assignee'; the caseworker's row is
-- share-locked until the commit). An open callback with the same phone
-- and topic absorbs the request ('merged', or 'merged_raised' when it
-- made the callback urgent: the caller computes the new due time and
-- calls cbd_intake_raise in the same transaction): it fills what the
-- callback lacks (name, customer_ref, call_id; language only where the
-- first request named none, assignee only where it had none), appends
-- its note, and narrows the window unless that would leave no time at
-- all; the merged event says which fields changed, never their values.
-- Otherwise a new callback is made ('created'), with the alert plan
-- p_warn if one is given.
CREATE OR REPLACE FUNCTION cbd_intake(
    p_keys text[], p_phone text, p_topic text, p_site text, p_language text,
    p_urgent boolean, p_assignee text, p_name text, p_customer_ref text,
    p_note text, p_call_id text, p_requested_at timestamptz,
    p_received_at timestamptz, p_due_at timestamptz,
    p_not_before timestamptz, p_not_after timestamptz, p_actor text,
    p_warn jsonb, p_scope bigint, p_fingerprint text, p_language_given boolean)
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
        SELECT ck.key INTO v_key FROM callback_keys ck
        WHERE ck.scope = p_scope AND ck.key = ANY (p_keys)
          AND ck.fingerprint <> p_fingerprint
        ORDER BY ck.key DESC LIMIT 1;
        IF FOUND THEN
            RETURN QUERY SELECT 'conflict_' || split_part(v_key, ':', 1),
                NULL::callbacks;
            RETURN;
        END IF;
        SELECT ck.callback_id INTO v_id FROM callback_keys ck
        WHERE ck.scope = p_scope AND ck.key = ANY (p_keys) LIMIT 1;
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
