/*
 * store_query.c owns the skeleton of a one-statement job: its copied
 * parameters, its one way to fail, the guarantee that its caller is
 * answered exactly once, and the answers several families share (a page
 * of callbacks, a table, a count). It holds no SQL: each family passes
 * its statement.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "store.h"
#include "store_job.h"

void
query_answer(struct query_job *q, enum store_status st, const PGresult *res)
{
	if (q->answered)
		return;
	q->answered = 1;
	q->answer(q, st, st == STORE_OK ? res : NULL);
}

static void
query_start(struct store_job *j, PGresult *unused)
{
	struct query_job *q = (struct query_job *)j;
	const char *const *p = (const char *const *)q->params;

	(void)unused;
	if (q->prepared)
		job_send_prepared(j, q->sql, q->nparams, p);
	else
		job_send(j, q->sql, q->nparams, p);
}

static void
query_step(struct store_job *j, PGresult *res)
{
	struct query_job *q = (struct query_job *)j;
	const char *state, *iv = q->invalid_state;

	if (res_failed(res, q->want, q->what)) {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		/* a constraint the caller's validation should have caught, an
		 * unknown time zone: the values given are refused */
		query_answer(q,
		    iv && state && !strncmp(state, iv, strlen(iv)) ?
			STORE_INVALID :
			STORE_FAILED,
		    NULL);
	} else
		query_answer(q, STORE_OK, res);
	job_done(j);
}

static void
query_fail(struct store_job *j, enum store_status st)
{
	query_answer((struct query_job *)j, st, NULL);
}

void
query_free(struct store_job *j)
{
	struct query_job *q = (struct query_job *)j;
	int i;

	for (i = 0; i < q->nparams; i++)
		free(q->params[i]);
	free(q);
}

void
query_init(struct query_job *q)
{
	q->job.start = query_start;
	q->job.step = query_step;
	q->job.fail = query_fail;
	q->job.destroy = query_free;
}

struct query_job *
query_new(size_t size, const char *sql, const char *what,
    query_answer_fn *answer, union store_done done, void *arg)
{
	struct query_job *q = calloc(1, size);

	if (!q) {
		struct query_job none = { .answer = answer,
			.done = done,
			.arg = arg };

		query_answer(&none, STORE_UNAVAILABLE, NULL);
		return NULL;
	}
	q->sql = sql;
	q->what = what;
	q->want = PGRES_TUPLES_OK;
	q->answer = answer;
	q->done = done;
	q->arg = arg;
	query_init(q);
	return q;
}

void
query_param_take(struct query_job *q, char *s)
{
	if (q->nparams == QUERY_PARAMS_MAX || !s) {
		free(s);
		q->oom = 1;
		return;
	}
	q->params[q->nparams++] = s;
}

void
query_param(struct query_job *q, const char *s)
{
	if (!s) {
		if (q->nparams < QUERY_PARAMS_MAX)
			q->params[q->nparams++] = NULL;
		else
			q->oom = 1;
		return;
	}
	query_param_take(q, strdup(s));
}

void
query_param_opt(struct query_job *q, const char *s)
{
	query_param(q, s && *s ? s : NULL);
}

void
query_param_int(struct query_job *q, int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	query_param(q, buf);
}

void
query_param_time(struct query_job *q, int64_t ms)
{
	if (ms == CBD_NO_TIME)
		query_param(q, NULL);
	else
		query_param_int(q, ms);
}

void
query_param_bool(struct query_job *q, int v)
{
	query_param(q, v ? "t" : "f");
}

void
query_submit(struct query_job *q)
{
	if (q->oom) {
		query_answer(q, STORE_UNAVAILABLE, NULL);
		query_free(&q->job);
		return;
	}
	job_submit(&q->job);
}

/* ---- shared answers ------------------------------------------------------ */

static void
page_answer(struct query_job *q, enum store_status st, const PGresult *res)
{
	struct callback *rows = NULL;
	int i, n;

	if (st != STORE_OK) {
		q->done.page(q->arg, st, NULL, 0);
		return;
	}
	n = PQntuples(res);
	if (n > 0 && !(rows = calloc((size_t)n, sizeof(*rows)))) {
		q->done.page(q->arg, STORE_UNAVAILABLE, NULL, 0);
		return;
	}
	for (i = 0; i < n; i++)
		row_to_callback(res, i, 0, &rows[i]);
	q->done.page(q->arg, STORE_OK, rows, (size_t)n);
	free(rows);
}

struct query_job *
page_new(const char *sql, const char *what, store_page_fn *fn, void *arg)
{
	return query_new(sizeof(struct query_job), sql, what, page_answer,
	    (union store_done){ .page = fn }, arg);
}

static void
table_answer(struct query_job *q, enum store_status st, const PGresult *res)
{
	struct table t;
	int i, k;

	memset(&t, 0, sizeof(t));
	if (st != STORE_OK) {
		q->done.table(q->arg, st, NULL);
		return;
	}
	t.ncols = PQnfields(res);
	t.nrows = PQntuples(res);
	t.names = calloc((size_t)t.ncols + 1, sizeof(*t.names));
	t.kinds = calloc((size_t)t.ncols + 1, sizeof(*t.kinds));
	t.cells = calloc((size_t)(t.ncols * t.nrows) + 1, sizeof(*t.cells));
	if (!t.names || !t.kinds || !t.cells) {
		q->done.table(q->arg, STORE_UNAVAILABLE, NULL);
		goto done;
	}
	for (k = 0; k < t.ncols; k++) {
		Oid type = PQftype(res, k);

		t.names[k] = PQfname(res, k);
		/* int8, int2, int4, float4, float8, numeric; bool */
		t.kinds[k] = type == 20 || type == 21 || type == 23 ||
			type == 700 || type == 701 || type == 1700 ?
		    COL_NUMBER :
		    type == 16 ? COL_BOOL :
				 COL_TEXT;
	}
	for (i = 0; i < t.nrows; i++)
		for (k = 0; k < t.ncols; k++)
			t.cells[i * t.ncols + k] = PQgetisnull(res, i, k) ?
			    NULL :
			    PQgetvalue(res, i, k);
	q->done.table(q->arg, STORE_OK, &t);
done:
	free(t.names);
	free(t.kinds);
	free(t.cells);
}

/* A table: a report, or a check of the queue; 22023, an unknown time
 * zone name, is STORE_INVALID. */
struct query_job *
table_new(const char *sql, store_table_fn *fn, void *arg)
{
	struct query_job *q = query_new(sizeof(struct query_job), sql, "report",
	    table_answer, (union store_done){ .table = fn }, arg);

	if (q)
		q->invalid_state = "22023";
	return q;
}

static void
count_answer(struct query_job *q, enum store_status st, const PGresult *res)
{
	if (st != STORE_OK)
		q->done.count(q->arg, st, 0);
	else
		q->done.count(q->arg, STORE_OK,
		    PQntuples(res) > 0 ? atoi(PQgetvalue(res, 0, 0)) : 1);
}

struct query_job *
count_new(const char *sql, const char *what, store_count_fn *fn, void *arg)
{
	return query_new(sizeof(struct query_job), sql, what, count_answer,
	    (union store_done){ .count = fn }, arg);
}
