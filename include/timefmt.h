#ifndef CBD_TIMEFMT_H
#define CBD_TIMEFMT_H
#include <stddef.h>
#include <stdint.h>

/*
 * Times inside callbackd are int64_t milliseconds since the epoch, UTC.
 * These functions are the edge: RFC 3339 text in and out, durations in the
 * config. Pure: no I/O, no allocation, no dependence on TZ.
 */

/* Parses an RFC 3339 date-time: "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)".
 * 't' and 'z' in lower case are accepted, as RFC 3339 allows; a space for
 * 'T' is not. Fractions beyond milliseconds are truncated. Leap second 60 is
 * refused. Checks day of month against the month and leap years.
 * Years 1970..9999. Returns 0 and sets *ms, or -1. */
int rfc3339_parse(const char *s, int64_t *ms);

/* Parses a plain date "YYYY-MM-DD" (years 1970..9999, the day checked
 * against its month) into days since 1970-01-01. Returns 0 and sets *days,
 * or -1. */
int date_parse(const char *s, int64_t *days);

/* Formats ms as "YYYY-MM-DDTHH:MM:SS.mmmZ". Returns the length written
 * (24), or 0 when len is too small (needs 25 bytes). */
size_t rfc3339_format(int64_t ms, char *buf, size_t len);

/* Parses a duration: one or more <number><unit> groups, units d, h, m, s,
 * ms, e.g. "48h", "1h30m", "90s", "500ms", "2d". A bare "0" is 0. No sign,
 * no spaces, no overflow past INT64_MAX. Returns 0 and sets *ms, or -1. */
int duration_parse(const char *s, int64_t *ms);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t days_from_civil(int64_t y, int m, int d);
void civil_from_days(int64_t days, int *y, int *m, int *d);

/* The next reconnect pause: CBD_RECONNECT_MIN_MS first, then doubling up
 * to CBD_RECONNECT_MAX_MS. */
int64_t backoff_next(int64_t current_ms);

struct timeval;
/* ms as a struct timeval, for libevent timers. */
void ms_timeval(int64_t ms, struct timeval *);

/* Current wall-clock time in ms since the epoch. Not pure; here because
 * every caller needs it next to the others. */
int64_t now_ms(void);

#endif
