-- A note appended to a callback's note: after a line with the time it
-- came, in UTC to the minute, within p_max bytes (the daemon's
-- CBD_NOTE_MAX): what does not fit of the new note is cut, the merge
-- itself never fails. A note the callback already ends with is not
-- repeated.
CREATE OR REPLACE FUNCTION cbd_note_append(p_old text, p_new text, p_at timestamptz,
    p_max integer DEFAULT 2000)
RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_head text;
    v_room integer;
    v_n integer;
BEGIN
    IF p_new IS NULL OR p_new = '' THEN
        RETURN p_old;
    END IF;
    IF p_old IS NULL OR p_old = '' THEN
        RETURN p_new;
    END IF;
    IF right(p_old, length(p_new)) = p_new THEN
        RETURN p_old;
    END IF;
    v_head := p_old || E'\n[' ||
        to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI"Z"') || '] ';
    v_room := p_max - octet_length(v_head);
    v_n := least(length(p_new), v_room);
    -- a character is at most 4 bytes: cut at least what is too much / 4
    WHILE v_n > 0 AND octet_length(left(p_new, v_n)) > v_room LOOP
        v_n := v_n - greatest(1, (octet_length(left(p_new, v_n)) - v_room + 3) / 4);
    END LOOP;
    IF v_n <= 0 THEN
        RETURN p_old;
    END IF;
    RETURN v_head || left(p_new, v_n);
END $$;
