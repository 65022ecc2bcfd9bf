/*
 * Unit tests for period.c and date_parse: report bounds as plain dates in a
 * time zone, across both clock changes of 2026 in Berlin, and as RFC 3339
 * times. Expected values computed independently with date(1), e.g.
 * TZ=Europe/Berlin date -d 2026-10-25 +%s.
 */
#include "check_run.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "period.h"
#include "timefmt.h"

static const struct {
	const char *text, *tz;
	int end, kind;
	int64_t ms;
} bounds[] = {
	{ "2026-11-01", "Europe/Berlin", 0, 1, 1793487600000LL },
	{ "2026-11-30", "Europe/Berlin", 1, 1, 1796079600000LL },
	/* 25 October 2026: 25 hours */
	{ "2026-10-25", "Europe/Berlin", 0, 1, 1792879200000LL },
	{ "2026-10-25", "Europe/Berlin", 1, 1, 1792969200000LL },
	/* 29 March 2026: 23 hours */
	{ "2026-03-29", "Europe/Berlin", 0, 1, 1774738800000LL },
	{ "2026-03-29", "Europe/Berlin", 1, 1, 1774821600000LL },
	{ "2026-10-25", "UTC", 0, 1, 1792886400000LL },
	{ "2026-10-25", "UTC", 1, 1, 1792972800000LL },
	{ "2026-10-25", "America/New_York", 0, 1, 1792900800000LL },
	/* times are times, wherever the report is */
	{ "2026-10-25T12:00:00Z", "Europe/Berlin", 1, 0, 1792929600000LL },
	{ "2026-10-25T12:00:00Z", "UTC", 0, 0, 1792929600000LL },
};

static const char *const bad[] = {
	"2026-02-30",
	"2026-02-29",
	"2026-13-01",
	"2026-00-10",
	"2026-11-1",
	"2026-11-01 ",
	"26-11-01",
	"2026/11/01",
	"1969-12-31",
	"",
	"yesterday",
	"2026-11-01T",
	"2026-11-01T00:00:00",
	"2026-11-32",
};

START_TEST(reads_dates_and_times)
{
	int64_t ms = -1;
	int kind = period_bound(bounds[_i].text, bounds[_i].tz, bounds[_i].end,
	    &ms);

	ck_assert_int_eq(kind, bounds[_i].kind);
	ck_assert_int_eq(ms, bounds[_i].ms);
}
END_TEST

START_TEST(refuses_what_is_no_date)
{
	int64_t ms = 42;

	ck_assert_int_eq(period_bound(bad[_i], "Europe/Berlin", 0, &ms), -1);
	ck_assert_int_eq(ms, 42);
}
END_TEST

START_TEST(day_lengths_follow_the_clock)
{
	int64_t day;

	ck_assert_int_eq(date_parse("2026-10-25", &day), 0);
	ck_assert_int_eq(period_day_start(day + 1, "Europe/Berlin") -
		period_day_start(day, "Europe/Berlin"),
	    25 * 3600000LL);
	ck_assert_int_eq(date_parse("2026-03-29", &day), 0);
	ck_assert_int_eq(period_day_start(day + 1, "Europe/Berlin") -
		period_day_start(day, "Europe/Berlin"),
	    23 * 3600000LL);
	ck_assert_int_eq(date_parse("2024-02-29", &day), 0);
	ck_assert_int_eq(period_day_start(day + 1, "Europe/Berlin") -
		period_day_start(day, "Europe/Berlin"),
	    24 * 3600000LL);
}
END_TEST

START_TEST(leaves_tz_as_it_was)
{
	int64_t day = 20000;

	setenv("TZ", "Asia/Tokyo", 1);
	(void)period_day_start(day, "Europe/Berlin");
	ck_assert_str_eq(getenv("TZ"), "Asia/Tokyo");
	unsetenv("TZ");
	(void)period_day_start(day, "Europe/Berlin");
	ck_assert_ptr_null(getenv("TZ"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("period");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, reads_dates_and_times, 0, N(bounds));
	tcase_add_loop_test(tc, refuses_what_is_no_date, 0, N(bad));
	tcase_add_test(tc, day_lengths_follow_the_clock);
	tcase_add_test(tc, leaves_tz_as_it_was);
	suite_add_tcase(s, tc);
	return check_run(s);
}
