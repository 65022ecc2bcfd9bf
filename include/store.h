#ifndef CBD_STORE_H
#define CBD_STORE_H
#include <stddef.h>
#include <stdint.h>

#include "callback.h"
#include "token.h"

/*
 * The system of record: PostgreSQL through non-blocking libpq on the event
 * loop. Every operation takes a completion function that is called exactly
 * once: from the loop when the statement ran, or before the call returns
 * when PostgreSQL is unavailable or the request cannot be valid.
 */

struct event_base;

enum store_status {
	STORE_OK = 0,
	STORE_NOT_FOUND,   /* the query ran, there is no such row */
	STORE_REFUSED,     /* the change may not be made: nothing was written */
	STORE_INVALID,     /* PostgreSQL refused the values given (a constraint
	                    * validation should have caught, an unknown time
	                    * zone): the request's fault, nothing written */
	STORE_UNAVAILABLE, /* no connection, or it broke: try again later */
	STORE_FAILED       /* PostgreSQL refused the statement (logged) */
};

/* A request's outcome; the last three are refusals, with nothing written
 * and no row: its Idempotency-Key or call_id was used by the same sender
 * for another request, or its assignee is no active caseworker. */
enum intake_outcome {
	INTAKE_CREATED,
	INTAKE_REPLAYED,
	INTAKE_MERGED,
	INTAKE_CONFLICT_KEY,
	INTAKE_CONFLICT_CALL_ID,
	INTAKE_UNKNOWN_ASSIGNEE
};

/* Called when PostgreSQL has a schema this build cannot run on. */
typedef void store_fatal_fn(const char *why);

int store_init(struct event_base *, store_fatal_fn *);
void store_shutdown(void);
/* 1 when a connection is up and the schema is the one we know. */
int store_ready(void);
/* A code for /readyz: "ok", "slow" (a statement ran past its deadline and
 * none has answered in time since), "connecting", "unreachable",
 * "read_only" (the server takes no writes), "schema_old" or "schema_new".
 * The server's own words go to the log, not here. */
const char *store_state(void);
/* Asked just before an intake or a claim is sent, with the arg of its
 * completion: 1 when nobody waits for the answer any more. Then it is not
 * sent, and the completion gets STORE_UNAVAILABLE. */
typedef int store_gone_fn(void *arg);
void store_set_gone(store_gone_fn *);
/* Called when the pool is on another PostgreSQL server than before (a
 * promoted standby, or the same one restarted): rows the index names may
 * be gone, when the standby had not received them. */
typedef void store_moved_fn(void);
void store_set_moved(store_moved_fn *);
/* The schema version this build runs on (the newest embedded migration). */
int store_schema_version(void);

typedef void store_token_fn(void *arg, enum store_status,
    const struct token_info *);
/* A token that is not revoked, not expired and, for a caseworker, whose
 * caseworker exists and is active; STORE_NOT_FOUND for any other. */
void store_token_lookup(const char *sha256_hex, store_token_fn *, void *arg);

/* planned: the alerts this request planned (a new callback's, or those
 * of a callback a merge made urgent); NULL when it planned none. */
typedef void store_intake_fn(void *arg, enum store_status, enum intake_outcome,
    const struct callback *, const struct sla_plan *planned);
/* Records a request: replay, merge or new, committed before fn is called.
 * plan is the request's own (sla_plan_callback), written for a new
 * callback; a merge that makes a callback urgent is planned again from
 * the merged row. idem_key may be NULL; req->call_id empty means none.
 * Both keys are the sender's (scope: its token id) and kept with
 * req->fingerprint. */
void store_intake(const struct callback *req, const struct sla_plan *plan,
    const char *idem_key, int64_t scope, const char *actor, store_intake_fn *fn,
    void *arg);

/* One callback and its attempts, as a JSON array text, oldest first. */
typedef void store_callback_fn(void *arg, enum store_status,
    const struct callback *, const char *attempts_json);
void store_get_callback(const char *id, store_callback_fn *, void *arg);
/* One callback and its story (store_events.c): a JSON object text
 * {"events": [{at, kind, actor, data}, ...], "held": bool}, the events at
 * most limit, oldest first, held whether caseworker ("" or NULL: none)
 * ever claimed it. */
void store_callback_events(const char *id, const char *caseworker, size_t limit,
    store_callback_fn *, void *arg);

/* Open callbacks (queued or claimed) with id > after_id (""), by id; with
 * since_ms, only those changed since then (CBD_NO_TIME: all). */
typedef void store_page_fn(void *arg, enum store_status,
    const struct callback *, size_t n);
void store_open_callbacks(const char *after_id, int64_t since_ms, size_t limit,
    store_page_fn *, void *arg);

/*
 * Changes to one callback. Each is one statement that checks the state it
 * starts from and, where a lease is involved, the lease (the fencing
 * token), commits, and returns the row as it is afterwards, with its
 * verdict (enum verdict: VERDICT_OK, or why nothing changed);
 * STORE_NOT_FOUND when there is no such callback.
 */
typedef void store_change_fn(void *arg, enum store_status, enum verdict,
    const struct callback *);

/* Claims a queued callback for cw; STORE_REFUSED when it is not queued,
 * is no callback at all, or not one cw may claim (assigned to cw, or unassigned and of cw's
 * site, topics and languages), whatever the index offered. The claim and
 * its access log row (token_id, the caseworker) are one commit. */
void store_claim(const char *id, const char *token, int64_t until_ms,
    const struct caseworker *cw, const char *actor, int64_t token_id,
    store_change_fn *, void *arg);
void store_heartbeat(const char *id, const char *token, const char *caseworker,
    int64_t until_ms, store_change_fn *, void *arg);
void store_release(const char *id, const char *token, const char *caseworker,
    const char *actor, store_change_fn *, void *arg);
/* Ends a lapsed lease if it has lapsed; returns the row either way. */
void store_lease_expire(const char *id, int flag_after, store_change_fn *,
    void *arg);

void store_attempt(const struct attempt_req *, store_change_fn *, void *arg);
void store_cancel(const char *id, const char *actor, store_change_fn *,
    void *arg);
/* Hands a flagged queued callback back to the queue, its lapses forgotten;
 * VERDICT_NOT_FLAGGED when it is not flagged (or closed). */
void store_unflag(const char *id, const char *actor, store_change_fn *,
    void *arg);

/* Callbacks matching a filter, oldest first, after a cursor. Empty strings
 * match anything. */
struct list_filter {
	int by_state; /* 0: any state */
	enum cb_state state;
	char site[CBD_IDENT_MAX + 1];
	char topic[CBD_IDENT_MAX + 1];
	char assignee[CBD_IDENT_MAX + 1];
	char phone[CBD_PHONE_MAX + 1]; /* E.164 */
	char customer_ref[CBD_CUSTOMER_REF_MAX + 1];
	int flagged;     /* 1 only flagged, 0 only not flagged, -1 both */
	int unclaimable; /* only queued callbacks no active caseworker may claim */
	int64_t after_created; /* cursor: created_at and id of the last row */
	char after_id[37];
	size_t limit;
};
void store_list_callbacks(const struct list_filter *, store_page_fn *,
    void *arg);
/* The callbacks with these ids that cw may claim (as store_claim), in
 * this order; missing ones and the others left out. */
void store_callbacks_by_id(const char *const *ids, size_t n,
    const struct caseworker *cw, store_page_fn *, void *arg);

/* Caseworkers: one list for every query (n 0 when none matched). */
typedef void store_caseworkers_fn(void *arg, enum store_status,
    const struct caseworker *, size_t n);
/* create: insert, n 0 when the id exists; else update, n 0 when missing.
 * event names the admin action for the event log ("caseworker_created",
 * "caseworker_updated", "caseworker_deactivated"), by actor. A profile
 * saved inactive gives back its caseworker's leases in the same commit:
 * released are those callbacks as they are now, to be indexed. */
typedef void store_cw_saved_fn(void *arg, enum store_status,
    const struct caseworker *, size_t n, const struct callback *released,
    size_t nreleased);
void store_caseworker_save(const struct caseworker *, int create,
    const char *actor, const char *event, store_cw_saved_fn *, void *arg);
/* One caseworker by id, or all (id NULL), by id. */
void store_caseworkers(const char *id, store_caseworkers_fn *, void *arg);
/* One caseworker's profile for claiming, possibly as read up to
 * CBD_PROFILE_CACHE_MS ago (at once fresh after a save through this
 * daemon); fn may run before this returns. */
void store_caseworker_profile(const char *id, store_caseworkers_fn *,
    void *arg);

/* SLA alerts. */
struct alert {
	int64_t id;
	char callback_id[37];
	char level[16];   /* at_risk, breached or unclaimable */
	double threshold; /* fraction of the target used: 0.5 ... 1 */
	char reason[24];  /* unclaimable: no_caseworker, assignee_inactive or
	                  * assignee_unknown; "" for the others */
	char site[CBD_IDENT_MAX + 1];
	char topic[CBD_IDENT_MAX + 1];
	int64_t due_at, fire_at, fired_at, sent_at;
	/* level "forecast" (no callback; due_at: the first projected breach,
	 * CBD_NO_TIME none; threshold: the config's count): how many
	 * breaches are projected on the site's working day */
	int breaches;
	char day[11]; /* YYYY-MM-DD */
};
typedef void store_alerts_fn(void *arg, enum store_status, const struct alert *,
    size_t n);
typedef void store_next_fn(void *arg, enum store_status, int64_t next_ms);
/* When the next alert falls due or a delivery claim runs out
 * (CBD_NO_TIME: none planned). */
void store_alerts_next(store_next_fn *, void *arg);
/* Takes up to limit alerts that are due, for this daemon to deliver
 * within claim_ms: writes those whose time has come for callbacks not yet
 * attempted, and takes back those another daemon did not deliver. */
void store_alerts_take(size_t limit, int64_t claim_ms, store_alerts_fn *,
    void *arg);
/* Marks alerts delivered (fn gets no rows). */
void store_alerts_sent(const int64_t *ids, size_t n, store_alerts_fn *,
    void *arg);
/* Fired alerts due for (another) try at the webhook, claimed for claim_ms;
 * then the outcome of one try. */
void store_webhook_take(size_t limit, int64_t claim_ms, store_alerts_fn *,
    void *arg);
void store_webhook_done(int64_t id, int ok, store_alerts_fn *, void *arg);
/* Alerts that went out, oldest first (fired_at's millisecond, then id),
 * at most limit; waiting_only: only those whose callback is still open
 * without a first attempt; after_id (0: from the start) with after_ms:
 * only those after that alert, which fired in that millisecond. */
void store_alerts_list(int64_t since_ms, const char *level, const char *site,
    int waiting_only, int64_t after_ms, int64_t after_id, size_t limit,
    store_alerts_fn *, void *arg);

/* A report: named, typed columns of text cells (NULL: SQL NULL), valid
 * only inside the completion. */
enum col_kind { COL_TEXT, COL_NUMBER, COL_BOOL };
struct table {
	int ncols, nrows;
	const char **names;
	enum col_kind *kinds;
	const char **cells; /* row-major */
};
typedef void store_table_fn(void *arg, enum store_status, const struct table *);
/* The SLA report (groups: "site,topic,..." of site, topic, day, week,
 * urgency; days and weeks in tz) or the breach list, for callbacks
 * requested in [from_ms, to_ms). STORE_INVALID: tz is unknown. */
void store_report(int breaches, int64_t from_ms, int64_t to_ms,
    const char *groups, const char *tz, store_table_fn *, void *arg);
/* The at-risk list (cbd_report_at_risk): at most limit rows, of one
 * site or (NULL) all. */
void store_report_at_risk(const char *site, size_t limit, store_table_fn *,
    void *arg);

/* Queue gauges for GET /metrics: columns metric, site, topic, state,
 * value; metric is depth (per site, topic, state), oldest_ready (seconds)
 * or at_risk (open callbacks with an at_risk alert out). */
void store_metrics_gauges(store_table_fn *, void *arg);

/* Looks for queued callbacks no active caseworker may claim, writes an
 * unclaimable alert for each that has none (the alert timer sends it) and
 * returns columns site, topic, unclaimable (how many), alerts (how many
 * this call wrote), one row per site and topic with any. */
void store_unclaimable_check(store_table_fn *, void *arg);
/* Open callbacks whose topic or site the configuration c does not have:
 * columns kind ("topic" or "site"), name, open (how many). */
struct config;
void store_open_outside(const struct config *c, store_table_fn *, void *arg);

/* Expires at most limit queued callbacks whose window (not_after) has
 * passed or that were received more than max_open_age_ms ago (0: never by
 * age), each with an expired event; the rows as they are now. */
void store_expire(int64_t max_open_age_ms, int limit, store_page_fn *,
    void *arg);

/* Erases the personal fields of at most limit callbacks closed more than
 * days ago; n is how many it erased. */
typedef void store_count_fn(void *arg, enum store_status, int n);
void store_erase_personal(int days, int limit, store_count_fn *, void *arg);

/* API tokens for the admin: as listed (never the token itself). */
struct token_row {
	int64_t id;
	char role[16];
	char caseworker_id[CBD_IDENT_MAX + 1];
	char label[201];
	/* RFC 3339; revoked and expires "" if not */
	char created_at[32], revoked_at[32], expires_at[32];
};
typedef void store_tokens_fn(void *arg, enum store_status,
    const struct token_row *, size_t n);
/* Makes a token (expires_ms CBD_NO_TIME: never), an event by actor. */
void store_token_create(const char *sha256_hex, const char *role,
    const char *caseworker, const char *label, int64_t expires_ms,
    const char *actor, store_tokens_fn *, void *arg);
/* All tokens (revoke_id 0), or revokes one and returns it (n 0: none),
 * an event by actor when it was not revoked before. */
void store_tokens(int64_t revoke_id, const char *actor, store_tokens_fn *,
    void *arg);

/*
 * The access log: every read of personal data, who (token, caseworker;
 * "" none), which route pattern, which callbacks. A read is answered only
 * once its row is committed.
 */
void store_access_record(int64_t token_id, const char *caseworker,
    const char *route, const char *const *callback_ids, size_t n,
    store_count_fn *, void *arg);
struct access_row {
	int64_t id;
	char at[32]; /* RFC 3339 */
	int64_t token_id;
	char caseworker_id[CBD_IDENT_MAX + 1];
	char route[64];
	char *callback_ids; /* a JSON array text */
};
typedef void store_access_fn(void *arg, enum store_status,
    const struct access_row *, size_t n);
/* Rows by id after after_id, at most limit; callback_id ("" any),
 * token_id (0 any), since_ms (CBD_NO_TIME any) filter. */
void store_access_list(const char *callback_id, int64_t token_id,
    int64_t since_ms, int64_t after_id, size_t limit, store_access_fn *,
    void *arg);
/* The admin actions by id after after_id, at most limit, as a table of
 * id, at (RFC 3339), actor, kind, data (JSON text); kind ("" any) and
 * since_ms (CBD_NO_TIME any) filter. */
void store_admin_events(const char *kind, int64_t since_ms, int64_t after_id,
    size_t limit, store_table_fn *, void *arg);

/* The forecast: what each site's forecast starts from at start_ms, from
 * the weeks whole weeks before that day (cbd_forecast_inputs: columns
 * kind, site, topic, urgent, dow, hour, a, b, at_ms, day), the sites'
 * local hours on their calendars' time zones; next_open_ms[i] is when
 * site i's calendar next opens (its "day" row is that working day). */
struct site;
void store_forecast_inputs(const struct site *const *sites, size_t n,
    const int64_t *next_open_ms, int64_t start_ms, int weeks, store_table_fn *,
    void *arg);
/* Writes the forecast alerts in rows_json (a JSON array of {site, topic,
 * day, breaches, first_breach_ms, threshold}) that no daemon wrote yet
 * and takes those not yet sent for this daemon for claim_ms: columns id,
 * site, topic, day, breaches, first_breach_ms, threshold. */
void store_forecast_alerts_take(const char *rows_json, int64_t claim_ms,
    store_table_fn *, void *arg);
/* Marks forecast alerts sent; n: how many were not before. */
void store_forecast_alerts_sent(const int64_t *ids, size_t n, store_count_fn *,
    void *arg);

/* Blocking helpers for the command line (never called from the loop). */
int store_admin_migrate(const char *conninfo);
int store_admin_create_token(const char *conninfo, const char *sha256_hex,
    const char *role, const char *caseworker_id, const char *label,
    int64_t expires_ms);

#endif
