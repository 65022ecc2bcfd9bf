/* Unit tests for etag.c: the tag is the body's (the same body the same
 * tag, another body another), and If-None-Match matches by the weak
 * comparison over a list, "*" included, and nothing malformed. */
#include <string.h>

#include "check_run.h"

#include "etag.h"

START_TEST(the_tag_is_the_first_half_of_the_sha256)
{
	char tag[CBD_ETAG_STR];

	/* SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a3... */
	ck_assert_int_eq(etag_of("abc", 3, tag), 0);
	ck_assert_str_eq(tag, "\"ba7816bf8f01cfea414140de5dae2223\"");
	ck_assert_uint_eq(strlen(tag), CBD_ETAG_STR - 1);
}
END_TEST

START_TEST(another_body_another_tag)
{
	char a[CBD_ETAG_STR], b[CBD_ETAG_STR], c[CBD_ETAG_STR];
	const char *x = "{\"callbacks\":[],\"offset\":0}";
	const char *y = "{\"callbacks\":[],\"offset\":1}";

	ck_assert_int_eq(etag_of(x, strlen(x), a), 0);
	ck_assert_int_eq(etag_of(x, strlen(x), b), 0);
	ck_assert_int_eq(etag_of(y, strlen(y), c), 0);
	ck_assert_str_eq(a, b);
	ck_assert_str_ne(a, c);
}
END_TEST

static const struct {
	const char *header;
	int match;
} cases[] = {
	{ "\"ab\"", 1 },
	{ "W/\"ab\"", 1 },
	{ "  \"ab\"  ", 1 },
	{ "*", 1 },
	{ " * ", 1 },
	{ "\"zz\", \"ab\"", 1 },
	{ "\"zz\",W/\"ab\"", 1 },
	{ "\"zz\", , \"ab\"", 1 },
	{ "\"zz\"", 0 },
	{ "\"ab", 0 },
	{ "ab", 0 },
	{ "\"a\"", 0 },
	{ "\"abc\"", 0 },
	{ "\"AB\"", 0 },
	{ "", 0 },
	{ "*, \"zz\"", 0 },
	{ "\"zz\" \"ab\"", 0 },
	{ "\"zz\",", 0 },
	{ "w/\"ab\"", 0 },
};

START_TEST(if_none_match_compares_weakly_over_a_list)
{
	ck_assert_msg(etag_matches(cases[_i].header, "\"ab\"") ==
		cases[_i].match,
	    "If-None-Match: %s", cases[_i].header);
}
END_TEST

START_TEST(no_header_and_no_tag_match_nothing)
{
	ck_assert_int_eq(etag_matches(NULL, "\"ab\""), 0);
	ck_assert_int_eq(etag_matches("*", ""), 0);
	ck_assert_int_eq(etag_matches("\"\"", ""), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("etag");
	TCase *tc = tcase_create("etag");

	tcase_add_test(tc, the_tag_is_the_first_half_of_the_sha256);
	tcase_add_test(tc, another_body_another_tag);
	tcase_add_loop_test(tc, if_none_match_compares_weakly_over_a_list, 0,
	    N(cases));
	tcase_add_test(tc, no_header_and_no_tag_match_nothing);
	suite_add_tcase(s, tc);
	return check_run(s);
}
