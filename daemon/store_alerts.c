/*
 * store_alerts.c owns the alerts table at run time: when the next alert
 * falls due, taking due alerts for syslog or the webhook, marking them
 * delivered, and listing those that went out. What an alert says and
 * where it goes is alert.c's; this file never opens a transport.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "store.h"
#include "store_job.h"

#define ALERT_COLS \
	"a.id, a.callback_id, a.level, a.threshold, c.site, c.topic, " \
	"cbd_ms(c.due_at), cbd_ms(a.fire_at), cbd_ms(a.fired_at), cbd_ms(a.sent_at), " \
	"a.reason"
/* The reason of an alert a take returned (unclaimable ones have one),
 * read after the take: see cbd_alert_reason. */
#define ALERT_REASON "cbd_alert_reason(t.id)"

static void
next_answer(struct query_job *q, enum store_status st, const PGresult *res)
{
	q->done.next(q->arg, st,
	    st == STORE_OK ? col_time(res, 0, 0) : CBD_NO_TIME);
}

void
store_alerts_next(store_next_fn *fn, void *arg)
{
	struct query_job *q = query_new(sizeof(*q),
	    "SELECT cbd_ms(least("
	    "(SELECT min(alert_at) FROM callbacks WHERE alert_at IS NOT NULL), "
	    "(SELECT min(send_until) FROM alerts WHERE fired_at IS NOT NULL "
	    "AND sent_at IS NULL AND void_at IS NULL)))",
	    "next alert", next_answer, (union store_done){ .next = fn }, arg);

	if (q)
		query_submit(q);
}

/* Rows of ALERT_COLS. */
static void
alerts_answer(struct query_job *q, enum store_status st, const PGresult *res)
{
	struct alert *list = NULL, *al;
	int i, n;

	if (st != STORE_OK) {
		q->done.alerts(q->arg, st, NULL, 0);
		return;
	}
	n = PQntuples(res);
	if (n > 0 && !(list = calloc((size_t)n, sizeof(*list)))) {
		q->done.alerts(q->arg, STORE_UNAVAILABLE, NULL, 0);
		return;
	}
	for (i = 0; i < n; i++) {
		al = &list[i];
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
	q->done.alerts(q->arg, STORE_OK, list, (size_t)n);
	free(list);
}

static struct query_job *
alerts_new(const char *sql, const char *what, store_alerts_fn *fn, void *arg)
{
	return query_new(sizeof(struct query_job), sql, what, alerts_answer,
	    (union store_done){ .alerts = fn }, arg);
}

/* A delivery marked: no rows. */
static void
delivered_answer(struct query_job *q, enum store_status st, const PGresult *res)
{
	(void)res;
	q->done.alerts(q->arg, st, NULL, 0);
}

static struct query_job *
delivered_new(const char *sql, store_alerts_fn *fn, void *arg)
{
	return query_new(sizeof(struct query_job), sql, "alerts delivered",
	    delivered_answer, (union store_done){ .alerts = fn }, arg);
}

/* Takes alerts for delivery through sql: cbd_alerts_take (syslog) or
 * cbd_webhook_take. */
static void
alerts_take(const char *sql, size_t limit, int64_t claim_ms,
    store_alerts_fn *fn, void *arg)
{
	struct query_job *q = alerts_new(sql, "alerts", fn, arg);

	if (!q)
		return;
	query_param_int(q, (int64_t)limit);
	query_param_int(q, claim_ms);
	query_submit(q);
}

void
store_alerts_take(size_t limit, int64_t claim_ms, store_alerts_fn *fn,
    void *arg)
{
	alerts_take(
	    "SELECT t.id, t.callback_id, t.level, t.threshold, t.site, "
	    "t.topic, cbd_ms(t.due_at), cbd_ms(t.fire_at), NULL, NULL, " ALERT_REASON
	    " FROM cbd_alerts_take($1::integer, "
	    "$2::bigint * interval '1 millisecond') t",
	    limit, claim_ms, fn, arg);
}

void
store_webhook_take(size_t limit, int64_t claim_ms, store_alerts_fn *fn,
    void *arg)
{
	alerts_take(
	    "SELECT t.id, t.callback_id, t.level, t.threshold, t.site, "
	    "t.topic, cbd_ms(t.due_at), cbd_ms(t.fire_at), cbd_ms(t.fired_at), "
	    "NULL, " ALERT_REASON " FROM cbd_webhook_take($1::integer, "
	    "$2::bigint * interval '1 millisecond') t",
	    limit, claim_ms, fn, arg);
}

void
store_alerts_sent(const int64_t *ids, size_t n, store_alerts_fn *fn, void *arg)
{
	struct query_job *q =
	    delivered_new("UPDATE alerts SET sent_at = now() "
			  "WHERE id = ANY($1::bigint[]) AND sent_at IS NULL",
		fn, arg);

	if (!q)
		return;
	q->want = PGRES_COMMAND_OK;
	/* every id of the round: a take may return more than CBD_ALERT_BATCH
	 * (a callback's warnings come together) */
	query_param_take(q, id_array(ids, n)); /* NULL: out of memory */
	query_submit(q);
}

void
store_webhook_done(int64_t id, int ok, store_alerts_fn *fn, void *arg)
{
	struct query_job
	    *q = delivered_new("SELECT cbd_webhook_done($1::bigint, "
			       "$2::boolean)",
		fn, arg);

	if (!q)
		return;
	query_param_int(q, id);
	query_param_bool(q, ok);
	query_submit(q);
}

void
store_alerts_list(int64_t since_ms, const char *level, const char *site,
    int waiting_only, int64_t after_ms, int64_t after_id, size_t limit,
    store_alerts_fn *fn, void *arg)
{
	/* in the order of fired_at's millisecond, then id, the cursor's
	 * (fired_at itself, in microseconds, could put a later alert of the
	 * same millisecond before the cursor's); the bound on fired_at
	 * keeps to its index */
	struct query_job *q = alerts_new(
	    "SELECT " ALERT_COLS " FROM alerts a "
	    "JOIN callbacks c ON c.id = a.callback_id "
	    "WHERE a.fired_at IS NOT NULL "
	    "AND ($1::bigint IS NULL OR a.fired_at >= cbd_ts($1::bigint)) "
	    "AND ($2::text IS NULL OR a.level = $2) "
	    "AND ($3::text IS NULL OR c.site = $3) "
	    "AND (NOT $5::boolean OR (c.first_attempt_at IS NULL "
	    "AND c.state IN ('queued', 'claimed'))) "
	    "AND ($7::bigint = 0 OR (a.fired_at >= cbd_ts($6::bigint) "
	    "AND (cbd_ms(a.fired_at), a.id) > ($6::bigint, $7::bigint))) "
	    "ORDER BY cbd_ms(a.fired_at), a.id LIMIT $4::integer",
	    "alerts", fn, arg);

	if (!q)
		return;
	query_param_time(q, since_ms);
	query_param_opt(q, level);
	query_param_opt(q, site);
	query_param_int(q, (int64_t)limit);
	query_param_bool(q, waiting_only);
	query_param_int(q, after_ms);
	query_param_int(q, after_id);
	query_submit(q);
}
