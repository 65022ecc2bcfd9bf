-- The forecast alerts of one timer run: p_rows, a JSON array of {site,
-- topic, day (YYYY-MM-DD), breaches, first_breach_ms (or null),
-- threshold}, each written unless its site, topic and day has one already
-- (whichever daemon wrote it first); then every alert not yet sent whose
-- delivery claim has run out (the new ones, and those another daemon took
-- and did not deliver) is taken for this daemon for p_claim_ms and
-- returned.
CREATE OR REPLACE FUNCTION cbd_forecast_alerts_take(p_rows jsonb,
    p_claim_ms bigint)
RETURNS TABLE (id bigint, site text, topic text, day text, breaches integer,
    first_breach_ms bigint, threshold integer)
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO forecast_alerts AS f (site, topic, day, breaches,
        first_breach_at, threshold, send_until)
    SELECT r->>'site', r->>'topic', (r->>'day')::date,
        (r->>'breaches')::integer, cbd_ts((r->>'first_breach_ms')::bigint),
        (r->>'threshold')::integer, now() - interval '1 millisecond'
    FROM jsonb_array_elements(coalesce(p_rows, '[]')) r
    ON CONFLICT ON CONSTRAINT forecast_alerts_site_topic_day_key DO NOTHING;
    RETURN QUERY
    WITH due AS (
        SELECT f.id FROM forecast_alerts f
        WHERE f.sent_at IS NULL AND f.send_until < now()
        ORDER BY f.id LIMIT 100 FOR UPDATE SKIP LOCKED)
    UPDATE forecast_alerts f
    SET send_until = now() + p_claim_ms * interval '1 millisecond'
    FROM due WHERE f.id = due.id
    RETURNING f.id, f.site, f.topic, to_char(f.day, 'YYYY-MM-DD'), f.breaches,
        cbd_ms(f.first_breach_at), f.threshold;
END $$;
