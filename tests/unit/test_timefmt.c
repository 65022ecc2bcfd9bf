/* Unit tests for timefmt.c: RFC 3339 in and out, config durations.
 * Expected values computed independently with date(1). */
#include "check_run.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "timefmt.h"

static const struct {
	const char *text;
	int64_t ms;
} good[] = {
	{ "2026-11-24T19:33:00Z", 1795548780000LL },
	{ "2026-11-24T19:33:00.5Z", 1795548780500LL },
	{ "2026-11-24T19:33:00.123456Z", 1795548780123LL },
	{ "2026-11-24t19:33:00z", 1795548780000LL },
	{ "2026-11-24T20:33:00+01:00", 1795548780000LL },
	{ "2026-11-24T12:30:00-05:30", 1795543200000LL },
	{ "2024-02-29T00:00:00Z", 1709164800000LL },
	{ "1970-01-01T00:00:00Z", 0 },
	{ "2000-01-01T00:00:00+14:00", 946634400000LL },
	/* the night of the spring clock change in Germany, in UTC */
	{ "2026-03-29T01:00:00Z", 1774746000000LL },
	{ "2027-10-31T03:00:00+02:00", 1824944400000LL },
	{ "9999-12-31T23:59:59Z", 253402300799000LL },
};

START_TEST(parses_valid_times)
{
	int64_t ms = -1;

	ck_assert_int_eq(rfc3339_parse(good[_i].text, &ms), 0);
	ck_assert_int_eq(ms, good[_i].ms);
}
END_TEST

static const char *const bad[] = {
	"", "2026-11-24", "2026-11-24T19:33:00", "2026-11-24 19:33:00Z",
	"2023-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z",
	"2026-04-31T00:00:00Z", "2026-11-24T24:00:00Z", "2026-11-24T19:60:00Z",
	"2026-11-24T19:33:60Z", "2026-11-24T19:33:00+25:00",
	"2026-11-24T19:33:00+01:60", "2026-11-24T19:33:00+0100",
	"2026-11-24T19:33:00Zjunk", "2026-11-24T19:33:00.Z", "1969-12-31T23:59:59Z",
	"26-11-24T19:33:00Z", "2026-1-24T19:33:00Z", "yesterday",
};

START_TEST(refuses_invalid_times)
{
	int64_t ms = 42;

	ck_assert_int_eq(rfc3339_parse(bad[_i], &ms), -1);
	ck_assert_int_eq(ms, 42);
}
END_TEST

static const struct {
	int64_t ms;
	const char *text;
} formatted[] = {
	{ 0, "1970-01-01T00:00:00.000Z" },
	{ 1795548780123LL, "2026-11-24T19:33:00.123Z" },
	{ 1709164800000LL, "2024-02-29T00:00:00.000Z" },
	{ 253402300799999LL, "9999-12-31T23:59:59.999Z" },
};

START_TEST(formats_and_round_trips)
{
	char buf[CBD_TIME_STR];
	int64_t back;

	ck_assert_int_eq(rfc3339_format(formatted[_i].ms, buf, sizeof(buf)), 24);
	ck_assert_str_eq(buf, formatted[_i].text);
	ck_assert_int_eq(rfc3339_parse(buf, &back), 0);
	ck_assert_int_eq(back, formatted[_i].ms);
}
END_TEST

START_TEST(format_needs_room)
{
	char buf[24];

	ck_assert_int_eq(rfc3339_format(0, buf, sizeof(buf)), 0);
}
END_TEST

static const struct {
	const char *text;
	int64_t ms;
} durations[] = {
	{ "48h", 172800000LL }, { "1h30m", 5400000LL }, { "90s", 90000LL },
	{ "500ms", 500LL }, { "2d", 172800000LL }, { "0", 0 }, { "1h0m", 3600000LL },
	{ "15m", 900000LL }, { "1d2h3m4s5ms", 93784005LL },
};

START_TEST(parses_durations)
{
	int64_t ms = -1;

	ck_assert_int_eq(duration_parse(durations[_i].text, &ms), 0);
	ck_assert_int_eq(ms, durations[_i].ms);
}
END_TEST

static const char *const bad_durations[] = {
	"", "h", "10", "-1h", "1x", "1h 30m", " 1h", "1.5h", "99999999999999999999h",
	"9223372036854775807d", "1hm",
};

START_TEST(refuses_bad_durations)
{
	int64_t ms = 42;

	ck_assert_int_eq(duration_parse(bad_durations[_i], &ms), -1);
	ck_assert_int_eq(ms, 42);
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
	tcase_add_test(tc, format_needs_room);
	tcase_add_loop_test(tc, parses_durations, 0, N(durations));
	tcase_add_loop_test(tc, refuses_bad_durations, 0, N(bad_durations));
	suite_add_tcase(s, tc);
	return check_run(s);
}
