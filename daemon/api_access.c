/*
 * api_access.c owns the account of who read personal data: every answer
 * that shows a caller's data (one callback, a page of them, a claim) goes
 * out through api_access_reply, which answers only once the access log
 * row is committed, and GET /v1/access, where the admin reads that log,
 * and GET /v1/admin-events, the log of admin actions beside it. It never
 * logs personal data, nor the log's own rows.
 */
#include <stdio.h>
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

/* ---- GET /v1/access and GET /v1/admin-events ----------------------- */

/* The parameters both logs are read by: since, limit and cursor. */
struct log_page {
	struct api_req *a;
	int64_t since_ms;
	unsigned long limit, after;
};

/* next_cursor: the last row's id when the page is full, else null. */
static void
set_cursor(json_t *body, size_t n, size_t limit, int64_t last_id)
{
	char cursor[24];

	snprintf(cursor, sizeof(cursor), "%lld", (long long)last_id);
	api_next_cursor(body, n, limit, cursor);
}

static void
access_listed(void *arg, enum store_status st, const struct access_row *rows,
    size_t n)
{
	struct log_page *p = arg;
	struct api_req *a = p->a;
	json_t *list, *ids, *body;
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
	set_cursor(body, n, p->limit, n ? rows[n - 1].id : 0);
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

/* A new page of a log read by since, limit and cursor; NULL (and the
 * answer sent) when one is refused or memory is short. */
static struct log_page *
log_page_new(struct api_req *a)
{
	struct log_page *p;
	int64_t since_ms = CBD_NO_TIME;
	unsigned long limit, after;

	if (api_since_param(a, &since_ms) == -1 ||
	    id_param(a, "limit", CBD_ACCESS_LIMIT_MAX, &limit) == -1 ||
	    id_param(a, "cursor", INT64_MAX, &after) == -1)
		return NULL;
	if (!(p = calloc(1, sizeof(*p)))) {
		http_store_failed(a, STORE_UNAVAILABLE);
		return NULL;
	}
	p->a = a;
	p->since_ms = since_ms;
	p->limit = limit ? limit : CBD_ACCESS_LIMIT_DEFAULT;
	p->after = after;
	return p;
}

void
api_access_list(struct api_req *a)
{
	static const char *const filters[] = { "callback", "token", "since",
		"limit", "cursor", NULL };
	const char *callback = http_query(a, "callback");
	unsigned long token = 0;
	struct log_page *p;

	if (api_filters_not_empty(a, filters) == -1)
		return;
	if (callback && !ident_uuid(callback)) {
		http_error(a, 400, "invalid_value", "callback",
		    "callback must be a callback id");
		return;
	}
	if (id_param(a, "token", INT64_MAX, &token) == -1 ||
	    !(p = log_page_new(a)))
		return;
	store_access_list(callback ? callback : "", (int64_t)token, p->since_ms,
	    (int64_t)p->after, p->limit, access_listed, p);
}

/* The kinds of admin_events, as sql/ writes them. */
static const char *const admin_kinds[] = { "token_created", "token_revoked",
	"caseworker_created", "caseworker_updated", "caseworker_deactivated",
	NULL };

static void
admin_events_listed(void *arg, enum store_status st, const struct table *t)
{
	struct log_page *p = arg;
	struct api_req *a = p->a;
	json_t *list, *data, *body;
	const char *const *c;
	int i;

	if (st != STORE_OK) {
		http_store_failed(a, st);
		free(p);
		return;
	}
	/* columns: id, at, actor, kind, data (store_admin_events) */
	list = json_array();
	for (i = 0; i < t->nrows; i++) {
		c = t->cells + i * t->ncols;
		data = json_loads(c[4] ? c[4] : "{}", 0, NULL);
		json_array_append_new(list,
		    json_pack("{s:I,s:s,s:s,s:s,s:o}", "id",
			(json_int_t)strtoll(c[0], NULL, 10), "at", c[1],
			"actor", c[2], "kind", c[3], "data",
			data ? data : json_object()));
	}
	body = json_pack("{s:o}", "admin_events", list);
	set_cursor(body, (size_t)t->nrows, p->limit,
	    t->nrows ? strtoll(t->cells[(t->nrows - 1) * t->ncols], NULL, 10) :
		       0);
	http_reply(a, 200, body, NULL);
	free(p);
}

void
api_admin_events_list(struct api_req *a)
{
	static const char *const filters[] = { "kind", "since", "limit",
		"cursor", NULL };
	const char *kind = http_query(a, "kind");
	struct log_page *p;
	size_t i;

	if (api_filters_not_empty(a, filters) == -1)
		return;
	if (kind) {
		for (i = 0; admin_kinds[i] && strcmp(kind, admin_kinds[i]); i++)
			;
		if (!admin_kinds[i]) {
			http_error(a, 400, "invalid_value", "kind",
			    "kind must be token_created, token_revoked, "
			    "caseworker_created, caseworker_updated or "
			    "caseworker_deactivated");
			return;
		}
	}
	if (!(p = log_page_new(a)))
		return;
	store_admin_events(kind ? kind : "", p->since_ms, (int64_t)p->after,
	    p->limit, admin_events_listed, p);
}
