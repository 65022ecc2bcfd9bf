-- An attempted or closed callback has no alert to come.
CREATE OR REPLACE FUNCTION cbd_alert_void() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.alert_at := NULL;
    RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER callbacks_alert_void BEFORE UPDATE ON callbacks FOR EACH ROW
    WHEN (NEW.alert_at IS NOT NULL AND (NEW.first_attempt_at IS NOT NULL
          OR NEW.state NOT IN ('queued', 'claimed')))
    EXECUTE FUNCTION cbd_alert_void();
