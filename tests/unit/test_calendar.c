/*
 * Unit tests for calendar.c: German holidays, Easter, opening hours, and a
 * table of due times worked out independently (Python's zoneinfo with the
 * holidays written out by hand), across the DST weekends of 2026 and 2027,
 * Christmas to New Year, and Easter 2027.
 */
#include <string.h>

#include "calendar.h"
#include "check_run.h"

#define H 3600000LL

/* Europe/Berlin, NW holidays; Mon-Thu 08-12 and 13-16, Fri 08-12;
 * closed 2026-12-24 and 2026-12-31. */
static int32_t office_closed[] = { 20261224, 20261231 };
static struct calendar office = {
	.name = "office", .timezone = "Europe/Berlin", .state = "NW",
	.week = {
		[1] = { { 480, 720 }, { 780, 960 } }, [2] = { { 480, 720 }, { 780, 960 } },
		[3] = { { 480, 720 }, { 780, 960 } }, [4] = { { 480, 720 }, { 780, 960 } },
		[5] = { { 480, 720 } },
	},
	.nweek = { 0, 2, 2, 2, 2, 1, 0 },
	.closed = office_closed, .nclosed = 2,
};

/* Every hour of every day but the federal holidays, in Europe/Berlin: business time is
 * real time, also across the clock changes. */
/* clang-format off */
static struct calendar allday = {
	.name = "allday", .timezone = "Europe/Berlin",
	.week = { { { 0, 1440 } }, { { 0, 1440 } }, { { 0, 1440 } }, { { 0, 1440 } },
		{ { 0, 1440 } }, { { 0, 1440 } }, { { 0, 1440 } } },
	.nweek = { 1, 1, 1, 1, 1, 1, 1 },
};
/* clang-format on */

/* 01:00-04:00 local every night: two real hours on the night the clocks go
 * forward, four on the night they go back. */
/* clang-format off */
static struct calendar night = {
	.name = "night", .timezone = "Europe/Berlin",
	.week = { { { 60, 240 } }, { { 60, 240 } }, { { 60, 240 } }, { { 60, 240 } },
		{ { 60, 240 } }, { { 60, 240 } }, { { 60, 240 } } },
	.nweek = { 1, 1, 1, 1, 1, 1, 1 },
};
/* clang-format on */

/* clang-format off */
static const struct {
	const char *cal;
	int64_t start, business, due;
} cases[] = {
#include "calendar_cases.inc"
};
/* clang-format on */

static const struct calendar *
by_name(const char *n)
{
	return !strcmp(n, "office") ? &office :
	    !strcmp(n, "allday")    ? &allday :
				      &night;
}

START_TEST(due_times)
{
	ck_assert_int_eq(calendar_add(by_name(cases[_i].cal), cases[_i].start,
			     cases[_i].business),
	    cases[_i].due);
}
END_TEST

START_TEST(always_open_is_plain_addition)
{
	struct calendar always = { .name = "24x7", .always = 1 };

	ck_assert_int_eq(calendar_add(&always, 1795507200000LL, 48 * H),
	    1795507200000LL + 48 * H);
}
END_TEST

/* clang-format off */
static const struct {
	int y, m, d;
} easter[] = {
	{ 2024, 3, 31 }, { 2025, 4, 20 }, { 2026, 4, 5 }, { 2027, 3, 28 },
	{ 2028, 4, 16 }, { 2038, 4, 25 }, { 2000, 4, 23 }, { 2285, 3, 22 },
};
/* clang-format on */

START_TEST(easter_sundays)
{
	int m, d;

	calendar_easter(easter[_i].y, &m, &d);
	ck_assert_int_eq(m, easter[_i].m);
	ck_assert_int_eq(d, easter[_i].d);
}
END_TEST

/* clang-format off */
static const struct {
	const char *state;
	int y, m, d;
	int holiday;
} holidays[] = {
	{ "", 2026, 1, 1, 1 }, { "", 2026, 4, 3, 1 }, { "", 2026, 4, 6, 1 },
	{ "", 2026, 5, 14, 1 }, { "", 2026, 5, 25, 1 }, { "", 2026, 10, 3, 1 },
	{ "", 2026, 12, 25, 1 }, { "", 2026, 12, 26, 1 }, { "", 2026, 12, 24, 0 },
	{ "", 2026, 6, 4, 0 }, { "NW", 2026, 6, 4, 1 }, { "BY", 2027, 5, 27, 1 },
	{ "BE", 2027, 5, 27, 0 }, { "NW", 2026, 11, 1, 1 }, { "NI", 2026, 11, 1, 0 },
	{ "NI", 2026, 10, 31, 1 }, { "NW", 2026, 10, 31, 0 }, { "BY", 2027, 1, 6, 1 },
	{ "NW", 2027, 1, 6, 0 }, { "BE", 2026, 3, 8, 1 }, { "MV", 2023, 3, 8, 1 },
	{ "MV", 2022, 3, 8, 0 }, { "SN", 2026, 11, 18, 1 }, { "SN", 2027, 11, 17, 1 },
	{ "SN", 2026, 11, 25, 0 }, { "TH", 2026, 9, 20, 1 }, { "SL", 2026, 8, 15, 1 },
	{ "", 2027, 3, 26, 1 }, { "", 2027, 3, 29, 1 }, { "", 2027, 3, 28, 0 },
};
/* clang-format on */

START_TEST(german_holidays)
{
	const char *h = calendar_holiday_de(holidays[_i].state, holidays[_i].y,
	    holidays[_i].m, holidays[_i].d);

	ck_assert_msg((h != NULL) == holidays[_i].holiday, "%s %d-%d-%d: %s",
	    holidays[_i].state, holidays[_i].y, holidays[_i].m, holidays[_i].d,
	    h ? h : "no holiday");
}
END_TEST

/* clang-format off */
static const struct {
	const char *text;
	int n;
	int open0, close0;
} hours[] = {
	{ "08:00-12:00, 13:00-16:00", 2, 480, 720 },
	{ "08:00-16:30", 1, 480, 990 },
	{ "00:00-24:00", 1, 0, 1440 },
	{ "closed", 0, 0, 0 },
	{ "8:00-12:00", -1, 0, 0 },
	{ "12:00-08:00", -1, 0, 0 },
	{ "08:00-12:00, 11:00-14:00", -1, 0, 0 },
	{ "08:00-12:00,", -1, 0, 0 },
	{ "08:00-25:00", -1, 0, 0 },
	{ "08:00-12:00 13:00-14:00", -1, 0, 0 },
	/* found by fuzzing: single-digit minutes at the end made the parser
	 * step past the end of the string */
	{ "08:00-12:00, 13:00-16:0", -1, 0, 0 },
	{ "08:00-1", -1, 0, 0 },
	{ "+8:00-12:00", -1, 0, 0 },
	{ " 8:00-12:00", -1, 0, 0 },
	{ "01:00-02:00, 03:00-04:00, 05:00-06:00, 07:00-08:00, 09:00-10:00", -1, 0, 0 },
};
/* clang-format on */

START_TEST(opening_hours)
{
	struct interval iv[CBD_DAY_INTERVALS_MAX];
	int n = calendar_parse_hours(hours[_i].text, iv, CBD_DAY_INTERVALS_MAX);

	ck_assert_int_eq(n, hours[_i].n);
	if (n > 0) {
		ck_assert_int_eq(iv[0].open_min, hours[_i].open0);
		ck_assert_int_eq(iv[0].close_min, hours[_i].close0);
	}
}
END_TEST

START_TEST(states_and_zones)
{
	ck_assert(calendar_state_valid("NW"));
	ck_assert(!calendar_state_valid("XX"));
	ck_assert(!calendar_state_valid(""));
	ck_assert(calendar_timezone_valid("Europe/Berlin"));
	ck_assert(calendar_timezone_valid("UTC"));
	ck_assert(!calendar_timezone_valid("Mars/Olympus"));
	ck_assert(!calendar_timezone_valid("../etc/passwd"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("calendar");
	TCase *tc = tcase_create("calendar");

	tcase_add_loop_test(tc, due_times, 0, N(cases));
	tcase_add_test(tc, always_open_is_plain_addition);
	tcase_add_loop_test(tc, easter_sundays, 0, N(easter));
	tcase_add_loop_test(tc, german_holidays, 0, N(holidays));
	tcase_add_loop_test(tc, opening_hours, 0, N(hours));
	tcase_add_test(tc, states_and_zones);
	suite_add_tcase(s, tc);
	return check_run(s);
}
