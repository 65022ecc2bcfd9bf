/* Unit tests for staffing.c: plans read into caseworker-hours per hour
 * of the week, by hand-counted cases, and the malformed ones refused. */
#include <string.h>

#include "check_run.h"

#include "staffing.h"

static double hours[7][24];
static char why[200];

static double
week_total(void)
{
	double sum = 0;
	int d, h;

	for (d = 0; d < 7; d++)
		for (h = 0; h < 24; h++)
			sum += hours[d][h];
	return sum;
}

START_TEST(weekdays_with_two_ranges)
{
	ck_assert_int_eq(staffing_parse("Mon-Fri 08:00-12:00 4, 13:00-16:00 3",
			     hours, why, sizeof(why)),
	    0);
	ck_assert_double_eq(hours[1][8], 4);
	ck_assert_double_eq(hours[5][11], 4);
	ck_assert_double_eq(hours[3][12], 0);
	ck_assert_double_eq(hours[3][15], 3);
	ck_assert_double_eq(hours[0][9], 0); /* Sunday */
	ck_assert_double_eq(hours[6][9], 0); /* Saturday */
	ck_assert_double_eq(week_total(), 5 * (4 * 4 + 3 * 3));
}
END_TEST

START_TEST(half_hours_and_groups_add_up)
{
	ck_assert_int_eq(
	    staffing_parse("mon 08:30-09:15 2; mon 09:00-10:00 1.5;"
			   " sat 09:00-24:00 1",
		hours, why, sizeof(why)),
	    0);
	ck_assert_double_eq_tol(hours[1][8], 1.0, 1e-9);
	ck_assert_double_eq_tol(hours[1][9], 0.5 + 1.5, 1e-9);
	ck_assert_double_eq_tol(hours[6][23], 1.0, 1e-9);
	ck_assert_double_eq_tol(week_total(), 1.0 + 0.5 + 1.5 + 15, 1e-9);
}
END_TEST

START_TEST(a_range_of_days_wraps_over_the_weekend)
{
	ck_assert_int_eq(staffing_parse("fri-mon 10:00-11:00 2", hours, why,
			     sizeof(why)),
	    0);
	ck_assert_double_eq(hours[5][10], 2);
	ck_assert_double_eq(hours[6][10], 2);
	ck_assert_double_eq(hours[0][10], 2);
	ck_assert_double_eq(hours[1][10], 2);
	ck_assert_double_eq(hours[2][10], 0);
	ck_assert_double_eq(week_total(), 8);
}
END_TEST

static const char *const bad[] = {
	"",
	"   ",
	"monday 08:00-12:00 4",
	"mon-xyz 08:00-12:00 4",
	"mon08:00-12:00 4",
	"mon 08:00-12:00",
	"mon 08:00-12:00 0",
	"mon 08:00-12:00 -1",
	"mon 08:00-12:00 1001",
	"mon 12:00-08:00 4",
	"mon 08:00-08:00 4",
	"mon 08:00-24:30 4",
	"mon 8:00-12:00 4",
	"mon 08:60-12:00 4",
	"mon 08:00-12:00 4,",
	"mon 08:00-12:00 4;",
	"mon 08:00-12:00 4 tue 08:00-12:00 4",
	"mon 08:00-12:00 4x",
};

START_TEST(malformed_plans_are_refused_with_a_reason)
{
	why[0] = '\0';
	ck_assert_msg(staffing_parse(bad[_i], hours, why, sizeof(why)) == -1,
	    "'%s' was taken", bad[_i]);
	ck_assert_msg(strlen(why) > 10, "'%s': no reason", bad[_i]);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("staffing");
	TCase *tc = tcase_create("staffing");

	tcase_add_test(tc, weekdays_with_two_ranges);
	tcase_add_test(tc, half_hours_and_groups_add_up);
	tcase_add_test(tc, a_range_of_days_wraps_over_the_weekend);
	tcase_add_loop_test(tc, malformed_plans_are_refused_with_a_reason, 0,
	    N(bad));
	suite_add_tcase(s, tc);
	return check_run(s);
}
