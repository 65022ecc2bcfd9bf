-- callbackd schema, migration 7: retention. The personal fields of
-- callbacks closed longer ago than the retention period are erased; times,
-- counts and outcomes stay, so the reports do not change. Each erasure is
-- an event.

ALTER TABLE callbacks ALTER COLUMN phone DROP NOT NULL,
    ADD COLUMN erased_at timestamptz;
CREATE INDEX callbacks_erasable ON callbacks (closed_at)
    WHERE erased_at IS NULL AND closed_at IS NOT NULL;

-- Erases at most p_limit callbacks per call (the caller repeats while it
-- returns p_limit), so no statement holds locks for long.
CREATE FUNCTION cbd_erase_personal(p_older_than interval, p_limit integer)
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
    logged AS (
        INSERT INTO events (callback_id, actor, kind, data)
        SELECT id, 'callbackd', 'personal_data_erased',
            jsonb_build_object('retention', p_older_than::text)
        FROM erased)
    SELECT count(*)::integer FROM erased
$$;
