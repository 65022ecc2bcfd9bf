/* Unit tests for forecast_input.c: the rows of cbd_forecast_inputs and a
 * configuration made into one site's forecast inputs, by hand-made rows:
 * each kind lands where it belongs, other sites' rows and unknown topics
 * are left out, the plan wins over history, the rate falls back to its
 * default, and the backlog by due date is sorted and counted. */
#include <string.h>

#include "check_run.h"

#include "config.h"
#include "forecast_input.h"

static const char text[] = "[topic general]\ntarget = 48h\n\n"
			   "[topic benefits]\ntarget = 48h\n\n"
			   "[site dortmund]\ncalendar = 24x7\n\n"
			   "[site soest]\ncalendar = 24x7\n"
			   "staffing = mon 08:00-10:00 3\n";

static const char *names[] = { "kind", "site", "topic", "urgent", "dow", "hour",
	"a", "b", "at_ms", "day" };
static enum col_kind kinds[10];

/* clang-format off */
static const char *rows[][10] = {
	{ "open", "dortmund", "general", "t", NULL, NULL, NULL, NULL, "3000", "2026-12-02" },
	{ "open", "dortmund", "general", "f", NULL, NULL, NULL, NULL, "1000", "2026-11-30" },
	{ "open", "dortmund", "general", "f", NULL, NULL, NULL, NULL, "2000", "2026-12-02" },
	{ "open", "dortmund", "benefits", "f", NULL, NULL, NULL, NULL, "1500", "2026-12-01" },
	{ "open", "dortmund", "gone", "f", NULL, NULL, NULL, NULL, "1500", "2026-12-01" },
	{ "open", "soest", "general", "f", NULL, NULL, NULL, NULL, "1500", "2026-12-01" },
	{ "arrivals", "dortmund", "general", NULL, "2", "9", "2.5", "0.5", NULL, NULL },
	{ "arrivals", "dortmund", "gone", NULL, "2", "9", "7", "7", NULL, NULL },
	{ "arrivals", "dortmund", "benefits", NULL, "7", "9", "7", "7", NULL, NULL },
	{ "staffing", "dortmund", NULL, NULL, "1", "8", "1.75", NULL, NULL, NULL },
	{ "staffing", "soest", NULL, NULL, "1", "8", "9", NULL, NULL, NULL },
	{ "rate", "dortmund", "general", NULL, NULL, NULL, "12", "4", NULL, NULL },
	{ "rate", "dortmund", "benefits", NULL, NULL, NULL, "3", "0.5", NULL, NULL },
	{ "day", "dortmund", NULL, NULL, NULL, NULL, NULL, NULL, "86400000", "1970-01-01" },
};
/* clang-format on */

static struct config c;
static struct table t;
static struct forecast_input in;

static void
setup(void)
{
	char err[256];

	ck_assert_msg(config_load_text("t", text, &c, err, sizeof(err)) == 0,
	    "%s", err);
	t.ncols = 10;
	t.nrows = N(rows);
	t.names = names;
	t.kinds = kinds;
	t.cells = &rows[0][0];
}

static void
teardown(void)
{
	forecast_input_free(&in);
	config_free(&c);
}

START_TEST(a_site_gets_its_own_rows_and_known_topics_only)
{
	ck_assert_int_eq(forecast_input_build(&c, config_site(&c, "dortmund"),
			     &t, 500, 3600000, &in),
	    0);
	ck_assert_int_eq(in.in.ntopics, 2);
	ck_assert_ptr_eq(in.topics[0].policy, config_topic(&c, "general"));
	ck_assert_int_eq(in.in.nbacklog, 4);
	ck_assert_int_eq(in.backlog[0].topic, 0);
	ck_assert(in.backlog[0].urgent);
	ck_assert_int_eq(in.backlog[0].due_ms, 3000);
	ck_assert_int_eq(in.backlog[3].topic, 1);
	ck_assert_double_eq(in.topics[0].arrivals[2][9], 2.5);
	ck_assert_double_eq(in.topics[0].urgent[2][9], 0.5);
	ck_assert_double_eq(in.topics[0].arrivals[2][10], 0);
	/* a weekday out of range is no slot */
	ck_assert_double_eq(in.topics[1].arrivals[0][9], 0);
	ck_assert(!in.plan);
	ck_assert_double_eq(in.in.staffing[1][8], 1.75);
	ck_assert_double_eq(in.topics[0].per_caseworker_hour, 3);
	/* half a caseworker-hour of history is too little to go by */
	ck_assert_double_eq(in.topics[1].per_caseworker_hour,
	    CBD_FORECAST_RATE_DEFAULT);
	ck_assert_str_eq(in.day, "1970-01-01");
	ck_assert_int_eq(in.day_end_ms, 86400000);
	ck_assert_int_eq(in.in.start_ms, 500);
	ck_assert_int_eq(in.in.horizon_ms, 3600000);
	ck_assert_ptr_eq(in.in.calendar, config_site(&c, "dortmund")->calendar);
}
END_TEST

START_TEST(a_staffing_plan_wins_over_history)
{
	ck_assert_int_eq(forecast_input_build(&c, config_site(&c, "soest"), &t,
			     0, 3600000, &in),
	    0);
	ck_assert(in.plan);
	ck_assert_double_eq(in.in.staffing[1][8], 3);
	ck_assert_double_eq(in.in.staffing[1][9], 3);
	ck_assert_double_eq(in.in.staffing[1][10], 0);
	ck_assert_int_eq(in.in.nbacklog, 1);
	ck_assert_int_eq(in.day_end_ms, -1);
	ck_assert_double_eq(in.topics[0].per_caseworker_hour,
	    CBD_FORECAST_RATE_DEFAULT);
}
END_TEST

START_TEST(the_backlog_by_due_date_is_sorted_and_counted)
{
	int32_t dates[4];
	int counts[4];

	ck_assert_int_eq(forecast_input_build(&c, config_site(&c, "dortmund"),
			     &t, 0, 3600000, &in),
	    0);
	ck_assert_int_eq(forecast_input_by_due(&in, 0, dates, counts, 4), 2);
	ck_assert_int_eq(dates[0], 20261130);
	ck_assert_int_eq(counts[0], 1);
	ck_assert_int_eq(dates[1], 20261202);
	ck_assert_int_eq(counts[1], 2);
	ck_assert_int_eq(forecast_input_by_due(&in, 1, dates, counts, 4), 1);
	ck_assert_int_eq(dates[0], 20261201);
	/* room for one date: the earliest */
	ck_assert_int_eq(forecast_input_by_due(&in, 0, dates, counts, 1), 1);
	ck_assert_int_eq(dates[0], 20261130);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("forecast_input");
	TCase *tc = tcase_create("forecast_input");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_site_gets_its_own_rows_and_known_topics_only);
	tcase_add_test(tc, a_staffing_plan_wins_over_history);
	tcase_add_test(tc, the_backlog_by_due_date_is_sorted_and_counted);
	suite_add_tcase(s, tc);
	return check_run(s);
}
