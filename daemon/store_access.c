/*
 * store_access.c owns the access log: a row for every read of personal
 * data, committed before the read is answered, and the admin's listing of
 * those rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "validate.h"

#include "store.h"
#include "store_job.h"

/* ---- access log ---------------------------------------------------------- */

struct access_job {
	struct store_job job;
	int list;
	char params[5][64];
	int null_mask;
	char *ids; /* '{id,...}' for a record */
	store_count_fn *recorded;
	store_access_fn *fn;
	void *arg;
};

static void
access_free(struct store_job *j)
{
	struct access_job *a = (struct access_job *)j;

	free(a->ids);
	free(a);
}

static void
access_start(struct store_job *j, PGresult *unused)
{
	struct access_job *a = (struct access_job *)j;
	const char *p[5];
	int i;

	(void)unused;
	for (i = 0; i < 5; i++)
		p[i] = a->null_mask & (1 << i) ? NULL : a->params[i];
	if (!a->list) {
		p[3] = a->ids;
		job_send_prepared(j, "INSERT INTO access_log (token_id, caseworker_id, "
		    "route, callback_ids) VALUES ($1::bigint, $2, $3, $4::uuid[])", 4, p);
		return;
	}
	job_send(j, "SELECT id, cbd_iso(at), token_id, coalesce(caseworker_id, ''), "
	    "route, array_to_json(callback_ids)::text FROM access_log "
	    "WHERE ($1::uuid IS NULL OR callback_ids @> ARRAY[$1::uuid]) "
	    "AND ($2::bigint IS NULL OR token_id = $2::bigint) "
	    "AND ($3::bigint IS NULL OR at >= cbd_ts($3::bigint)) "
	    "AND id > $4::bigint ORDER BY id LIMIT $5::integer", 5, p);
}

static void
access_step(struct store_job *j, PGresult *res)
{
	struct access_job *a = (struct access_job *)j;
	struct access_row *rows = NULL;
	int i, n;

	if (!a->list) {
		if (res_failed(res, PGRES_COMMAND_OK, "access log"))
			a->recorded(a->arg, STORE_FAILED, 0);
		else
			a->recorded(a->arg, STORE_OK, 1);
		a->recorded = NULL;
	} else if (res_failed(res, PGRES_TUPLES_OK, "read access log")) {
		a->fn(a->arg, STORE_FAILED, NULL, 0);
		a->fn = NULL;
	} else {
		n = PQntuples(res);
		if (n > 0 && !(rows = calloc((size_t)n, sizeof(*rows)))) {
			a->fn(a->arg, STORE_UNAVAILABLE, NULL, 0);
		} else {
			for (i = 0; i < n; i++) {
				rows[i].id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
				col_str(res, i, 1, rows[i].at, sizeof(rows[i].at));
				rows[i].token_id = strtoll(PQgetvalue(res, i, 2), NULL, 10);
				col_str(res, i, 3, rows[i].caseworker_id,
				    sizeof(rows[i].caseworker_id));
				col_str(res, i, 4, rows[i].route, sizeof(rows[i].route));
				rows[i].callback_ids = PQgetvalue(res, i, 5);
			}
			a->fn(a->arg, STORE_OK, rows, (size_t)n);
			free(rows);
		}
		a->fn = NULL;
	}
	job_done(j);
}

static void
access_fail(struct store_job *j, enum store_status st)
{
	struct access_job *a = (struct access_job *)j;

	if (a->recorded)
		a->recorded(a->arg, st, 0);
	if (a->fn)
		a->fn(a->arg, st, NULL, 0);
}

static void
access_run(struct access_job *a)
{
	a->job.start = access_start;
	a->job.step = access_step;
	a->job.fail = access_fail;
	a->job.destroy = access_free;
	job_submit(&a->job);
}

void
store_access_record(int64_t token_id, const char *caseworker,
    const char *route, const char *const *ids, size_t n, store_count_fn *fn,
    void *arg)
{
	struct access_job *a;
	size_t i, off = 0;

	if (!(a = calloc(1, sizeof(*a))) || !(a->ids = calloc(n + 1, 40))) {
		free(a);
		fn(arg, STORE_UNAVAILABLE, 0);
		return;
	}
	/* '{id,id}': the ids of rows just read from PostgreSQL */
	a->ids[off++] = '{';
	for (i = 0; i < n; i++)
		if (validate_uuid(ids[i]))
			off += (size_t)sprintf(a->ids + off, "%s%s", off > 1 ? "," : "",
			    ids[i]);
	a->ids[off++] = '}';
	snprintf(a->params[0], sizeof(a->params[0]), "%lld", (long long)token_id);
	snprintf(a->params[1], sizeof(a->params[1]), "%s", caseworker);
	if (!caseworker[0])
		a->null_mask |= 1 << 1;
	snprintf(a->params[2], sizeof(a->params[2]), "%s", route);
	a->recorded = fn;
	a->arg = arg;
	access_run(a);
}

void
store_access_list(const char *callback_id, int64_t token_id, int64_t since_ms,
    int64_t after_id, size_t limit, store_access_fn *fn, void *arg)
{
	struct access_job *a = calloc(1, sizeof(*a));

	if (!a) {
		fn(arg, STORE_UNAVAILABLE, NULL, 0);
		return;
	}
	a->list = 1;
	snprintf(a->params[0], sizeof(a->params[0]), "%s", callback_id);
	if (!callback_id[0])
		a->null_mask |= 1 << 0;
	snprintf(a->params[1], sizeof(a->params[1]), "%lld", (long long)token_id);
	if (!token_id)
		a->null_mask |= 1 << 1;
	snprintf(a->params[2], sizeof(a->params[2]), "%lld", (long long)since_ms);
	if (since_ms == CBD_NO_TIME)
		a->null_mask |= 1 << 2;
	snprintf(a->params[3], sizeof(a->params[3]), "%lld", (long long)after_id);
	snprintf(a->params[4], sizeof(a->params[4]), "%zu", limit);
	a->fn = fn;
	a->arg = arg;
	access_run(a);
}
