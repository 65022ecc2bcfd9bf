/*
 * api_system.c owns the endpoints about the daemon itself: /healthz
 * (the process answers), /readyz (PostgreSQL and Redis usable, schema
 * current) and /metrics (Prometheus text). They need no token and reveal
 * no personal data: counts by site, topic and state only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "metrics.h"
#include "queue.h"
#include "store.h"
#include "unclaimable.h"

void
api_healthz(struct api_req *a)
{
	http_reply(a, 200, json_pack("{s:s}", "status", "ok"), NULL);
}

void
api_readyz(struct api_req *a)
{
	/* "slow": connected, but a statement ran past its deadline */
	int pg = store_ready() && !strcmp(store_state(), "ok");
	int redis = queue_ready();

	/* The schema is checked on every new PostgreSQL connection; a
	 * connection is only counted once its schema matched. */
	http_reply(a, pg && redis ? 200 : 503, json_pack("{s:s,s:{s:s,s:s,s:s}}",
	    "status", pg && redis ? "ready" : "not_ready", "checks",
	    "postgres", store_state(), "redis", queue_state(),
	    "schema", store_ready() ? "ok" : !strncmp(store_state(), "schema_", 7) ?
	    store_state() : "unknown"), NULL);
}

static void
gauge_header(FILE *f, const char *name, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void
gauges_read(void *arg, enum store_status st, const struct table *t)
{
	struct api_req *a = arg;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int i;

	if (!f) {
		http_store_failed(a, STORE_UNAVAILABLE);
		return;
	}
	gauge_header(f, "callbackd_up", "1 when the server is reachable and usable.");
	fprintf(f, "callbackd_up{server=\"postgres\"} %d\n", store_ready() &&
	    !strcmp(store_state(), "ok"));
	fprintf(f, "callbackd_up{server=\"redis\"} %d\n", queue_ready());
	if (st == STORE_OK) {
		gauge_header(f, "callbackd_queue_depth",
		    "Open callbacks by site, topic and state.");
		for (i = 0; i < t->nrows; i++)
			if (!strcmp(t->cells[i * t->ncols], "depth"))
				fprintf(f, "callbackd_queue_depth{site=\"%s\",topic=\"%s\","
				    "state=\"%s\"} %s\n", t->cells[i * t->ncols + 1],
				    t->cells[i * t->ncols + 2], t->cells[i * t->ncols + 3],
				    t->cells[i * t->ncols + 4]);
		for (i = 0; i < t->nrows; i++) {
			const char *m = t->cells[i * t->ncols];

			if (!strcmp(m, "oldest_ready")) {
				gauge_header(f, "callbackd_oldest_ready_age_seconds",
				    "Age of the oldest claimable callback.");
				fprintf(f, "callbackd_oldest_ready_age_seconds %s\n",
				    t->cells[i * t->ncols + 4]);
			} else if (!strcmp(m, "at_risk")) {
				gauge_header(f, "callbackd_callbacks_at_risk",
				    "Open callbacks, not yet attempted, with an at_risk "
				    "alert out and not yet due.");
				fprintf(f, "callbackd_callbacks_at_risk %s\n",
				    t->cells[i * t->ncols + 4]);
			}
		}
	}
	unclaimable_metrics_write(f);
	metrics_write(f);
	fclose(f);
	http_reply_text(a, 200, "text/plain; version=0.0.4; charset=utf-8", NULL,
	    buf, len);
	free(buf);
}

void
api_metrics(struct api_req *a)
{
	store_metrics_gauges(gauges_read, a);
}
