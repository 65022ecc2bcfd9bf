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

/* Due times of targets in working days: the same local time on the Nth
 * open day, worked out by hand (Berlin local times, UTC in the comment). */
static const struct {
	const char *cal;
	int64_t start;
	int workdays;
	int64_t due;
} workdays[] = {
	/* Fri 27.11.2026 10:00 -> Tue 1.12 10:00 (09:00Z): the weekend skipped */
	{ "office", 1795770000000LL, 2, 1796115600000LL },
	/* Sat 28.11 11:00: counted from Mon 08:00 -> Wed 2.12 08:00 */
	{ "office", 1795860000000LL, 2, 1796194800000LL },
	/* Tue 24.11 17:00, after closing: from Wed 08:00 -> Thu 26.11 08:00 */
	{ "office", 1795536000000LL, 1, 1795676400000LL },
	/* Tue 24.11 12:30, the lunch break: from 13:00 -> Wed 25.11 13:00 */
	{ "office", 1795519800000LL, 1, 1795608000000LL },
	/* Thu 26.11 14:00 -> Friday closes at 12:00: Fri 27.11 12:00 */
	{ "office", 1795698000000LL, 1, 1795777200000LL },
	/* Thu 25.3.2027 10:00 CET: Good Friday, the weekend with the spring
	 * clock change and Easter Monday closed -> Tue 30.3 10:00 CEST */
	{ "office", 1805965200000LL, 1, 1806393600000LL },
	/* Wed 23.12.2026 10:00: 24.12 a closure day, 25.12 and 26.12
	 * holidays, Sunday -> Mon 28.12 10:00 */
	{ "office", 1798016400000LL, 1, 1798448400000LL },
	/* Tue 22.12 09:00, 2 workdays: Wed 23.12 and Mon 28.12 */
	{ "office", 1797926400000LL, 2, 1798444800000LL },
	/* Wed 30.12 11:00: 31.12 closed, New Year, weekend -> Mon 4.1.2027 */
	{ "office", 1798624800000LL, 1, 1799056800000LL },
	/* on the closure day 31.12 09:00: from Mon 4.1 08:00 -> Tue 5.1 08:00 */
	{ "office", 1798704000000LL, 1, 1799132400000LL },
	/* Fri 27.3.2026 10:00 CET -> Mon 30.3 10:00 CEST: 71 real hours */
	{ "office", 1774602000000LL, 1, 1774857600000LL },
	/* Fri 23.10.2026 10:00 CEST -> Mon 26.10 10:00 CET: 73 real hours */
	{ "office", 1792742400000LL, 1, 1793005200000LL },
	/* Sat 28.3.2026 02:30 -> Sun 29.3 02:30 does not exist: 03:30 CEST */
	{ "allday", 1774661400000LL, 1, 1774747800000LL },
	/* Sat 24.10.2026 02:30 -> Sun 25.10 02:30 comes twice: the first
	 * (CEST, 00:30Z), not the second (CET, 01:30Z) */
	{ "allday", 1792801800000LL, 1, 1792888200000LL },
	/* the same on the night calendar, open 01:00-04:00 */
	{ "night", 1774661400000LL, 1, 1774747800000LL },
	{ "night", 1792801800000LL, 1, 1792888200000LL },
	/* no working days: no due time */
	{ "office", 1795770000000LL, 0, -1 },
};

START_TEST(due_times_in_workdays)
{
	ck_assert_int_eq(calendar_add_workdays(by_name(workdays[_i].cal),
			     workdays[_i].start, workdays[_i].workdays),
	    workdays[_i].due);
}
END_TEST

START_TEST(always_open_workdays_are_days)
{
	struct calendar always = { .name = "24x7", .always = 1 };

	ck_assert_int_eq(calendar_add_workdays(&always, 1795770000000LL, 2),
	    1795770000000LL + 48 * H);
	ck_assert_int_eq(calendar_open_ms(&always, 1795770000000LL,
			     1795770000000LL + 5 * H),
	    5 * H);
}
END_TEST

/* Open time between two moments, and the next opening. */
START_TEST(open_time_between_and_next_opening)
{
	/* Fri 27.11.2026 10:00 to Tue 1.12 10:00: Fri 2 h, Mon 7 h, Tue 2 h */
	ck_assert_int_eq(calendar_open_ms(&office, 1795770000000LL,
			     1796115600000LL),
	    11 * H);
	ck_assert_int_eq(calendar_open_ms(&office, 1796115600000LL,
			     1795770000000LL),
	    0);
	/* Sat 28.3.2026 12:00 to Sun 12:00 on allday: 23 real hours */
	ck_assert_int_eq(calendar_open_ms(&allday, 1774695600000LL,
			     1774778400000LL),
	    23 * H);
	/* Sat 28.11 11:00: Mon 30.11 08:00; open at Fri 10:00: itself */
	ck_assert_int_eq(calendar_next_open(&office, 1795860000000LL),
	    1796022000000LL);
	ck_assert_int_eq(calendar_next_open(&office, 1795770000000LL),
	    1795770000000LL);
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

/* The local clock of a moment: the hour the spring change skips does not
 * occur, the one the autumn change repeats occurs twice; 24x7 is UTC. */
START_TEST(local_weekday_and_hour)
{
	/* 2026-03-29 01:30 CET, an hour later 03:30 CEST */
	static const int64_t spring = 1774744200000LL;
	/* 2026-10-25 02:30 CEST, an hour later 02:30 CET */
	static const int64_t autumn = 1792888200000LL;
	static const struct calendar always = { .name = "24x7", .always = 1 };
	struct calendar_local lt;

	calendar_local_time(&allday, spring, &lt);
	ck_assert_int_eq(lt.weekday, 0);
	ck_assert_int_eq(lt.hour, 1);
	ck_assert_int_eq(lt.date, 20260329);
	ck_assert_int_eq(lt.ms_of_day, 90 * 60000LL);
	calendar_local_time(&allday, spring + H, &lt);
	ck_assert_int_eq(lt.hour, 3);
	ck_assert_int_eq(lt.ms_of_day, 210 * 60000LL);
	calendar_local_time(&allday, autumn, &lt);
	ck_assert_int_eq(lt.hour, 2);
	calendar_local_time(&allday, autumn + H, &lt);
	ck_assert_int_eq(lt.hour, 2);
	ck_assert_int_eq(lt.ms_of_day, 150 * 60000LL);
	calendar_local_time(&always, spring, &lt);
	ck_assert_int_eq(lt.hour, 0);
	ck_assert_int_eq(lt.ms_of_day, 30 * 60000LL);
	/* the last millisecond of 1969, a Wednesday */
	calendar_local_time(&always, -1, &lt);
	ck_assert_int_eq(lt.weekday, 3);
	ck_assert_int_eq(lt.date, 19691231);
	ck_assert_int_eq(lt.ms_of_day, 86399999);
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
	tcase_add_loop_test(tc, due_times_in_workdays, 0, N(workdays));
	tcase_add_test(tc, always_open_workdays_are_days);
	tcase_add_test(tc, open_time_between_and_next_opening);
	tcase_add_loop_test(tc, easter_sundays, 0, N(easter));
	tcase_add_loop_test(tc, german_holidays, 0, N(holidays));
	tcase_add_loop_test(tc, opening_hours, 0, N(hours));
	tcase_add_test(tc, states_and_zones);
	tcase_add_test(tc, local_weekday_and_hour);
	suite_add_tcase(s, tc);
	return check_run(s);
}
