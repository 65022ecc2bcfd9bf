#ifndef CBD_FORECAST_INPUT_H
#define CBD_FORECAST_INPUT_H
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "forecast.h"
#include "store.h"

/*
 * The inputs of one site's forecast (forecast.h), made from the rows
 * store_forecast_inputs read and the configuration: the site's topics in
 * config order, its open callbacks, arrivals per hour of the week, the
 * staffing (the site's plan, or what history shows), callbacks worked
 * per caseworker-hour per topic. Pure: no I/O, no clock; the API and the
 * forecast timer both build with it, so they forecast alike.
 */

/* Callbacks worked per caseworker-hour of a topic with less than
 * CBD_FORECAST_RATE_MIN_HOURS of attempts behind it at the site: one
 * call with its notes every quarter of an hour. */
#define CBD_FORECAST_RATE_DEFAULT 4.0
#define CBD_FORECAST_RATE_MIN_HOURS 1.0

struct forecast_input {
	const struct site *site;
	int plan; /* staffing from the config's plan, not history */
	struct forecast_site in;
	struct forecast_topic topics[CBD_FORECAST_TOPICS_MAX];
	struct forecast_open *backlog; /* in.backlog, retries (kept) too */
	int32_t *backlog_day; /* each one's local due date, YYYYMMDD; 0 for a
	                       * retry */
	char day[11];         /* the working day the forecast alert looks at */
	int64_t day_end_ms;   /* and when it ends; -1 when not known */
};

/* Builds site s's inputs from the rows (columns as store.h says) for a
 * forecast from start_ms over horizon_ms. 0, or -1 out of memory. */
int forecast_input_build(const struct config *, const struct site *s,
    const struct table *, int64_t start_ms, int64_t horizon_ms,
    struct forecast_input *out);
void forecast_input_free(struct forecast_input *);

/* The backlog of topic k by local due date, its retries left out: dates
 * (YYYYMMDD, ascending) and counts, at most max of them; returns how
 * many. */
size_t forecast_input_by_due(const struct forecast_input *, int k,
    int32_t *dates, int *counts, size_t max);

#endif
