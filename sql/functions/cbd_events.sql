-- The story of one callback, oldest first, at most p_limit entries: its
-- events (created, merged, claimed, lease_expired, released,
-- lease_released, unflagged, attempt, due_moved, cancelled, expired,
-- personal_data_erased) and the alerts that went out for it (kind
-- 'alert', from the alerts table: its level, when it was planned, fired
-- and handed to syslog). A merge carries the request count it made, an
-- attempt its duration and its note (whoever answers decides whether the
-- reader may see notes), times are written as the API writes them.
-- Nothing else of the caller: the events name fields, never their values.
CREATE OR REPLACE FUNCTION cbd_events(p_id uuid, p_limit integer)
RETURNS TABLE (at timestamptz, kind text, actor text, data jsonb)
LANGUAGE sql STABLE AS $$
    WITH ev AS (
        SELECT e.id, e.at, e.kind, e.actor, e.data,
            row_number() OVER (PARTITION BY e.kind ORDER BY e.id) AS n
        FROM events e WHERE e.callback_id = p_id),
    att AS (
        SELECT a.note, a.duration_s, row_number() OVER (ORDER BY a.id) AS n
        FROM attempts a WHERE a.callback_id = p_id),
    story AS (
        SELECT ev.at, 0 AS src, ev.id, ev.kind, ev.actor,
            CASE ev.kind
                WHEN 'merged' THEN ev.data || jsonb_build_object(
                    'request_count', ev.n + 1)
                -- the n-th attempt event is the n-th attempt: one statement
                -- writes both (cbd_attempts)
                WHEN 'attempt' THEN ev.data || jsonb_build_object(
                    'duration_s', att.duration_s, 'note', att.note)
                WHEN 'created' THEN ev.data || jsonb_build_object(
                    'due_at', cbd_iso((ev.data->>'due_at')::timestamptz))
                WHEN 'claimed' THEN ev.data || jsonb_build_object(
                    'lease_until', cbd_iso((ev.data->>'lease_until')::timestamptz))
                ELSE ev.data END
        FROM ev LEFT JOIN att ON ev.kind = 'attempt' AND att.n = ev.n
        UNION ALL
        SELECT coalesce(al.sent_at, al.fired_at), 1, al.id, 'alert', 'callbackd',
            jsonb_build_object('level', al.level, 'threshold', al.threshold,
                'planned_at', cbd_iso(al.fire_at), 'fired_at', cbd_iso(al.fired_at),
                'sent_at', cbd_iso(al.sent_at), 'reason', al.reason)
        FROM alerts al WHERE al.callback_id = p_id AND al.fired_at IS NOT NULL)
    SELECT s.at, s.kind, s.actor, s.data FROM story s
    ORDER BY s.at, s.src, s.id
    LIMIT p_limit
$$;
