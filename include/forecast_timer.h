#ifndef CBD_FORECAST_TIMER_H
#define CBD_FORECAST_TIMER_H
#include <stdio.h>

/*
 * The forecast timer: every forecast_interval each daemon forecasts every
 * site (the same inputs give the same numbers on all of them: idempotent)
 * over the default horizon, for callbackd_forecast_breaches{site,topic}
 * of GET /metrics, and over the site's next working day, for the
 * forecast alert ([alerts] forecast_breaches): one per site, topic and
 * day, whichever daemon writes its row first; that daemon sends it.
 * forecast_interval 0: none of it.
 */

struct event_base;

void forecast_timer_init(struct event_base *);
void forecast_timer_shutdown(void);
/* callbackd_forecast_runs_total, and callbackd_forecast_breaches{site,topic}
 * as of the last run (no samples before the first). */
void forecast_timer_metrics_write(FILE *);

#endif
