/* Unit tests for sla.c: which target applies, when a call-back is due and
 * the plan of its alerts, for a new request and for a merged row. */
#include "check_run.h"
#include <stdlib.h>
#include <string.h>

#include "sla.h"

#define H 3600000LL
/* 2026-11-24T12:00:00Z */
#define T0 1795521600000LL

static const struct topic_policy housing = { .name = "housing_approval",
	.target_ms = 48 * H,
	.urgent_target_ms = 2 * H };
static const struct topic_policy general = { .name = "general",
	.target_ms = 48 * H };
static const struct calendar always = { .name = "24x7", .always = 1 };

static const struct {
	const struct topic_policy *topic;
	int urgent;
	int64_t requested;
	int64_t due;
} cases[] = {
	{ &housing, 0, T0, T0 + 48 * H },
	{ &housing, 1, T0, T0 + 2 * H },
	{ &general, 0, T0, T0 + 48 * H },
	/* no urgent target: urgency orders the queue, the target stays */
	{ &general, 1, T0, T0 + 48 * H },
	/* a request from before midnight on New Year's Eve, on 24x7 */
	{ &housing, 0, 1798757940000LL /* 2026-12-31T22:59:00Z */,
	    1798757940000LL + 48 * H },
};

START_TEST(due_time_on_24x7)
{
	ck_assert_int_eq(sla_due_at(cases[_i].topic, &always, cases[_i].urgent,
			     cases[_i].requested),
	    cases[_i].due);
}
END_TEST

START_TEST(urgent_target_only_when_urgent)
{
	ck_assert_int_eq(sla_target_ms(&housing, true), 2 * H);
	ck_assert_int_eq(sla_target_ms(&housing, false), 48 * H);
	ck_assert_int_eq(sla_target_ms(&general, true), 48 * H);
}
END_TEST

/* Two sites: soest on 24x7, lippstadt on office hours (Mon-Fri 08-16,
 * Berlin); the topic warns at half and at 90 % of its target. */
static struct calendar office = { .name = "office",
	.timezone = "Europe/Berlin" };
static struct topic_policy warned = { .name = "housing_approval",
	.target_ms = 48 * H,
	.urgent_target_ms = 2 * H,
	.warn_at = { 0.5, 0.9 },
	.nwarn = 2 };
static struct site sites[] = {
	{ .name = "soest", .calendar = &always },
	{ .name = "lippstadt", .calendar = &office },
};
static struct config two_sites = { .topics = &warned,
	.ntopics = 1,
	.sites = sites,
	.nsites = 2 };

static void
office_hours(void)
{
	int d;

	for (d = 1; d <= 5; d++) {
		office.week[d][0] = (struct interval){ 8 * 60, 16 * 60 };
		office.nweek[d] = 1;
	}
}

static struct callback
row(const char *site, bool urgent, int64_t requested_ms)
{
	struct callback cb;

	memset(&cb, 0, sizeof(cb));
	snprintf(cb.topic, sizeof(cb.topic), "housing_approval");
	snprintf(cb.site, sizeof(cb.site), "%s", site);
	cb.urgent = urgent;
	cb.requested_at = requested_ms;
	cb.due_at = CBD_NO_TIME;
	return cb;
}

/* A new request: due at its target, warned at each fraction of it. */
START_TEST(new_request_plans_due_and_each_warning)
{
	struct callback cb = row("soest", false, T0);
	struct sla_plan p;

	ck_assert_int_eq(sla_plan_callback(&two_sites, &cb, &p), 0);
	ck_assert_int_eq(p.due_at, T0 + 48 * H);
	ck_assert_int_eq(p.nwarn, 2);
	ck_assert_int_eq(p.warn_at[0], T0 + 24 * H);
	ck_assert_int_eq(p.warn_at[1], T0 + (int64_t)(48 * H * 0.9));
	ck_assert(p.warn_frac[0] == 0.5 && p.warn_frac[1] == 0.9);
	ck_assert_int_eq(sla_first_alert(&p), T0 + 24 * H);
}
END_TEST

/* A merge that makes a callback urgent plans the merged row: the urgent
 * target from the first request's time, on its site's calendar, not the
 * second request's time or site. */
START_TEST(raised_merge_plans_from_first_request_and_its_site)
{
	/* the first request: Tuesday 2026-11-24T12:00Z (13:00 in Berlin) at
	 * lippstadt; the urgent one came from soest a day later */
	struct callback merged = row("lippstadt", true, T0);
	struct callback second = row("soest", true, T0 + 24 * H);
	struct sla_plan p, q;

	office_hours();
	sla_plan_callback(&two_sites, &merged, &p);
	/* 2 h of office time from 13:00: 15:00 Berlin, 14:00Z */
	ck_assert_int_eq(p.due_at, T0 + 2 * H);
	ck_assert_int_eq(p.warn_at[0], T0 + 1 * H);
	ck_assert_int_eq(p.warn_at[1], T0 + (int64_t)(2 * H * 0.9));
	sla_plan_callback(&two_sites, &second, &q);
	ck_assert_int_eq(q.due_at, T0 + 26 * H);
	/* not urgent yet: 48 h of office time, 8 h a day from Tuesday 13:00 */
	merged.urgent = false;
	sla_plan_callback(&two_sites, &merged, &p);
	ck_assert_int_ne(p.due_at, T0 + 48 * H);
	ck_assert_int_eq(p.due_at, sla_due_at(&warned, &office, false, T0));
}
END_TEST

/* A row whose topic or site the config no longer has keeps its due time
 * and gets no warnings. */
START_TEST(row_of_a_removed_site_keeps_its_due_time)
{
	struct callback cb = row("werl", false, T0);
	struct sla_plan p;

	cb.due_at = T0 + 5 * H;
	ck_assert_int_eq(sla_plan_callback(&two_sites, &cb, &p), -1);
	ck_assert_int_eq(p.due_at, T0 + 5 * H);
	ck_assert_int_eq(p.nwarn, 0);
	ck_assert_int_eq(sla_first_alert(&p), T0 + 5 * H);
	snprintf(cb.site, sizeof(cb.site), "soest");
	snprintf(cb.topic, sizeof(cb.topic), "general");
	ck_assert_int_eq(sla_plan_callback(&two_sites, &cb, &p), -1);
	ck_assert_int_eq(p.due_at, T0 + 5 * H);
}
END_TEST

/* The retry after an unanswered attempt: the back-off, doubled for each
 * unanswered attempt before it, in calling hours; plain time without a
 * calendar (the site is gone from the config). */
static const struct {
	int unanswered;
	int office;
	int64_t now;
	int64_t retry;
} retries[] = {
	{ 0, 0, T0, T0 + 2 * H },
	{ 1, 0, T0, T0 + 4 * H },
	{ 3, 0, T0, T0 + 16 * H },
	/* 4 h from Tuesday 13:00 in Berlin: 3 h today, the last from 08:00
	 * on Wednesday: 09:00 there, 08:00Z */
	{ 1, 1, T0, T0 + 20 * H },
	/* at the doubling limit */
	{ 25, 0, T0, T0 + (2 * H << CBD_RETRY_DOUBLINGS_MAX) },
};

START_TEST(retry_doubles_in_calling_hours)
{
	struct topic_policy t = { .name = "general",
		.target_ms = 48 * H,
		.retry_backoff_ms = 2 * H };

	office_hours();
	ck_assert_int_eq(sla_retry_at(&t, retries[_i].office ? &office : NULL,
			     retries[_i].unanswered, retries[_i].now),
	    retries[_i].retry);
	if (!retries[_i].office)
		ck_assert_int_eq(sla_retry_at(&t, &always,
				     retries[_i].unanswered, retries[_i].now),
		    retries[_i].retry);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sla");
	TCase *tc = tcase_create("due");
	TCase *plan = tcase_create("plan");

	tcase_add_loop_test(tc, due_time_on_24x7, 0, N(cases));
	tcase_add_test(tc, urgent_target_only_when_urgent);
	suite_add_tcase(s, tc);
	tcase_add_test(plan, new_request_plans_due_and_each_warning);
	tcase_add_test(plan,
	    raised_merge_plans_from_first_request_and_its_site);
	tcase_add_test(plan, row_of_a_removed_site_keeps_its_due_time);
	tcase_add_loop_test(plan, retry_doubles_in_calling_hours, 0,
	    N(retries));
	suite_add_tcase(s, plan);
	return check_run(s);
}
