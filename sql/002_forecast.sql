-- callbackd schema, version 2: the forecast's alerts, and indexes for the
-- history it reads. Nothing to do with the rows already there.

-- One forecast alert per site, topic and local day: the unique key
-- decides, among several daemons, which one writes it; send_until is that
-- daemon's claim on delivering it, so that another takes it over when it
-- did not (see cbd_forecast_alerts_take).
CREATE TABLE forecast_alerts (
    id           bigserial PRIMARY KEY,
    site         text NOT NULL,
    topic        text NOT NULL,
    day          date NOT NULL,  -- the site's working day, local
    breaches     integer NOT NULL CHECK (breaches >= 0),
    first_breach_at timestamptz,
    threshold    integer NOT NULL CHECK (threshold > 0),
    fired_at     timestamptz NOT NULL DEFAULT now(),
    send_until   timestamptz NOT NULL,
    sent_at      timestamptz,
    UNIQUE (site, topic, day)
);
CREATE INDEX forecast_alerts_unsent ON forecast_alerts (send_until)
    WHERE sent_at IS NULL;

-- The forecast's history by time: who worked when (attempts, claims).
CREATE INDEX attempts_at ON attempts (at);
CREATE INDEX events_claimed_at ON events (at) WHERE kind = 'claimed';
