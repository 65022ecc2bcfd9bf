/*
 * forecast_timer.c owns when the daemon forecasts on its own, what the
 * last run projected (a gauge of GET /metrics) and the forecast alerts
 * that run finds due. PostgreSQL decides which daemon sends each alert
 * (the unique row of its site, topic and day); alert_syslog.c carries it.
 * It knows no SQL and no socket; the counts carry sites and topics only.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "alert.h"
#include "bounds.h"
#include "calendar.h"
#include "config.h"
#include "forecast.h"
#include "forecast_input.h"
#include "forecast_timer.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "timefmt.h"

struct run {
	int64_t start_ms;
	size_t nsites;
	char (*names)[CBD_IDENT_MAX + 1]; /* by name: a reload may come */
	json_t *alerts;                   /* what this run found due */
	int64_t ids[CBD_ALERT_BATCH];
	struct alert a[CBD_ALERT_BATCH]; /* for the log, once they went out */
	size_t nids;
	size_t nsent; /* the first nsent went out */
};

static struct event *ev_run;
static int running;
static struct metrics_pair *counts;
static size_t ncounts;
static int counted;
static unsigned long long runs; /* that read their inputs */

static void
schedule(int64_t delay_ms)
{
	struct timeval tv;

	ms_timeval(delay_ms, &tv);
	evtimer_add(ev_run, &tv);
}

static void
run_end(struct run *r)
{
	if (r) {
		json_decref(r->alerts);
		free(r->names);
		free(r);
	}
	running = 0;
	if (ev_run)
		schedule(conf->forecast_interval_ms);
}

static void
marked(void *arg, enum store_status st, int n)
{
	struct run *r = arg;

	(void)n;
	metrics_add(M_ALERTS_FORECAST, r->nsent);
	if (st != STORE_OK)
		log_warnx("forecast: %zu alert%s sent but not marked; they may "
			  "go out again",
		    r->nsent, r->nsent == 1 ? "" : "s");
	run_end(r);
}

static void
sent(void *arg, size_t n_sent)
{
	struct run *r = arg;
	size_t i;

	/* said once an alert went out, not each time it is taken: one the
	 * transport refused is taken again when its claim runs out */
	for (i = 0; i < n_sent && i < r->nids; i++)
		log_info("alert: forecast for site %s, topic %s: %d breach%s "
			 "projected on %s",
		    r->a[i].site, r->a[i].topic, r->a[i].breaches,
		    r->a[i].breaches == 1 ? "" : "es", r->a[i].day);
	if (n_sent == 0) {
		/* they stay taken until the claim runs out, then go again */
		run_end(r);
		return;
	}
	/* those the transport took are marked now; the refused ones go again
	 * when their claim runs out */
	r->nsent = n_sent < r->nids ? n_sent : r->nids;
	store_forecast_alerts_sent(r->ids, r->nsent, marked, r);
}

static void
taken(void *arg, enum store_status st, const struct table *t)
{
	struct run *r = arg;
	struct alert *a;
	int i;

	if (st != STORE_OK || t->nrows == 0 || !alert_ready() ||
	    !(a = calloc((size_t)t->nrows, sizeof(*a)))) {
		run_end(r);
		return;
	}
	for (i = 0; i < t->nrows && r->nids < CBD_ALERT_BATCH; i++) {
		const char *const *row = t->cells + i * t->ncols;
		struct alert *x = &a[r->nids];

		x->id = strtoll(row[0], NULL, 10);
		snprintf(x->level, sizeof(x->level), "forecast");
		snprintf(x->site, sizeof(x->site), "%s", row[1]);
		snprintf(x->topic, sizeof(x->topic), "%s", row[2]);
		snprintf(x->day, sizeof(x->day), "%s", row[3]);
		x->breaches = atoi(row[4]);
		x->due_at = row[5] ? strtoll(row[5], NULL, 10) : CBD_NO_TIME;
		x->threshold = strtod(row[6], NULL);
		x->fire_at = x->fired_at = x->sent_at = CBD_NO_TIME;
		r->a[r->nids] = *x;
		r->ids[r->nids++] = x->id;
	}
	alert_send(a, r->nids, sent, r);
	free(a);
}

/* Forecasts one site twice: over the default horizon, for the gauge, and
 * over its next working day, for the alert. */
static void
site_run(struct run *r, const struct site *s, const struct table *t,
    struct metrics_pair **next, size_t *nnext)
{
	static struct forecast_input in; /* large; the daemon is one thread */
	static struct forecast_result res;
	int64_t horizon;
	struct metrics_pair *grown;
	size_t k;

	if (duration_parse(CBD_FORECAST_HORIZON_DEFAULT, &horizon) == -1 ||
	    forecast_input_build(conf, s, t, r->start_ms, horizon, &in) == -1)
		return;
	if (forecast_run(&in.in, &res) == 0 &&
	    (grown = realloc(*next,
		 (*nnext + in.in.ntopics + 1) * sizeof(**next)))) {
		*next = grown;
		for (k = 0; k < in.in.ntopics; k++) {
			struct metrics_pair *c = &grown[(*nnext)++];

			snprintf(c->site, sizeof(c->site), "%s", s->name);
			snprintf(c->topic, sizeof(c->topic), "%s",
			    in.topics[k].policy->name);
			c->n = res.topics[k].breaches;
		}
	}
	horizon = in.day_end_ms - r->start_ms;
	if (horizon > CBD_FORECAST_HORIZON_MAX_MS)
		horizon = CBD_FORECAST_HORIZON_MAX_MS;
	if (conf->alert_forecast_breaches > 0 && horizon > 0) {
		in.in.horizon_ms = horizon;
		if (forecast_run(&in.in, &res) == 0)
			for (k = 0; k < in.in.ntopics; k++) {
				const struct forecast_topic_result
				    *tr = &res.topics[k];

				if (tr->breaches <
				    conf->alert_forecast_breaches)
					continue;
				json_array_append_new(r->alerts,
				    json_pack("{s:s,s:s,s:s,s:i,s:o,s:I}",
					"site", s->name, "topic",
					in.topics[k].policy->name, "day",
					in.day, "breaches", tr->breaches,
					"first_breach_ms",
					tr->first_breach_ms < 0 ?
					    json_null() :
					    json_integer(tr->first_breach_ms),
					"threshold",
					(json_int_t)
					    conf->alert_forecast_breaches));
			}
	}
	forecast_input_free(&in);
}

static void
inputs_read(void *arg, enum store_status st, const struct table *t)
{
	struct run *r = arg;
	struct metrics_pair *next = NULL;
	size_t nnext = 0, i;
	char *rows;

	if (st != STORE_OK) {
		run_end(r);
		return;
	}
	for (i = 0; i < r->nsites; i++) {
		const struct site *s = config_site(conf, r->names[i]);

		if (s)
			site_run(r, s, t, &next, &nnext);
	}
	free(counts);
	counts = next;
	ncounts = nnext;
	counted = 1;
	runs++;
	/* with the alert on, also when nothing is due now: what another
	 * daemon took and did not send goes out */
	if (conf->alert_forecast_breaches <= 0 ||
	    !(rows = json_dumps(r->alerts, JSON_COMPACT))) {
		run_end(r);
		return;
	}
	store_forecast_alerts_take(rows, CBD_ALERT_CLAIM_MS, taken, r);
	free(rows);
}

static void
run_cb(evutil_socket_t fd, short what, void *arg)
{
	const struct site **sites = NULL;
	int64_t *next_open = NULL;
	struct run *r = NULL;
	size_t i, n = conf->nsites;

	(void)fd;
	(void)what;
	(void)arg;
	if (running)
		return;
	if (!store_ready()) {
		schedule(1000);
		return;
	}
	if (!(r = calloc(1, sizeof(*r))) ||
	    !(r->names = calloc(n + 1, sizeof(*r->names))) ||
	    !(r->alerts = json_array()) ||
	    !(sites = calloc(n + 1, sizeof(*sites))) ||
	    !(next_open = calloc(n + 1, sizeof(*next_open)))) {
		free(sites);
		free(next_open);
		run_end(r);
		return;
	}
	running = 1;
	r->start_ms = now_ms();
	r->nsites = n;
	for (i = 0; i < n; i++) {
		sites[i] = &conf->sites[i];
		snprintf(r->names[i], sizeof(r->names[i]), "%s",
		    sites[i]->name);
		next_open[i] = calendar_next_open(sites[i]->calendar,
		    r->start_ms);
		if (next_open[i] < 0)
			next_open[i] = r->start_ms;
	}
	store_forecast_inputs(sites, n, next_open, r->start_ms,
	    CBD_FORECAST_WEEKS_DEFAULT, inputs_read, r);
	free(sites);
	free(next_open);
}

void
forecast_timer_metrics_write(FILE *f)
{
	if (!ev_run)
		return;
	fprintf(f,
	    "# HELP callbackd_forecast_runs_total Forecast runs of this "
	    "daemon that read their inputs.\n"
	    "# TYPE callbackd_forecast_runs_total counter\n"
	    "callbackd_forecast_runs_total %llu\n",
	    runs);
	/* the family is declared from the start, its samples come with the
	 * first run */
	fprintf(f,
	    "# HELP callbackd_forecast_breaches Callbacks projected to miss "
	    "their due time over the next " CBD_FORECAST_HORIZON_DEFAULT
	    ", by site and topic, as of the last forecast run.\n"
	    "# TYPE callbackd_forecast_breaches gauge\n");
	if (counted)
		metrics_pairs(f, "callbackd_forecast_breaches", conf, counts,
		    ncounts);
}

void
forecast_timer_init(struct event_base *base)
{
	if (conf->forecast_interval_ms == 0)
		return; /* the operator's choice: no runs, no alerts, no gauge */
	ev_run = evtimer_new(base, run_cb, NULL);
	schedule(1000); /* soon after start: the gauge, and what is due */
}

void
forecast_timer_shutdown(void)
{
	if (ev_run)
		event_free(ev_run);
	ev_run = NULL;
	free(counts);
	counts = NULL;
	ncounts = 0;
	counted = 0;
	runs = 0;
}
