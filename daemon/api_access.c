/*
 * api_access.c owns the account of who read personal data: every answer
 * that shows a caller's data (one callback, a page of them, a claim) goes
 * out through api_access_reply, which answers only once the access log
 * row is committed, and GET /v1/access, where the admin reads that log.
 * It never logs personal data, nor the log's own rows.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "bounds.h"
#include "log.h"
#include "query.h"
#include "store.h"
#include "timefmt.h"
#include "ident.h"

struct access_call {
	struct api_req *a;
	int status;
	json_t *body;
};

static void
access_recorded(void *arg, enum store_status st, int n)
{
	struct access_call *c = arg;

	(void)n;
	if (st != STORE_OK) {
		/* fail closed: a read that is not on record is not answered */
		log_warnx(
		    "access log: a read was refused, its record could not "
		    "be written");
		json_decref(c->body);
		http_store_failed(c->a,
		    st == STORE_UNAVAILABLE ? st : STORE_FAILED);
	} else {
		http_reply(c->a, c->status, c->body, NULL);
	}
	free(c);
}

void
api_access_reply(struct api_req *a, const char *route, const char *const *ids,
    size_t n, int status, json_t *body)
{
	struct access_call *c = calloc(1, sizeof(*c));

	if (!c) {
		json_decref(body);
		http_store_failed(a, STORE_UNAVAILABLE);
		return;
	}
	c->a = a;
	c->status = status;
	c->body = body;
	store_access_record(a->token.id, a->token.caseworker_id, route, ids, n,
	    access_recorded, c);
}

/* ---- GET /v1/access --------------------------------------------------- */

struct access_page {
	struct api_req *a;
	size_t limit;
};

static void
access_listed(void *arg, enum store_status st, const struct access_row *rows,
    size_t n)
{
	struct access_page *p = arg;
	struct api_req *a = p->a;
	json_t *list, *ids, *body;
	char cursor[24];
	size_t i;

	if (st != STORE_OK) {
		http_store_failed(a, st);
		free(p);
		return;
	}
	list = json_array();
	for (i = 0; i < n; i++) {
		ids = json_loads(rows[i].callback_ids, 0, NULL);
		json_array_append_new(list,
		    json_pack("{s:I,s:s,s:I,s:o,s:s,s:o}", "id",
			(json_int_t)rows[i].id, "at", rows[i].at, "token_id",
			(json_int_t)rows[i].token_id, "caseworker",
			rows[i].caseworker_id[0] ?
			    json_string(rows[i].caseworker_id) :
			    json_null(),
			"route", rows[i].route, "callback_ids",
			ids ? ids : json_array()));
	}
	body = json_pack("{s:o}", "access", list);
	if (n == p->limit && n > 0) {
		snprintf(cursor, sizeof(cursor), "%lld",
		    (long long)rows[n - 1].id);
		json_object_set_new(body, "next_cursor", json_string(cursor));
	} else
		json_object_set_new(body, "next_cursor", json_null());
	http_reply(a, 200, body, NULL);
	free(p);
}

/* A positive number parameter; -1 (and the answer sent) when it is not. */
static int
id_param(struct api_req *a, const char *name, unsigned long max,
    unsigned long *out)
{
	const char *v = http_query(a, name);

	*out = 0;
	if (v && query_number(v, 1, max, out) == -1) {
		http_error(a, 400, "invalid_value", name,
		    "%s must be a number from 1 to %lu", name, max);
		return -1;
	}
	return 0;
}

void
api_access_list(struct api_req *a)
{
	static const char *const filters[] = { "callback", "token", "since",
		"limit", "cursor", NULL };
	const char *callback = http_query(a, "callback");
	const char *since = http_query(a, "since"), *v;
	unsigned long token = 0, limit = 0, after = 0;
	int64_t since_ms = CBD_NO_TIME;
	struct access_page *p;
	size_t i;

	for (i = 0; filters[i]; i++)
		if ((v = http_query(a, filters[i])) && !*v) {
			http_error(a, 400, "invalid_value", filters[i],
			    "%s is empty; leave it out not to filter by it",
			    filters[i]);
			return;
		}
	if (callback && !ident_uuid(callback)) {
		http_error(a, 400, "invalid_value", "callback",
		    "callback must be a callback id");
		return;
	}
	if (since && rfc3339_parse(since, &since_ms) == -1) {
		http_error(a, 400, "invalid_time", "since",
		    "since must be an RFC 3339 time");
		return;
	}
	if (id_param(a, "token", INT64_MAX, &token) == -1 ||
	    id_param(a, "limit", CBD_ACCESS_LIMIT_MAX, &limit) == -1 ||
	    id_param(a, "cursor", INT64_MAX, &after) == -1)
		return;
	if (!(p = calloc(1, sizeof(*p)))) {
		http_store_failed(a, STORE_UNAVAILABLE);
		return;
	}
	p->a = a;
	p->limit = limit ? limit : CBD_ACCESS_LIMIT_DEFAULT;
	store_access_list(callback ? callback : "", (int64_t)token, since_ms,
	    (int64_t)after, p->limit, access_listed, p);
}
