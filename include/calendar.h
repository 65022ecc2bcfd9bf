#ifndef CBD_CALENDAR_H
#define CBD_CALENDAR_H
#include <stddef.h>
#include <stdint.h>

#include "bounds.h"

/*
 * Business-hours calendars: when the clock of the promise runs. A calendar
 * is either 24x7, or weekly opening hours in a time zone, closed on the
 * German public holidays of a state and on extra closure days.
 */

struct interval {
	int open_min;  /* minutes after local midnight */
	int close_min; /* exclusive; up to 24 * 60 */
};

struct calendar {
	char name[CBD_IDENT_MAX + 1];
	int always; /* 24x7: every moment counts */
	char timezone[64];
	char state
	    [3]; /* German state code for its holidays, "" for federal only */
	struct interval week[7][CBD_DAY_INTERVALS_MAX]; /* index: 0 = Sunday */
	int nweek[7];
	int32_t *closed; /* extra closure days as YYYYMMDD, any order */
	size_t nclosed;
};

/* Easter Sunday of a Gregorian year: *month (3 or 4) and *day. */
void calendar_easter(int year, int *month, int *day);

/* The German public holiday on that date, federal or of state (a code such
 * as "NW"; "" for federal only), or NULL. */
const char *calendar_holiday_de(const char *state, int year, int month,
    int day);

/* 1 if state is a German state code we know (BW, BY, BE, ... TH). */
int calendar_state_valid(const char *state);

/* 1 if the time zone name is one the system knows. */
int calendar_timezone_valid(const char *tz);

/* The moment when business_ms of open time has passed since start_ms on
 * this calendar; start_ms itself when business_ms is 0. Returns -1 only
 * for a calendar that is never open (the config refuses those).
 * Uses the C library's time zone data (TZ set per call; the daemon is
 * single-threaded); otherwise pure. */
int64_t calendar_add(const struct calendar *, int64_t start_ms,
    int64_t business_ms);

/* The first open moment at or after start_ms (start_ms itself when
 * open then); -1 for a calendar never open. */
int64_t calendar_next_open(const struct calendar *, int64_t start_ms);

/* The open time of this calendar from from_ms to to_ms; 0 when to_ms is
 * not after from_ms. */
int64_t calendar_open_ms(const struct calendar *, int64_t from_ms,
    int64_t to_ms);

/* The due time of a target in working days: the same local time on the
 * workdays-th open day (a weekday with opening hours, no public holiday,
 * no closure day) after the request, counted from the request or, when
 * the calendar is closed then, from its next opening. When the calendar
 * is closed at that time of the due day, the due time moves back to the
 * closing before it, or forward to the day's opening when it opens later
 * that day. A local time the spring clock change skips moves forward with
 * the clock; one the autumn change repeats is its first. 24x7: workdays
 * times 24 hours. -1 for workdays < 1 or a calendar never open. */
int64_t calendar_add_workdays(const struct calendar *, int64_t start_ms,
    int workdays);

/* The local clock of a moment on a calendar: its weekday (0 = Sunday),
 * date, hour and the milliseconds since local midnight by the wall clock
 * (a calendar without a time zone, 24x7, is on UTC). */
struct calendar_local {
	int weekday;
	int hour;
	int32_t date; /* YYYYMMDD */
	int64_t ms_of_day;
};
void calendar_local_time(const struct calendar *, int64_t at_ms,
    struct calendar_local *);

/* Parses "08:00-12:00, 13:00-16:30" into intervals. Returns how many, or
 * -1 for a malformed, unordered or overlapping list. */
int calendar_parse_hours(const char *s, struct interval *out, int max);

#endif
