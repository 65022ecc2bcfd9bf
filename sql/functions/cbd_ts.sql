-- And back: a timestamptz from milliseconds since the epoch.
CREATE OR REPLACE FUNCTION cbd_ts(ms bigint) RETURNS timestamptz
LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$ SELECT 'epoch'::timestamptz + ms * interval '1 millisecond' $$;
