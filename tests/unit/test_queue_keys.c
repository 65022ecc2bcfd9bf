/* Unit tests for queue_keys.c: the key names under the prefix, and a
 * callback's routing set among those its caseworkers claim from. */
#include "check_run.h"
#include <string.h>

#include "callback.h"
#include "config.h"
#include "queue_int.h"

static struct config test_conf = { .key_prefix = "cbd:" };

static const struct caseworker anna = {
	.id = "anna",
	.site = "dortmund",
	.topics = { "general", "benefits" },
	.ntopics = 2,
	.languages = { "de", "tr" },
	.nlanguages = 2,
	.active = true,
};

static void
setup(void)
{
	conf = &test_conf;
}

static const struct {
	enum queue_key_id id;
	const char *name;
} fixed[] = {
	{ QK_WAITING, "cbd:waiting" },
	{ QK_LEASES, "cbd:leases" },
	{ QK_FLAGGED, "cbd:flagged" },
	{ QK_INDEX, "cbd:index" },
	{ QK_DAEMONS, "cbd:daemons" },
};

START_TEST(each_fixed_key_is_named_under_the_prefix)
{
	char k[QUEUE_KEY_MAX];

	queue_key(fixed[_i].id, k, sizeof(k));
	ck_assert_str_eq(k, fixed[_i].name);
}
END_TEST

START_TEST(a_caseworker_claims_from_her_own_set_then_each_route)
{
	static const char *const want[] = {
		"cbd:q:@anna",
		"cbd:q:dortmund:general:de",
		"cbd:q:dortmund:general:tr",
		"cbd:q:dortmund:benefits:de",
		"cbd:q:dortmund:benefits:tr",
	};
	char(*keys)[QUEUE_ROUTE_KEY_MAX] = NULL;
	size_t n = queue_key_caseworker_routes(&anna, 1, &keys), i;

	ck_assert_uint_eq(n, N(want));
	for (i = 0; i < n; i++)
		ck_assert_str_eq(keys[i], want[i]);
	ck_assert_str_eq(keys[n], ""); /* the room for an extra key */
	free(keys);
}
END_TEST

/* A callback waits in a set its caseworker claims from exactly when she
 * may claim it: the two are named by the same functions. */
static const struct {
	const char *assignee, *site, *topic, *language, *key;
} routes[] = {
	{ "", "dortmund", "general", "de", "cbd:q:dortmund:general:de" },
	{ "", "dortmund", "benefits", "tr", "cbd:q:dortmund:benefits:tr" },
	{ "", "soest", "general", "de", "cbd:q:soest:general:de" },
	{ "", "dortmund", "housing", "de", "cbd:q:dortmund:housing:de" },
	{ "", "dortmund", "general", "ar", "cbd:q:dortmund:general:ar" },
	{ "anna", "soest", "housing", "ar", "cbd:q:@anna" },
	{ "ben", "dortmund", "general", "de", "cbd:q:@ben" },
	{ "annabel", "dortmund", "general", "de", "cbd:q:@annabel" },
};

START_TEST(a_callback_waits_where_those_who_may_claim_it_look)
{
	char k[QUEUE_ROUTE_KEY_MAX], (*keys)[QUEUE_ROUTE_KEY_MAX] = NULL;
	struct callback cb;
	size_t n, i;
	int found = 0;

	memset(&cb, 0, sizeof(cb));
	strcpy(cb.assignee, routes[_i].assignee);
	strcpy(cb.site, routes[_i].site);
	strcpy(cb.topic, routes[_i].topic);
	strcpy(cb.language, routes[_i].language);
	queue_key_route(&cb, k, sizeof(k));
	ck_assert_str_eq(k, routes[_i].key);
	n = queue_key_caseworker_routes(&anna, 0, &keys);
	ck_assert_uint_gt(n, 0);
	for (i = 0; i < n; i++)
		found |= !strcmp(keys[i], k);
	free(keys);
	ck_assert_int_eq(found, caseworker_may_claim(&anna, &cb));
}
END_TEST

START_TEST(each_rebuild_gets_a_key_of_its_own)
{
	char a[160], b[160];

	queue_key_building(a, sizeof(a));
	queue_key_building(b, sizeof(b));
	ck_assert_int_eq(strncmp(a, "cbd:building:", 13), 0);
	ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(an_id_packs_to_its_16_bytes_and_back)
{
	const char *id = "0b7f6c1e-3d2a-4c5b-9e8f-1a2b3c4d5e6f";
	packed_id p;
	redisReply r = { .type = REDIS_REPLY_STRING, .len = sizeof(p) };
	char text[37];

	ck_assert_int_eq(queue_id_pack(id, p), 0);
	r.str = (char *)p;
	queue_id_text(&r, text);
	ck_assert_str_eq(text, id);
	ck_assert_int_eq(queue_id_pack("not-a-uuid", p), -1);
	r.len = 15;
	queue_id_text(&r, text);
	ck_assert_str_eq(text, "");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("queue_keys");
	TCase *tc = tcase_create("keys");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, each_fixed_key_is_named_under_the_prefix, 0,
	    N(fixed));
	tcase_add_test(tc,
	    a_caseworker_claims_from_her_own_set_then_each_route);
	tcase_add_loop_test(tc,
	    a_callback_waits_where_those_who_may_claim_it_look, 0, N(routes));
	tcase_add_test(tc, each_rebuild_gets_a_key_of_its_own);
	tcase_add_test(tc, an_id_packs_to_its_16_bytes_and_back);
	suite_add_tcase(s, tc);
	return check_run(s);
}
