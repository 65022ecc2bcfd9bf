/* Unit tests for forecast.c: the projected breaches of a site's queue in
 * cases a manager can check by hand (nothing to do, a backlog nobody
 * works, enough staff, an urgent request overtaking, a weekend, a
 * holiday), the extra caseworker-hours that would keep every due time,
 * refused input and determinism. */
#include "check_run.h"
#include <math.h>
#include <string.h>

#include "forecast.h"

#define MIN 60000LL
#define H 3600000LL
/* Monday 2026-11-30 08:00 in Berlin (07:00Z) */
#define MON_0800 1796022000000LL
/* Friday 2026-12-04 16:00 in Berlin */
#define FRI_1600 1796396400000LL
/* Thursday 2026-12-24 16:00 in Berlin; the Friday after is Christmas */
#define XMAS_EVE_1600 1798124400000LL
/* Thursday 2026-12-17 16:00 in Berlin, a week before: an ordinary one */
#define THU_1600 1797519600000LL

static struct calendar always = { .name = "24x7", .always = 1 };
/* Monday to Friday 08:00-16:00 in Berlin, North Rhine-Westphalia */
static struct calendar office = { .name = "office",
	.timezone = "Europe/Berlin",
	.state = "NW" };

static const struct topic_policy general = { .name = "general",
	.target_ms = 48 * H };
static const struct topic_policy housing = { .name = "housing",
	.target_ms = 48 * H,
	.urgent_target_ms = 1 * H };

static struct forecast_topic topics[2];
static struct forecast_open backlog[64];
static struct forecast_site site;
static struct forecast_result res;

static void
setup(void)
{
	int d;

	for (d = 1; d <= 5; d++) {
		office.week[d][0] = (struct interval){ 8 * 60, 16 * 60 };
		office.nweek[d] = 1;
	}
	memset(topics, 0, sizeof(topics));
	memset(backlog, 0, sizeof(backlog));
	memset(&res, 0, sizeof(res));
	topics[0].policy = &general;
	topics[0].per_caseworker_hour = 4; /* 15 minutes a callback */
	topics[1].policy = &housing;
	topics[1].per_caseworker_hour = 4;
	memset(&site, 0, sizeof(site));
	site.calendar = &always;
	site.start_ms = MON_0800;
	site.horizon_ms = 48 * H;
	site.topics = topics;
	site.ntopics = 1;
	site.backlog = backlog;
}

static void
teardown(void)
{
}

static void
staff(const struct calendar *c, double caseworkers)
{
	int d, h;

	for (d = 0; d < 7; d++)
		for (h = 0; h < 24; h++)
			site.staffing[d][h] = c->always ||
				(d >= 1 && d <= 5 && h >= 8 && h < 16) ?
			    caseworkers :
			    0;
}

/* n callbacks of topic 0 due at due, due + step, ... */
static void
open_due(int n, int64_t due, int64_t step)
{
	int i;

	for (i = 0; i < n; i++) {
		backlog[site.nbacklog].topic = 0;
		backlog[site.nbacklog].due_ms = due + i * step;
		site.nbacklog++;
	}
}

START_TEST(nothing_open_nothing_arriving_no_breach)
{
	staff(&always, 0);
	ck_assert_int_eq(forecast_run(&site, &res), 0);
	ck_assert_int_eq(res.breaches, 0);
	ck_assert_int_eq(res.first_breach_ms, -1);
	ck_assert(res.extra_hours_per_day == 0);
	ck_assert_int_eq(res.topics[0].backlog, 0);
	ck_assert(res.topics[0].arrivals == 0);
	ck_assert_int_eq(res.topics[0].first_breach_ms, -1);
}
END_TEST

START_TEST(ten_due_within_the_hour_without_staff_all_breach)
{
	staff(&always, 0);
	/* due 08:30, 08:33, ... 08:57 */
	open_due(10, MON_0800 + 30 * MIN, 3 * MIN);
	ck_assert_int_eq(forecast_run(&site, &res), 0);
	ck_assert_int_eq(res.breaches, 10);
	ck_assert_int_eq(res.topics[0].breaches, 10);
	ck_assert_int_eq(res.topics[0].backlog, 10);
	ck_assert_int_eq(res.first_breach_ms, MON_0800 + 30 * MIN);
	ck_assert_int_eq(res.topics[0].first_breach_ms, MON_0800 + 30 * MIN);
	ck_assert_int_eq(res.overdue, 0);
	ck_assert(res.capacity_hours == 0);
	ck_assert(res.extra_hours_per_day > 0);
	ck_assert(res.extra_hours_per_day < CBD_FORECAST_EXTRA_HOURS_MAX);
}
END_TEST

START_TEST(enough_staff_no_breach)
{
	/* ten caseworkers start all ten within 15 minutes */
	staff(&always, 10);
	open_due(10, MON_0800 + 30 * MIN, 3 * MIN);
	ck_assert_int_eq(forecast_run(&site, &res), 0);
	ck_assert_int_eq(res.breaches, 0);
	ck_assert_int_eq(res.first_breach_ms, -1);
	ck_assert(res.extra_hours_per_day == 0);
	ck_assert(fabs(res.capacity_hours - 480) < 1e-9);
}
END_TEST

/* One caseworker, an hour a callback; three open ones due at 10:30; an
 * urgent request comes in at 08:30, due in an hour. Earliest due first,
 * it is worked at 09:00, after the first of the three: on time, and the
 * third of the three, begun at 11:00, is late. Served in the order they
 * came, the urgent one would be the late one. */
START_TEST(urgent_arrival_overtakes_a_backlog_due_later)
{
	staff(&always, 1);
	topics[0].per_caseworker_hour = 1;
	topics[1].per_caseworker_hour = 1;
	site.ntopics = 2;
	open_due(3, MON_0800 + 150 * MIN, 0);
	/* Monday 07:00Z: one urgent request in that hour */
	topics[1].arrivals[1][7] = 1;
	topics[1].urgent[1][7] = 1;
	ck_assert_int_eq(forecast_run(&site, &res), 0);
	ck_assert(fabs(res.topics[1].arrivals - 1) < 1e-9);
	ck_assert_int_eq(res.topics[1].breaches, 0);
	ck_assert_int_eq(res.topics[0].breaches, 1);
	ck_assert_int_eq(res.first_breach_ms, MON_0800 + 150 * MIN);
}
END_TEST

/* Friday 16:00, twenty due Monday 09:00; two caseworkers in the plan on
 * every hour of the week, but the office is closed at the weekend: only
 * Monday from 08:00 works, eight an hour, the ninth begun at 09:00 sharp
 * and in time, eleven late. */
START_TEST(weekend_closed_works_nothing)
{
	site.calendar = &office;
	site.start_ms = FRI_1600;
	site.horizon_ms = 72 * H;
	staff(&always, 2);
	open_due(20, FRI_1600 + 65 * H, 0);
	ck_assert_int_eq(forecast_run(&site, &res), 0);
	/* Monday 08:00-16:00, two caseworkers */
	ck_assert(fabs(res.capacity_hours - 16) < 1e-9);
	ck_assert_int_eq(res.breaches, 11);
	ck_assert_int_eq(res.first_breach_ms, FRI_1600 + 65 * H);
}
END_TEST

/* Ten due on a Friday at 10:00 with five caseworkers from 08:00: on an
 * ordinary Friday all are on time; on Christmas the office is closed
 * and all ten are late. */
START_TEST(holiday_closed_works_nothing)
{
	site.calendar = &office;
	site.horizon_ms = 24 * H;
	staff(&office, 5);
	site.start_ms = THU_1600;
	open_due(10, THU_1600 + 18 * H, 0);
	ck_assert_int_eq(forecast_run(&site, &res), 0);
	ck_assert_int_eq(res.breaches, 0);
	ck_assert(fabs(res.capacity_hours - 5 * 8) < 1e-9);

	site.nbacklog = 0;
	site.start_ms = XMAS_EVE_1600;
	open_due(10, XMAS_EVE_1600 + 18 * H, 0);
	ck_assert_int_eq(forecast_run(&site, &res), 0);
	ck_assert_int_eq(res.breaches, 10);
	ck_assert(res.capacity_hours == 0);
	/* nothing is open before their due time: no staffing helps, and the
	 * forecast asks for none */
	ck_assert_int_eq(res.unavoidable, 10);
	ck_assert(res.extra_hours_per_day == 0);
}
END_TEST

/* Monday 08:00, thirty due at 12:00, half an hour each, one caseworker:
 * the 30th begins at 12:00 only with 29 * 0.5 / 4 = 3.625 caseworkers,
 * 2.625 more over the 8 open hours: 21 caseworker-hours a day. */
START_TEST(extra_hours_remove_the_breaches_and_a_little_less_does_not)
{
	double extra;

	site.calendar = &office;
	staff(&office, 1);
	topics[0].per_caseworker_hour = 2;
	open_due(30, MON_0800 + 4 * H, 0);
	ck_assert_int_eq(forecast_run(&site, &res), 0);
	ck_assert_int_eq(res.breaches, 21);
	extra = res.extra_hours_per_day;
	ck_assert_msg(fabs(extra - 21) < 0.02, "extra %f", extra);

	staff(&office, 1 + extra / 8);
	ck_assert_int_eq(forecast_run(&site, &res), 0);
	ck_assert_int_eq(res.breaches, 0);
	ck_assert(res.extra_hours_per_day == 0);

	staff(&office, 1 + (extra - 0.1) / 8);
	ck_assert_int_eq(forecast_run(&site, &res), 0);
	ck_assert_int_eq(res.breaches, 1);
	ck_assert(res.extra_hours_per_day > 0);
}
END_TEST

/* Friday 16:00, the office just closed: five due at 17:00 today cannot be
 * saved by anyone; thirty due Monday 12:00 can. Being overdue by Monday,
 * the five are worked first (2.5 hours), so the 35th begins at 12:00 only
 * with 34 * 0.5 / 4 = 4.25 caseworkers: 3.25 more over the 8 open hours,
 * 26 hours a day. The extra hours are what saves the thirty, not a
 * refusal because of the five. */
START_TEST(extra_hours_leave_out_what_no_staffing_saves)
{
	int64_t mon_1200 = FRI_1600 + 3 * 24 * H - 4 * H;

	site.calendar = &office;
	site.start_ms = FRI_1600;
	site.horizon_ms = 4 * 24 * H;
	staff(&office, 1);
	topics[0].per_caseworker_hour = 2;
	open_due(5, FRI_1600 + 1 * H, 0);
	open_due(30, mon_1200, 0);
	ck_assert_int_eq(forecast_run(&site, &res), 0);
	ck_assert_int_eq(res.breaches, 5 + 26);
	ck_assert_int_eq(res.unavoidable, 5);
	ck_assert_int_eq(res.overdue, 0);
	ck_assert_msg(fabs(res.extra_hours_per_day - 26) < 0.05, "extra %f",
	    res.extra_hours_per_day);

	staff(&office, 1 + res.extra_hours_per_day / 8);
	ck_assert_int_eq(forecast_run(&site, &res), 0);
	ck_assert_int_eq(res.breaches, 5);
	ck_assert_int_eq(res.unavoidable, 5);
	ck_assert(res.extra_hours_per_day == 0);
}
END_TEST

/* The backlog's overdue ones are breaches already: counted, worked
 * first, and left out of the extra hours (nothing saves them). */
START_TEST(overdue_backlog_counts_and_is_worked_first)
{
	staff(&always, 1);
	open_due(2, MON_0800 - 2 * H, 0);
	open_due(1, MON_0800 + 20 * MIN, 0);
	ck_assert_int_eq(forecast_run(&site, &res), 0);
	/* the two overdue take 08:00-08:30: the third begins late */
	ck_assert_int_eq(res.breaches, 3);
	ck_assert_int_eq(res.overdue, 2);
	ck_assert_int_eq(res.topics[0].overdue, 2);
	ck_assert_int_eq(res.first_breach_ms, MON_0800);
	ck_assert(res.extra_hours_per_day > 0);

	site.nbacklog = 2;
	ck_assert_int_eq(forecast_run(&site, &res), 0);
	ck_assert_int_eq(res.breaches, 2);
	ck_assert(res.extra_hours_per_day == 0);
}
END_TEST

/* Arrivals come whole: a quarter of a request an hour makes one each
 * time the carry reaches a half, in the 2nd, 6th and 10th hour, each
 * at the half of its hour. */
/* One caseworker, 15 minutes a callback. Four retries (their promise
 * kept, due yesterday) are claimable at the start and rank first, as the
 * queue ranks them: the new callback due at 08:30 is begun at 09:00, a
 * breach. Retries that wait until 09:00 take nothing from it; none is
 * ever a breach, and none counts in the backlog. */
START_TEST(retries_take_caseworker_time_first_and_never_breach)
{
	int i;

	staff(&always, 1);
	open_due(1, MON_0800 + 30 * MIN, 0);
	for (i = 0; i < 4; i++) {
		struct forecast_open *o = &backlog[site.nbacklog++];

		o->topic = 0;
		o->due_ms = MON_0800 - 24 * H;
		o->kept = true;
		o->ready_ms = MON_0800 - H; /* before the start: at once */
	}
	ck_assert_int_eq(forecast_run(&site, &res), 0);
	ck_assert_int_eq(res.breaches, 1);
	ck_assert_int_eq(res.first_breach_ms, MON_0800 + 30 * MIN);
	ck_assert_int_eq(res.overdue, 0);
	ck_assert_int_eq(res.unavoidable, 0);
	ck_assert_int_eq(res.topics[0].backlog, 1);
	ck_assert_int_eq(res.topics[0].retries, 4);
	ck_assert(res.extra_hours_per_day > 0);

	/* the same retries waiting for their not_before, 09:00 */
	for (i = 1; i < 5; i++)
		backlog[i].ready_ms = MON_0800 + H;
	ck_assert_int_eq(forecast_run(&site, &res), 0);
	ck_assert_int_eq(res.breaches, 0);
	ck_assert_int_eq(res.topics[0].retries, 4);
	ck_assert(res.extra_hours_per_day == 0);

	/* nobody works: the new one breaches, the retries do not */
	staff(&always, 0);
	for (i = 1; i < 5; i++)
		backlog[i].ready_ms = MON_0800;
	ck_assert_int_eq(forecast_run(&site, &res), 0);
	ck_assert_int_eq(res.breaches, 1);
	ck_assert_int_eq(res.topics[0].breaches, 1);
}
END_TEST

START_TEST(expected_arrivals_become_whole_requests)
{
	int h;

	staff(&always, 0);
	site.horizon_ms = 10 * H;
	for (h = 0; h < 24; h++)
		topics[0].arrivals[1][h] = 0.25;
	/* due in 20 minutes, nobody to work them: every one a breach */
	topics[0].policy = &(const struct topic_policy){ .name = "quick",
		.target_ms = 20 * MIN };
	ck_assert_int_eq(forecast_run(&site, &res), 0);
	ck_assert(fabs(res.topics[0].arrivals - 2.5) < 1e-9);
	ck_assert_int_eq(res.breaches, 3);
	ck_assert_int_eq(res.first_breach_ms, MON_0800 + 90 * MIN + 20 * MIN);
}
END_TEST

/* Rates are of local hours: on the Sunday the clocks go forward, one
 * request expected at 09:00 in Berlin comes at 09:30 CEST (07:30Z), 8.5
 * hours after midnight, due ten minutes later, with nobody to work it. */
START_TEST(rates_are_of_local_hours_across_the_clock_change)
{
	/* 2026-03-29 00:00 CET; every hour open */
	static const int64_t sunday = 1774738800000LL;
	static struct calendar allday = { .name = "allday",
		.timezone = "Europe/Berlin" };
	int d;

	for (d = 0; d < 7; d++) {
		allday.week[d][0] = (struct interval){ 0, 24 * 60 };
		allday.nweek[d] = 1;
	}
	site.calendar = &allday;
	site.start_ms = sunday;
	site.horizon_ms = 23 * H; /* that local day is 23 hours long */
	staff(&always, 1);
	topics[0].policy = &(const struct topic_policy){ .name = "quick",
		.target_ms = 10 * MIN };
	topics[0].arrivals[0][9] = 1;
	topics[0].per_caseworker_hour = 1.0 / 100; /* nobody gets to it */
	open_due(1, sunday, 0); /* from 00:00 on, a long one */
	ck_assert_int_eq(forecast_run(&site, &res), 0);
	ck_assert(fabs(res.capacity_hours - 23) < 1e-9);
	ck_assert(fabs(res.topics[0].arrivals - 1) < 1e-9);
	ck_assert_int_eq(res.breaches, 1);
	ck_assert_int_eq(res.first_breach_ms, sunday + 8 * H + 40 * MIN);
}
END_TEST

/* A topic on a calendar of its own plans its due times on that one: a
 * request on Friday at 17:30 with an hour of office time is due Monday
 * at 09:00, though the site is open around the clock. */
START_TEST(topic_calendar_plans_the_due_times)
{
	struct topic_policy own = { .name = "own",
		.target_ms = 1 * H,
		.calendar = &office };

	site.start_ms = FRI_1600;
	site.horizon_ms = 72 * H;
	staff(&always, 0);
	topics[0].policy = &own;
	topics[0].arrivals[5][16] = 1; /* 16:00Z, 17:00 in Berlin */
	ck_assert_int_eq(forecast_run(&site, &res), 0);
	ck_assert_int_eq(res.breaches, 1);
	ck_assert_int_eq(res.first_breach_ms, FRI_1600 + 65 * H);
}
END_TEST

START_TEST(bad_input_refused_and_out_untouched)
{
	struct forecast_result before;

	staff(&always, 1);
	memset(&res, 0x5a, sizeof(res));
	before = res;
	site.calendar = NULL;
	ck_assert_int_eq(forecast_run(&site, &res), -1);
	site.calendar = &always;
	site.horizon_ms = 0;
	ck_assert_int_eq(forecast_run(&site, &res), -1);
	site.horizon_ms = CBD_FORECAST_HORIZON_MAX_MS + 1;
	ck_assert_int_eq(forecast_run(&site, &res), -1);
	site.horizon_ms = 48 * H;
	site.ntopics = CBD_FORECAST_TOPICS_MAX + 1;
	ck_assert_int_eq(forecast_run(&site, &res), -1);
	site.ntopics = 1;
	open_due(1, MON_0800, 0);
	backlog[0].topic = 1;
	ck_assert_int_eq(forecast_run(&site, &res), -1);
	backlog[0].topic = -1;
	ck_assert_int_eq(forecast_run(&site, &res), -1);
	backlog[0].topic = 0;
	topics[0].arrivals[3][4] = -1;
	ck_assert_int_eq(forecast_run(&site, &res), -1);
	topics[0].arrivals[3][4] = NAN;
	ck_assert_int_eq(forecast_run(&site, &res), -1);
	topics[0].arrivals[3][4] = 0;
	topics[0].urgent[6][23] = INFINITY;
	ck_assert_int_eq(forecast_run(&site, &res), -1);
	topics[0].urgent[6][23] = 0;
	site.staffing[0][0] = -0.5;
	ck_assert_int_eq(forecast_run(&site, &res), -1);
	site.staffing[0][0] = 1;
	topics[0].per_caseworker_hour = 0;
	ck_assert_int_eq(forecast_run(&site, &res), -1);
	topics[0].per_caseworker_hour = 4;
	topics[0].policy = NULL;
	ck_assert_int_eq(forecast_run(&site, &res), -1);
	topics[0].policy = &general;
	/* a million in one hour: more than a forecast simulates */
	topics[0].arrivals[2][10] = CBD_FORECAST_RATE_MAX;
	ck_assert_int_eq(forecast_run(&site, &res), -1);
	topics[0].arrivals[2][10] = 0;
	ck_assert_mem_eq(&res, &before, sizeof(res));
	ck_assert_int_eq(forecast_run(&site, &res), 0);
}
END_TEST

/* The same input gives the same output, whatever the backlog's order. */
START_TEST(same_input_same_output)
{
	struct forecast_result again;
	int d, h, i;

	site.calendar = &office;
	site.horizon_ms = 5 * 24 * H;
	site.ntopics = 2;
	staff(&office, 0.5);
	for (d = 0; d < 7; d++)
		for (h = 0; h < 24; h++) {
			topics[0].arrivals[d][h] = 1.7;
			topics[1].arrivals[d][h] = 0.9;
			topics[1].urgent[d][h] = 0.3;
		}
	for (i = 0; i < 40; i++) {
		backlog[i].topic = i % 2;
		/* in pairs, one of each topic due at the same time */
		backlog[i].due_ms = MON_0800 + (i * 37 % 40 / 2) * 13 * MIN;
	}
	site.nbacklog = 40;
	ck_assert_int_eq(forecast_run(&site, &res), 0);
	ck_assert_int_gt(res.breaches, 0);
	memset(&again, 0, sizeof(again));
	ck_assert_int_eq(forecast_run(&site, &again), 0);
	ck_assert_mem_eq(&res, &again, sizeof(res));
	for (i = 0; i < 20; i++) {
		struct forecast_open x = backlog[i];

		backlog[i] = backlog[39 - i];
		backlog[39 - i] = x;
	}
	memset(&again, 0, sizeof(again));
	ck_assert_int_eq(forecast_run(&site, &again), 0);
	ck_assert_mem_eq(&res, &again, sizeof(res));
}
END_TEST

START_TEST(history_counts_per_local_weekday_and_hour)
{
	struct forecast_topic t;

	memset(&t, 0, sizeof(t));
	/* Monday 08:00 in Berlin, four weeks of history */
	ck_assert_int_eq(forecast_count_request(&t, &office, MON_0800, false,
			     4),
	    0);
	ck_assert_int_eq(forecast_count_request(&t, &office,
			     MON_0800 + 59 * MIN, true, 4),
	    0);
	ck_assert(t.arrivals[1][8] == 0.5);
	ck_assert(t.urgent[1][8] == 0.25);
	/* 24x7 is on UTC: 07:00 */
	ck_assert_int_eq(forecast_count_request(&t, &always, MON_0800, false,
			     1),
	    0);
	ck_assert(t.arrivals[1][7] == 1);
	ck_assert_int_eq(forecast_count_request(&t, &always, MON_0800, false,
			     0),
	    -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("forecast");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, nothing_open_nothing_arriving_no_breach);
	tcase_add_test(tc, ten_due_within_the_hour_without_staff_all_breach);
	tcase_add_test(tc, enough_staff_no_breach);
	tcase_add_test(tc, urgent_arrival_overtakes_a_backlog_due_later);
	tcase_add_test(tc, weekend_closed_works_nothing);
	tcase_add_test(tc, holiday_closed_works_nothing);
	tcase_add_test(tc,
	    extra_hours_remove_the_breaches_and_a_little_less_does_not);
	tcase_add_test(tc, overdue_backlog_counts_and_is_worked_first);
	tcase_add_test(tc, retries_take_caseworker_time_first_and_never_breach);
	tcase_add_test(tc, extra_hours_leave_out_what_no_staffing_saves);
	tcase_add_test(tc, expected_arrivals_become_whole_requests);
	tcase_add_test(tc, rates_are_of_local_hours_across_the_clock_change);
	tcase_add_test(tc, topic_calendar_plans_the_due_times);
	tcase_add_test(tc, bad_input_refused_and_out_untouched);
	tcase_add_test(tc, same_input_same_output);
	tcase_add_test(tc, history_counts_per_local_weekday_and_hour);
	suite_add_tcase(s, tc);
	return check_run(s);
}
