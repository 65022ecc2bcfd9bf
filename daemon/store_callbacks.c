/*
 * store_callbacks.c owns reading callbacks: one with its attempts, the
 * filtered list, the open ones for the index rebuild, and those of an
 * index's offer that a caseworker may claim. It changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "validate.h"

#include "store.h"
#include "store_job.h"

/* ---- reading callbacks ---------------------------------------------- */

struct read_job {
	struct store_job job;
	char id[37];
	store_callback_fn *one;
	void *arg;
};

static void
get_start(struct store_job *j, PGresult *unused)
{
	struct read_job *r = (struct read_job *)j;
	const char *p[1] = { r->id };

	(void)unused;
	job_send_prepared(j, "SELECT " CB_COLS ", (SELECT coalesce(json_agg(json_build_object("
	    "'at', to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
	    "'actor', a.actor, 'result', a.result, 'note', a.note, "
	    "'duration_s', a.duration_s) ORDER BY a.at, a.id), '[]') "
	    "FROM attempts a WHERE a.callback_id = c.id) "
	    "FROM callbacks c WHERE c.id = $1", 1, p);
}

static void
get_step(struct store_job *j, PGresult *res)
{
	struct read_job *r = (struct read_job *)j;
	struct callback cb;

	if (res_failed(res, PGRES_TUPLES_OK, "read callback"))
		r->one(r->arg, STORE_FAILED, NULL, NULL);
	else if (PQntuples(res) == 0)
		r->one(r->arg, STORE_NOT_FOUND, NULL, NULL);
	else {
		row_to_callback(res, 0, 0, &cb);
		r->one(r->arg, STORE_OK, &cb, PQgetvalue(res, 0, CB_NCOLS));
	}
	r->one = NULL;
	job_done(j);
}

static void
read_fail(struct store_job *j, enum store_status st)
{
	struct read_job *r = (struct read_job *)j;

	if (r->one)
		r->one(r->arg, st, NULL, NULL);
}

void
store_get_callback(const char *id, store_callback_fn *fn, void *arg)
{
	struct read_job *r;

	if (!validate_uuid(id)) {
		fn(arg, STORE_NOT_FOUND, NULL, NULL);
		return;
	}
	if (!(r = calloc(1, sizeof(*r)))) {
		fn(arg, STORE_UNAVAILABLE, NULL, NULL);
		return;
	}
	snprintf(r->id, sizeof(r->id), "%s", id);
	r->one = fn;
	r->arg = arg;
	job_run(&r->job, get_start, get_step, read_fail);
}


/* ---- listing callbacks ----------------------------------------------- */

static void
list_start(struct store_job *j, PGresult *unused)
{
	struct list_job *l = (struct list_job *)j;
	const char *p[11];
	int i;

	(void)unused;
	for (i = 0; i < 11; i++)
		p[i] = l->null_mask & (1 << i) ? NULL : l->params[i];
	/* Keyset pagination on (created_at in ms, id), the cursor's precision:
	 * stable while rows come in. */
	job_send(j, "SELECT " CB_COLS " FROM callbacks c "
	    "WHERE ($1::text IS NULL OR c.state = $1) "
	    "AND ($2::text IS NULL OR c.site = $2) "
	    "AND ($3::text IS NULL OR c.topic = $3) "
	    "AND ($4::text IS NULL OR c.assignee = $4) "
	    "AND ($5::bigint IS NULL OR (cbd_ms(c.created_at), c.id) > "
	    "($5::bigint, $6::uuid)) "
	    "AND ($8::text IS NULL OR c.phone = $8) "
	    "AND ($9::text IS NULL OR c.customer_ref = $9) "
	    "AND ($10::boolean IS NULL OR c.flagged = $10) "
	    "AND ($11::boolean IS NULL OR c.id IN "
	    "(SELECT u.id FROM cbd_unclaimable() u)) "
	    "ORDER BY cbd_ms(c.created_at), c.id LIMIT $7::integer", 11, p);
}

void
list_step(struct store_job *j, PGresult *res)
{
	struct list_job *l = (struct list_job *)j;
	struct callback *rows = NULL;
	int i, n;

	if (res_failed(res, PGRES_TUPLES_OK, "read callbacks")) {
		l->fn(l->arg, STORE_FAILED, NULL, 0);
	} else {
		n = PQntuples(res);
		if (n > 0 && !(rows = calloc((size_t)n, sizeof(*rows)))) {
			l->fn(l->arg, STORE_UNAVAILABLE, NULL, 0);
		} else {
			for (i = 0; i < n; i++)
				row_to_callback(res, i, 0, &rows[i]);
			l->fn(l->arg, STORE_OK, rows, (size_t)n);
			free(rows);
		}
	}
	l->fn = NULL;
	job_done(j);
}

void
list_fail(struct store_job *j, enum store_status st)
{
	struct list_job *l = (struct list_job *)j;

	if (l->fn)
		l->fn(l->arg, st, NULL, 0);
}

void
store_list_callbacks(const struct list_filter *f, store_page_fn *fn, void *arg)
{
	struct list_job *l;
	const char *v[4] = { f->state, f->site, f->topic, f->assignee };
	int i;

	if (f->after_id[0] && !validate_uuid(f->after_id)) {
		fn(arg, STORE_OK, NULL, 0);
		return;
	}
	if (!(l = calloc(1, sizeof(*l)))) {
		fn(arg, STORE_UNAVAILABLE, NULL, 0);
		return;
	}
	for (i = 0; i < 4; i++) {
		snprintf(l->params[i], sizeof(l->params[i]), "%s", v[i]);
		if (!v[i][0])
			l->null_mask |= 1 << i;
	}
	if (f->after_id[0]) {
		snprintf(l->params[4], sizeof(l->params[4]), "%lld",
		    (long long)f->after_created);
		snprintf(l->params[5], sizeof(l->params[5]), "%s", f->after_id);
	} else
		l->null_mask |= (1 << 4) | (1 << 5);
	snprintf(l->params[6], sizeof(l->params[6]), "%zu", f->limit);
	snprintf(l->params[7], sizeof(l->params[7]), "%s", f->phone);
	if (!f->phone[0])
		l->null_mask |= 1 << 7;
	snprintf(l->params[8], sizeof(l->params[8]), "%s", f->customer_ref);
	if (!f->customer_ref[0])
		l->null_mask |= 1 << 8;
	snprintf(l->params[9], sizeof(l->params[9]), "%s", f->flagged ? "t" : "f");
	if (f->flagged < 0)
		l->null_mask |= 1 << 9;
	snprintf(l->params[10], sizeof(l->params[10]), "t");
	if (!f->unclaimable)
		l->null_mask |= 1 << 10;
	l->fn = fn;
	l->arg = arg;
	job_run(&l->job, list_start, list_step, list_fail);
}

static void
open_start(struct store_job *j, PGresult *unused)
{
	struct list_job *l = (struct list_job *)j;
	const char *p[3] = { l->params[0][0] ? l->params[0] : NULL, l->params[1],
		l->params[2][0] ? l->params[2] : NULL };

	(void)unused;
	/* open: closed_at IS NULL, as the index of open callbacks has it */
	job_send(j, "SELECT " CB_COLS " FROM callbacks c "
	    "WHERE c.closed_at IS NULL "
	    "AND ($1::uuid IS NULL OR c.id > $1::uuid) "
	    "AND ($3::bigint IS NULL OR c.updated_at >= cbd_ts($3::bigint)) "
	    "ORDER BY c.id LIMIT $2::integer", 3, p);
}

void
store_open_callbacks(const char *after_id, int64_t since_ms, size_t limit,
    store_page_fn *fn, void *arg)
{
	struct list_job *l = calloc(1, sizeof(*l));

	if (!l) {
		fn(arg, STORE_UNAVAILABLE, NULL, 0);
		return;
	}
	snprintf(l->params[0], sizeof(l->params[0]), "%s", after_id ? after_id : "");
	snprintf(l->params[1], sizeof(l->params[1]), "%zu", limit);
	if (since_ms != CBD_NO_TIME)
		snprintf(l->params[2], sizeof(l->params[2]), "%lld",
		    (long long)since_ms);
	l->fn = fn;
	l->arg = arg;
	job_run(&l->job, open_start, list_step, list_fail);
}

static void
list_free(struct store_job *j)
{
	struct list_job *l = (struct list_job *)j;

	free(l->array);
	free(l->topics);
	free(l->languages);
	free(l);
}

static void
ids_start(struct store_job *j, PGresult *unused)
{
	struct list_job *l = (struct list_job *)j;
	const char *p[5] = { l->array, l->params[0], l->params[1], l->topics,
		l->languages };

	(void)unused;
	/* only what the caseworker may claim, whatever the index says: as
	 * cbd_claims has it */
	job_send(j, "SELECT " CB_COLS " FROM unnest($1::uuid[]) WITH ORDINALITY "
	    "AS k(id, n) JOIN callbacks c ON c.id = k.id "
	    "WHERE c.assignee = $2 OR (c.assignee IS NULL AND c.site = $3 "
	    "AND c.topic = ANY ($4::text[]) AND c.language = ANY ($5::text[])) "
	    "ORDER BY k.n", 5, p);
}

void
store_callbacks_by_id(const char *const *ids, size_t n,
    const struct caseworker *cw, store_page_fn *fn, void *arg)
{
	struct list_job *l;
	size_t i, off = 0, tlen, llen;
	char *buf;

	tlen = CBD_CASEWORKER_TOPICS_MAX * (CBD_IDENT_MAX + 1) + 3;
	llen = CBD_CASEWORKER_LANGUAGES_MAX * (CBD_LANGUAGE_MAX + 1) + 3;
	buf = calloc(n + 1, 40);
	if ((l = calloc(1, sizeof(*l)))) {
		l->topics = malloc(tlen);
		l->languages = malloc(llen);
	}
	if (!buf || !l || !l->topics || !l->languages) {
		free(buf);
		if (l) {
			free(l->topics);
			free(l->languages);
			free(l);
		}
		fn(arg, STORE_UNAVAILABLE, NULL, 0);
		return;
	}
	snprintf(l->params[0], sizeof(l->params[0]), "%s", cw->id);
	snprintf(l->params[1], sizeof(l->params[1]), "%s", cw->site);
	array_literal(l->topics, tlen, cw->topics[0], sizeof(cw->topics[0]),
	    cw->ntopics);
	array_literal(l->languages, llen, cw->languages[0],
	    sizeof(cw->languages[0]), cw->nlanguages);
	/* '{id,id}': ids come from our own index, checked for shape */
	buf[off++] = '{';
	for (i = 0; i < n; i++)
		if (validate_uuid(ids[i]))
			off += (size_t)sprintf(buf + off, "%s%s", off > 1 ? "," : "",
			    ids[i]);
	buf[off++] = '}';
	buf[off] = '\0';
	l->array = buf;
	l->fn = fn;
	l->arg = arg;
	l->job.start = ids_start;
	l->job.step = list_step;
	l->job.fail = list_fail;
	l->job.destroy = list_free;
	job_submit(&l->job);
}
