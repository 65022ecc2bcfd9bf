-- Open callbacks whose topic or site is not among those given (the
-- topics and sites of a configuration about to be used): how many of
-- each. kind is 'topic' or 'site'.
CREATE OR REPLACE FUNCTION cbd_open_outside(p_topics text[], p_sites text[])
RETURNS TABLE (kind text, name text, open bigint)
LANGUAGE sql STABLE AS $$
    SELECT 'topic', c.topic, count(*) FROM callbacks c
    WHERE c.closed_at IS NULL AND c.topic <> ALL (p_topics)
    GROUP BY c.topic
    UNION ALL
    SELECT 'site', c.site, count(*) FROM callbacks c
    WHERE c.closed_at IS NULL AND c.site <> ALL (p_sites)
    GROUP BY c.site
$$;
