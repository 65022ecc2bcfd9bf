/*
 * store_reports.c owns the read-only tables: the SLA report, the breach
 * list, the at-risk list and the queue gauges of GET /metrics.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"

#include "store.h"
#include "store_job.h"

/* ---- reports ---------------------------------------------------------- */

void
store_report(int breaches, int64_t from_ms, int64_t to_ms, const char *groups,
    const char *tz, store_table_fn *fn, void *arg)
{
	struct query_job *q;
	char g[128], z[64];

	if (breaches)
		q = table_new(
		    "SELECT id, site, topic, urgent, state, cbd_iso(requested_at) "
		    "AS requested_at, cbd_iso(due_at) AS due_at, cbd_iso(first_attempt_at) "
		    "AS first_attempt_at, cbd_iso(reached_at) AS reached_at, reason, "
		    "minutes_late FROM cbd_report_breaches(cbd_ts($1::bigint), "
		    "cbd_ts($2::bigint))",
		    fn, arg);
	else
		q = table_new(
		    "SELECT * FROM cbd_report_sla(cbd_ts($1::bigint), "
		    "cbd_ts($2::bigint), $3::text[], $4)",
		    fn, arg);
	if (!q)
		return;
	query_param_int(q, from_ms);
	query_param_int(q, to_ms);
	if (!breaches) {
		snprintf(g, sizeof(g), "{%s}", groups);
		snprintf(z, sizeof(z), "%s", tz);
		query_param(q, g);
		query_param(q, z);
	}
	query_submit(q);
}

void
store_report_at_risk(const char *site, size_t limit, store_table_fn *fn,
    void *arg)
{
	struct query_job *q = table_new(
	    "SELECT id, site, topic, urgent, cbd_iso(requested_at) AS "
	    "requested_at, cbd_iso(due_at) AS due_at, threshold, "
	    "cbd_iso(warned_at) AS warned_at "
	    "FROM cbd_report_at_risk($1::text, $2::integer)",
	    fn, arg);

	if (!q)
		return;
	query_param(q, site);
	query_param_int(q, (int64_t)limit);
	query_submit(q);
}

/* The queue gauges of GET /metrics: rows (metric, site, topic, state, value).
 * Of the claimable callbacks: the oldest one's age, and the largest share of
 * its target (requested_at to due_at, by the wall clock) any one has used.
 * Alerts waiting: fired but not handed to syslog yet, and those a callback's
 * plan has due (its alert_at has come) that no alert timer has written yet, as
 * while the receiver is down; each with the time it was planned for. */
#define GAUGES_SQL \
	"WITH waiting AS (SELECT a.fire_at AS at FROM alerts a " \
	"WHERE a.fired_at IS NOT NULL AND a.sent_at IS NULL AND a.void_at IS NULL " \
	"UNION ALL SELECT x.at FROM callbacks c, LATERAL (SELECT cbd_ts((e->>1)" \
	"::bigint) FROM jsonb_array_elements(coalesce(c.alert_warn, '[]')) e " \
	"UNION ALL SELECT c.due_at) x(at) WHERE c.alert_at <= now() " \
	"AND x.at >= c.alert_at AND x.at <= now()) " \
	"SELECT 'depth' AS metric, site, topic, state, count(*)::float8 " \
	"AS value FROM callbacks WHERE state IN ('queued', 'claimed') " \
	"GROUP BY site, topic, state " \
	"UNION ALL SELECT 'oldest_ready', NULL, NULL, NULL, coalesce(extract(" \
	"epoch FROM now() - min(requested_at)), 0)::float8 FROM callbacks " \
	"WHERE state = 'queued' AND NOT flagged " \
	"AND (not_before IS NULL OR not_before <= now()) " \
	"UNION ALL SELECT 'ready_target_used', NULL, NULL, NULL, coalesce(max(" \
	"greatest(extract(epoch FROM now() - requested_at) / nullif(extract(" \
	"epoch FROM due_at - requested_at), 0), 0)), 0)::float8 FROM callbacks " \
	"WHERE state = 'queued' AND NOT flagged " \
	"AND (not_before IS NULL OR not_before <= now()) " \
	"UNION ALL SELECT 'at_risk', NULL, NULL, NULL, " \
	"count(DISTINCT a.callback_id)::float8 FROM alerts a " \
	"JOIN callbacks c ON c.id = a.callback_id WHERE a.level = 'at_risk' " \
	"AND a.fired_at IS NOT NULL AND c.first_attempt_at IS NULL " \
	"AND c.state IN ('queued', 'claimed') AND c.due_at >= now() " \
	"UNION ALL SELECT 'alerts_waiting', NULL, NULL, NULL, count(*)::float8 " \
	"FROM waiting UNION ALL SELECT 'alerts_waiting_oldest', NULL, NULL, NULL, " \
	"coalesce(extract(epoch FROM now() - min(at)), 0)::float8 FROM waiting"

void
store_metrics_gauges(store_table_fn *fn, void *arg)
{
	struct query_job *q = table_new(GAUGES_SQL, fn, arg);

	if (q)
		query_submit(q);
}
