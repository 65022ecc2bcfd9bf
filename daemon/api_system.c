/*
 * api_system.c owns the endpoints about the daemon itself: /healthz
 * (the process answers), /readyz (PostgreSQL and Redis usable, schema
 * current) and /metrics (Prometheus text, on metrics_listen when that is
 * set). They need no token and reveal no personal data: counts by site,
 * topic and state only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "alert.h"
#include "bounds.h"
#include "config.h"
#include "metrics.h"
#include "forecast_timer.h"
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
	 * connection is only counted once its schema matched. Alerts held
	 * (the syslog receiver down) are a detail, not a failure: intake
	 * goes on, and they wait in PostgreSQL. */
	json_t *body = json_pack("{s:s,s:{s:s,s:s,s:s,s:s}}", "status",
	    pg && redis ? "ready" : "not_ready", "checks", "postgres",
	    store_state(), "redis", queue_state(), "schema",
	    store_ready()                             ? "ok" :
		!strncmp(store_state(), "schema_", 7) ? store_state() :
							"unknown",
	    "alerts", alert_held() ? "held" : "ok");

	/* with Sentinel, which Redis is master: an address, no personal data */
	if (body && conf->nsentinels)
		json_object_set_new(body, "details",
		    json_pack("{s:s?}", "redis_master", queue_master()));
	http_reply(a, pg && redis ? 200 : 503, body, NULL);
}

static void
gauge_header(FILE *f, const char *name, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/*
 * The gauges read from PostgreSQL, as text, and when they were read: a
 * scrape within CBD_METRICS_GAUGE_MS is answered from it, and scrapes that
 * come while a reading is out wait for that one (one query at a time), so
 * that a flood of scrapes costs PostgreSQL, and the intake waiting for it,
 * nothing.
 */
struct scrape {
	struct api_req *a;
	struct scrape *next;
};

static char *gauges; /* NULL: none, PostgreSQL did not answer */
static size_t gauges_len;
static int64_t gauges_at = CBD_NO_TIME; /* monotonic ms of the reading */
static int reading;                     /* a reading is out */
static struct scrape *waiting_head, **waiting_tail = &waiting_head;

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *
cell(const struct table *t, int row, int col)
{
	return t->cells[row * t->ncols + col];
}

static const enum cb_state depth_states[] = { CB_QUEUED, CB_CLAIMED };

/* Every configured site, topic and open state, also at zero: a panel of a
 * site with nothing waiting shows 0, not "no data". */
static void
depth_write(FILE *f, const struct table *t)
{
	size_t s, k, st;
	int i, seen;

	gauge_header(f, "callbackd_queue_depth",
	    "Open callbacks by site, topic and state.");
	for (s = 0; s < conf->nsites; s++)
		for (k = 0; k < conf->ntopics; k++)
			for (st = 0; st < 2; st++) {
				const char *n = "0";

				for (i = 0; i < t->nrows; i++)
					if (!strcmp(cell(t, i, 0), "depth") &&
					    !strcmp(cell(t, i, 1),
						conf->sites[s].name) &&
					    !strcmp(cell(t, i, 2),
						conf->topics[k].name) &&
					    !strcmp(cell(t, i, 3),
						state_word(depth_states[st])))
						n = cell(t, i, 4);
				fprintf(f,
				    "callbackd_queue_depth{site=\"%s\",topic=\"%s\","
				    "state=\"%s\"} %s\n",
				    conf->sites[s].name, conf->topics[k].name,
				    state_word(depth_states[st]), n);
			}
	/* callbacks of a site or topic the config no longer has */
	for (i = 0; i < t->nrows; i++) {
		if (strcmp(cell(t, i, 0), "depth"))
			continue;
		seen = config_site(conf, cell(t, i, 1)) &&
		    config_topic(conf, cell(t, i, 2));
		if (!seen)
			fprintf(f,
			    "callbackd_queue_depth{site=\"%s\",topic=\"%s\","
			    "state=\"%s\"} %s\n",
			    cell(t, i, 1), cell(t, i, 2), cell(t, i, 3),
			    cell(t, i, 4));
	}
}

static void
single_write(FILE *f, const struct table *t, const char *metric,
    const char *name, const char *help)
{
	int i;

	for (i = 0; i < t->nrows; i++)
		if (!strcmp(cell(t, i, 0), metric)) {
			gauge_header(f, name, help);
			fprintf(f, "%s %s\n", name, cell(t, i, 4));
		}
}

static void
scrape_answer(struct api_req *a)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f) {
		http_store_failed(a, STORE_UNAVAILABLE);
		return;
	}
	gauge_header(f, "callbackd_up",
	    "1 when the server is reachable and usable.");
	fprintf(f, "callbackd_up{server=\"postgres\"} %d\n",
	    store_ready() && !strcmp(store_state(), "ok"));
	fprintf(f, "callbackd_up{server=\"redis\"} %d\n", queue_ready());
	if (queue_master()) {
		gauge_header(f, "callbackd_redis_master",
		    "1 for the address of the "
		    "Redis master, as the Sentinels gave it and ROLE confirmed.");
		fprintf(f, "callbackd_redis_master{address=\"%s\"} 1\n",
		    queue_master());
	}
	if (gauges)
		fwrite(gauges, 1, gauges_len, f);
	unclaimable_metrics_write(f);
	forecast_timer_metrics_write(f);
	metrics_write(f);
	fclose(f);
	http_reply_text(a, 200, "text/plain; version=0.0.4; charset=utf-8",
	    NULL, buf, len);
	free(buf);
}

static void
gauges_read(void *arg, enum store_status st, const struct table *t)
{
	struct scrape *w;
	FILE *f;

	(void)arg;
	free(gauges);
	gauges = NULL;
	gauges_len = 0;
	if (st == STORE_OK && (f = open_memstream(&gauges, &gauges_len))) {
		depth_write(f, t);
		single_write(f, t, "oldest_ready",
		    "callbackd_oldest_ready_age_seconds",
		    "Age of the oldest claimable callback.");
		single_write(f, t, "ready_target_used",
		    "callbackd_ready_target_used_ratio",
		    "Largest share of its SLA target (requested to due, wall "
		    "clock) a claimable callback has used; 1 at its due time.");
		single_write(f, t, "at_risk", "callbackd_callbacks_at_risk",
		    "Open callbacks, not yet attempted, with an at_risk alert out "
		    "and not yet due.");
		single_write(f, t, "alerts_waiting", "callbackd_alerts_waiting",
		    "Alerts due but not handed to syslog yet (held while the "
		    "receiver is down).");
		single_write(f, t, "alerts_waiting_oldest",
		    "callbackd_alerts_waiting_oldest_seconds",
		    "Time since the oldest waiting alert was planned to go out; "
		    "0 when none waits.");
		if (fclose(f) != 0) {
			free(gauges);
			gauges = NULL;
			gauges_len = 0;
		}
	}
	/* also a failure is kept: PostgreSQL is asked again next interval */
	gauges_at = mono_ms();
	reading = 0;
	while ((w = waiting_head)) {
		waiting_head = w->next;
		scrape_answer(w->a);
		free(w);
	}
	waiting_tail = &waiting_head;
}

void
api_metrics(struct api_req *a)
{
	struct scrape *w;

	if (!reading && gauges_at != CBD_NO_TIME &&
	    mono_ms() - gauges_at < CBD_METRICS_GAUGE_MS) {
		scrape_answer(a);
		return;
	}
	if (!(w = calloc(1, sizeof(*w)))) {
		http_store_failed(a, STORE_UNAVAILABLE);
		return;
	}
	w->a = a;
	*waiting_tail = w;
	waiting_tail = &w->next;
	if (reading)
		return;
	reading = 1;
	metrics_count(M_GAUGE_QUERIES);
	store_metrics_gauges(gauges_read, NULL);
}
