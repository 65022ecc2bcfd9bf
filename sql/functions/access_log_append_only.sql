-- Append-only, like the event log, with one exception: retention, and
-- only retention (it says so for its own transaction), takes an erased
-- callback's id out of the rows that name it and deletes a row left
-- naming none. Nothing else of a row ever changes.
CREATE OR REPLACE FUNCTION access_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('callbackd.erasing', true) = 'on' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        IF NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.token_id = OLD.token_id
           AND NEW.caseworker_id IS NOT DISTINCT FROM OLD.caseworker_id
           AND NEW.route = OLD.route AND NEW.callback_ids <@ OLD.callback_ids THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'the access log is append-only';
END $$;

CREATE OR REPLACE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_append_only();
