/*
 * store_alerts.c owns the alerts table at run time: when the next alert
 * falls due, taking due alerts for syslog or the webhook, marking them
 * delivered, and listing those that went out. What an alert says and
 * where it goes is alert.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"

#include "store.h"
#include "store_job.h"

/* ---- alerts ---------------------------------------------------------- */

struct alert_job {
	struct store_job job;
	int kind; /* 0 next, 1 take, 2 sent, 3 list, 4 webhook take, 5 webhook done */
	char params[5][CBD_ALERT_BATCH * 21 + 8];
	int nparams;
	int null_mask;
	store_alerts_fn *fn;
	store_next_fn *next_fn;
	void *arg;
};

#define ALERT_COLS "a.id, a.callback_id, a.level, a.threshold, c.site, c.topic, " \
	"cbd_ms(c.due_at), cbd_ms(a.fire_at), cbd_ms(a.fired_at), cbd_ms(a.sent_at), " \
	"a.reason"
/* The reason of an alert a take returned (unclaimable ones have one),
 * read after the take: see cbd_alert_reason. */
#define ALERT_REASON "cbd_alert_reason(t.id)"

static void
alert_start(struct store_job *j, PGresult *unused)
{
	struct alert_job *a = (struct alert_job *)j;
	const char *p[sizeof(a->params) / sizeof(a->params[0])];
	int i;

	(void)unused;
	for (i = 0; i < a->nparams; i++)
		p[i] = a->null_mask & (1 << i) ? NULL : a->params[i];
	switch (a->kind) {
	case 0:
		job_send(j, "SELECT cbd_ms(least("
		    "(SELECT min(alert_at) FROM callbacks WHERE alert_at IS NOT NULL), "
		    "(SELECT min(send_until) FROM alerts WHERE fired_at IS NOT NULL "
		    "AND sent_at IS NULL AND void_at IS NULL)))", 0, NULL);
		break;
	case 1:
		job_send(j, "SELECT t.id, t.callback_id, t.level, t.threshold, t.site, "
		    "t.topic, cbd_ms(t.due_at), cbd_ms(t.fire_at), NULL, NULL, "
		    ALERT_REASON " FROM cbd_alerts_take($1::integer, "
		    "$2::bigint * interval '1 millisecond') t", 2, p);
		break;
	case 2:
		job_send(j, "UPDATE alerts SET sent_at = now() "
		    "WHERE id = ANY($1::bigint[]) AND sent_at IS NULL", 1, p);
		break;
	case 4:
		job_send(j, "SELECT t.id, t.callback_id, t.level, t.threshold, t.site, "
		    "t.topic, cbd_ms(t.due_at), cbd_ms(t.fire_at), cbd_ms(t.fired_at), "
		    "NULL, " ALERT_REASON " FROM cbd_webhook_take($1::integer, $2::bigint * interval "
		    "'1 millisecond') t", 2, p);
		break;
	case 5:
		job_send(j, "SELECT cbd_webhook_done($1::bigint, $2::boolean)", 2, p);
		break;
	default:
		job_send(j, "SELECT " ALERT_COLS " FROM alerts a "
		    "JOIN callbacks c ON c.id = a.callback_id "
		    "WHERE a.fired_at IS NOT NULL "
		    "AND ($1::bigint IS NULL OR a.fired_at >= cbd_ts($1::bigint)) "
		    "AND ($2::text IS NULL OR a.level = $2) "
		    "AND ($3::text IS NULL OR c.site = $3) "
		    "AND (NOT $5::boolean OR (c.first_attempt_at IS NULL "
		    "AND c.state IN ('queued', 'claimed'))) "
		    "ORDER BY a.fired_at, a.id LIMIT $4::integer", 5, p);
	}
}

static void
alert_step(struct store_job *j, PGresult *res)
{
	struct alert_job *a = (struct alert_job *)j;
	struct alert *list = NULL;
	int i, n;

	if (a->kind == 0) {
		if (res_failed(res, PGRES_TUPLES_OK, "next alert"))
			a->next_fn(a->arg, STORE_FAILED, CBD_NO_TIME);
		else
			a->next_fn(a->arg, STORE_OK, col_time(res, 0, 0));
		a->next_fn = NULL;
	} else if (a->kind == 2 || a->kind == 5) {
		if (res_failed(res, a->kind == 2 ? PGRES_COMMAND_OK : PGRES_TUPLES_OK,
		    "alerts delivered"))
			a->fn(a->arg, STORE_FAILED, NULL, 0);
		else
			a->fn(a->arg, STORE_OK, NULL, 0);
		a->fn = NULL;
	} else if (res_failed(res, PGRES_TUPLES_OK, "alerts")) {
		a->fn(a->arg, STORE_FAILED, NULL, 0);
		a->fn = NULL;
	} else {
		n = PQntuples(res);
		if (n > 0 && !(list = calloc((size_t)n, sizeof(*list)))) {
			a->fn(a->arg, STORE_UNAVAILABLE, NULL, 0);
		} else {
			for (i = 0; i < n; i++) {
				struct alert *al = &list[i];

				al->id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
				col_str(res, i, 1, al->callback_id, sizeof(al->callback_id));
				col_str(res, i, 2, al->level, sizeof(al->level));
				al->threshold = strtod(PQgetvalue(res, i, 3), NULL);
				col_str(res, i, 4, al->site, sizeof(al->site));
				col_str(res, i, 5, al->topic, sizeof(al->topic));
				al->due_at = col_time(res, i, 6);
				al->fire_at = col_time(res, i, 7);
				al->fired_at = col_time(res, i, 8);
				al->sent_at = col_time(res, i, 9);
				col_str(res, i, 10, al->reason, sizeof(al->reason));
			}
			a->fn(a->arg, STORE_OK, list, (size_t)n);
		}
		free(list);
		a->fn = NULL;
	}
	job_done(j);
}

static void
alert_fail(struct store_job *j, enum store_status st)
{
	struct alert_job *a = (struct alert_job *)j;

	if (a->next_fn)
		a->next_fn(a->arg, st, CBD_NO_TIME);
	if (a->fn)
		a->fn(a->arg, st, NULL, 0);
}

static struct alert_job *
alert_job_new(int kind, store_alerts_fn *fn, store_next_fn *next_fn, void *arg)
{
	struct alert_job *a = calloc(1, sizeof(*a));

	if (!a) {
		if (fn)
			fn(arg, STORE_UNAVAILABLE, NULL, 0);
		else
			next_fn(arg, STORE_UNAVAILABLE, CBD_NO_TIME);
		return NULL;
	}
	a->kind = kind;
	a->fn = fn;
	a->next_fn = next_fn;
	a->arg = arg;
	return a;
}

void
store_alerts_next(store_next_fn *fn, void *arg)
{
	struct alert_job *a = alert_job_new(0, NULL, fn, arg);

	if (a)
		job_run(&a->job, alert_start, alert_step, alert_fail);
}

/* Takes alerts for delivery (kind 1: syslog, 4: webhook). */
static void
alerts_take(int kind, size_t limit, int64_t claim_ms, store_alerts_fn *fn,
    void *arg)
{
	struct alert_job *a = alert_job_new(kind, fn, NULL, arg);

	if (!a)
		return;
	snprintf(a->params[0], sizeof(a->params[0]), "%zu", limit);
	snprintf(a->params[1], sizeof(a->params[1]), "%lld", (long long)claim_ms);
	a->nparams = 2;
	job_run(&a->job, alert_start, alert_step, alert_fail);
}

void
store_alerts_take(size_t limit, int64_t claim_ms, store_alerts_fn *fn, void *arg)
{
	alerts_take(1, limit, claim_ms, fn, arg);
}

void
store_alerts_sent(const int64_t *ids, size_t n, store_alerts_fn *fn, void *arg)
{
	struct alert_job *a = alert_job_new(2, fn, NULL, arg);
	size_t i, off = 0;

	if (!a)
		return;
	off += (size_t)snprintf(a->params[0], sizeof(a->params[0]), "{");
	for (i = 0; i < n && i < CBD_ALERT_BATCH; i++)
		off += (size_t)snprintf(a->params[0] + off, sizeof(a->params[0]) - off,
		    "%s%lld", i ? "," : "", (long long)ids[i]);
	snprintf(a->params[0] + off, sizeof(a->params[0]) - off, "}");
	a->nparams = 1;
	job_run(&a->job, alert_start, alert_step, alert_fail);
}

void
store_alerts_list(int64_t since_ms, const char *level, const char *site,
    int waiting_only, size_t limit, store_alerts_fn *fn, void *arg)
{
	struct alert_job *a = alert_job_new(3, fn, NULL, arg);

	if (!a)
		return;
	if (since_ms == CBD_NO_TIME)
		a->null_mask |= 1;
	else
		snprintf(a->params[0], sizeof(a->params[0]), "%lld", (long long)since_ms);
	if (!level || !*level)
		a->null_mask |= 2;
	else
		snprintf(a->params[1], sizeof(a->params[1]), "%s", level);
	if (!site || !*site)
		a->null_mask |= 4;
	else
		snprintf(a->params[2], sizeof(a->params[2]), "%s", site);
	snprintf(a->params[3], sizeof(a->params[3]), "%zu", limit);
	snprintf(a->params[4], sizeof(a->params[4]), "%s", waiting_only ? "t" : "f");
	a->nparams = 5;
	job_run(&a->job, alert_start, alert_step, alert_fail);
}

void
store_webhook_take(size_t limit, int64_t claim_ms, store_alerts_fn *fn, void *arg)
{
	alerts_take(4, limit, claim_ms, fn, arg);
}

void
store_webhook_done(int64_t id, int ok, store_alerts_fn *fn, void *arg)
{
	struct alert_job *a = alert_job_new(5, fn, NULL, arg);

	if (!a)
		return;
	snprintf(a->params[0], sizeof(a->params[0]), "%lld", (long long)id);
	snprintf(a->params[1], sizeof(a->params[1]), "%s", ok ? "t" : "f");
	a->nparams = 2;
	job_run(&a->job, alert_start, alert_step, alert_fail);
}
