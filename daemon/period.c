/*
 * period.c owns a report's period: the from and to a manager types, plain
 * dates (days of the report's time zone, from the start of from to the end
 * of to, 23 or 25 hours on the days of a clock change) or RFC 3339 times,
 * as milliseconds. No I/O but the C library's zone files; it sets TZ only
 * for the moment of a conversion and leaves it as it found it, so that
 * calendar.c's zone stays in force. It never allocates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "period.h"
#include "timefmt.h"

#define DAY_MS 86400000LL

int64_t
period_day_start(int64_t day, const char *tz)
{
	const char *was = getenv("TZ");
	char saved[256];
	struct tm tm;
	time_t t;
	int y, m, d;

	snprintf(saved, sizeof(saved), "%s", was ? was : "");
	setenv("TZ", tz, 1);
	tzset();
	civil_from_days(day, &y, &m, &d);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_isdst = -1; /* a midnight the clock skips moves on with it */
	t = mktime(&tm);
	if (was)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	return (int64_t)t * 1000;
}

int
period_bound(const char *s, const char *tz, int end, int64_t *ms)
{
	int64_t day;

	if (date_parse(s, &day) == 0) {
		*ms = period_day_start(day + (end ? 1 : 0), tz);
		return 1;
	}
	return rfc3339_parse(s, ms) == 0 ? 0 : -1;
}
