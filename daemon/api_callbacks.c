/*
 * api_callbacks.c owns the call-back resources of the API: intake (POST
 * /v1/callbacks) and reading one (GET /v1/callbacks/{id}). It validates,
 * decides the due time, asks the store to commit and the queue to index,
 * and answers. It never builds SQL or Redis commands and never logs
 * personal data: only ids, sites and topics.
 */
#include <stdlib.h>
#include <string.h>

#include "alert_timer.h"
#include "api.h"
#include "auth.h"
#include "bounds.h"
#include "config.h"
#include "log.h"
#include "phone.h"
#include "query.h"
#include "queue.h"
#include "sla.h"
#include "store.h"
#include "timefmt.h"
#include "unclaimable.h"
#include "validate.h"

static json_t *
time_json(int64_t ms)
{
	char buf[CBD_TIME_STR];

	if (ms == CBD_NO_TIME || rfc3339_format(ms, buf, sizeof(buf)) == 0)
		return json_null();
	return json_string(buf);
}

json_t *
api_time_json(int64_t ms)
{
	return time_json(ms);
}

static json_t *
str_json(const char *s)
{
	return s[0] ? json_string(s) : json_null();
}

json_t *
api_callback_json(const struct callback *cb)
{
	json_t
	    *j = json_pack("{s:s,s:s,s:o,s:s,s:s,s:s,s:b,s:o,s:o,s:o,s:o,s:o,"
			   "s:o,s:o,s:o,s:o,s:o,s:i,s:o,s:o}",
		"id", cb->id, "state", state_word(cb->state), "phone",
		str_json(cb->phone), "topic", cb->topic, "site", cb->site,
		"language", cb->language, "urgent", cb->urgent, "assignee",
		str_json(cb->assignee), "name", str_json(cb->name),
		"customer_ref", str_json(cb->customer_ref), "note",
		str_json(cb->note), "call_id", str_json(cb->call_id),
		"requested_at", time_json(cb->requested_at), "received_at",
		time_json(cb->received_at), "due_at", time_json(cb->due_at),
		"not_before", time_json(cb->not_before), "not_after",
		time_json(cb->not_after), "request_count", cb->request_count,
		"created_at", time_json(cb->created_at), "updated_at",
		time_json(cb->updated_at));

	/* the lease token is the holder's alone: the claim returns it */
	json_object_update_new(j,
	    json_pack("{s:o,s:o,s:i,s:i,s:i,s:b,s:o,s:o,s:o}", "claimed_by",
		str_json(cb->claimed_by), "lease_until",
		time_json(cb->lease_until), "attempt_count", cb->attempt_count,
		"unanswered_count", cb->unanswered_count, "lapsed_leases",
		cb->lapsed_leases, "flagged", cb->flagged, "first_attempt_at",
		time_json(cb->first_attempt_at), "reached_at",
		time_json(cb->reached_at), "closed_at",
		time_json(cb->closed_at)));
	return j;
}

json_t *
api_callback_change_json(const struct callback *cb)
{
	static const char *const personal[] = { "phone", "name", "customer_ref",
		"note", "call_id" };
	json_t *j = api_callback_json(cb);
	size_t i;

	for (i = 0; j && i < sizeof(personal) / sizeof(personal[0]); i++)
		json_object_del(j, personal[i]);
	return j;
}

int
api_refused(struct api_req *a, enum verdict verdict, const struct callback *cb)
{
	char msg[96];

	switch (verdict) {
	case VERDICT_OK:
		return 0;
	case VERDICT_FOREIGN:
		http_error(a, 403, "lease_foreign", "lease",
		    "another caseworker holds this callback");
		break;
	case VERDICT_LOST:
		http_error(a, 409, "lease_lost", "lease",
		    "the lease is stale or has lapsed; claim again");
		break;
	case VERDICT_WINDOW:
		http_error(a, 422, "invalid_window", "not_before",
		    "not_before must lie before the end of the caller's window "
		    "(not_after)");
		break;
	case VERDICT_NOT_FLAGGED:
		http_reply(a, 409,
		    json_pack("{s:{s:s,s:n,s:s,s:s}}", "error", "code",
			"wrong_state", "field", "message",
			"the callback is not flagged "
			"for a supervisor",
			"state", state_word(cb->state)),
		    NULL);
		break;
	case VERDICT_WRONG_STATE:
	default:
		snprintf(msg, sizeof(msg),
		    "the callback is %s; that does not allow "
		    "this",
		    state_word(cb->state));
		http_reply(a, 409,
		    json_pack("{s:{s:s,s:n,s:s,s:s}}", "error", "code",
			"wrong_state", "field", "message", msg, "state",
			state_word(cb->state)),
		    NULL);
		break;
	}
	return 1;
}

/* ---- POST /v1/callbacks --------------------------------------------- */

struct intake {
	struct api_req *a; /* first: the store asks whether a->req is gone */
	enum intake_outcome outcome;
	struct callback row;
};

static void
intake_answer(struct intake *in)
{
	json_t *body;
	char location[64];

	/* The telephony system needs to know that the request is in and
	 * when it falls due, nothing of the caller: a merge or a replay
	 * answers with a callback that may hold what another request said. */
	if (in->a->role == ROLE_TELEPHONY)
		body = json_pack("{s:s,s:s,s:o,s:i}", "id", in->row.id, "state",
		    state_word(in->row.state), "due_at",
		    time_json(in->row.due_at), "request_count",
		    in->row.request_count);
	else
		body = api_callback_json(&in->row);

	json_object_set_new(body, "merged",
	    json_boolean(in->outcome == INTAKE_MERGED));
	json_object_set_new(body, "replayed",
	    json_boolean(in->outcome == INTAKE_REPLAYED));
	if (in->outcome == INTAKE_CREATED) {
		snprintf(location, sizeof(location), "/v1/callbacks/%s",
		    in->row.id);
		http_reply(in->a, 201, body, location);
	} else if (in->a->role != ROLE_TELEPHONY) {
		/* the agent sees the callback its request merged into, with
		 * what earlier requests said: a read, on record */
		const char *id = in->row.id;

		api_access_reply(in->a, "POST /v1/callbacks", &id, 1, 200,
		    body);
	} else
		http_reply(in->a, 200, body, NULL);
	free(in);
}

static void
intake_indexed(void *arg, int ok)
{
	struct intake *in = arg;

	/* The row is committed: the answer is a success either way. An index
	 * entry that did not make it is restored by the next rebuild. */
	if (!ok)
		log_warnx("callback %s (site %s, topic %s) committed but not "
			  "indexed in Redis; the next rebuild adds it",
		    in->row.id, in->row.site, in->row.topic);
	intake_answer(in);
}

static void
intake_stored(void *arg, enum store_status st, enum intake_outcome outcome,
    const struct callback *row, const struct sla_plan *planned)
{
	struct intake *in = arg;

	if (st != STORE_OK) {
		http_store_failed(in->a, st);
		free(in);
		return;
	}
	if (outcome == INTAKE_CONFLICT_KEY ||
	    outcome == INTAKE_CONFLICT_CALL_ID) {
		const char *key = outcome == INTAKE_CONFLICT_KEY ?
		    "Idempotency-Key" :
		    "call_id";

		/* the callback it was used for is another caller's: not a word
		 * of it in the answer; the log names the sender, not the key */
		log_warnx("intake refused: %s reused its %s for a different "
			  "request",
		    in->a->actor, key);
		http_error(in->a, 422, "idempotency_conflict", key,
		    "this %s was "
		    "used for a different request; nothing was written",
		    key);
		free(in);
		return;
	}
	if (outcome == INTAKE_UNKNOWN_ASSIGNEE) {
		http_error(in->a, 422, "unknown_assignee", "assignee",
		    "the assignee is not an active caseworker");
		free(in);
		return;
	}
	in->outcome = outcome;
	in->row = *row;
	if (planned) /* a merge that planned nothing left its alerts as they were */
		alert_timer_hint(sla_first_alert(planned));
	if (outcome == INTAKE_CREATED)
		unclaimable_hint(); /* someone must be able to claim it */
	if (outcome == INTAKE_CREATED)
		log_info("callback %s created (site %s, topic %s%s)", row->id,
		    row->site, row->topic, row->urgent ? ", urgent" : "");
	else if (outcome == INTAKE_MERGED)
		log_info(
		    "callback %s merged a repeated request (site %s, topic %s, "
		    "%d requests)",
		    row->id, row->site, row->topic, row->request_count);
	if (outcome == INTAKE_REPLAYED || !callback_open(row)) {
		intake_answer(in);
		return;
	}
	queue_sync(&in->row, intake_indexed, in);
}

void
api_callbacks_create(struct api_req *a)
{
	struct callback req;
	struct sla_plan plan;
	struct intake *in;
	struct verr e;

	if (validate_idempotency_key(a->idempotency_key, &e) == -1 ||
	    validate_create(a->body, conf, a->received_ms, &req, &e) == -1) {
		http_error(a, e.status, e.code, e.field, "%s", e.message);
		return;
	}
	/* validated: the topic and the site are configured */
	sla_plan_callback(conf, &req, &plan);
	req.due_at = plan.due_at;
	if (!(in = calloc(1, sizeof(*in)))) {
		http_store_failed(a, STORE_UNAVAILABLE);
		return;
	}
	in->a = a;
	store_intake(&req, &plan, a->idempotency_key, a->token.id, a->actor,
	    intake_stored, in);
}

/* ---- GET /v1/callbacks/{id} ----------------------------------------- */

static void
got_callback(void *arg, enum store_status st, const struct callback *cb,
    const char *attempts_json)
{
	struct api_req *a = arg;
	json_t *body, *attempts;
	const char *id;

	if (st != STORE_OK) {
		http_store_failed(a, st);
		return;
	}
	if (a->role == ROLE_CASEWORKER &&
	    strcmp(cb->assignee, a->token.caseworker_id) &&
	    strcmp(cb->claimed_by, a->token.caseworker_id)) {
		http_error(a, 403, "forbidden", NULL,
		    "this callback is neither assigned to you nor claimed by you");
		return;
	}
	attempts = json_loads(attempts_json, 0, NULL);
	body = api_callback_json(cb);
	json_object_set_new(body, "attempts",
	    attempts ? attempts : json_array());
	id = cb->id;
	api_access_reply(a, "GET /v1/callbacks/{id}", &id, 1, 200, body);
}

void
api_callbacks_get(struct api_req *a)
{
	store_get_callback(a->path_id, got_callback, a);
}

/* ---- attempts and cancel -------------------------------------------- */

struct change {
	struct api_req *a;
	struct callback row;
	int status;
};

static void
change_synced(void *arg, int ok)
{
	struct change *c = arg;

	(void)ok; /* committed: the rebuild mends Redis if this failed */
	http_reply(c->a, c->status, api_callback_change_json(&c->row), NULL);
	free(c);
}

static void
change_stored(void *arg, enum store_status st, enum verdict verdict,
    const struct callback *cb)
{
	struct change *c = arg;

	if (st != STORE_OK) {
		http_store_failed(c->a, st);
		free(c);
		return;
	}
	if (api_refused(c->a, verdict, cb)) {
		free(c);
		return;
	}
	log_info("callback %s is %s (site %s, topic %s, %d attempt%s)", cb->id,
	    state_word(cb->state), cb->site, cb->topic, cb->attempt_count,
	    cb->attempt_count == 1 ? "" : "s");
	c->row = *cb;
	queue_sync(cb, change_synced, c);
}

static struct change *
change_new(struct api_req *a, int status)
{
	struct change *c = calloc(1, sizeof(*c));

	if (!c) {
		http_store_failed(a, STORE_UNAVAILABLE);
		return NULL;
	}
	c->a = a;
	c->status = status;
	return c;
}

/* An unanswered attempt (no_answer, busy, voicemail) falls under its
 * topic's retry policy and its site's calendar, so the handler reads the
 * row first for them. The other results need neither: they are stored
 * straight away, one PostgreSQL round trip fewer on the common path. */
struct attempt_call {
	struct api_req *a;
	struct attempt_req req;
};

static void
attempt_store(struct attempt_call *ac)
{
	struct change *c;

	if ((c = change_new(ac->a, 201)))
		store_attempt(&ac->req, change_stored, c);
	free(ac);
}

static void
attempt_row(void *arg, enum store_status st, const struct callback *cb,
    const char *attempts)
{
	struct attempt_call *ac = arg;
	const struct topic_policy *t;
	const struct site *s;

	(void)attempts;
	if (st != STORE_OK) {
		http_store_failed(ac->a, st);
		free(ac);
		return;
	}
	if (!(t = config_topic(conf, cb->topic))) {
		http_error(ac->a, 409, "unknown_topic", NULL,
		    "the callback's topic is no longer configured");
		free(ac);
		return;
	}
	ac->req.max_attempts = (int)t->max_attempts;
	/* the next try after a pause that doubles with each unanswered
	 * attempt (a caller who asked for another time was reached), counted
	 * in the calling hours of the callback's calendar */
	s = config_site(conf, cb->site);
	ac->req.not_before = sla_retry_at(t, s ? config_calendar(t, s) : NULL,
	    cb->unanswered_count, ac->a->received_ms);
	attempt_store(ac);
}

void
api_callbacks_attempt(struct api_req *a)
{
	struct attempt_call *ac = calloc(1, sizeof(*ac));
	int holder = a->role == ROLE_CASEWORKER;
	struct verr e;

	if (!ac) {
		http_store_failed(a, STORE_UNAVAILABLE);
		return;
	}
	if (validate_attempt(a->body, holder, a->received_ms, &ac->req, &e) ==
	    -1) {
		http_error(a, e.status, e.code, e.field, "%s", e.message);
		free(ac);
		return;
	}
	if (!holder && ac->req.lease_token[0]) {
		http_error(a, 400, "unknown_field", "lease",
		    "an agent logs attempts without a lease");
		free(ac);
		return;
	}
	ac->a = a;
	snprintf(ac->req.id, sizeof(ac->req.id), "%s", a->path_id);
	snprintf(ac->req.actor, sizeof(ac->req.actor), "%s", a->actor);
	if (holder)
		snprintf(ac->req.caseworker, sizeof(ac->req.caseworker), "%s",
		    a->token.caseworker_id);
	if (result_unanswered(ac->req.result))
		store_get_callback(a->path_id, attempt_row, ac);
	else
		attempt_store(ac);
}

void
api_callbacks_cancel(struct api_req *a)
{
	struct change *c = change_new(a, 200);

	if (c)
		store_cancel(a->path_id, a->actor, change_stored, c);
}

/* A manager hands a flagged callback back to the queue, at its place. */
void
api_callbacks_unflag(struct api_req *a)
{
	struct change *c = change_new(a, 200);

	if (c)
		store_unflag(a->path_id, a->actor, change_stored, c);
}

/* ---- GET /v1/callbacks ------------------------------------------------ */

struct list_call {
	struct api_req *a;
	size_t limit;
};

static void
listed(void *arg, enum store_status st, const struct callback *rows, size_t n)
{
	struct list_call *lc = arg;
	struct api_req *a = lc->a;
	size_t limit = lc->limit, i;
	json_t *list, *body;
	char cursor[QUERY_CURSOR_MAX] = "";
	const char **ids;

	free(lc);
	if (st != STORE_OK) {
		http_store_failed(a, st);
		return;
	}
	list = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(list, api_callback_json(&rows[i]));
	body = json_pack("{s:o}", "callbacks", list);
	if (n > 0)
		query_cursor_format(rows[n - 1].created_at, rows[n - 1].id,
		    cursor, sizeof(cursor));
	api_next_cursor(body, n, limit, cursor);
	/* a page that shows nobody is no read of anyone's data */
	if (n == 0) {
		http_reply(a, 200, body, NULL);
		return;
	}
	if (!(ids = calloc(n, sizeof(*ids)))) {
		json_decref(body);
		http_store_failed(a, STORE_UNAVAILABLE);
		return;
	}
	for (i = 0; i < n; i++)
		ids[i] = rows[i].id;
	api_access_reply(a, "GET /v1/callbacks", ids, n, 200, body);
	free(ids);
}

/* Copies a filter value; -1 (and the answer sent) when it is too long. */
static int
filter_value(struct api_req *a, const char *name, char *dst, size_t len)
{
	const char *v = http_query(a, name);

	dst[0] = '\0';
	if (!v)
		return 0;
	if (strlen(v) >= len) {
		http_error(a, 400, "too_long", name, "%s is too long", name);
		return -1;
	}
	strcpy(dst, v);
	return 0;
}

void
api_callbacks_list(struct api_req *a)
{
	static const char *const filters[] = { "state", "site", "topic",
		"assignee", "phone", "customer_ref", "limit", "cursor", NULL };
	struct list_filter f;
	struct list_call *lc;
	const char *cursor = http_query(a, "cursor");
	const char *flagged = http_query(a, "flagged");
	const char *unclaimable = http_query(a, "unclaimable");
	const char *phone, *why = NULL;
	char state[16];
	unsigned long limit = CBD_LIST_LIMIT_DEFAULT;

	memset(&f, 0, sizeof(f));
	if (api_filters_not_empty(a, filters) == -1 ||
	    filter_value(a, "state", state, sizeof(state)) == -1 ||
	    filter_value(a, "site", f.site, sizeof(f.site)) == -1 ||
	    filter_value(a, "topic", f.topic, sizeof(f.topic)) == -1 ||
	    filter_value(a, "assignee", f.assignee, sizeof(f.assignee)) == -1 ||
	    filter_value(a, "customer_ref", f.customer_ref,
		sizeof(f.customer_ref)) == -1)
		return;
	if (f.site[0] && !config_site(conf, f.site)) {
		http_error(a, 422, "unknown_site", "site", "no such site");
		return;
	}
	if (f.topic[0] && !config_topic(conf, f.topic)) {
		http_error(a, 422, "unknown_topic", "topic", "no such topic");
		return;
	}
	if ((phone = http_query(a, "phone")) &&
	    phone_normalise(phone, conf->country_code, f.phone, sizeof(f.phone),
		&why) == -1) {
		http_error(a, 422, "invalid_phone", "phone", "%s", why);
		return;
	}
	if ((f.by_state = state[0] != '\0') &&
	    state_parse(state, &f.state) == -1) {
		http_error(a, 422, "invalid_value", "state", "no such state");
		return;
	}
	if (flagged && strcmp(flagged, "true") && strcmp(flagged, "false")) {
		http_error(a, 400, "invalid_value", "flagged",
		    "flagged must be true or false");
		return;
	}
	f.flagged = flagged ? !strcmp(flagged, "true") : -1;
	/* only the queued callbacks no active caseworker may claim */
	if (unclaimable && strcmp(unclaimable, "true") &&
	    strcmp(unclaimable, "false")) {
		http_error(a, 400, "invalid_value", "unclaimable",
		    "unclaimable must be true or false");
		return;
	}
	f.unclaimable = unclaimable && !strcmp(unclaimable, "true");
	if (api_limit_param(a, CBD_LIST_LIMIT_MAX, &limit) == -1)
		return;
	f.limit = limit;
	if (cursor &&
	    query_cursor(cursor, &f.after_created, f.after_id) == -1) {
		http_error(a, 400, "invalid_value", "cursor",
		    "cursor must be a next_cursor from an earlier page");
		return;
	}
	if (!(lc = calloc(1, sizeof(*lc)))) {
		http_store_failed(a, STORE_UNAVAILABLE);
		return;
	}
	lc->a = a;
	lc->limit = f.limit;
	store_list_callbacks(&f, listed, lc);
}

/* ---- GET /v1/alerts --------------------------------------------------- */

struct alerts_page {
	struct api_req *a;
	size_t limit;
};

static void
alerts_listed(void *arg, enum store_status st, const struct alert *al, size_t n)
{
	struct alerts_page *p = arg;
	struct api_req *a = p->a;
	json_t *list, *body;
	char cursor[48] = "";
	size_t i;

	if (st != STORE_OK) {
		http_store_failed(a, st);
		free(p);
		return;
	}
	list = json_array();
	for (i = 0; i < n; i++) {
		/* planned_at: when it was due to go out; fired_at, when a daemon
		 * wrote it; sent_at, when syslog took it (later than planned
		 * when it was held). fire_at is planned_at's older name. */
		json_t *one =
		    json_pack("{s:I,s:s,s:s,s:f,s:s,s:s,s:o,s:o,s:o,s:o,s:o}",
			"id", (json_int_t)al[i].id, "callback_id",
			al[i].callback_id, "level", al[i].level, "threshold",
			al[i].threshold, "site", al[i].site, "topic",
			al[i].topic, "due_at", time_json(al[i].due_at),
			"planned_at", time_json(al[i].fire_at), "fire_at",
			time_json(al[i].fire_at), "fired_at",
			time_json(al[i].fired_at), "sent_at",
			time_json(al[i].sent_at));

		/* unclaimable: why nobody may claim it */
		json_object_set_new(one, "reason",
		    al[i].reason[0] ? json_string(al[i].reason) : json_null());
		json_array_append_new(list, one);
	}
	/* a full page: the next one starts after its last alert, by the
	 * order of the list (fired_at's millisecond, then id) */
	body = json_pack("{s:o}", "alerts", list);
	if (n > 0)
		snprintf(cursor, sizeof(cursor), "%lld.%lld",
		    (long long)al[n - 1].fired_at, (long long)al[n - 1].id);
	api_next_cursor(body, n, p->limit, cursor);
	/* the manager's page polls it: unchanged, a 304 without a body */
	http_reply_tagged(a, body);
	free(p);
}

void
api_alerts_list(struct api_req *a)
{
	const char *level = http_query(a, "level"), *site;
	const char *waiting = http_query(a, "waiting"),
		   *cursor = http_query(a, "cursor");
	static const char *const filters[] = { "since", "level", "site",
		"waiting", "limit", "cursor", NULL };
	int64_t since_ms = CBD_NO_TIME, after_ms = 0, after_id = 0;
	unsigned long limit = CBD_ALERTS_LIMIT;
	struct alerts_page *p;

	if (api_filters_not_empty(a, filters) == -1 ||
	    api_since_param(a, &since_ms) == -1 ||
	    api_limit_param(a, CBD_ALERTS_LIMIT, &limit) == -1)
		return;
	if (cursor && query_cursor_num(cursor, &after_ms, &after_id) == -1) {
		http_error(a, 400, "invalid_value", "cursor",
		    "cursor must be a next_cursor of this list");
		return;
	}
	if (level && strcmp(level, "at_risk") && strcmp(level, "breached") &&
	    strcmp(level, "unclaimable")) {
		http_error(a, 400, "invalid_value", "level",
		    "level must be at_risk, breached or unclaimable");
		return;
	}
	if (api_site_param(a, &site) == -1)
		return;
	if (waiting && strcmp(waiting, "true") && strcmp(waiting, "false")) {
		http_error(a, 400, "invalid_value", "waiting",
		    "waiting must be true or false");
		return;
	}
	if (!(p = calloc(1, sizeof(*p)))) {
		http_store_failed(a, STORE_UNAVAILABLE);
		return;
	}
	p->a = a;
	p->limit = limit;
	store_alerts_list(since_ms, level, site,
	    waiting && !strcmp(waiting, "true"), after_ms, after_id, limit,
	    alerts_listed, p);
}
