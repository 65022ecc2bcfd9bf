/*
 * Fixed sizes and limits of callbackd, each with the reason for its value:
 * what a request, a configuration, PostgreSQL, Redis or another daemon
 * meets (lengths, counts, pages, batches, times). Every such constant
 * lives here and nowhere else. The shape of one module's own data (the
 * columns of a row, the arguments of a prepared statement, a scratch
 * buffer) and protocol numbers (a syslog facility) stay in that module.
 */
#ifndef CBD_BOUNDS_H
#define CBD_BOUNDS_H

/* E.164 allows at most 15 digits; plus the leading '+'. */
#define CBD_PHONE_MAX 16
/* What a caller may send as a phone number before normalisation:
 * generous for spaces, dashes and brackets, small enough to reject junk. */
#define CBD_PHONE_INPUT_MAX 32
/* Shortest number we accept, in digits after '+': short numbers of
 * small countries have 7 digits including the country code. */
#define CBD_PHONE_MIN_DIGITS 7

#define CBD_NAME_MAX 200        /* person's name */
#define CBD_CUSTOMER_REF_MAX 64 /* agency customer reference */
#define CBD_NOTE_MAX 2000       /* free text from the agent */
#define CBD_CALL_ID_MAX 128     /* telephony call identifier */
#define CBD_IDEMPOTENCY_KEY_MAX 128
#define CBD_IDENT_MAX 64    /* topic, site, caseworker id */
#define CBD_LANGUAGE_MAX 16 /* BCP 47 tag such as "de" or "pt-BR" */
/* The languages a hotline takes ([daemon] languages): BCP 47 primary
 * tags of 2 or 3 letters. 32 leave room for every language a large job
 * centre serves, and the list still fits in one error message. */
#define CBD_LANGUAGES_MAX 32

/* The sentence of an error answer (the "message" of its JSON): room for
 * the longest, which names every language the config lists. */
#define CBD_ERROR_MESSAGE_MAX 256

/* The not_dialable prefixes, comma separated: the built-in list takes
 * about 500 bytes, an agency's own additions fit four times over. */
#define CBD_NOT_DIALABLE_MAX 2048
#define CBD_PRIMARY_LANGUAGE_MAX 3
/* A display name: a topic's or site's label ([topic NAME] label,
 * label_en) and a language's own name (language_names), what a select
 * and a table cell show, so a line's worth of characters; in UTF-8, up to
 * 4 bytes each. */
#define CBD_LABEL_CHARS 64
#define CBD_LABEL_MAX (CBD_LABEL_CHARS * 4)

/* RFC 3339 with milliseconds: "2026-11-24T19:33:00.000Z" plus NUL. */
#define CBD_TIME_STR 32
/* A request may say the person called a little in the future of our
 * clock: telephony clocks drift. More than this is refused. */
#define CBD_CLOCK_SKEW_MS (5 * 60 * 1000)
/* The most max_request_age and max_open_age may say: ten years. */
#define CBD_AGE_MAX_MS (3650LL * 86400000)

/* Default request body limit; the config may lower or raise it up to the
 * hard limit, which bounds the memory one connection can pin. */
#define CBD_MAX_BODY_DEFAULT "16384"
#define CBD_MAX_BODY_HARD (1024 * 1024)

/* Bearer tokens: 32 random bytes, hex encoded, with a readable prefix. */
#define CBD_TOKEN_PREFIX "cbd_"
#define CBD_TOKEN_BYTES 32
#define CBD_TOKEN_STR (sizeof(CBD_TOKEN_PREFIX) - 1 + 2 * CBD_TOKEN_BYTES)
/* How long a token lookup is remembered, and in how many slots: room for
 * every token of a large hotline, agents and caseworkers together. */
#define CBD_TOKEN_CACHE_MS 5000
#define CBD_TOKEN_CACHE_SLOTS 1024
/* The same for caseworker profiles read when claiming (about 2 KB each). */
#define CBD_PROFILE_CACHE_MS 5000
#define CBD_PROFILE_CACHE_SLOTS 256

/* Back-off for reconnecting to Redis and PostgreSQL. */
#define CBD_RECONNECT_MIN_MS 100
#define CBD_RECONNECT_MAX_MS 5000
/* [redis] sentinels: a Sentinel deployment has three or five; room for a
 * few more. */
#define CBD_SENTINELS_MAX 8

/* A caseworker's topics and languages: a claim looks at one Redis set per
 * topic and language, so these bound the work of one claim. */
#define CBD_CASEWORKER_TOPICS_MAX 32
#define CBD_CASEWORKER_LANGUAGES_MAX 16

/* Default lease of a claim, and how many lapse in a row before a callback
 * is flagged for a supervisor instead of circling forever. */
#define CBD_LEASE_DEFAULT "15m"
#define CBD_LAPSES_TO_FLAG 3
/* The lease claim.lua takes in Redis until PostgreSQL has recorded the
 * claim; then the full lease replaces it. A daemon killed in between
 * leaves only this short one behind. */
#define CBD_PROVISIONAL_LEASE_MS 10000

/* A hint (an intake, a caseworker profile saved) has the check for
 * callbacks nobody may claim run within this time: one check for all the
 * hints of that time, not a query per request. */
#define CBD_UNCLAIMABLE_HINT_MS 1000

/* Lapsed leases handled per sweep, and how often the sweep runs. */
#define CBD_SWEEP_BATCH 100
#define CBD_SWEEP_INTERVAL_MS 1000

/* Callbacks moved from waiting to ready per promotion run; longest the
 * promotion timer sleeps, so entries other daemons add are not missed. */
#define CBD_PROMOTE_BATCH 500
#define CBD_PROMOTE_MAX_SLEEP_MS 5000

/* A closed callback's tombstone in the queue index outlives any rebuild
 * that may have read its older row; the reaper visits CBD_REAP_STEP of
 * the 65 536 record hashes every CBD_REAP_EVERY_MS, all in under 3 h. */
#define CBD_TOMBSTONE_MS (24LL * 3600 * 1000)
#define CBD_REAP_STEP 64
#define CBD_REAP_EVERY_MS 10000

/* Opening intervals of one weekday in a business calendar (a lunch break
 * makes two), and how far ahead a due time is searched: a calendar that
 * is open at all is open within a year. */
#define CBD_DAY_INTERVALS_MAX 4
#define CBD_CALENDAR_HORIZON_DAYS 400

/* The longest target a topic may promise, in open time: a call-back due
 * more than 90 days later is no call-back promise, and the bound keeps
 * the calendar arithmetic far from overflowing int64 milliseconds. */
#define CBD_TARGET_MAX_MS (90LL * 24 * 3600 * 1000)
/* The most working days a target may give ("2 workdays"): four weeks of
 * them is past any call-back promise, far inside the calendar horizon. */
#define CBD_TARGET_WORKDAYS_MAX 20

/* Warning thresholds a topic may have, as fractions of its target. */
#define CBD_WARN_MAX 8

/* Alerts taken for delivery at once, how long a daemon may take to deliver
 * them before another does, and the longest the alert timer sleeps (so
 * alerts other daemons planned are seen in time). */
#define CBD_ALERT_BATCH 100
#define CBD_ALERT_CLAIM_MS 30000
#define CBD_ALERT_TIMER_MAX_SLEEP_MS 5000
/* a TCP syslog receiver that takes no byte for this long is said to be
 * stalled; its alerts are held until it reads again */
#define CBD_ALERT_STALL_MS 5000
/* An alert's RFC 5424 message: the longest one (every site and topic
 * character escaped) is about 800 bytes, within the 2048 a receiver
 * should take (RFC 5424 6.1). */
#define CBD_ALERT_MSG_MAX 1024

/* The queue gauges of GET /metrics are read from PostgreSQL at most once
 * in this time, whatever the scrape rate: a scrape within it is answered
 * from the last reading, and scrapes that come while a reading is out
 * wait for it. Prometheus scrapes every 15 s or more; a flood of scrapes
 * costs the intake no PostgreSQL time. */
#define CBD_METRICS_GAUGE_MS 5000

/* Requests no valid token vouches for (GET /metrics, /healthz, the pages,
 * a bearer token not known valid or none) go at most this many a second,
 * in bursts of up to CBD_PACE_BURST (pace.c); more wait their turn. A
 * scraper every 15 s, load balancer probes and people signing in are far
 * below it; a flood from 64 connections took 15 000 answers a second
 * from the loop before. */
#define CBD_PACE_PER_S 1000
#define CBD_PACE_BURST 100

/* The answers of the API that list: GET /v1/callbacks, /v1/access (a
 * page each, with next_cursor; an admin reads the access log in bulk) and
 * the caseworker's own queue (GET /v1/queue, which looks no deeper than
 * CBD_PEEK_OFFSET_MAX: nobody works a queue from its thousandth entry).
 * Each bounds the rows one answer reads from PostgreSQL and Redis. */
#define CBD_LIST_LIMIT_DEFAULT 50
#define CBD_LIST_LIMIT_MAX 200
#define CBD_ACCESS_LIMIT_DEFAULT 100
#define CBD_ACCESS_LIMIT_MAX 1000
#define CBD_PEEK_LIMIT_DEFAULT 20
#define CBD_PEEK_LIMIT_MAX 100
#define CBD_PEEK_OFFSET_MAX 1000
/* GET /v1/alerts answers at most this many, oldest first: a manager's
 * filter (since, level, site) narrows it down. */
#define CBD_ALERTS_LIMIT 500
/* The at-risk list (GET /v1/reports/at-risk): at most this many rows */
#define CBD_AT_RISK_LIMIT 1000
/* GET /v1/callbacks/{id}/events answers at most this many entries of one
 * callback's story, the oldest, and says when there were more: a callback
 * has a few dozen (each merge, claim, lapse, attempt and alert one), and
 * flagging after three lapses in a row keeps claims from circling. */
#define CBD_EVENTS_MAX 500
/* The reports (GET /v1/reports/sla, /breaches): the days before "to"
 * when "from" is not given. */
#define CBD_REPORT_DEFAULT_DAYS 7
/* The forecast (GET /v1/reports/forecast, the forecast timer): the
 * horizon when none is given (the promise's 48 hours), and the weeks of
 * history its arrivals and staffing come from, by default and at most (a
 * quarter: older weeks say little of the next days). */
#define CBD_FORECAST_HORIZON_DEFAULT "48h"
#define CBD_FORECAST_WEEKS_DEFAULT 4
#define CBD_FORECAST_WEEKS_MAX 12
/* A stale index entry (the callback was closed elsewhere) costs a claim a
 * retry; after this many the caseworker hears 503 and tries again. */
#define CBD_CLAIM_TRIES 5

/* A connection that neither sends nor takes a byte for this long is
 * closed (evhttp's own timeout); http_conn.c bounds the whole request,
 * and looks for requests past their time every CBD_CONN_SWEEP_MS. The
 * headers of a request may take this many bytes: a bearer token and an
 * Idempotency-Key take a few hundred. */
#define CBD_HTTP_TIMEOUT_S 30
#define CBD_CONN_SWEEP_MS 250
#define CBD_HTTP_HEADERS_MAX 16384

/* The web pages: a file name (letters, digits, '-', '_', one '.') of at
 * most this many characters, a file of at most this size: the pages are
 * a few kilobytes, nothing bigger is one of them. */
#define CBD_STATIC_NAME_MAX 64
#define CBD_STATIC_SIZE_MAX (4 * 1024 * 1024)

/* The requests of GET /metrics are counted per route's pattern (the route
 * table and "other": routes.c checks at build time that they fit) and
 * per status, a handful per route. */
#define CBD_METRICS_ROUTES_MAX 48
#define CBD_METRICS_STATUSES_MAX 16

/* Callbacks whose personal data one statement erases. */
#define CBD_ERASE_BATCH 1000
/* Open callbacks expired per statement: each is synced out of Redis. */
#define CBD_EXPIRE_BATCH 256

/* Callbacks read per query while rebuilding the Redis index. */
#define CBD_REBUILD_BATCH 1000
/* A rebuild's cleanup walks the record hashes this many at a time, so
 * that Redis answers others in between. */
#define CBD_REBUILD_CLEANUP_STEP 2048

/* Where make install puts the web pages (configure sets it). */
#ifndef CBD_WWW_DIR
#define CBD_WWW_DIR "/usr/share/callbackd/www"
#endif

/* Every daemon says it is alive in Redis each CBD_PEER_BEAT_MS; one silent
 * for CBD_PEER_DEAD_MS counts as dead, and a survivor re-syncs the open
 * callbacks changed since CBD_CATCHUP_MARGIN_MS before it was last seen:
 * what it committed but did not live to mirror into Redis. */
#define CBD_PEER_BEAT_MS 1000
#define CBD_PEER_DEAD_MS 5000
#define CBD_CATCHUP_MARGIN_MS 60000

/* Requests waiting for a free PostgreSQL connection before intake says 503. */
#define CBD_STORE_QUEUE_MAX 4096
/* A statement without an answer this long after the server's own
 * statement_timeout should have ended it: the server or the way to it is
 * stuck, and the connection is given up. */
#define CBD_PG_DEADLINE_GRACE_MS 1000
/* PostgreSQL is "slow" from a statement past its deadline until one
 * answers in time with none late for this long (or statement_timeout,
 * if longer). */
#define CBD_PG_SLOW_QUIET_MS 2000
/* How often jobs waiting for a connection are checked against
 * statement_timeout. */
#define CBD_PG_WAITED_CHECK_MS 250
/* How often per redis_timeout the watchdog looks for an overdue reply: a
 * stall is found between 0.9 and 1.1 timeouts after the call. */
#define CBD_REDIS_WATCH_PER_TIMEOUT 10
/* Intake requests, claims or attempts sharing one statement and one
 * commit, at most. */
#define CBD_GROUP_MAX 64
/* Requests waiting per running group before another group of the kind
 * starts: intake, and claims or attempts. Fewer, larger intake groups
 * cost PostgreSQL less per request (each statement has a fixed cost of
 * about 0.3 ms): at 64 connections on two cores, 32 took 1-39 % more
 * intakes/s than 16 in nine of ten alternating runs, p99 alike. */
#define CBD_INTAKE_LANE_AT 32
#define CBD_GROUP_LANE_AT 8

#endif
