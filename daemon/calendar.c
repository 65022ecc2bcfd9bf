/*
 * calendar.c owns business time: opening hours in a time zone, German
 * public holidays (Easter-based ones computed), closure days, the sums
 * "start + so much open time" and "start + so many working days", and the
 * local clock of a moment. No I/O but the C library's zone files; it never
 * allocates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "timefmt.h"

#define MIN_MS 60000LL
#define DAY_MS 86400000LL

void
calendar_easter(int y, int *month, int *day)
{
	/* the anonymous Gregorian algorithm (Meeus/Jones/Butcher) */
	int a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4;
	int f = (b + 8) / 25, g = (b - f + 1) / 3;
	int h = (19 * a + b - d - g + 15) % 30, i = c / 4, k = c % 4;
	int l = (32 + 2 * e + 2 * i - h - k) % 7;
	int m = (a + 11 * h + 22 * l) / 451;

	*month = (h + l - 7 * m + 114) / 31;
	*day = (h + l - 7 * m + 114) % 31 + 1;
}

static const char *const states[] = { "BW", "BY", "BE", "BB", "HB", "HH", "HE",
	"MV", "NI", "NW", "RP", "SL", "SN", "ST", "SH", "TH", NULL };

int
calendar_state_valid(const char *s)
{
	int i;

	for (i = 0; states[i]; i++)
		if (!strcmp(states[i], s))
			return 1;
	return 0;
}

static int
in(const char *state, const char *list)
{
	size_t n = strlen(state);
	const char *p;

	if (n != 2)
		return 0;
	for (p = list; (p = strstr(p, state)); p += 2)
		if ((p == list || p[-1] == ' ') &&
		    (p[2] == ' ' || p[2] == '\0'))
			return 1;
	return 0;
}

const char *
calendar_holiday_de(const char *state, int y, int m, int d)
{
	int em, ed;
	int64_t day = days_from_civil(y, m, d), easter, off;

	/* fixed federal holidays */
	if (m == 1 && d == 1)
		return "Neujahr";
	if (m == 5 && d == 1)
		return "Tag der Arbeit";
	if (m == 10 && d == 3)
		return "Tag der Deutschen Einheit";
	if (m == 12 && d == 25)
		return "1. Weihnachtstag";
	if (m == 12 && d == 26)
		return "2. Weihnachtstag";

	calendar_easter(y, &em, &ed);
	easter = days_from_civil(y, em, ed);
	off = day - easter;
	if (off == -2)
		return "Karfreitag";
	if (off == 1)
		return "Ostermontag";
	if (off == 39)
		return "Christi Himmelfahrt";
	if (off == 50)
		return "Pfingstmontag";

	/* holidays of some states */
	if (off == 60 && in(state, "BW BY HE NW RP SL"))
		return "Fronleichnam";
	if (m == 1 && d == 6 && in(state, "BW BY ST"))
		return "Heilige Drei Koenige";
	if (m == 3 && d == 8 && y >= 2019 && in(state, "BE MV"))
		return y >= 2023 || !strcmp(state, "BE") ?
		    "Internationaler Frauentag" :
		    NULL;
	if (m == 8 && d == 15 && in(state, "SL"))
		return "Mariae Himmelfahrt";
	if (m == 9 && d == 20 && y >= 2019 && in(state, "TH"))
		return "Weltkindertag";
	if (m == 10 && d == 31 && in(state, "BB HB HH MV NI SN ST SH TH"))
		return "Reformationstag";
	if (m == 11 && d == 1 && in(state, "BW BY NW RP SL"))
		return "Allerheiligen";
	if (m == 11 && in(state, "SN")) {
		/* Buss- und Bettag: the Wednesday before 23 November */
		int64_t nov23 = days_from_civil(y, 11, 23);
		/* 1970-01-01 was a Thursday: weekday 0 = Sunday */
		int wd23 = (int)(((nov23 + 4) % 7 + 7) % 7);
		int back = (wd23 - 3 + 7) % 7;

		if (back == 0)
			back = 7;
		if (day == nov23 - back)
			return "Buss- und Bettag";
	}
	return NULL;
}

/* ---- time zones ------------------------------------------------------ */

static char current_tz[64];

static void
use_tz(const char *tz)
{
	if (!strcmp(current_tz, tz))
		return;
	setenv("TZ", tz, 1);
	tzset();
	snprintf(current_tz, sizeof(current_tz), "%s", tz);
}

int
calendar_timezone_valid(const char *tz)
{
	char path[128];
	FILE *f;

	if (!*tz || strstr(tz, "..") || tz[0] == '/')
		return 0;
	if (!strcmp(tz, "UTC"))
		return 1;
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tz);
	if (!(f = fopen(path, "rb")))
		return 0;
	fclose(f);
	return 1;
}

/* A local wall-clock time as mktime takes it; isdst as tm_isdst (-1: let
 * mktime decide). */
static struct tm *
local_tm(struct tm *tm, int y, int m, int d, int minute, int isdst)
{
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = y - 1900;
	tm->tm_mon = m - 1;
	tm->tm_mday = d;
	tm->tm_hour = minute / 60;
	tm->tm_min = minute % 60;
	tm->tm_isdst = isdst;
	return tm;
}

/* The UTC moment of a local wall-clock time; a time that does not exist
 * (skipped by a spring clock change) moves forward with the clock. */
static int64_t
local_to_ms(int y, int m, int d, int minute)
{
	struct tm tm;

	return (int64_t)mktime(local_tm(&tm, y, m, d, minute, -1)) * 1000;
}

static int
closed_on(const struct calendar *c, int y, int m, int d)
{
	int32_t key = y * 10000 + m * 100 + d;
	size_t i;

	for (i = 0; i < c->nclosed; i++)
		if (c->closed[i] == key)
			return 1;
	return calendar_holiday_de(c->state, y, m, d) != NULL;
}

/*
 * The open spans of a calendar in order, from the local day of a moment
 * on, for at most CBD_CALENDAR_HORIZON_DAYS days: the walk the SLA
 * arithmetic below shares. spans_next gives the next [*s, *e) and 1, or
 * 0 past the horizon.
 */
struct spans {
	const struct calendar *c;
	int64_t day; /* days since the epoch, local */
	int n;       /* days walked */
	int i;       /* the next interval of the day */
};

static void
spans_begin(struct spans *w, const struct calendar *c, int64_t at_ms)
{
	struct tm tm;
	time_t t = (time_t)(at_ms / 1000);

	use_tz(c->timezone);
	localtime_r(&t, &tm);
	w->c = c;
	w->day = days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	w->n = 0;
	w->i = 0;
}

static int
spans_next(struct spans *w, int64_t *s, int64_t *e)
{
	int y, m, d, wd;

	for (; w->n < CBD_CALENDAR_HORIZON_DAYS; w->n++, w->day++, w->i = 0) {
		civil_from_days(w->day, &y, &m, &d);
		wd = (int)(((w->day + 4) % 7 + 7) % 7);
		if (w->i >= w->c->nweek[wd] || closed_on(w->c, y, m, d))
			continue;
		*s = local_to_ms(y, m, d, w->c->week[wd][w->i].open_min);
		*e = local_to_ms(y, m, d, w->c->week[wd][w->i].close_min);
		w->i++;
		return 1;
	}
	return 0;
}

int64_t
calendar_add(const struct calendar *c, int64_t start_ms, int64_t business_ms)
{
	int64_t remaining = business_ms, s, e;
	struct spans w;

	if (c->always || business_ms <= 0)
		return start_ms + (business_ms > 0 ? business_ms : 0);
	for (spans_begin(&w, c, start_ms); spans_next(&w, &s, &e);) {
		if (e <= start_ms)
			continue;
		if (s < start_ms)
			s = start_ms;
		if (e - s >= remaining)
			return s + remaining;
		remaining -= e - s;
	}
	return -1;
}

/* The first open moment at or after start_ms; -1 for a calendar never
 * open within the horizon. */
int64_t
calendar_next_open(const struct calendar *c, int64_t start_ms)
{
	int64_t s, e;
	struct spans w;

	if (c->always)
		return start_ms;
	for (spans_begin(&w, c, start_ms); spans_next(&w, &s, &e);)
		if (e > start_ms)
			return s > start_ms ? s : start_ms;
	return -1;
}

int64_t
calendar_open_ms(const struct calendar *c, int64_t from_ms, int64_t to_ms)
{
	int64_t s, e, sum = 0;
	struct spans w;

	if (to_ms <= from_ms)
		return 0;
	if (c->always)
		return to_ms - from_ms;
	for (spans_begin(&w, c, from_ms); spans_next(&w, &s, &e);) {
		if (s >= to_ms)
			break; /* the spans come in order */
		if (s < from_ms)
			s = from_ms;
		if (e > to_ms)
			e = to_ms;
		if (e > s)
			sum += e - s;
	}
	return sum;
}

/* The UTC moment of a wall-clock time on a due day: one that does not
 * exist (spring) moves forward with the clock, one that comes twice
 * (autumn) is the first, the earlier promise. */
static int64_t
wall_to_ms(int y, int m, int d, int minute)
{
	int64_t best = -1;
	struct tm tm, back;
	time_t t;
	int dst;

	for (dst = 0; dst <= 1; dst++) {
		if ((t = mktime(local_tm(&tm, y, m, d, minute, dst))) ==
		    (time_t)-1)
			continue;
		localtime_r(&t, &back);
		if (back.tm_year == y - 1900 && back.tm_mon == m - 1 &&
		    back.tm_mday == d &&
		    back.tm_hour * 60 + back.tm_min == minute &&
		    (best == -1 || (int64_t)t * 1000 < best))
			best = (int64_t)t * 1000;
	}
	return best != -1 ? best : local_to_ms(y, m, d, minute);
}

int64_t
calendar_add_workdays(const struct calendar *c, int64_t start_ms, int workdays)
{
	int64_t from, day, extra;
	struct tm tm;
	time_t t;
	int y, m, d, wd, i, n, minute, found = 0;

	if (workdays <= 0)
		return -1;
	if (c->always)
		return start_ms + workdays * DAY_MS;
	if ((from = calendar_next_open(c, start_ms)) == -1)
		return -1;
	t = (time_t)(from / 1000);
	localtime_r(&t, &tm);
	minute = tm.tm_hour * 60 + tm.tm_min;
	extra = tm.tm_sec * 1000LL + from % 1000;
	day = days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	for (n = 0; n < CBD_CALENDAR_HORIZON_DAYS; n++) {
		day++;
		civil_from_days(day, &y, &m, &d);
		wd = (int)(((day + 4) % 7 + 7) % 7);
		if (c->nweek[wd] == 0 || closed_on(c, y, m, d))
			continue;
		if (++found < workdays)
			continue;
		/* open then: that moment; after a closing: the last closing
		 * before it; before the day opens: its opening */
		for (i = c->nweek[wd] - 1; i >= 0; i--) {
			if (c->week[wd][i].open_min > minute)
				continue;
			if (minute < c->week[wd][i].close_min)
				return wall_to_ms(y, m, d, minute) + extra;
			return wall_to_ms(y, m, d, c->week[wd][i].close_min);
		}
		return wall_to_ms(y, m, d, c->week[wd][0].open_min);
	}
	return -1;
}

void
calendar_local_time(const struct calendar *c, int64_t at_ms,
    struct calendar_local *out)
{
	int64_t ms = ((at_ms % 1000) + 1000) % 1000;
	time_t t = (time_t)((at_ms - ms) / 1000);
	struct tm tm;

	if (c->timezone[0])
		use_tz(c->timezone);
	if (!(c->timezone[0] ? localtime_r(&t, &tm) : gmtime_r(&t, &tm)))
		memset(&tm, 0, sizeof(tm)); /* past what time_t holds */
	out->weekday = tm.tm_wday;
	out->hour = tm.tm_hour;
	out->date = (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 +
	    tm.tm_mday;
	out->ms_of_day = (tm.tm_hour * 3600LL + tm.tm_min * 60 + tm.tm_sec) *
		1000 +
	    ms;
}

/* ---- opening hours --------------------------------------------------- */

/* "HH:MM", exactly two digits each: sscanf would take signs, spaces and
 * single digits, and say nothing of how far it read (found by fuzzing). */
static int
parse_hhmm(const char **p)
{
	const char *s = *p;
	int h, m;

	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' ||
	    s[2] != ':' || s[3] < '0' || s[3] > '9' || s[4] < '0' || s[4] > '9')
		return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 24 || m > 59 || (h == 24 && m))
		return -1;
	*p += 5;
	return h * 60 + m;
}

int
calendar_parse_hours(const char *s, struct interval *out, int max)
{
	int n = 0, a, b;

	while (*s == ' ')
		s++;
	if (!strcmp(s, "closed"))
		return 0;
	while (*s) {
		if (n == max || (a = parse_hhmm(&s)) < 0 || *s++ != '-' ||
		    (b = parse_hhmm(&s)) < 0 || b <= a ||
		    (n > 0 && a < out[n - 1].close_min))
			return -1;
		out[n].open_min = a;
		out[n].close_min = b;
		n++;
		while (*s == ' ')
			s++;
		if (*s == ',') {
			s++;
			while (*s == ' ')
				s++;
			if (!*s)
				return -1;
		} else if (*s)
			return -1;
	}
	return n;
}
