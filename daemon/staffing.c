/*
 * staffing.c owns the syntax of a site's staffing plan and its meaning as
 * caseworker-hours per hour of the week. It knows no site, calendar or
 * clock: config_keys.c calls it for the key, the forecast reads the
 * result. Pure.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "staffing.h"

static const char *const days[7] = { "sun", "mon", "tue", "wed", "thu", "fri",
	"sat" };

static void
skip_blank(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

/* A weekday of three letters, any case: 0 (Sunday) to 6, or -1. */
static int
day_word(const char **p)
{
	int d;

	for (d = 0; d < 7; d++)
		if (!strncasecmp(*p, days[d], 3) &&
		    !isalpha((unsigned char)(*p)[3])) {
			*p += 3;
			return d;
		}
	return -1;
}

/* HH:MM, 00:00 to 24:00: minutes after midnight, or -1. */
static int
clock_time(const char **p)
{
	const char *s = *p;
	int h, m;

	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
	    s[2] != ':' || !isdigit((unsigned char)s[3]) ||
	    !isdigit((unsigned char)s[4]))
		return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	*p = s + 5;
	return h * 60 + m;
}

/* Adds people working from from_min to to_min on day d, hour by hour. */
static void
add_range(double hours[7][24], int d, int from_min, int to_min, double people)
{
	int h, lo, hi;

	for (h = from_min / 60; h < 24 && h * 60 < to_min; h++) {
		lo = from_min > h * 60 ? from_min : h * 60;
		hi = to_min < (h + 1) * 60 ? to_min : (h + 1) * 60;
		hours[d][h] += people * (hi - lo) / 60.0;
	}
}

int
staffing_parse(const char *plan, double hours[7][24], char *why, size_t whylen)
{
	const char *p = plan, *group;
	int first, last, d, from, to, n;
	double people;
	char *end;

	memset(hours, 0, 7 * sizeof(hours[0]));
	skip_blank(&p);
	if (!*p) {
		snprintf(why, whylen,
		    "empty: give days, times and caseworkers (e.g. mon-fri "
		    "08:00-12:00 4, 13:00-16:00 3), or leave the key out to "
		    "take staffing from history");
		return -1;
	}
	while (*p) {
		group = p;
		if ((first = last = day_word(&p)) == -1)
			goto bad_days;
		if (*p == '-') {
			p++;
			if ((last = day_word(&p)) == -1)
				goto bad_days;
		}
		if (*p != ' ' && *p != '\t')
			goto bad_days;
		for (;;) {
			skip_blank(&p);
			if ((from = clock_time(&p)) == -1 || *p++ != '-' ||
			    (to = clock_time(&p)) == -1 || to <= from)
				goto bad_range;
			skip_blank(&p);
			people = strtod(p, &end);
			if (end == p || !(people > 0) ||
			    people > CBD_STAFFING_PEOPLE_MAX) {
				snprintf(why, whylen,
				    "'%.40s': after the times, how many "
				    "caseworkers (more than 0, at most %d)",
				    group, CBD_STAFFING_PEOPLE_MAX);
				return -1;
			}
			p = end;
			for (d = first, n = 0; n < 7; d = (d + 1) % 7, n++) {
				add_range(hours, d, from, to, people);
				if (d == last)
					break;
			}
			skip_blank(&p);
			if (*p != ',')
				break;
			p++;
		}
		if (*p == ';') {
			p++;
			skip_blank(&p);
			if (!*p)
				goto bad_days;
		} else if (*p) {
			snprintf(why, whylen,
			    "'%.40s': expected ',' and another time range, or "
			    "';' and more days",
			    p);
			return -1;
		}
	}
	return 0;
bad_days:
	snprintf(why, whylen,
	    "'%.40s': expected a weekday or two (mon, mon-fri) and a space; "
	    "days are sun, mon, tue, wed, thu, fri, sat",
	    p);
	return -1;
bad_range:
	snprintf(why, whylen,
	    "'%.40s': expected a time range such as 08:00-12:00 (end after "
	    "start, 24:00 the latest) and how many caseworkers",
	    group);
	return -1;
}
