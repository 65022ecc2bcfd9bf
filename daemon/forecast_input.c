/*
 * forecast_input.c owns turning what PostgreSQL knows of a site (the rows
 * of cbd_forecast_inputs) and what the configuration says (its topics,
 * calendar, staffing plan) into the inputs of its forecast, and the small
 * sums the answers show beside the forecast (urgent arrivals, backlog by
 * due date). It runs no query and reads no clock.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forecast_input.h"

enum {
	C_KIND,
	C_SITE,
	C_TOPIC,
	C_URGENT,
	C_DOW,
	C_HOUR,
	C_A,
	C_B,
	C_AT,
	C_DAY
};

static const char *
cell(const struct table *t, int row, int col)
{
	return col < t->ncols ? t->cells[row * t->ncols + col] : NULL;
}

static double
num(const struct table *t, int row, int col)
{
	const char *v = cell(t, row, col);
	double d = v ? strtod(v, NULL) : 0;

	return isfinite(d) && d > 0 ? d : 0;
}

/* The index of topic name among the site's topics, or -1. */
static int
topic_index(const struct config *c, size_t n, const char *name)
{
	size_t i;

	for (i = 0; name && i < n; i++)
		if (!strcmp(c->topics[i].name, name))
			return (int)i;
	return -1;
}

/* "YYYY-MM-DD" as YYYYMMDD; 0 when it is not one. */
static int32_t
date_num(const char *s)
{
	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	return (int32_t)(atoi(s) * 10000 + atoi(s + 5) * 100 + atoi(s + 8));
}

/* Weekday and hour of a row, or -1 when out of range. */
static int
slot(const struct table *t, int row, int *dow, int *hour)
{
	const char *d = cell(t, row, C_DOW), *h = cell(t, row, C_HOUR);

	if (!d || !h)
		return -1;
	*dow = atoi(d);
	*hour = atoi(h);
	return *dow >= 0 && *dow < 7 && *hour >= 0 && *hour < 24 ? 0 : -1;
}

int
forecast_input_build(const struct config *c, const struct site *s,
    const struct table *t, int64_t start_ms, int64_t horizon_ms,
    struct forecast_input *out)
{
	size_t ntopics = c->ntopics < CBD_FORECAST_TOPICS_MAX ?
	    c->ntopics :
	    CBD_FORECAST_TOPICS_MAX;
	double attempts[CBD_FORECAST_TOPICS_MAX] = { 0 };
	double hours[CBD_FORECAST_TOPICS_MAX] = { 0 };
	size_t nopen = 0, k;
	int i, ti, dow, hour;

	memset(out, 0, sizeof(*out));
	out->site = s;
	out->day_end_ms = -1;
	for (i = 0; i < t->nrows; i++)
		if ((!strcmp(cell(t, i, C_KIND), "open") ||
			!strcmp(cell(t, i, C_KIND), "retry")) &&
		    !strcmp(cell(t, i, C_SITE), s->name))
			nopen++;
	if (nopen &&
	    (!(out->backlog = calloc(nopen, sizeof(*out->backlog))) ||
		!(out->backlog_day = calloc(nopen,
		      sizeof(*out->backlog_day))))) {
		forecast_input_free(out);
		return -1;
	}
	for (k = 0; k < ntopics; k++) {
		out->topics[k].policy = &c->topics[k];
		out->topics[k].per_caseworker_hour = CBD_FORECAST_RATE_DEFAULT;
	}
	out->plan = s->staffing_plan;
	if (out->plan)
		memcpy(out->in.staffing, s->staffing, sizeof(out->in.staffing));
	for (i = 0; i < t->nrows; i++) {
		const char *kind = cell(t, i, C_KIND);

		if (strcmp(cell(t, i, C_SITE), s->name))
			continue;
		ti = topic_index(c, ntopics, cell(t, i, C_TOPIC));
		if ((!strcmp(kind, "open") || !strcmp(kind, "retry")) &&
		    ti >= 0 && cell(t, i, C_AT)) {
			struct forecast_open
			    *o = &out->backlog[out->in.nbacklog];

			o->topic = ti;
			o->urgent = cell(t, i, C_URGENT) &&
			    cell(t, i, C_URGENT)[0] == 't';
			o->due_ms = strtoll(cell(t, i, C_AT), NULL, 10);
			/* a retry: no due day of its own in the backlog */
			if ((o->kept = kind[0] == 'r'))
				o->ready_ms = (int64_t)num(t, i, C_A);
			out->backlog_day[out->in.nbacklog++] = o->kept ?
			    0 :
			    date_num(cell(t, i, C_DAY));
		} else if (!strcmp(kind, "arrivals") && ti >= 0 &&
		    slot(t, i, &dow, &hour) == 0) {
			out->topics[ti].arrivals[dow][hour] = num(t, i, C_A);
			out->topics[ti].urgent[dow][hour] = num(t, i, C_B);
		} else if (!strcmp(kind, "staffing") && !out->plan &&
		    slot(t, i, &dow, &hour) == 0) {
			out->in.staffing[dow][hour] = num(t, i, C_A);
		} else if (!strcmp(kind, "rate") && ti >= 0) {
			attempts[ti] = num(t, i, C_A);
			hours[ti] = num(t, i, C_B);
		} else if (!strcmp(kind, "day") && cell(t, i, C_DAY) &&
		    cell(t, i, C_AT)) {
			snprintf(out->day, sizeof(out->day), "%s",
			    cell(t, i, C_DAY));
			out->day_end_ms = strtoll(cell(t, i, C_AT), NULL, 10);
		}
	}
	for (k = 0; k < ntopics; k++)
		if (hours[k] >= CBD_FORECAST_RATE_MIN_HOURS && attempts[k] > 0)
			out->topics[k].per_caseworker_hour = attempts[k] /
			    hours[k];
	out->in.calendar = s->calendar;
	out->in.start_ms = start_ms;
	out->in.horizon_ms = horizon_ms;
	out->in.topics = out->topics;
	out->in.ntopics = ntopics;
	out->in.backlog = out->backlog;
	return 0;
}

void
forecast_input_free(struct forecast_input *f)
{
	free(f->backlog);
	free(f->backlog_day);
	f->backlog = NULL;
	f->backlog_day = NULL;
	f->in.backlog = NULL;
	f->in.nbacklog = 0;
}

static int
by_date(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return x < y ? -1 : x > y;
}

size_t
forecast_input_by_due(const struct forecast_input *f, int k, int32_t *dates,
    int *counts, size_t max)
{
	int32_t *all;
	size_t i, n = 0, m = 0;

	if (!(all = malloc((f->in.nbacklog + 1) * sizeof(*all))))
		return 0;
	for (i = 0; i < f->in.nbacklog; i++)
		if (f->backlog[i].topic == k && !f->backlog[i].kept)
			all[n++] = f->backlog_day[i];
	qsort(all, n, sizeof(*all), by_date);
	for (i = 0; i < n; i++) {
		if (m > 0 && dates[m - 1] == all[i]) {
			counts[m - 1]++;
			continue;
		}
		if (m == max)
			break;
		dates[m] = all[i];
		counts[m++] = 1;
	}
	free(all);
	return m;
}
