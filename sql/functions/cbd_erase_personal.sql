-- Retention: erases the personal fields (phone, name, customer_ref,
-- note, call_id, the attempts' notes) of at most p_limit callbacks closed
-- longer ago than p_older_than (the caller repeats while it returns
-- p_limit, so no statement holds locks for long); times, counts and
-- outcomes stay, so the reports do not change. A key's fingerprint is a
-- hash of the caller's phone, name and note: the callback's keys go too
-- (a retry that late is a new request). The access log forgets the
-- erased callbacks (the only change it allows, for this transaction).
-- Each erasure is an event.
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
            note = NULL, call_id = NULL, erased_at = now()
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
