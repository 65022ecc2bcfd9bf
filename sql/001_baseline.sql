-- callbackd schema, version 1: the tables, indexes and constraints.
--
-- How the schema changes. `callbackd --migrate` applies, in one
-- transaction each, the numbered files (sql/NNN_name.sql) newer than the
-- database, and then, in one more transaction, re-applies every file of
-- sql/functions/: each SQL function (with its trigger, if it is a trigger
-- function) and each view is in exactly one file there, written with
-- CREATE OR REPLACE. So:
--   - Tables, columns, indexes and constraints change only through a new
--     numbered file, forward only: a file once committed is never edited,
--     and it says what to do with the rows already there. The daemon's
--     schema version is the newest number; it refuses to run on another.
--   - Functions and views change in place, in their file under
--     sql/functions/. A change CREATE OR REPLACE cannot make (another
--     signature or result type, fewer view columns, a dropped function)
--     needs a DROP in a new numbered file too, which runs first.
-- Times are timestamptz; the daemon speaks milliseconds since the epoch
-- through cbd_ms() and cbd_ts(). Personal data (phone, name,
-- customer_ref, note, call_id) lives in callbacks and attempts only (and
-- hashed, in the keys' fingerprints); retention erases it
-- (cbd_erase_personal).

-- Call-back requests. A row is open while closed_at is NULL (queued or
-- claimed); a claim, release or lapsed lease changes no indexed column,
-- so PostgreSQL rewrites the row in place (HOT), and pages keep a fifth
-- free for those new versions.
CREATE TABLE callbacks (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    state         text NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'claimed', 'completed',
                      'unreachable', 'cancelled', 'expired')),
    phone         text CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),  -- NULL: erased
    topic         text NOT NULL,
    site          text NOT NULL,
    language      text NOT NULL DEFAULT 'de',  -- a primary tag: de, tr
    urgent        boolean NOT NULL DEFAULT false,
    assignee      text,
    name          text,
    customer_ref  text,
    note          text,
    call_id       text,
    requested_at  timestamptz NOT NULL,  -- the first request: the SLA clock
    received_at   timestamptz NOT NULL,
    due_at        timestamptz NOT NULL,
    not_before    timestamptz,
    not_after     timestamptz,
    request_count integer NOT NULL DEFAULT 1 CHECK (request_count >= 1),
    first_attempt_at timestamptz,
    reached_at    timestamptz,
    closed_at     timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    -- the lease of a claim: its token is the fencing token of every action
    lease_token   uuid,
    lease_until   timestamptz,
    claimed_by    text,
    attempt_count integer NOT NULL DEFAULT 0,
    lapsed_leases integer NOT NULL DEFAULT 0,  -- in a row
    flagged       boolean NOT NULL DEFAULT false,  -- for a supervisor
    erased_at     timestamptz,  -- retention erased the personal fields
    -- the at-risk warnings, [[threshold, fire time ms], ...], planned at
    -- intake from the calendars (the breach is due_at), and when the next
    -- alert is due: NULL when none is, which an attempt or closing sets by
    -- itself (callbacks_alert_void)
    alert_warn    jsonb,
    alert_at      timestamptz,
    language_given boolean NOT NULL DEFAULT true,  -- the request named it
    -- no_answer, busy, voicemail: what max_attempts and the back-off count
    unanswered_count integer NOT NULL DEFAULT 0,
    CONSTRAINT callbacks_lease_when_claimed
        CHECK ((state = 'claimed') = (lease_token IS NOT NULL)),
    CONSTRAINT callbacks_closed_when_done
        CHECK ((closed_at IS NULL) = (state IN ('queued', 'claimed')))
) WITH (fillfactor = 80);

-- At most one open callback per phone and topic: the merge rule, held by
-- the database even if a daemon got it wrong.
CREATE UNIQUE INDEX callbacks_open_phone_topic ON callbacks (phone, topic)
    WHERE closed_at IS NULL;
CREATE INDEX callbacks_open ON callbacks (id) WHERE closed_at IS NULL;
CREATE INDEX callbacks_due ON callbacks (due_at) WHERE first_attempt_at IS NULL;
CREATE INDEX callbacks_requested ON callbacks (requested_at);
CREATE INDEX callbacks_erasable ON callbacks (closed_at)
    WHERE erased_at IS NULL AND closed_at IS NOT NULL;
-- agents find a caller's callbacks by phone number or customer reference
CREATE INDEX callbacks_phone ON callbacks (phone);
CREATE INDEX callbacks_customer_ref ON callbacks (customer_ref)
    WHERE customer_ref IS NOT NULL;
CREATE INDEX callbacks_alert_at ON callbacks (alert_at) WHERE alert_at IS NOT NULL;
-- The routes and assignees of open callbacks, each read by a skip scan
-- (one index probe per distinct value, not a row per callback), and what
-- the expiry looks for. None of these columns changes while a callback is
-- open, so claims still rewrite rows in place.
CREATE INDEX callbacks_open_route ON callbacks (site, topic, language)
    WHERE closed_at IS NULL AND assignee IS NULL;
CREATE INDEX callbacks_open_assignee ON callbacks (assignee)
    WHERE closed_at IS NULL AND assignee IS NOT NULL;
CREATE INDEX callbacks_open_not_after ON callbacks (not_after)
    WHERE closed_at IS NULL AND not_after IS NOT NULL;
CREATE INDEX callbacks_open_received ON callbacks (received_at)
    WHERE closed_at IS NULL;

-- Every key a request was made under: 'idem:' || Idempotency-Key and
-- 'call:' || call_id, scoped to the sender (scope: tokens.id), with the
-- fingerprint of the request (SHA-256 hex of the normalised fields,
-- computed by the daemon). A replay finds its callback here; the same key
-- with another fingerprint is refused.
CREATE TABLE callback_keys (
    key         text NOT NULL,
    callback_id uuid NOT NULL REFERENCES callbacks (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    scope       bigint NOT NULL DEFAULT 0,
    fingerprint text,
    PRIMARY KEY (scope, key)
);
CREATE INDEX callback_keys_callback ON callback_keys (callback_id);

CREATE TABLE attempts (
    id          bigserial PRIMARY KEY,
    callback_id uuid NOT NULL REFERENCES callbacks (id),
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    result      text NOT NULL CHECK (result IN ('reached', 'no_answer', 'busy',
                    'voicemail', 'wrong_number', 'callback_later')),
    note        text,
    duration_s  integer CHECK (duration_s >= 0)
);
CREATE INDEX attempts_callback ON attempts (callback_id, at);

-- Append-only (events_append_only): who did what to which callback, and
-- when.
CREATE TABLE events (
    id          bigserial PRIMARY KEY,
    callback_id uuid REFERENCES callbacks (id),
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    kind        text NOT NULL,
    data        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX events_callback ON events (callback_id, id);

-- API tokens, stored as SHA-256 of the token; the token itself is shown
-- once, when it is made. A caseworker's token is valid only while its
-- caseworker exists and is active.
CREATE TABLE tokens (
    id            bigserial PRIMARY KEY,
    hash          bytea NOT NULL UNIQUE CHECK (length(hash) = 32),
    role          text NOT NULL CHECK (role IN ('telephony', 'agent', 'caseworker', 'manager', 'admin')),
    caseworker_id text,
    label         text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz,
    expires_at    timestamptz,
    CHECK ((role = 'caseworker') = (caseworker_id IS NOT NULL))
);

CREATE TABLE caseworkers (
    id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9_-]{1,64}$'),
    site        text NOT NULL,
    topics      text[] NOT NULL CHECK (cardinality(topics) BETWEEN 1 AND 32),
    languages   text[] NOT NULL CHECK (cardinality(languages) BETWEEN 1 AND 16),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Alerts, one row per callback, level and threshold, written when it
-- fires (at_risk and breached from the callback's plan, unclaimable by the
-- periodic check); the unique key and row locks make each alert go out
-- once, whichever daemon gets to it: to syslog, and to the webhook, which
-- is retried with growing pauses when the receiver fails.
CREATE TABLE alerts (
    id           bigserial PRIMARY KEY,
    callback_id  uuid NOT NULL REFERENCES callbacks (id),
    level        text NOT NULL,
    threshold    numeric(4, 3) NOT NULL CHECK (threshold > 0 AND threshold <= 1),
    fire_at      timestamptz NOT NULL,
    fired_at     timestamptz,  -- a daemon found it due, unattempted: it goes out
    send_until   timestamptz,  -- that daemon's claim on delivering it
    sent_at      timestamptz,  -- handed to the syslog transport
    void_at      timestamptz,  -- not needed: attempted or closed in time
    webhook_sent_at  timestamptz,
    webhook_tries    integer NOT NULL DEFAULT 0,
    webhook_next_at  timestamptz,
    webhook_until    timestamptz,
    reason       text,  -- why an unclaimable alert went out; NULL for the SLA levels
    UNIQUE (callback_id, level, threshold),
    CONSTRAINT alerts_level_check
        CHECK (level IN ('at_risk', 'breached', 'unclaimable'))
);
CREATE INDEX alerts_unsent ON alerts (send_until)
    WHERE fired_at IS NOT NULL AND sent_at IS NULL;
CREATE INDEX alerts_fired ON alerts (fired_at) WHERE fired_at IS NOT NULL;
CREATE INDEX alerts_webhook_due ON alerts (webhook_next_at)
    WHERE fired_at IS NOT NULL AND webhook_sent_at IS NULL AND void_at IS NULL;

-- Admin actions (tokens, caseworkers), append-only (events_append_only),
-- with the acting token as actor: the event log stays the history of
-- callbacks.
CREATE TABLE admin_events (
    id     bigserial PRIMARY KEY,
    at     timestamptz NOT NULL DEFAULT now(),
    actor  text NOT NULL,  -- token:N, or callbackd --create-token
    kind   text NOT NULL,  -- token_created, token_revoked, caseworker_...
    data   jsonb NOT NULL DEFAULT '{}'
);

-- Every read of personal data: who (token, caseworker), when, which
-- route, which callbacks. Append-only but for retention
-- (access_log_append_only).
CREATE TABLE access_log (
    id            bigserial PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    token_id      bigint NOT NULL,
    caseworker_id text,
    route         text NOT NULL,        -- the route's pattern, never a path
    callback_ids  uuid[] NOT NULL CHECK (cardinality(callback_ids) >= 1)
);
CREATE INDEX access_log_at ON access_log (at);
CREATE INDEX access_log_token ON access_log (token_id, id);
CREATE INDEX access_log_callbacks ON access_log USING gin (callback_ids);
