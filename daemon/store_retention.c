/*
 * store_retention.c owns what time takes away: expiring queued callbacks
 * past their window or age, and erasing the personal fields of closed
 * ones after the retention period.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"

#include "store.h"
#include "store_job.h"

/* ---- retention --------------------------------------------------------- */

static void
expire_start(struct store_job *j, PGresult *unused)
{
	struct list_job *l = (struct list_job *)j;
	const char *p[2] = { l->params[0], l->params[1] };

	(void)unused;
	job_send(j, "SELECT " CB_COLS " FROM cbd_expire($1::bigint * "
	    "interval '1 millisecond', $2::integer) c", 2, p);
}

void
store_expire(int64_t max_open_age_ms, int limit, store_page_fn *fn, void *arg)
{
	struct list_job *l = calloc(1, sizeof(*l));

	if (!l) {
		fn(arg, STORE_UNAVAILABLE, NULL, 0);
		return;
	}
	snprintf(l->params[0], sizeof(l->params[0]), "%lld",
	    (long long)max_open_age_ms);
	snprintf(l->params[1], sizeof(l->params[1]), "%d", limit);
	l->fn = fn;
	l->arg = arg;
	job_run(&l->job, expire_start, list_step, list_fail);
}

struct erase_job {
	struct store_job job;
	char days[16], limit[16];
	store_count_fn *fn;
	void *arg;
};

static void
erase_start(struct store_job *j, PGresult *unused)
{
	struct erase_job *e = (struct erase_job *)j;
	const char *p[2] = { e->days, e->limit };

	(void)unused;
	job_send(j, "SELECT cbd_erase_personal(make_interval(days => $1::integer), "
	    "$2::integer)", 2, p);
}

static void
erase_step(struct store_job *j, PGresult *res)
{
	struct erase_job *e = (struct erase_job *)j;

	if (res_failed(res, PGRES_TUPLES_OK, "erase personal data"))
		e->fn(e->arg, STORE_FAILED, 0);
	else
		e->fn(e->arg, STORE_OK, atoi(PQgetvalue(res, 0, 0)));
	e->fn = NULL;
	job_done(j);
}

static void
erase_fail(struct store_job *j, enum store_status st)
{
	struct erase_job *e = (struct erase_job *)j;

	if (e->fn)
		e->fn(e->arg, st, 0);
}

void
store_erase_personal(int days, int limit, store_count_fn *fn, void *arg)
{
	struct erase_job *e = calloc(1, sizeof(*e));

	if (!e) {
		fn(arg, STORE_UNAVAILABLE, 0);
		return;
	}
	snprintf(e->days, sizeof(e->days), "%d", days);
	snprintf(e->limit, sizeof(e->limit), "%d", limit);
	e->fn = fn;
	e->arg = arg;
	job_run(&e->job, erase_start, erase_step, erase_fail);
}
