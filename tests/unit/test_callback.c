/* Unit tests for callback.c: who may claim a callback, as a table. */
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

int
main(void)
{
	Suite *s = suite_create("callback");
	TCase *tc = tcase_create("claim");

	tcase_add_loop_test(tc, a_caseworker_claims_her_own_and_her_routing, 0,
	    N(claims));
	suite_add_tcase(s, tc);
	return check_run(s);
}
