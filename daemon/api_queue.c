/*
 * api_queue.c owns what a caseworker does with their queue: claim the next
 * callback under a lease, look at what comes next, keep the lease alive,
 * give it back. It parses, checks that the caseworker is active and
 * answers; the claim and the peek themselves (Redis and PostgreSQL, and
 * mending the index between them) are claim.c's. It never logs personal
 * data.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "bounds.h"
#include "claim.h"
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

/* The queue did not answer: the same words for a claim and a peek. */
static void
queue_failed(struct api_req *a)
{
	http_error(a, 503, "unavailable", NULL,
	    "the queue is not reachable; try again");
}

/* ---- POST /v1/queue/claim ------------------------------------------- */

static void
claimed(void *arg, enum claim_outcome o, const struct callback *cb)
{
	struct api_req *a = arg;

	switch (o) {
	case CLAIM_OK:
		http_reply(a, 200,
		    json_pack("{s:o,s:o}", "callback", api_callback_json(cb),
			"lease", lease_json(cb)),
		    NULL);
		return;
	case CLAIM_NONE:
		http_reply(a, 204, NULL, NULL);
		return;
	case CLAIM_QUEUE_FAILED:
		queue_failed(a);
		return;
	case CLAIM_STORE_FAILED:
		http_store_failed(a, STORE_UNAVAILABLE);
		return;
	}
}

static void
claim_profile(void *arg, enum store_status st, const struct caseworker *w,
    size_t n)
{
	struct api_req *a = arg;

	if (st != STORE_OK) {
		http_store_failed(a, st);
		return;
	}
	if (n == 0 || !w->active) {
		http_error(a, 403, "caseworker_inactive", NULL,
		    "this caseworker is unknown or deactivated");
		return;
	}
	claim_take(a, w, claimed, a);
}

void
api_queue_claim(struct api_req *a)
{
	store_caseworker_profile(a->token.caseworker_id, claim_profile, a);
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
		body = api_callback_change_json(&l->row);
	else
		body = json_pack("{s:o}", "lease", lease_json(&l->row));
	http_reply(l->a, 200, body, NULL);
	free(l);
}

static void
lease_stored(void *arg, enum store_status st, enum verdict verdict,
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
		log_info("callback %s released (site %s, topic %s)", cb->id,
		    cb->site, cb->topic);
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
		store_release(a->path_id, token, a->token.caseworker_id,
		    a->actor, lease_stored, l);
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
};

static void
peeked(void *arg, enum claim_outcome o, enum store_status st,
    const struct callback *rows, size_t n, size_t offered)
{
	struct peek *p = arg;
	json_t *list;
	size_t i;

	if (o == CLAIM_QUEUE_FAILED) {
		queue_failed(p->a);
		free(p);
		return;
	}
	if (o != CLAIM_OK) {
		http_store_failed(p->a, st);
		free(p);
		return;
	}
	/* A peek shows what the caseworker needs to see what comes next, and
	 * nothing of the caller: phone, name, reference and note come with
	 * the claim, which is on record. */
	list = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(list,
		    json_pack("{s:s,s:I,s:s,s:s,s:s,s:s,"
			      "s:b,s:b,s:o,s:o}",
			"id", rows[i].id, "position",
			(json_int_t)(p->offset + i + 1), "state",
			state_word(rows[i].state), "topic", rows[i].topic,
			"site", rows[i].site, "language", rows[i].language,
			"urgent", rows[i].urgent, "assigned",
			rows[i].assignee[0] != '\0', "due_at",
			api_time_json(rows[i].due_at), "not_before",
			api_time_json(rows[i].not_before)));
	/* the page polls it: an unchanged queue is a 304 without a body */
	http_reply_tagged(p->a,
	    json_pack("{s:o,s:i,s:o}", "callbacks", list, "offset",
		(int)p->offset, "next_offset",
		offered == p->limit ?
		    json_integer((json_int_t)(p->offset + offered)) :
		    json_null()));
	free(p);
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
	claim_peek(w, p->offset, p->limit, peeked, p);
}

static int
number_param(struct api_req *a, const char *name, size_t max, size_t *out)
{
	const char *v = http_query(a, name);
	unsigned long n;

	if (!v)
		return 0;
	if (query_number(v, 0, max, &n) == -1) {
		http_error(a, 400, "invalid_value", name,
		    "%s must be from 0 to %zu", name, max);
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
