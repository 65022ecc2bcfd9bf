-- An alert's reason, for the statement that takes it for delivery. Its
-- own snapshot (VOLATILE): cbd_alerts_take, in the same statement, may take
-- an unclaimable alert committed after that statement began, which the
-- statement's own snapshot would not show.
CREATE OR REPLACE FUNCTION cbd_alert_reason(p_id bigint)
RETURNS text LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RETURN (SELECT a.reason FROM alerts a WHERE a.id = p_id);
END $$;
