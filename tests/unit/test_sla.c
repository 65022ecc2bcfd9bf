/* Unit tests for sla.c: which target applies and when a call-back is due. */
#include "check_run.h"
#include <stdlib.h>

#include "sla.h"

#define H 3600000LL
/* 2026-11-24T12:00:00Z */
#define T0 1795521600000LL

static const struct topic_policy housing = {
	.name = "housing_approval", .target_ms = 48 * H, .urgent_target_ms = 2 * H
};
static const struct topic_policy general = {
	.name = "general", .target_ms = 48 * H
};
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
	    cases[_i].requested), cases[_i].due);
}
END_TEST

START_TEST(urgent_target_only_when_urgent)
{
	ck_assert_int_eq(sla_target_ms(&housing, true), 2 * H);
	ck_assert_int_eq(sla_target_ms(&housing, false), 48 * H);
	ck_assert_int_eq(sla_target_ms(&general, true), 48 * H);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sla");
	TCase *tc = tcase_create("due");

	tcase_add_loop_test(tc, due_time_on_24x7, 0, N(cases));
	tcase_add_test(tc, urgent_target_only_when_urgent);
	suite_add_tcase(s, tc);
	return check_run(s);
}
