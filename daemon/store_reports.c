/*
 * store_reports.c owns the read-only tables: the SLA report, the breach
 * list and the queue gauges of GET /metrics.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"

#include "store.h"
#include "store_job.h"

/* ---- reports ---------------------------------------------------------- */

static void
report_start(struct store_job *j, PGresult *unused)
{
	struct report_job *r = (struct report_job *)j;
	const char *p[4] = { r->from, r->to, r->groups, r->tz };

	(void)unused;
	if (r->breaches)
		job_send(j, "SELECT id, site, topic, urgent, state, cbd_iso(requested_at) "
		    "AS requested_at, cbd_iso(due_at) AS due_at, cbd_iso(first_attempt_at) "
		    "AS first_attempt_at, cbd_iso(reached_at) AS reached_at, reason, "
		    "minutes_late FROM cbd_report_breaches(cbd_ts($1::bigint), "
		    "cbd_ts($2::bigint))", 2, p);
	else
		job_send(j, "SELECT * FROM cbd_report_sla(cbd_ts($1::bigint), "
		    "cbd_ts($2::bigint), $3::text[], $4)", 4, p);
}

void
report_step(struct store_job *j, PGresult *res)
{
	struct report_job *r = (struct report_job *)j;
	struct table t;
	int i, k;

	memset(&t, 0, sizeof(t));
	if (res_failed(res, PGRES_TUPLES_OK, "report")) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		/* 22023: an unknown time zone name */
		r->fn(r->arg, state && !strcmp(state, "22023") ? STORE_NOT_FOUND :
		    STORE_FAILED, NULL);
		goto done;
	}
	t.ncols = PQnfields(res);
	t.nrows = PQntuples(res);
	t.names = calloc((size_t)t.ncols + 1, sizeof(*t.names));
	t.kinds = calloc((size_t)t.ncols + 1, sizeof(*t.kinds));
	t.cells = calloc((size_t)(t.ncols * t.nrows) + 1, sizeof(*t.cells));
	if (!t.names || !t.kinds || !t.cells) {
		r->fn(r->arg, STORE_UNAVAILABLE, NULL);
		goto done;
	}
	for (k = 0; k < t.ncols; k++) {
		Oid type = PQftype(res, k);

		t.names[k] = PQfname(res, k);
		/* int8, int2, int4, float4, float8, numeric; bool */
		t.kinds[k] = type == 20 || type == 21 || type == 23 || type == 700 ||
		    type == 701 || type == 1700 ? COL_NUMBER : type == 16 ? COL_BOOL :
		    COL_TEXT;
	}
	for (i = 0; i < t.nrows; i++)
		for (k = 0; k < t.ncols; k++)
			t.cells[i * t.ncols + k] = PQgetisnull(res, i, k) ? NULL :
			    PQgetvalue(res, i, k);
	r->fn(r->arg, STORE_OK, &t);
done:
	free(t.names);
	free(t.kinds);
	free(t.cells);
	r->fn = NULL;
	job_done(j);
}

void
report_fail(struct store_job *j, enum store_status st)
{
	struct report_job *r = (struct report_job *)j;

	if (r->fn)
		r->fn(r->arg, st, NULL);
}

void
store_report(int breaches, int64_t from_ms, int64_t to_ms, const char *groups,
    const char *tz, store_table_fn *fn, void *arg)
{
	struct report_job *r = calloc(1, sizeof(*r));

	if (!r) {
		fn(arg, STORE_UNAVAILABLE, NULL);
		return;
	}
	r->breaches = breaches;
	snprintf(r->from, sizeof(r->from), "%lld", (long long)from_ms);
	snprintf(r->to, sizeof(r->to), "%lld", (long long)to_ms);
	snprintf(r->groups, sizeof(r->groups), "{%s}", groups);
	snprintf(r->tz, sizeof(r->tz), "%s", tz);
	r->fn = fn;
	r->arg = arg;
	job_run(&r->job, report_start, report_step, report_fail);
}

/* The queue gauges of GET /metrics: rows (metric, site, topic, state, value).
 * Alerts waiting: fired but not handed to syslog yet, and those a callback's
 * plan has due (its alert_at has come) that no watchdog has written yet, as
 * while the receiver is down; each with the time it was planned for. */
static void
gauges_start(struct store_job *j, PGresult *unused)
{
	(void)unused;
	job_send(j, "WITH waiting AS (SELECT a.fire_at AS at FROM alerts a "
	    "WHERE a.fired_at IS NOT NULL AND a.sent_at IS NULL AND a.void_at IS NULL "
	    "UNION ALL SELECT x.at FROM callbacks c, LATERAL (SELECT cbd_ts((e->>1)"
	    "::bigint) FROM jsonb_array_elements(coalesce(c.alert_warn, '[]')) e "
	    "UNION ALL SELECT c.due_at) x(at) WHERE c.alert_at <= now() "
	    "AND x.at >= c.alert_at AND x.at <= now()) "
	    "SELECT 'depth' AS metric, site, topic, state, count(*)::float8 "
	    "AS value FROM callbacks WHERE state IN ('queued', 'claimed') "
	    "GROUP BY site, topic, state "
	    "UNION ALL SELECT 'oldest_ready', NULL, NULL, NULL, coalesce(extract("
	    "epoch FROM now() - min(requested_at)), 0)::float8 FROM callbacks "
	    "WHERE state = 'queued' AND NOT flagged "
	    "AND (not_before IS NULL OR not_before <= now()) "
	    "UNION ALL SELECT 'at_risk', NULL, NULL, NULL, "
	    "count(DISTINCT a.callback_id)::float8 FROM alerts a "
	    "JOIN callbacks c ON c.id = a.callback_id WHERE a.level = 'at_risk' "
	    "AND a.fired_at IS NOT NULL AND c.first_attempt_at IS NULL "
	    "AND c.state IN ('queued', 'claimed') AND c.due_at >= now() "
	    "UNION ALL SELECT 'alerts_waiting', NULL, NULL, NULL, count(*)::float8 "
	    "FROM waiting UNION ALL SELECT 'alerts_waiting_oldest', NULL, NULL, NULL, "
	    "coalesce(extract(epoch FROM now() - min(at)), 0)::float8 FROM waiting",
	    0, NULL);
}

void
store_metrics_gauges(store_table_fn *fn, void *arg)
{
	struct report_job *r = calloc(1, sizeof(*r));

	if (!r) {
		fn(arg, STORE_UNAVAILABLE, NULL);
		return;
	}
	r->fn = fn;
	r->arg = arg;
	job_run(&r->job, gauges_start, report_step, report_fail);
}
