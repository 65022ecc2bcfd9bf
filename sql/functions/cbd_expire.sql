-- Expires at most p_limit queued callbacks (flagged ones too) whose
-- not_after has passed or that were received longer than p_max_open_age
-- ago (0: never by age), each with an expired event saying why; returns
-- them as they are now. A claimed one is left to its lease: once the
-- lease lapses or is given back it is queued, and the next call takes
-- it. Rows another daemon holds are skipped; the caller repeats while it
-- gets p_limit.
CREATE OR REPLACE FUNCTION cbd_expire(p_max_open_age interval, p_limit integer)
RETURNS SETOF callbacks LANGUAGE sql AS $$
    WITH due AS (
        SELECT c.id, CASE WHEN c.not_after < now() THEN 'not_after'
                          ELSE 'max_open_age' END AS reason
        FROM callbacks c
        WHERE c.closed_at IS NULL AND c.state = 'queued'
          AND (c.not_after < now()
               OR (p_max_open_age > interval '0'
                   AND c.received_at < now() - p_max_open_age))
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED),
    expired AS (
        UPDATE callbacks c SET state = 'expired', closed_at = now(),
            updated_at = now()
        FROM due WHERE c.id = due.id AND c.state = 'queued'
        RETURNING c.*),
    logged AS (
        INSERT INTO events (callback_id, actor, kind, data)
        SELECT e.id, 'callbackd', 'expired', CASE WHEN due.reason = 'not_after'
            THEN jsonb_build_object('reason', due.reason, 'not_after',
                cbd_iso(e.not_after))
            ELSE jsonb_build_object('reason', due.reason, 'max_open_age',
                p_max_open_age::text) END
        FROM expired e JOIN due ON due.id = e.id)
    SELECT * FROM expired
$$;
