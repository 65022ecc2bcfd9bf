/*
 * Unit tests for timefmt.c: RFC 3339 in and out, config durations, calendar
 * days, back-off and timer conversion, as tables. Expected values were
 * computed independently with date(1), e.g. date -u -d 2026-11-24T19:33:00Z +%s.
 */
#include "check_run.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "bounds.h"
#include "timefmt.h"

static const struct {
	const char *text;
	int64_t ms;
} good[] = {
	{ "2026-11-24T19:33:00Z", 1795548780000LL },
	{ "2026-11-24T19:33:00.5Z", 1795548780500LL },
	{ "2026-11-24T19:33:00.123456Z", 1795548780123LL }, /* truncated */
	{ "2026-11-24T19:33:00.999999999Z", 1795548780999LL },
	{ "2026-11-24T19:33:00.000000001Z", 1795548780000LL },
	{ "2026-11-24t19:33:00z", 1795548780000LL },
	{ "2026-11-24T20:33:00+01:00", 1795548780000LL },
	{ "2026-11-24T19:33:00+01:00", 1795545180000LL },
	{ "2026-11-24T19:33:00-05:30", 1795568580000LL },
	{ "2026-11-24T12:30:00-05:30", 1795543200000LL },
	{ "2026-11-24T19:33:00-00:00", 1795548780000LL },
	{ "2024-02-29T00:00:00Z", 1709164800000LL },
	{ "2000-02-29T12:00:00Z", 951825600000LL },
	{ "2100-03-01T00:00:00Z", 4107542400000LL },
	{ "1999-12-31T23:59:59Z", 946684799000LL },
	{ "1970-01-01T00:00:00Z", 0 },
	{ "1970-01-01T00:00:00.999Z", 999 },
	{ "1970-01-01T01:00:00+01:00", 0 },
	{ "2000-01-01T00:00:00+14:00", 946634400000LL },
	/* the night of the spring clock change in Germany, in UTC */
	{ "2026-03-29T01:00:00Z", 1774746000000LL },
	{ "2027-10-31T03:00:00+02:00", 1824944400000LL },
	{ "9999-12-31T23:59:59Z", 253402300799000LL },
	{ "9999-12-31T23:59:59.999Z", 253402300799999LL },
};

START_TEST(parses_valid_times)
{
	int64_t ms = -1;

	ck_assert_msg(rfc3339_parse(good[_i].text, &ms) == 0, "'%s' refused",
	    good[_i].text);
	ck_assert_int_eq(ms, good[_i].ms);
}
END_TEST

static const char *const bad[] = {
	"",
	"yesterday",
	"2026-11-24",
	"2026-11-24T",
	"2026-11-24T19:33Z",    /* no seconds */
	"2026-11-24T19:33:00",  /* no zone */
	"2026-11-24 19:33:00Z", /* space for T */
	"2026-11-24T19:33:00 Z",
	"2023-02-29T00:00:00Z", /* not a leap year */
	"2100-02-29T00:00:00Z", /* nor is 2100 */
	"2026-13-01T00:00:00Z",
	"2026-00-10T00:00:00Z",
	"2026-04-31T00:00:00Z",
	"2026-11-00T00:00:00Z",
	"2026-11-24T24:00:00Z",
	"2026-11-24T19:60:00Z",
	"2026-11-24T19:33:60Z", /* leap second */
	"2026-11-24T19:33:00+25:00",
	"2026-11-24T19:33:00+24:00",
	"2026-11-24T19:33:00+01:60",
	"2026-11-24T19:33:00+0100",
	"2026-11-24T19:33:00+01",
	"2026-11-24T19:33:00Zjunk",
	"2026-11-24T19:33:00z ",
	"2026-11-24T19:33:00.Z", /* fraction without digits */
	"2026-11-24T19:33:00,5Z",
	"2026-11-24T19:33:00.5",
	"1969-12-31T23:59:59Z",
	"1970-01-01T00:30:00+01:00", /* before the epoch in UTC */
	"9999-12-31T23:30:00-01:00", /* after 9999 in UTC */
	"26-11-24T19:33:00Z",
	"2026-1-24T19:33:00Z",
	"+2026-11-24T19:33:00Z",
};

START_TEST(refuses_invalid_times)
{
	int64_t ms = 42;

	ck_assert_msg(rfc3339_parse(bad[_i], &ms) == -1, "'%s' accepted",
	    bad[_i]);
	ck_assert_int_eq(ms, 42);
}
END_TEST

static const struct {
	int64_t ms;
	const char *text;
} formatted[] = {
	{ 0, "1970-01-01T00:00:00.000Z" },
	{ 999, "1970-01-01T00:00:00.999Z" },
	{ 1795548780123LL, "2026-11-24T19:33:00.123Z" },
	{ 1709164800000LL, "2024-02-29T00:00:00.000Z" },
	{ 951825600000LL, "2000-02-29T12:00:00.000Z" },
	{ 4107542399999LL, "2100-02-28T23:59:59.999Z" },
	{ 253402300799999LL, "9999-12-31T23:59:59.999Z" },
	/* every field with a leading zero, and tens in each */
	{ 1788599287006LL, "2026-09-05T09:08:07.006Z" },
	{ 946684799010LL, "1999-12-31T23:59:59.010Z" },
	{ 1100LL, "1970-01-01T00:00:01.100Z" },
};

START_TEST(formats_and_round_trips)
{
	char buf[CBD_TIME_STR];
	int64_t back = -1;

	ck_assert_int_eq(rfc3339_format(formatted[_i].ms, buf, sizeof(buf)),
	    24);
	ck_assert_str_eq(buf, formatted[_i].text);
	ck_assert_int_eq(rfc3339_parse(buf, &back), 0);
	ck_assert_int_eq(back, formatted[_i].ms);
}
END_TEST

/* Times RFC 3339 text cannot hold here, and buffers that are too small. */
static const struct {
	int64_t ms;
	size_t len;
	size_t rc;
} format_limits[] = {
	{ 0, 0, 0 }, { 0, 24, 0 }, { 0, 25, 24 }, { -1, CBD_TIME_STR, 0 },
	{ INT64_MIN, CBD_TIME_STR, 0 }, /* CBD_NO_TIME */
	{ INT64_MAX, CBD_TIME_STR, 0 },
	{ 253402300800000LL, CBD_TIME_STR, 0 }, /* year 10000 */
};

START_TEST(format_refuses_what_it_cannot_write)
{
	char buf[CBD_TIME_STR];

	ck_assert_int_eq(rfc3339_format(format_limits[_i].ms, buf,
			     format_limits[_i].len),
	    format_limits[_i].rc);
}
END_TEST

static const struct {
	const char *text;
	int64_t ms;
} durations[] = {
	{ "48h", 172800000LL },
	{ "1h30m", 5400000LL },
	{ "90s", 90000LL },
	{ "500ms", 500LL },
	{ "2d", 172800000LL },
	{ "0", 0 },
	{ "0s", 0 },
	{ "0ms", 0 },
	{ "1h0m", 3600000LL },
	{ "15m", 900000LL },
	{ "1m1s", 61000LL },
	{ "1d2h3m4s5ms", 93784005LL },
	{ "9223372036854775807ms", INT64_MAX },
	{ "106751991167d", 9223372036828800000LL },
};

START_TEST(parses_durations)
{
	int64_t ms = -1;

	ck_assert_msg(duration_parse(durations[_i].text, &ms) == 0,
	    "'%s' refused", durations[_i].text);
	ck_assert_int_eq(ms, durations[_i].ms);
}
END_TEST

static const char *const bad_durations[] = {
	"", "h", "ms", "10", "00", "-1h", "+1h", "1x", "1H", "1h 30m", " 1h",
	"1h ", "1.5h", "1hm", "1h30",
	"99999999999999999999h", /* overflows the number */
	"9223372036854775808ms", /* INT64_MAX + 1 */
	"106751991168d",         /* overflows the product */
	"9223372036854775807d",
	"9223372036854775807ms1ms", /* overflows the sum */
};

START_TEST(refuses_bad_durations)
{
	int64_t ms = 42;

	ck_assert_msg(duration_parse(bad_durations[_i], &ms) == -1,
	    "'%s' accepted", bad_durations[_i]);
	ck_assert_int_eq(ms, 42);
}
END_TEST

static const struct {
	int y, m, d;
	int64_t days;
} civil[] = {
	{ 1970, 1, 1, 0 },
	{ 1969, 12, 31, -1 },
	{ 2000, 3, 1, 11017 },
	{ 2024, 2, 29, 19782 },
	{ 2100, 2, 28, 47540 },
	{ 2100, 3, 1, 47541 },
	{ 9999, 12, 31, 2932896 },
	{ 1600, 1, 1, -135140 },
	{ 0, 3, 1, -719468 },
};

START_TEST(counts_civil_days)
{
	int y, m, d;

	ck_assert_int_eq(days_from_civil(civil[_i].y, civil[_i].m, civil[_i].d),
	    civil[_i].days);
	civil_from_days(civil[_i].days, &y, &m, &d);
	ck_assert_int_eq(y, civil[_i].y);
	ck_assert_int_eq(m, civil[_i].m);
	ck_assert_int_eq(d, civil[_i].d);
}
END_TEST

/* Every day from 0000-03-01 to 9999-12-31 follows the one before it and
 * counts back to itself. Plain comparisons in the loop: a Check assertion
 * per day would record millions of passing points. */
START_TEST(civil_days_are_consecutive)
{
	int64_t day, bad_day = 0;
	int y, m, d, py, pm, pd, next, broken = 0;

	civil_from_days(-719468, &py, &pm, &pd);
	for (day = -719467; day <= 2932896 && !broken; day++) {
		civil_from_days(day, &y, &m, &d);
		next = (y == py && m == pm && d == pd + 1) ||
		    (y == py && m == pm + 1 && d == 1) ||
		    (y == py + 1 && m == 1 && pm == 12 && d == 1);
		if (!next || days_from_civil(y, m, d) != day) {
			broken = 1;
			bad_day = day;
		}
		py = y;
		pm = m;
		pd = d;
	}
	ck_assert_msg(!broken, "day %lld is %04d-%02d-%02d", (long long)bad_day,
	    py, pm, pd);
	ck_assert_int_eq(py, 9999);
	ck_assert_int_eq(pm, 12);
	ck_assert_int_eq(pd, 31);
}
END_TEST

static const struct {
	int64_t current, next;
} backoffs[] = {
	{ 0, CBD_RECONNECT_MIN_MS },
	{ -5, CBD_RECONNECT_MIN_MS },
	{ CBD_RECONNECT_MIN_MS, 2 * CBD_RECONNECT_MIN_MS },
	{ 2000, 4000 },
	{ CBD_RECONNECT_MAX_MS / 2 - 1, CBD_RECONNECT_MAX_MS - 2 },
	{ CBD_RECONNECT_MAX_MS / 2, CBD_RECONNECT_MAX_MS },
	{ CBD_RECONNECT_MAX_MS, CBD_RECONNECT_MAX_MS },
	{ INT64_MAX, CBD_RECONNECT_MAX_MS },
};

START_TEST(backs_off)
{
	ck_assert_int_eq(backoff_next(backoffs[_i].current), backoffs[_i].next);
}
END_TEST

static const struct {
	int64_t ms;
	long sec, usec;
} timevals[] = {
	{ 0, 0, 0 },
	{ 1, 0, 1000 },
	{ 999, 0, 999000 },
	{ 1500, 1, 500000 },
	{ 86400000, 86400, 0 },
	{ -5, 0, 0 },
};

START_TEST(converts_to_timeval)
{
	struct timeval tv;

	ms_timeval(timevals[_i].ms, &tv);
	ck_assert_int_eq(tv.tv_sec, timevals[_i].sec);
	ck_assert_int_eq(tv.tv_usec, timevals[_i].usec);
}
END_TEST

/* gettimeofday, not time(): time() reads the kernel's coarse clock, which
 * can lag the precise one by a few milliseconds across a second's edge */
static int64_t
tod_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

START_TEST(reads_the_wall_clock)
{
	int64_t before = tod_ms(), now = now_ms();
	int64_t after = tod_ms();

	ck_assert_int_ge(now, before);
	ck_assert_int_le(now, after);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("timefmt");
	TCase *tc = tcase_create("timefmt");

	tcase_add_loop_test(tc, parses_valid_times, 0, N(good));
	tcase_add_loop_test(tc, refuses_invalid_times, 0, N(bad));
	tcase_add_loop_test(tc, formats_and_round_trips, 0, N(formatted));
	tcase_add_loop_test(tc, format_refuses_what_it_cannot_write, 0,
	    N(format_limits));
	tcase_add_loop_test(tc, parses_durations, 0, N(durations));
	tcase_add_loop_test(tc, refuses_bad_durations, 0, N(bad_durations));
	tcase_add_loop_test(tc, counts_civil_days, 0, N(civil));
	tcase_add_test(tc, civil_days_are_consecutive);
	tcase_add_loop_test(tc, backs_off, 0, N(backoffs));
	tcase_add_loop_test(tc, converts_to_timeval, 0, N(timevals));
	tcase_add_test(tc, reads_the_wall_clock);
	suite_add_tcase(s, tc);
	return check_run(s);
}
