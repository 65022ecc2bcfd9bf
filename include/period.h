#ifndef CBD_PERIOD_H
#define CBD_PERIOD_H
#include <stdint.h>

/*
 * A report's period as a manager gives it: each bound a plain date, a day
 * of the report's time zone, or an RFC 3339 time.
 */

/* The first moment of the local day (days since 1970-01-01) in the time
 * zone tz (a name calendar_timezone_valid accepts): 23 or 25 hours before
 * the next day's on the days of a clock change. */
int64_t period_day_start(int64_t day, const char *tz);

/* One bound of [from, to): "YYYY-MM-DD" is the start of that day in tz,
 * or with end set (the bound is to) the end of it, the start of the next;
 * anything else must be an RFC 3339 time. Returns 1 for a date, 0 for a
 * time, with *ms set; -1 for neither (2026-02-30 included). */
int period_bound(const char *s, const char *tz, int end, int64_t *ms);

#endif
