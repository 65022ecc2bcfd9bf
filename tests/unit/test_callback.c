/* Unit tests for callback.c: who may claim a callback, as a table, and
 * the order the claim queue hands callbacks out in. */
#include "check_run.h"
#include <string.h>

#include "callback.h"

static const struct caseworker anna = {
	.id = "anna",
	.site = "dortmund",
	.topics = { "general", "benefits" },
	.ntopics = 2,
	.languages = { "de", "tr" },
	.nlanguages = 2,
	.active = true,
};

static const struct {
	const char *assignee, *site, *topic, *language;
	int may;
} claims[] = {
	{ "", "dortmund", "general", "de", 1 },
	{ "", "dortmund", "benefits", "tr", 1 },
	{ "", "soest", "general", "de", 0 },     /* another site */
	{ "", "dortmund", "housing", "de", 0 },  /* not one of her topics */
	{ "", "dortmund", "general", "ar", 0 },  /* not one of her languages */
	{ "anna", "soest", "housing", "ar", 1 }, /* hers, whatever it is */
	{ "ben", "dortmund", "general", "de", 0 }, /* someone else's */
	{ "annabel", "dortmund", "general", "de", 0 },
};

START_TEST(a_caseworker_claims_her_own_and_her_routing)
{
	struct callback cb;

	memset(&cb, 0, sizeof(cb));
	strcpy(cb.assignee, claims[_i].assignee);
	strcpy(cb.site, claims[_i].site);
	strcpy(cb.topic, claims[_i].topic);
	strcpy(cb.language, claims[_i].language);
	ck_assert_int_eq(caseworker_may_claim(&anna, &cb), claims[_i].may);
}
END_TEST

/* The claim queue's order: the earliest due first, and at the same due
 * time the urgent one; urgency never jumps an earlier due time (an urgent
 * request is due sooner through its shorter target, so nothing waits
 * behind urgency for ever). The rank is a Redis score: a double, exact. */
START_TEST(the_earliest_due_goes_first_and_urgent_breaks_a_tie)
{
	struct callback a = { 0 }, b = { 0 };
	const int64_t due = 1795770000000LL; /* 2026-11-27T09:00Z */

	a.due_at = due;
	b.due_at = due + 1;
	ck_assert_int_lt(callback_rank(&a), callback_rank(&b));
	b.urgent = true; /* one ms later, urgent: still behind */
	ck_assert_int_lt(callback_rank(&a), callback_rank(&b));
	b.due_at = due; /* the same due time: urgent first */
	ck_assert_int_lt(callback_rank(&b), callback_rank(&a));
	a.urgent = true; /* both urgent, same due: equal */
	ck_assert_int_eq(callback_rank(&a), callback_rank(&b));
	/* in year 9999 too, the score survives the trip through a double */
	a.due_at = 253402300799000LL;
	a.urgent = false;
	ck_assert_int_eq((int64_t)(double)callback_rank(&a), callback_rank(&a));
	ck_assert_int_eq(callback_rank(&a) % 2, 1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("callback");
	TCase *tc = tcase_create("claim");

	tcase_add_loop_test(tc, a_caseworker_claims_her_own_and_her_routing, 0,
	    N(claims));
	tcase_add_test(tc, the_earliest_due_goes_first_and_urgent_breaks_a_tie);
	suite_add_tcase(s, tc);
	return check_run(s);
}
