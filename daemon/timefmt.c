/*
 * timefmt.c owns the text forms of time: RFC 3339 in and out, the
 * durations of the config, calendar day arithmetic, reconnect back-off and
 * the wall clock. Apart from now_ms it is pure: no I/O, no allocation, no
 * TZ, no libc calendar functions (timegm, mktime, gmtime); days are counted
 * with Howard Hinnant's days-from-civil method. It must never overflow a
 * signed integer, whatever text or number it is given.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

#include "bounds.h"
#include "timefmt.h"

#define MS_PER_DAY 86400000LL
/* The instants RFC 3339 text can hold here: years 1970..9999 in UTC.
 * 253402300800000 is 10000-01-01T00:00:00Z. */
#define TIME_MIN_MS 0LL
#define TIME_MAX_MS (253402300800000LL - 1)

static int
leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int64_t y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };

	return m == 2 && leap(y) ? 29 : d[m - 1];
}

int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* Reads exactly n digits. */
static int
digits(const char **p, int n, int *out)
{
	int v = 0;

	while (n-- > 0) {
		if (**p < '0' || **p > '9')
			return -1;
		v = v * 10 + (*(*p)++ - '0');
	}
	*out = v;
	return 0;
}

int
rfc3339_parse(const char *s, int64_t *ms)
{
	int y, mo, d, h, mi, sec, frac = 0, scale = 100, oh = 0, om = 0,
				  sign = 0;
	int64_t t;

	if (digits(&s, 4, &y) || *s++ != '-' || digits(&s, 2, &mo) ||
	    *s++ != '-' || digits(&s, 2, &d) || (*s != 'T' && *s != 't'))
		return -1;
	s++;
	if (digits(&s, 2, &h) || *s++ != ':' || digits(&s, 2, &mi) ||
	    *s++ != ':' || digits(&s, 2, &sec))
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 ||
	    d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59)
		return -1;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return -1;
		for (; *s >= '0' && *s <= '9'; s++) {
			frac += (*s - '0') * scale;
			scale /= 10; /* digits past milliseconds add nothing */
		}
	}
	if (*s == 'Z' || *s == 'z')
		s++;
	else if (*s == '+' || *s == '-') {
		sign = *s++ == '+' ? 1 : -1;
		if (digits(&s, 2, &oh) || *s++ != ':' || digits(&s, 2, &om) ||
		    oh > 23 || om > 59)
			return -1;
	} else
		return -1;
	if (*s)
		return -1;
	t = days_from_civil(y, mo, d) * MS_PER_DAY +
	    ((int64_t)h * 3600 + mi * 60 + sec) * 1000 + frac;
	t -= sign * ((int64_t)oh * 3600 + om * 60) * 1000;
	/* "1970-01-01T00:30:00+01:00" is before the epoch and
	 * "9999-12-31T23:30:00-01:00" after 9999: refused, so that every time
	 * parsed here can be formatted back. */
	if (t < TIME_MIN_MS || t > TIME_MAX_MS)
		return -1;
	*ms = t;
	return 0;
}

int
date_parse(const char *s, int64_t *days)
{
	int y, mo, d;

	if (digits(&s, 4, &y) || *s++ != '-' || digits(&s, 2, &mo) ||
	    *s++ != '-' || digits(&s, 2, &d) || *s)
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return -1;
	*days = days_from_civil(y, mo, d);
	return 0;
}

/* Writes n decimal digits of v at p, zero-padded. */
static char *
put_digits(char *p, int v, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--, v /= 10)
		p[i] = (char)('0' + v % 10);
	return p + n;
}

size_t
rfc3339_format(int64_t ms, char *buf, size_t len)
{
	int64_t rest;
	int y, m, d;
	char *p = buf;

	/* Range first: no arithmetic on CBD_NO_TIME (INT64_MIN) or INT64_MAX. */
	if (buf == NULL || len < 25 || ms < TIME_MIN_MS || ms > TIME_MAX_MS)
		return 0;
	civil_from_days(ms / MS_PER_DAY, &y, &m, &d);
	rest = ms % MS_PER_DAY;
	/* by hand: every response carries a dozen of these, and snprintf
	 * was a visible part of the daemon's time in a work cycle */
	p = put_digits(p, y, 4);
	*p++ = '-';
	p = put_digits(p, m, 2);
	*p++ = '-';
	p = put_digits(p, d, 2);
	*p++ = 'T';
	p = put_digits(p, (int)(rest / 3600000), 2);
	*p++ = ':';
	p = put_digits(p, (int)(rest / 60000 % 60), 2);
	*p++ = ':';
	p = put_digits(p, (int)(rest / 1000 % 60), 2);
	*p++ = '.';
	p = put_digits(p, (int)(rest % 1000), 3);
	*p++ = 'Z';
	*p = '\0';
	return 24;
}

int
duration_parse(const char *s, int64_t *ms)
{
	int64_t total = 0, n, unit;
	int groups = 0;

	if (s[0] == '0' && s[1] == '\0') {
		*ms = 0;
		return 0;
	}
	while (*s) {
		if (*s < '0' || *s > '9')
			return -1;
		for (n = 0; *s >= '0' && *s <= '9'; s++) {
			if (n > (INT64_MAX - (*s - '0')) / 10)
				return -1;
			n = n * 10 + (*s - '0');
		}
		if (s[0] == 'm' && s[1] == 's') {
			unit = 1;
			s += 2;
		} else if (*s == 'd') {
			unit = MS_PER_DAY;
			s++;
		} else if (*s == 'h') {
			unit = 3600000;
			s++;
		} else if (*s == 'm') {
			unit = 60000;
			s++;
		} else if (*s == 's') {
			unit = 1000;
			s++;
		} else
			return -1;
		if (n > (INT64_MAX - total) / unit)
			return -1;
		total += n * unit;
		groups++;
	}
	if (!groups)
		return -1;
	*ms = total;
	return 0;
}

int64_t
backoff_next(int64_t current)
{
	if (current <= 0)
		return CBD_RECONNECT_MIN_MS;
	return current >= CBD_RECONNECT_MAX_MS / 2 ? CBD_RECONNECT_MAX_MS :
						     current * 2;
}

void
ms_timeval(int64_t ms, struct timeval *tv)
{
	if (ms < 0)
		ms = 0;
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (ms % 1000) * 1000;
}

int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
