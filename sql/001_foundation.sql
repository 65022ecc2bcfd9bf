-- callbackd schema, migration 1: call-back requests, the keys that make
-- intake idempotent, attempts, the append-only event log and API tokens.
-- Times are timestamptz; the daemon speaks milliseconds since the epoch
-- through cbd_ms() and cbd_ts().

CREATE FUNCTION cbd_ms(t timestamptz) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT floor(extract(epoch FROM t) * 1000)::bigint $$;

CREATE FUNCTION cbd_ts(ms bigint) RETURNS timestamptz
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT 'epoch'::timestamptz + ms * interval '1 millisecond' $$;

CREATE TABLE callbacks (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    state         text NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'claimed', 'completed', 'unreachable', 'cancelled')),
    phone         text NOT NULL CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    topic         text NOT NULL,
    site          text NOT NULL,
    language      text NOT NULL DEFAULT 'de',
    urgent        boolean NOT NULL DEFAULT false,
    assignee      text,
    name          text,
    customer_ref  text,
    note          text,
    call_id       text,
    requested_at  timestamptz NOT NULL,
    received_at   timestamptz NOT NULL,
    due_at        timestamptz NOT NULL,
    not_before    timestamptz,
    not_after     timestamptz,
    request_count integer NOT NULL DEFAULT 1 CHECK (request_count >= 1),
    first_attempt_at timestamptz,
    reached_at    timestamptz,
    closed_at     timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- At most one open callback per phone and topic: the merge rule, held by
-- the database even if a daemon got it wrong.
CREATE UNIQUE INDEX callbacks_open_phone_topic
    ON callbacks (phone, topic) WHERE state IN ('queued', 'claimed');
CREATE INDEX callbacks_open ON callbacks (id) WHERE state IN ('queued', 'claimed');
CREATE INDEX callbacks_due ON callbacks (due_at) WHERE first_attempt_at IS NULL;

-- Every key a request was made under: 'idem:' || Idempotency-Key and
-- 'call:' || call_id. A replay finds its callback here.
CREATE TABLE callback_keys (
    key         text PRIMARY KEY,
    callback_id uuid NOT NULL REFERENCES callbacks (id),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX callback_keys_callback ON callback_keys (callback_id);

CREATE TABLE attempts (
    id          bigserial PRIMARY KEY,
    callback_id uuid NOT NULL REFERENCES callbacks (id),
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    result      text NOT NULL CHECK (result IN ('reached', 'no_answer', 'busy',
                    'voicemail', 'wrong_number', 'callback_later')),
    note        text,
    duration_s  integer CHECK (duration_s >= 0)
);
CREATE INDEX attempts_callback ON attempts (callback_id, at);

-- Append-only: who did what to which callback, and when.
CREATE TABLE events (
    id          bigserial PRIMARY KEY,
    callback_id uuid REFERENCES callbacks (id),
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    kind        text NOT NULL,
    data        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX events_callback ON events (callback_id, id);

CREATE FUNCTION events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the event log is append-only';
END $$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();

-- API tokens, stored as SHA-256 of the token; the token itself is shown
-- once, when it is made.
CREATE TABLE tokens (
    id            bigserial PRIMARY KEY,
    hash          bytea NOT NULL UNIQUE CHECK (length(hash) = 32),
    role          text NOT NULL CHECK (role IN ('telephony', 'agent', 'caseworker', 'manager', 'admin')),
    caseworker_id text,
    label         text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz,
    CHECK ((role = 'caseworker') = (caseworker_id IS NOT NULL))
);

-- Intake in one call, inside the caller's transaction: a replay returns
-- the callback its key points to, an open callback with the same phone and
-- topic absorbs the request, otherwise a new one is made. Advisory locks on
-- every key and on phone+topic, taken in one order, make concurrent
-- requests (from any number of daemons) wait for each other instead of
-- racing. The outcome is 'created', 'replayed', 'merged' or
-- 'merged_raised' (the merge made the callback urgent: the caller computes
-- the new due time and calls cbd_intake_raise in the same transaction).
CREATE FUNCTION cbd_intake(
    p_keys text[], p_phone text, p_topic text, p_site text, p_language text,
    p_urgent boolean, p_assignee text, p_name text, p_customer_ref text,
    p_note text, p_call_id text, p_requested_at timestamptz,
    p_received_at timestamptz, p_due_at timestamptz,
    p_not_before timestamptz, p_not_after timestamptz, p_actor text)
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

    SELECT ck.callback_id INTO v_id FROM callback_keys ck
    WHERE ck.key = ANY (p_keys) LIMIT 1;
    IF FOUND THEN
        RETURN QUERY SELECT 'replayed'::text, c FROM callbacks c WHERE c.id = v_id;
        RETURN;
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
            due_at, not_before, not_after)
        VALUES (p_phone, p_topic, p_site, p_language, p_urgent, p_assignee,
            p_name, p_customer_ref, p_note, p_call_id, p_requested_at,
            p_received_at, p_due_at, p_not_before, p_not_after)
        RETURNING id INTO v_id;
        v_outcome := 'created';
        INSERT INTO events (callback_id, actor, kind, data)
        VALUES (v_id, p_actor, 'created', jsonb_build_object(
            'site', p_site, 'topic', p_topic, 'urgent', p_urgent,
            'due_at', p_due_at));
    END IF;

    INSERT INTO callback_keys (key, callback_id)
    SELECT k, v_id FROM unnest(p_keys) AS k;

    RETURN QUERY SELECT v_outcome, c FROM callbacks c WHERE c.id = v_id;
END $$;

-- A merge made the callback urgent: its due time moves up to what the
-- urgent target gives from the first request, never later.
CREATE FUNCTION cbd_intake_raise(p_id uuid, p_due_at timestamptz)
RETURNS TABLE (outcome text, cb callbacks)
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE callbacks c SET due_at = LEAST(c.due_at, p_due_at), updated_at = now()
    WHERE c.id = p_id;
    RETURN QUERY SELECT 'merged'::text, c FROM callbacks c WHERE c.id = p_id;
END $$;
