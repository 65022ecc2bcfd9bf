-- The webhook took the alert, or refused it: try again after a pause that
-- doubles with each try, from 1 s up to 5 minutes.
CREATE OR REPLACE FUNCTION cbd_webhook_done(p_id bigint, p_ok boolean)
RETURNS void LANGUAGE sql AS $$
    UPDATE alerts SET
        webhook_sent_at = CASE WHEN p_ok THEN now() END,
        webhook_until = NULL,
        webhook_next_at = CASE WHEN p_ok THEN webhook_next_at
            ELSE now() + least(300, 2 ^ least(webhook_tries - 1, 20))
                * interval '1 second' END
    WHERE id = p_id
$$;
