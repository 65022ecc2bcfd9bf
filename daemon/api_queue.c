/*
 * api_queue.c owns what a caseworker does with their queue: claim the next
 * callback under a lease, keep the lease alive, give it back. PostgreSQL
 * records every claim before the answer; Redis picks, atomically, what may
 * be claimed. It never logs personal data.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "auth.h"
#include "bounds.h"
#include "config.h"
#include "log.h"
#include "query.h"
#include "queue.h"
#include "store.h"
#include "timefmt.h"
#include "validate.h"

static json_t *
lease_json(const struct callback *cb)
{
	char until[CBD_TIME_STR];

	rfc3339_format(cb->lease_until, until, sizeof(until));
	return json_pack("{s:s,s:s}", "token", cb->lease_token, "until", until);
}

/*
 * The index offered a queued callback this caseworker may not claim: it
 * is out of place (tampered with, or a change not yet mirrored). It is
 * skipped, said in the log, and its entry rewritten from its row.
 */
static void
foreign_row(void *arg, enum store_status st, const struct callback *cb,
    const char *attempts)
{
	(void)arg;
	(void)attempts;
	if (st == STORE_OK)
		queue_sync(cb, NULL, NULL);
}

/* ---- POST /v1/queue/claim ------------------------------------------- */

struct claim {
	struct api_req *a; /* first: the store asks whether a->req is gone */
	struct caseworker cw;
	char id[37];
	char token[37];
	int64_t until_ms;
	int tries;
};

static void claim_next(struct claim *);

static void
claim_answered(void *arg, int ok)
{
	struct claim *c = arg;

	(void)ok; /* a failed unclaim lapses like any lease */
	http_store_failed(c->a, STORE_UNAVAILABLE);
	free(c);
}

static void
claim_synced(void *arg, int ok)
{
	struct claim *c = arg;

	(void)ok;
	claim_next(c);
}

/* PostgreSQL says the callback the index offered is not queued: bring the
 * index in line with the row and try the next one. */
static void
claim_stale_row(void *arg, enum store_status st, const struct callback *cb,
    const char *attempts)
{
	struct claim *c = arg;

	(void)attempts;
	if (st == STORE_OK) {
		if (!strcmp(cb->state, "queued") && !cb->flagged &&
		    !caseworker_may_claim(&c->cw, cb))
			log_warnx("callback %s: in the queue of caseworker %s, who "
			    "may not claim it (site %s, topic %s); skipped and "
			    "re-synced", cb->id, c->cw.id, cb->site, cb->topic);
		queue_sync(cb, claim_synced, c);
		return;
	}
	queue_unclaim(c->id, c->token, claim_answered, c);
}

static void
claim_recorded_synced(void *arg, int ok)
{
	(void)arg;
	(void)ok; /* committed: the rebuild mends Redis if this failed */
}

static void
claim_stored(void *arg, enum store_status st, const char *verdict,
    const struct callback *cb)
{
	struct claim *c = arg;
	json_t *body;

	(void)verdict;
	if (st == STORE_NOT_FOUND) {
		store_get_callback(c->id, claim_stale_row, c);
		return;
	}
	if (st != STORE_OK) {
		queue_unclaim(c->id, c->token, claim_answered, c);
		return;
	}
	log_info("callback %s claimed (site %s, topic %s) by caseworker %s",
	    cb->id, cb->site, cb->topic, c->cw.id);
	queue_sync(cb, claim_recorded_synced, NULL);
	body = json_pack("{s:o,s:o}", "callback", api_callback_json(cb), "lease",
	    lease_json(cb));
	http_reply(c->a, 200, body, NULL);
	free(c);
}

static void
claim_picked(void *arg, int ok, const char *id)
{
	struct claim *c = arg;

	if (!ok) {
		http_error(c->a, 503, "unavailable", NULL,
		    "the queue is not reachable; try again");
		free(c);
		return;
	}
	if (!id) {
		http_reply(c->a, 204, NULL, NULL);
		free(c);
		return;
	}
	snprintf(c->id, sizeof(c->id), "%s", id);
	store_claim(c->id, c->token, c->until_ms, &c->cw, c->a->actor,
	    c->a->token.id, claim_stored, c);
}

static void
claim_next(struct claim *c)
{
	int64_t now, provisional;

	if (++c->tries > CBD_CLAIM_TRIES || !http_alive(c->a)) {
		http_store_failed(c->a, STORE_UNAVAILABLE);
		free(c);
		return;
	}
	if (auth_new_uuid(c->token) == -1) {
		http_store_failed(c->a, STORE_UNAVAILABLE);
		free(c);
		return;
	}
	/* Redis holds a provisional lease until PostgreSQL has recorded the
	 * claim; the sync after the commit puts in the full one. */
	now = now_ms();
	c->until_ms = now + conf->lease_ms;
	provisional = now + CBD_PROVISIONAL_LEASE_MS;
	queue_claim(&c->cw, c->token, provisional < c->until_ms ? provisional :
	    c->until_ms, claim_picked, c);
}

static void
claim_profile(void *arg, enum store_status st, const struct caseworker *w,
    size_t n)
{
	struct claim *c = arg;

	if (st != STORE_OK) {
		http_store_failed(c->a, st);
		free(c);
		return;
	}
	if (n == 0 || !w->active) {
		http_error(c->a, 403, "caseworker_inactive", NULL,
		    "this caseworker is unknown or deactivated");
		free(c);
		return;
	}
	c->cw = *w;
	claim_next(c);
}

void
api_queue_claim(struct api_req *a)
{
	struct claim *c = calloc(1, sizeof(*c));

	if (!c) {
		http_store_failed(a, STORE_UNAVAILABLE);
		return;
	}
	c->a = a;
	store_caseworker_profile(a->token.caseworker_id, claim_profile, c);
}

/* ---- heartbeat and release ------------------------------------------ */

struct lease_call {
	struct api_req *a;
	struct callback row;
	int release;
};

static void
lease_synced(void *arg, int ok)
{
	struct lease_call *l = arg;
	json_t *body;

	(void)ok;
	if (l->release)
		body = api_callback_json(&l->row);
	else
		body = json_pack("{s:o}", "lease", lease_json(&l->row));
	http_reply(l->a, 200, body, NULL);
	free(l);
}

static void
lease_stored(void *arg, enum store_status st, const char *verdict,
    const struct callback *cb)
{
	struct lease_call *l = arg;

	if (st != STORE_OK) {
		http_store_failed(l->a, st);
		free(l);
		return;
	}
	if (api_refused(l->a, verdict, cb)) {
		free(l);
		return;
	}
	if (l->release)
		log_info("callback %s released (site %s, topic %s)", cb->id, cb->site,
		    cb->topic);
	l->row = *cb;
	queue_sync(cb, lease_synced, l);
}

static void
lease_call(struct api_req *a, int release)
{
	char token[37];
	struct lease_call *l;
	struct verr e;

	if (validate_lease(a->body, token, &e) == -1) {
		http_error(a, e.status, e.code, e.field, "%s", e.message);
		return;
	}
	if (!(l = calloc(1, sizeof(*l)))) {
		http_store_failed(a, STORE_UNAVAILABLE);
		return;
	}
	l->a = a;
	l->release = release;
	if (release)
		store_release(a->path_id, token, a->token.caseworker_id, a->actor,
		    lease_stored, l);
	else
		store_heartbeat(a->path_id, token, a->token.caseworker_id,
		    now_ms() + conf->lease_ms, lease_stored, l);
}

void
api_queue_heartbeat(struct api_req *a)
{
	lease_call(a, 0);
}

void
api_queue_release(struct api_req *a)
{
	lease_call(a, 1);
}

/* ---- GET /v1/queue ---------------------------------------------------- */

struct peek {
	struct api_req *a;
	size_t offset, limit;
	struct caseworker cw;
	char ids[CBD_PEEK_LIMIT_MAX][37]; /* what the index offered */
	size_t nids;
};

static void
peek_rows(void *arg, enum store_status st, const struct callback *rows, size_t n)
{
	struct peek *p = arg;
	json_t *list;
	size_t i, k;

	if (st != STORE_OK) {
		http_store_failed(p->a, st);
		free(p);
		return;
	}
	/* an id the index offered that PostgreSQL did not return is one
	 * this caseworker may not claim */
	for (i = 0, k = 0; i < p->nids; i++) {
		if (k < n && !strcmp(rows[k].id, p->ids[i])) {
			k++;
			continue;
		}
		store_get_callback(p->ids[i], foreign_row, NULL);
		log_warnx("callback %s: in the queue of caseworker %s, who may "
		    "not claim it; skipped and re-synced", p->ids[i], p->cw.id);
	}
	/* A peek shows what the caseworker needs to see what comes next, and
	 * nothing of the caller: phone, name, reference and note come with
	 * the claim, which is on record. */
	list = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(list, json_pack("{s:s,s:I,s:s,s:s,s:s,s:s,"
		    "s:b,s:b,s:o,s:o}", "id", rows[i].id,
		    "position", (json_int_t)(p->offset + i + 1),
		    "state", rows[i].state, "topic", rows[i].topic,
		    "site", rows[i].site, "language", rows[i].language,
		    "urgent", rows[i].urgent, "assigned", rows[i].assignee[0] != '\0',
		    "due_at", api_time_json(rows[i].due_at),
		    "not_before", api_time_json(rows[i].not_before)));
	http_reply(p->a, 200, json_pack("{s:o,s:i,s:o}", "callbacks", list,
	    "offset", (int)p->offset, "next_offset", p->nids == p->limit ?
	    json_integer((json_int_t)(p->offset + p->nids)) : json_null()), NULL);
	free(p);
}

static void
peek_ids(void *arg, int ok, const char **ids, size_t n)
{
	struct peek *p = arg;
	size_t i;

	if (!ok) {
		http_error(p->a, 503, "unavailable", NULL,
		    "the queue is not reachable; try again");
		free(p);
		return;
	}
	for (i = 0; i < n && i < CBD_PEEK_LIMIT_MAX; i++)
		snprintf(p->ids[i], sizeof(p->ids[i]), "%s", ids[i]);
	p->nids = i;
	store_callbacks_by_id(ids, p->nids, &p->cw, peek_rows, p);
}

static void
peek_profile(void *arg, enum store_status st, const struct caseworker *w,
    size_t n)
{
	struct peek *p = arg;

	if (st != STORE_OK || n == 0) {
		if (st == STORE_OK)
			http_error(p->a, 403, "caseworker_inactive", NULL,
			    "this caseworker is unknown");
		else
			http_store_failed(p->a, st);
		free(p);
		return;
	}
	p->cw = *w;
	queue_peek(&p->cw, p->offset, p->limit, peek_ids, p);
}

static int
number_param(struct api_req *a, const char *name, size_t max, size_t *out)
{
	const char *v = http_query(a, name);
	unsigned long n;

	if (!v)
		return 0;
	if (query_number(v, 0, max, &n) == -1) {
		http_error(a, 400, "invalid_value", name, "%s must be from 0 to %zu",
		    name, max);
		return -1;
	}
	*out = n;
	return 0;
}

void
api_queue_peek(struct api_req *a)
{
	struct peek *p = calloc(1, sizeof(*p));

	if (!p) {
		http_store_failed(a, STORE_UNAVAILABLE);
		return;
	}
	p->a = a;
	p->limit = CBD_PEEK_LIMIT_DEFAULT;
	if (number_param(a, "offset", CBD_PEEK_OFFSET_MAX, &p->offset) == -1 ||
	    number_param(a, "limit", CBD_PEEK_LIMIT_MAX, &p->limit) == -1) {
		free(p);
		return;
	}
	if (p->limit == 0)
		p->limit = CBD_PEEK_LIMIT_DEFAULT;
	store_caseworker_profile(a->token.caseworker_id, peek_profile, p);
}
