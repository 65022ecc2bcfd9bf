/*
 * store_forecast.c owns the forecast's SQL: what each site's forecast
 * starts from (cbd_forecast_inputs: the open callbacks, the arrivals and
 * the work of the last weeks) and the forecast alerts, one per site,
 * topic and day whichever daemon writes it (cbd_forecast_alerts_take).
 * It computes no forecast and sends no alert.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "config.h"
#include "store.h"
#include "store_job.h"

/* The time zone a site's local hours are counted in: 24x7 is on UTC. */
static const char *
site_tz(const struct site *s)
{
	return !s->calendar || s->calendar->always ||
		!s->calendar->timezone[0] ?
	    "UTC" :
	    s->calendar->timezone;
}

void
store_forecast_inputs(const struct site *const *sites, size_t n,
    const int64_t *next_open_ms, int64_t start_ms, int weeks,
    store_table_fn *fn, void *arg)
{
	struct query_job *q = table_new(
	    "SELECT kind, site, topic, urgent, dow, hour, a, b, at_ms, day "
	    "FROM cbd_forecast_inputs($1::text[], $2::text[], $3::bigint[], "
	    "cbd_ts($4::bigint), $5::integer)",
	    fn, arg);
	char *names, *tzs, *next;
	size_t i, on = 1, ot = 1, ox = 1;

	if (!q)
		return;
	/* site names are identifiers and time zones paths of letters, '_',
	 * '-', '+' and '/': quoted, nothing inside needs escaping */
	names = malloc(n * (CBD_IDENT_MAX + 4) + 3);
	tzs = malloc(n * (sizeof(sites[0]->calendar->timezone) + 3) + 8);
	next = malloc(n * 22 + 3);
	if (names && tzs && next) {
		names[0] = tzs[0] = next[0] = '{';
		for (i = 0; i < n; i++) {
			on += (size_t)sprintf(names + on, "%s\"%s\"",
			    i ? "," : "", sites[i]->name);
			ot += (size_t)sprintf(tzs + ot, "%s\"%s\"",
			    i ? "," : "", site_tz(sites[i]));
			ox += (size_t)sprintf(next + ox, "%s%" PRId64,
			    i ? "," : "", next_open_ms[i]);
		}
		strcpy(names + on, "}");
		strcpy(tzs + ot, "}");
		strcpy(next + ox, "}");
	} else {
		free(names);
		free(tzs);
		free(next);
		names = tzs = next = NULL;
	}
	query_param_take(q, names);
	query_param_take(q, tzs);
	query_param_take(q, next);
	query_param_int(q, start_ms);
	query_param_int(q, weeks);
	query_submit(q);
}

void
store_forecast_alerts_take(const char *rows_json, int64_t claim_ms,
    store_table_fn *fn, void *arg)
{
	struct query_job *q = table_new(
	    "SELECT id, site, topic, day, breaches, first_breach_ms, threshold "
	    "FROM cbd_forecast_alerts_take($1::jsonb, $2::bigint)",
	    fn, arg);

	if (!q)
		return;
	query_param(q, rows_json);
	query_param_int(q, claim_ms);
	query_submit(q);
}

void
store_forecast_alerts_sent(const int64_t *ids, size_t n, store_count_fn *fn,
    void *arg)
{
	struct query_job *q = count_new(
	    "WITH u AS (UPDATE forecast_alerts SET sent_at = now() "
	    "WHERE id = ANY($1::bigint[]) AND sent_at IS NULL RETURNING 1) "
	    "SELECT count(*) FROM u",
	    "mark forecast alerts sent", fn, arg);

	if (!q)
		return;
	query_param_take(q, id_array(ids, n)); /* NULL: out of memory */
	query_submit(q);
}
