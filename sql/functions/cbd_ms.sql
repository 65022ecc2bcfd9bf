-- Milliseconds since the epoch, as the daemon speaks times. STABLE (what
-- timestamptz arithmetic is), so that PostgreSQL inlines it into each
-- query.
CREATE OR REPLACE FUNCTION cbd_ms(t timestamptz) RETURNS bigint
LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$ SELECT floor(extract(epoch FROM t) * 1000)::bigint $$;
