#ifndef CBD_METRICS_H
#define CBD_METRICS_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bounds.h"

struct config;

/*
 * Counters the daemon keeps in memory for GET /metrics (Prometheus text
 * format). Gauges about the queue are read from PostgreSQL by the
 * handler, at most every CBD_METRICS_GAUGE_MS. No personal data in any label.
 */

enum metric_counter {
	M_ALERTS_AT_RISK,
	M_ALERTS_BREACHED,
	M_ALERTS_UNCLAIMABLE,
	M_PG_RECONNECTS,
	M_REDIS_RECONNECTS,
	M_REBUILDS,
	M_HTTP_CUT_TIMEOUT,
	M_HTTP_CUT_LIMIT,
	M_RETENTION_CHECKS,
	M_RETENTION_ERASED,
	M_PG_TIMEOUTS,
	M_REDIS_TIMEOUTS,
	M_GAUGE_QUERIES,
	M_PACE_DEFERRED,
	M_REDIS_FAILOVERS,
	M_ALERTS_FORECAST,
	M_COUNTERS
};

void metrics_count(enum metric_counter);
void metrics_add(enum metric_counter, uint64_t n);
/* One HTTP request answered: its route pattern, status and duration. */
void metrics_request(const char *route, int status, int64_t micros);
/* HTTP connections open now. */
void metrics_connections(unsigned n);
/* Writes the counters and the latency histogram. */
void metrics_write(FILE *);

/* A count of one site and topic, as a gauge per pair holds them. */
struct metrics_pair {
	char site[CBD_IDENT_MAX + 1];
	char topic[CBD_IDENT_MAX + 1];
	long long n;
};
/* One sample of the gauge name for every site and topic c configures, in
 * its order: the count pairs has for it, else 0 (a pair counted but no
 * longer configured is left out). */
void metrics_pairs(FILE *, const char *name, const struct config *c,
    const struct metrics_pair *pairs, size_t npairs);

#endif
