/*
 * api_forecast.c owns GET /v1/reports/forecast: its parameters, which
 * sites it forecasts and the shape of the answer (JSON, CSV, CSV for
 * German spreadsheets, as the other reports). The inputs come from
 * store_forecast_inputs and forecast_input.c, the numbers from
 * forecast_run; this file builds no SQL and simulates nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "bounds.h"
#include "calendar.h"
#include "config.h"
#include "forecast.h"
#include "forecast_input.h"
#include "store.h"
#include "timefmt.h"

/* The CSV columns: one row per site and topic. */
static const char *const csv_names[] = { "site", "staffing", "capacity_hours",
	"site_breaches", "site_first_breach_at", "extra_hours_per_day", "topic",
	"backlog", "retries", "arrivals", "urgent_arrivals", "breaches",
	"first_breach_at" };
static enum col_kind csv_kinds[] = { COL_TEXT, COL_TEXT, COL_NUMBER, COL_NUMBER,
	COL_TEXT, COL_NUMBER, COL_TEXT, COL_NUMBER, COL_NUMBER, COL_NUMBER,
	COL_NUMBER, COL_NUMBER, COL_TEXT };
#define NCSV ((int)(sizeof(csv_names) / sizeof(csv_names[0])))
#define CELL_MAX 72

struct fc_req {
	struct api_req *a;
	enum report_format format;
	int en; /* lang=en: the CSV's labels in English */
	char horizon[32];
	int64_t start_ms, horizon_ms;
	int weeks;
	/* by name: a reload may replace the configuration meanwhile */
	char only_topic[CBD_IDENT_MAX + 1]; /* "": every topic */
	char (*names)[CBD_IDENT_MAX + 1];   /* the sites */
	const struct site **sites;
	int64_t *next_open;
	size_t nsites;
	/* the CSV, row by row */
	int nrows;
	const char **cells;
	char (*text)[CELL_MAX];
};

static void
fc_free(struct fc_req *r)
{
	free(r->names);
	free(r->sites);
	free(r->next_open);
	free(r->cells);
	free(r->text);
	free(r);
}

/* A rate of the answer to two decimals: 41.5, not 41.499999. */
static double
round2(double v)
{
	return (double)(long long)(v * 100 + (v < 0 ? -0.5 : 0.5)) / 100;
}

static json_t *
time_or_null(int64_t ms)
{
	return api_time_json(ms < 0 ? CBD_NO_TIME : ms);
}

static void
date_text(int32_t d, char *buf, size_t len)
{
	snprintf(buf, len, "%04d-%02d-%02d", (int)(d / 10000),
	    (int)(d / 100 % 100), (int)(d % 100));
}

/* Adds one CSV row; the cells' text lives in r->text. */
static int
csv_row(struct fc_req *r, const char *const *v)
{
	const char **cells;
	char(*text)[CELL_MAX];
	int k, n = r->nrows + 1;

	if (!(cells = realloc(r->cells, (size_t)n * NCSV * sizeof(*cells))))
		return -1;
	r->cells = cells;
	if (!(text = realloc(r->text, (size_t)n * NCSV * sizeof(*text))))
		return -1;
	r->text = text;
	for (k = 0; k < NCSV; k++)
		snprintf(text[r->nrows * NCSV + k], CELL_MAX, "%s",
		    v[k] ? v[k] : "");
	r->nrows = n;
	return 0;
}

static void
csv_answer(struct fc_req *r)
{
	struct table t;
	int i, k;

	for (i = 0; i < r->nrows; i++)
		for (k = 0; k < NCSV; k++)
			r->cells[i * NCSV + k] = r->text[i * NCSV + k][0] ?
			    r->text[i * NCSV + k] :
			    NULL;
	t.ncols = NCSV;
	t.nrows = r->nrows;
	t.names = (const char **)csv_names;
	t.kinds = csv_kinds;
	t.cells = r->cells;
	api_report_csv(r->a, &t, r->format, "callbackd-forecast.csv", NULL,
	    r->en);
}

/* One site's forecast: its JSON object, and its CSV rows. */
static json_t *
site_forecast(struct fc_req *r, const struct site *s, const struct table *t)
{
	static struct forecast_input in; /* large; the daemon is one thread */
	static struct forecast_result res;
	char cap[24], br[16], first[CBD_TIME_STR], extra[24];
	char tb[16], tre[16], arr[24], urg[24], tbr[16], tfirst[CBD_TIME_STR];
	char today[16], until[16];
	struct calendar_local lt;
	int32_t *dates = NULL; /* one per open callback at most */
	int *counts = NULL;
	json_t *site = NULL, *topics, *due, *topic;
	size_t k, i, nd;

	if (forecast_input_build(conf, s, t, r->start_ms, r->horizon_ms, &in) ==
	    -1)
		return NULL;
	if (!(dates = malloc((in.in.nbacklog + 1) * sizeof(*dates))) ||
	    !(counts = malloc((in.in.nbacklog + 1) * sizeof(*counts))) ||
	    forecast_run(&in.in, &res) == -1)
		goto done;
	/* the site's own dates of the forecast's start and end, which its
	 * backlog_by_due dates are compared with (a browser's are not) */
	calendar_local_time(s->calendar, r->start_ms, &lt);
	date_text(lt.date, today, sizeof(today));
	calendar_local_time(s->calendar, r->start_ms + r->horizon_ms, &lt);
	date_text(lt.date, until, sizeof(until));
	site = json_pack("{s:s,s:s,s:s,s:s,s:f,s:i,s:i,s:o,s:f}", "site",
	    s->name, "today", today, "until", until, "staffing",
	    in.plan ? "plan" : "history", "capacity_hours",
	    round2(res.capacity_hours), "breaches", res.breaches, "unavoidable",
	    res.unavoidable, "first_breach_at",
	    time_or_null(res.first_breach_ms), "extra_hours_per_day",
	    round2(res.extra_hours_per_day));
	topics = json_array();
	if (!site || !topics) {
		json_decref(site);
		json_decref(topics);
		site = NULL;
		goto done;
	}
	snprintf(cap, sizeof(cap), "%.2f", round2(res.capacity_hours));
	snprintf(br, sizeof(br), "%d", res.breaches);
	first[0] = '\0';
	if (res.first_breach_ms >= 0)
		rfc3339_format(res.first_breach_ms, first, sizeof(first));
	snprintf(extra, sizeof(extra), "%.2f", round2(res.extra_hours_per_day));
	for (k = 0; k < in.in.ntopics; k++) {
		const struct forecast_topic_result *tr = &res.topics[k];

		if (r->only_topic[0] &&
		    strcmp(r->only_topic, in.topics[k].policy->name))
			continue;
		due = json_array();
		nd = forecast_input_by_due(&in, (int)k, dates, counts,
		    in.in.nbacklog);
		for (i = 0; i < nd; i++) {
			char day[16];

			date_text(dates[i], day, sizeof(day));
			json_array_append_new(due,
			    json_pack("{s:s,s:i}", "date", day, "count",
				counts[i]));
		}
		topic = json_pack("{s:s,s:i,s:i,s:o,s:f,s:f,s:i,s:o}", "topic",
		    in.topics[k].policy->name, "backlog", tr->backlog,
		    "retries", tr->retries, "backlog_by_due", due, "arrivals",
		    round2(tr->arrivals), "urgent_arrivals",
		    round2(tr->urgent_arrivals), "breaches", tr->breaches,
		    "first_breach_at", time_or_null(tr->first_breach_ms));
		json_array_append_new(topics, topic);
		if (r->format == REPORT_JSON)
			continue;
		snprintf(tb, sizeof(tb), "%d", tr->backlog);
		snprintf(tre, sizeof(tre), "%d", tr->retries);
		snprintf(arr, sizeof(arr), "%.2f", round2(tr->arrivals));
		snprintf(urg, sizeof(urg), "%.2f", round2(tr->urgent_arrivals));
		snprintf(tbr, sizeof(tbr), "%d", tr->breaches);
		tfirst[0] = '\0';
		if (tr->first_breach_ms >= 0)
			rfc3339_format(tr->first_breach_ms, tfirst,
			    sizeof(tfirst));
		{
			const char *v[NCSV] = { s->name,
				in.plan ? "plan" : "history", cap, br, first,
				extra, in.topics[k].policy->name, tb, tre, arr,
				urg, tbr, tfirst };

			if (csv_row(r, v) == -1) {
				json_decref(topics);
				json_decref(site);
				site = NULL;
				goto done;
			}
		}
	}
	json_object_set_new(site, "topics", topics);
done:
	free(dates);
	free(counts);
	forecast_input_free(&in);
	return site;
}

static void
inputs_read(void *arg, enum store_status st, const struct table *t)
{
	struct fc_req *r = arg;
	char gen[CBD_TIME_STR], from[CBD_TIME_STR], to[CBD_TIME_STR];
	json_t *sites, *one;
	size_t i;

	if (st != STORE_OK) {
		http_store_failed(r->a, st);
		fc_free(r);
		return;
	}
	sites = json_array();
	for (i = 0; sites && i < r->nsites; i++) {
		const struct site *s = config_site(conf, r->names[i]);

		if (!s)
			continue; /* gone with a reload meanwhile */
		if (!(one = site_forecast(r, s, t))) {
			json_decref(sites);
			sites = NULL;
			break;
		}
		json_array_append_new(sites, one);
	}
	if (!sites) {
		/* out of memory, or inputs out of the forecast's bounds */
		http_store_failed(r->a, STORE_FAILED);
	} else if (r->format != REPORT_JSON) {
		json_decref(sites);
		csv_answer(r);
	} else {
		rfc3339_format(now_ms(), gen, sizeof(gen));
		rfc3339_format(r->start_ms, from, sizeof(from));
		rfc3339_format(r->start_ms + r->horizon_ms, to, sizeof(to));
		http_reply(r->a, 200,
		    json_pack("{s:s,s:s,s:s,s:s,s:i,s:o}", "generated_at", gen,
			"from", from, "to", to, "horizon", r->horizon,
			"history_weeks", r->weeks, "sites", sites),
		    NULL);
	}
	fc_free(r);
}

/* The parameters; 0, or -1 when answered 400. */
static int
params(struct fc_req *r, const struct site **only_site)
{
	struct api_req *a = r->a;
	const char *v;
	char *end;
	long w;

	if ((v = http_query(a, "site")) &&
	    !(*only_site = config_site(conf, v))) {
		http_error(a, 400, "invalid_value", "site",
		    "site is none the configuration has");
		return -1;
	}
	if ((v = http_query(a, "topic"))) {
		if (!config_topic(conf, v)) {
			http_error(a, 400, "invalid_value", "topic",
			    "topic is none the configuration has");
			return -1;
		}
		snprintf(r->only_topic, sizeof(r->only_topic), "%s", v);
	}
	v = http_query(a, "horizon");
	if (!v)
		v = CBD_FORECAST_HORIZON_DEFAULT;
	if (strlen(v) >= sizeof(r->horizon) ||
	    duration_parse(v, &r->horizon_ms) == -1 || r->horizon_ms <= 0 ||
	    r->horizon_ms > CBD_FORECAST_HORIZON_MAX_MS) {
		http_error(a, 400, "invalid_value", "horizon",
		    "horizon is a duration (48h, 2d) of at most %lld days",
		    (long long)(CBD_FORECAST_HORIZON_MAX_MS / 86400000));
		return -1;
	}
	snprintf(r->horizon, sizeof(r->horizon), "%s", v);
	r->weeks = CBD_FORECAST_WEEKS_DEFAULT;
	if ((v = http_query(a, "weeks"))) {
		w = strtol(v, &end, 10);
		if (end == v || *end || w < 1 || w > CBD_FORECAST_WEEKS_MAX) {
			http_error(a, 400, "invalid_value", "weeks",
			    "weeks is a whole number from 1 to %d",
			    CBD_FORECAST_WEEKS_MAX);
			return -1;
		}
		r->weeks = (int)w;
	}
	if (api_report_lang(a, &r->en) == -1)
		return -1;
	return api_report_format(a, &r->format);
}

void
api_reports_forecast(struct api_req *a)
{
	struct fc_req *r = calloc(1, sizeof(*r));
	const struct site *only_site = NULL;
	size_t i, n;

	if (!r) {
		http_store_failed(a, STORE_UNAVAILABLE);
		return;
	}
	r->a = a;
	r->start_ms = a->received_ms;
	if (params(r, &only_site) == -1) {
		fc_free(r);
		return;
	}
	n = only_site ? 1 : conf->nsites;
	r->names = calloc(n + 1, sizeof(*r->names));
	r->sites = calloc(n + 1, sizeof(*r->sites));
	r->next_open = calloc(n + 1, sizeof(*r->next_open));
	if (!r->names || !r->sites || !r->next_open) {
		http_store_failed(a, STORE_UNAVAILABLE);
		fc_free(r);
		return;
	}
	for (i = 0; i < n; i++) {
		r->sites[i] = only_site ? only_site : &conf->sites[i];
		snprintf(r->names[i], sizeof(r->names[i]), "%s",
		    r->sites[i]->name);
		r->next_open[i] = calendar_next_open(r->sites[i]->calendar,
		    r->start_ms);
		if (r->next_open[i] < 0)
			r->next_open[i] = r->start_ms;
	}
	r->nsites = n;
	store_forecast_inputs(r->sites, n, r->next_open, r->start_ms, r->weeks,
	    inputs_read, r);
}
