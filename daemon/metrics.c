/*
 * metrics.c owns the in-memory counters behind GET /metrics: requests by
 * route and status, a latency histogram, alerts, reconnects and rebuilds.
 * It never sees a request body, so nothing personal can reach a label.
 */
#include <stdio.h>
#include <string.h>

#include "bounds.h"
#include "config.h"
#include "metrics.h"

static const double buckets_s[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
	0.1, 0.25, 0.5, 1, 2.5, 5 };
#define NBUCKETS (sizeof(buckets_s) / sizeof(buckets_s[0]))

struct route_stats {
	const char *route;
	int status[CBD_METRICS_STATUSES_MAX];
	uint64_t by_status[CBD_METRICS_STATUSES_MAX];
	uint64_t bucket[NBUCKETS];
	uint64_t count;
	double sum_s;
};

static struct route_stats routes[CBD_METRICS_ROUTES_MAX];
static uint64_t counters[M_COUNTERS];
static unsigned connections;

void
metrics_connections(unsigned n)
{
	connections = n;
}

void
metrics_count(enum metric_counter c)
{
	counters[c]++;
}

void
metrics_add(enum metric_counter c, uint64_t n)
{
	counters[c] += n;
}

void
metrics_request(const char *route, int status, int64_t micros)
{
	struct route_stats *r = NULL;
	double s = (double)micros / 1e6;
	size_t i;

	for (i = 0; i < CBD_METRICS_ROUTES_MAX; i++) {
		if (!routes[i].route)
			routes[i].route = route;
		if (routes[i].route == route ||
		    !strcmp(routes[i].route, route)) {
			r = &routes[i];
			break;
		}
	}
	if (!r)
		return;
	for (i = 0; i < CBD_METRICS_STATUSES_MAX; i++) {
		if (!r->status[i])
			r->status[i] = status;
		if (r->status[i] == status) {
			r->by_status[i]++;
			break;
		}
	}
	for (i = 0; i < NBUCKETS; i++)
		if (s <= buckets_s[i])
			r->bucket[i]++;
	r->count++;
	r->sum_s += s;
}

static void
counter(FILE *f, const char *name, const char *help, uint64_t v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help,
	    name, name, (unsigned long long)v);
}

void
metrics_write(FILE *f)
{
	size_t i, k;

	fprintf(f,
	    "# HELP callbackd_alerts_sent_total Alerts sent, by level.\n"
	    "# TYPE callbackd_alerts_sent_total counter\n"
	    "callbackd_alerts_sent_total{level=\"at_risk\"} %llu\n"
	    "callbackd_alerts_sent_total{level=\"breached\"} %llu\n"
	    "callbackd_alerts_sent_total{level=\"unclaimable\"} %llu\n"
	    "callbackd_alerts_sent_total{level=\"forecast\"} %llu\n",
	    (unsigned long long)counters[M_ALERTS_AT_RISK],
	    (unsigned long long)counters[M_ALERTS_BREACHED],
	    (unsigned long long)counters[M_ALERTS_UNCLAIMABLE],
	    (unsigned long long)counters[M_ALERTS_FORECAST]);
	counter(f, "callbackd_breaches_total",
	    "Breach alerts sent by this daemon.", counters[M_ALERTS_BREACHED]);
	fprintf(f,
	    "# HELP callbackd_reconnects_total Connections lost and made "
	    "again, by server.\n# TYPE callbackd_reconnects_total counter\n"
	    "callbackd_reconnects_total{server=\"postgres\"} %llu\n"
	    "callbackd_reconnects_total{server=\"redis\"} %llu\n",
	    (unsigned long long)counters[M_PG_RECONNECTS],
	    (unsigned long long)counters[M_REDIS_RECONNECTS]);
	fprintf(f,
	    "# HELP callbackd_timeouts_total Waits for a server cut off "
	    "at their deadline, by server.\n# TYPE callbackd_timeouts_total counter\n"
	    "callbackd_timeouts_total{server=\"postgres\"} %llu\n"
	    "callbackd_timeouts_total{server=\"redis\"} %llu\n",
	    (unsigned long long)counters[M_PG_TIMEOUTS],
	    (unsigned long long)counters[M_REDIS_TIMEOUTS]);
	counter(f, "callbackd_redis_failovers_total",
	    "Times the Redis master was found at a new address (with "
	    "Sentinel), each followed by a check of the index.",
	    counters[M_REDIS_FAILOVERS]);
	counter(f, "callbackd_queue_rebuilds_total",
	    "Rebuilds of the Redis queue index from PostgreSQL.",
	    counters[M_REBUILDS]);
	counter(f, "callbackd_retention_checks_total",
	    "Runs of the retention check, also while retention_days is 0.",
	    counters[M_RETENTION_CHECKS]);
	counter(f, "callbackd_retention_erased_total",
	    "Callbacks whose personal data this daemon erased.",
	    counters[M_RETENTION_ERASED]);
	counter(f, "callbackd_metrics_gauge_queries_total",
	    "Readings of the queue gauges from PostgreSQL (at most one each "
	    "few seconds, whatever the scrape rate).",
	    counters[M_GAUGE_QUERIES]);
	counter(f, "callbackd_http_paced_total",
	    "Requests no valid token vouches for (GET /metrics, /healthz, a "
	    "token not known valid or none) that waited their turn.",
	    counters[M_PACE_DEFERRED]);

	fprintf(f,
	    "# HELP callbackd_http_connections HTTP connections open.\n"
	    "# TYPE callbackd_http_connections gauge\ncallbackd_http_connections %u\n",
	    connections);
	fprintf(f,
	    "# HELP callbackd_http_connections_cut_total HTTP connections "
	    "ended by callbackd, by reason.\n"
	    "# TYPE callbackd_http_connections_cut_total counter\n"
	    "callbackd_http_connections_cut_total{reason=\"request_timeout\"} %llu\n"
	    "callbackd_http_connections_cut_total{reason=\"max_connections\"} %llu\n",
	    (unsigned long long)counters[M_HTTP_CUT_TIMEOUT],
	    (unsigned long long)counters[M_HTTP_CUT_LIMIT]);
	fprintf(f,
	    "# HELP callbackd_http_requests_total HTTP requests answered, by "
	    "route and status.\n# TYPE callbackd_http_requests_total counter\n");
	for (i = 0; i < CBD_METRICS_ROUTES_MAX && routes[i].route; i++)
		for (k = 0; k < CBD_METRICS_STATUSES_MAX && routes[i].status[k];
		     k++)
			fprintf(f,
			    "callbackd_http_requests_total{route=\"%s\",status="
			    "\"%d\"} %llu\n",
			    routes[i].route, routes[i].status[k],
			    (unsigned long long)routes[i].by_status[k]);
	fprintf(f,
	    "# HELP callbackd_http_request_duration_seconds Time from "
	    "request to answer, by route.\n"
	    "# TYPE callbackd_http_request_duration_seconds histogram\n");
	for (i = 0; i < CBD_METRICS_ROUTES_MAX && routes[i].route; i++) {
		for (k = 0; k < NBUCKETS; k++)
			fprintf(f,
			    "callbackd_http_request_duration_seconds_bucket{route="
			    "\"%s\",le=\"%g\"} %llu\n",
			    routes[i].route, buckets_s[k],
			    (unsigned long long)routes[i].bucket[k]);
		fprintf(f,
		    "callbackd_http_request_duration_seconds_bucket{route=\"%s\","
		    "le=\"+Inf\"} %llu\n",
		    routes[i].route, (unsigned long long)routes[i].count);
		fprintf(f,
		    "callbackd_http_request_duration_seconds_sum{route=\"%s\"} "
		    "%.6f\n",
		    routes[i].route, routes[i].sum_s);
		fprintf(f,
		    "callbackd_http_request_duration_seconds_count{route=\"%s\"} "
		    "%llu\n",
		    routes[i].route, (unsigned long long)routes[i].count);
	}
}

void
metrics_pairs(FILE *f, const char *name, const struct config *c,
    const struct metrics_pair *pairs, size_t npairs)
{
	size_t s, t, i;
	long long n;

	for (s = 0; s < c->nsites; s++)
		for (t = 0; t < c->ntopics; t++) {
			for (n = 0, i = 0; i < npairs; i++)
				if (!strcmp(pairs[i].site, c->sites[s].name) &&
				    !strcmp(pairs[i].topic, c->topics[t].name))
					n = pairs[i].n;
			fprintf(f, "%s{site=\"%s\",topic=\"%s\"} %lld\n", name,
			    c->sites[s].name, c->topics[t].name, n);
		}
}
