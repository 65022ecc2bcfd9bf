-- callbackd schema, migration 19: access that ends when it should, and an
-- account of every read.
--
-- A token may expire; a caseworker's token is valid only while its
-- caseworker exists and is active. Every read of personal data leaves a
-- row in the append-only access log: who (token, caseworker), when, which
-- route, which callbacks. Admin actions (tokens, caseworkers) are in an
-- append-only log of their own, with the acting token as actor: the event
-- log stays the history of callbacks.

ALTER TABLE tokens ADD COLUMN expires_at timestamptz;

CREATE TABLE admin_events (
    id     bigserial PRIMARY KEY,
    at     timestamptz NOT NULL DEFAULT now(),
    actor  text NOT NULL,  -- token:N, or callbackd --create-token
    kind   text NOT NULL,  -- token_created, token_revoked, caseworker_...
    data   jsonb NOT NULL DEFAULT '{}'
);
CREATE TRIGGER admin_events_append_only BEFORE UPDATE OR DELETE ON admin_events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();

CREATE TABLE access_log (
    id            bigserial PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    token_id      bigint NOT NULL,
    caseworker_id text,
    route         text NOT NULL,        -- the route's pattern, never a path
    callback_ids  uuid[] NOT NULL CHECK (cardinality(callback_ids) >= 1)
);
CREATE INDEX access_log_at ON access_log (at);
CREATE INDEX access_log_token ON access_log (token_id, id);
CREATE INDEX access_log_callbacks ON access_log USING gin (callback_ids);

-- Append-only, like the event log, with one exception: retention, and
-- only retention (it says so for its own transaction), takes an erased
-- callback's id out of the rows that name it and deletes a row left
-- naming none. Nothing else of a row ever changes.
CREATE FUNCTION access_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('callbackd.erasing', true) = 'on' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        IF NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.token_id = OLD.token_id
           AND NEW.caseworker_id IS NOT DISTINCT FROM OLD.caseworker_id
           AND NEW.route = OLD.route AND NEW.callback_ids <@ OLD.callback_ids THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'the access log is append-only';
END $$;
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_append_only();

-- Saves a caseworker's profile and writes the admin event (p_event
-- 'caseworker_created', 'caseworker_updated' or 'caseworker_deactivated')
-- with the acting token. p_create: insert, no row when the id exists;
-- else update, no row when there is no such caseworker. A profile saved
-- inactive gives back every lease its caseworker holds: each callback is
-- queued again at its place (a 'lease_released' event by the actor; not
-- an attempt, no lapse), returned in released for the caller to index.
CREATE FUNCTION cbd_caseworker_save(p_create boolean, p_id text, p_site text,
    p_topics text[], p_languages text[], p_active boolean, p_actor text,
    p_event text)
RETURNS TABLE (w caseworkers, released callbacks[]) LANGUAGE plpgsql AS $$
DECLARE
    r caseworkers;
    rel callbacks[] := '{}';
BEGIN
    IF p_create THEN
        INSERT INTO caseworkers AS c (id, site, topics, languages, active)
        VALUES (p_id, p_site, p_topics, p_languages, p_active)
        ON CONFLICT (id) DO NOTHING RETURNING c.* INTO r;
    ELSE
        UPDATE caseworkers AS c SET site = p_site, topics = p_topics,
            languages = p_languages, active = p_active, updated_at = now()
        WHERE c.id = p_id RETURNING c.* INTO r;
    END IF;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF NOT r.active THEN
        -- by the index of open callbacks: an index on claimed_by would
        -- keep every claim from rewriting its row in place (migration 13),
        -- and a deactivation is rare
        WITH u AS (
            UPDATE callbacks c SET state = 'queued', lease_token = NULL,
                lease_until = NULL, claimed_by = NULL, updated_at = now()
            WHERE c.closed_at IS NULL AND c.state = 'claimed'
              AND c.claimed_by = p_id
            RETURNING c AS cb),
        e AS (
            INSERT INTO events (callback_id, actor, kind, data)
            SELECT (u.cb).id, p_actor, 'lease_released', jsonb_build_object(
                'caseworker', p_id, 'reason', 'caseworker_inactive')
            FROM u ORDER BY (u.cb).id)
        SELECT coalesce(array_agg(u.cb ORDER BY (u.cb).id), '{}') INTO rel FROM u;
    END IF;
    INSERT INTO admin_events (actor, kind, data)
    VALUES (p_actor, p_event, jsonb_build_object('caseworker', r.id,
        'site', r.site, 'topics', r.topics, 'languages', r.languages,
        'active', r.active, 'leases_released', cardinality(rel)));
    RETURN QUERY SELECT r, rel;
END $$;

-- Retention as in migration 16, and the access log forgets the erased
-- callbacks: their ids leave the rows that name them, and a row that
-- named only erased callbacks goes. Who read a callback is about its
-- caller as much as the callback's fields are; a row about others stays.
CREATE OR REPLACE FUNCTION cbd_erase_personal(p_older_than interval, p_limit integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    PERFORM set_config('callbackd.erasing', 'on', true);
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
    ids AS (
        SELECT coalesce(array_agg(id), '{}') AS a FROM erased),
    gone AS (
        DELETE FROM access_log l USING ids
        WHERE l.callback_ids && ids.a AND l.callback_ids <@ ids.a),
    thinned AS (
        UPDATE access_log l SET callback_ids = ARRAY(
            SELECT x FROM unnest(l.callback_ids) WITH ORDINALITY AS u(x, k)
            WHERE x <> ALL (ids.a) ORDER BY k)
        FROM ids
        WHERE l.callback_ids && ids.a AND NOT l.callback_ids <@ ids.a),
    logged AS (
        INSERT INTO events (callback_id, actor, kind, data)
        SELECT id, 'callbackd', 'personal_data_erased',
            jsonb_build_object('retention', p_older_than::text)
        FROM erased)
    SELECT count(*)::integer INTO n FROM erased;
    PERFORM set_config('callbackd.erasing', 'off', true);
    RETURN n;
END $$;
