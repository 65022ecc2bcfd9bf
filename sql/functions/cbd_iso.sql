-- RFC 3339 in UTC with milliseconds, as the API writes times.
CREATE OR REPLACE FUNCTION cbd_iso(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;
