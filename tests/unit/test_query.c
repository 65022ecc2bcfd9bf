/* Unit tests for query.c: the values of query-string parameters. */
#include "check_run.h"
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "query.h"
#include "ident.h"

static const struct {
	const char *v;
	unsigned long min, max;
	int rc;
	unsigned long n;
} numbers[] = {
	{ "1", 1, 200, 0, 1 },
	{ "200", 1, 200, 0, 200 },
	{ "007", 1, 200, 0, 7 },
	{ "0", 0, 10, 0, 0 },
	{ "0", 1, 200, -1, 0 },
	{ "201", 1, 200, -1, 0 },
	{ "", 1, 200, -1, 0 },
	{ "-1", 1, 200, -1, 0 },
	{ "+5", 1, 200, -1, 0 },
	{ " 5", 1, 200, -1, 0 },
	{ "5 ", 1, 200, -1, 0 },
	{ "5x", 1, 200, -1, 0 },
	{ "1e2", 1, 200, -1, 0 },
	{ "0x10", 0, 200, -1, 0 },
	/* would wrap an unsigned long: refused, not taken modulo */
	{ "18446744073709551617", 0, 200, -1, 0 },
	{ "99999999999999999999999999", 0, (unsigned long)-1, -1, 0 },
	{ "18446744073709551615", 0, (unsigned long)-1, 0, (unsigned long)-1 },
};

START_TEST(numbers_are_digits_within_bounds)
{
	unsigned long n = 12345;

	ck_assert_int_eq(query_number(numbers[_i].v, numbers[_i].min,
			     numbers[_i].max, &n),
	    numbers[_i].rc);
	ck_assert_uint_eq(n, numbers[_i].rc == 0 ? numbers[_i].n : 12345);
}
END_TEST

#define ID "0b5f3c2e-8a41-4d6b-9c7e-2f1a3b4c5d6e"

static const struct {
	const char *v;
	int rc;
	int64_t ms;
} cursors[] = {
	{ "1795521600000." ID, 0, 1795521600000LL },
	{ "0." ID, 0, 0 },
	{ "." ID, -1, 0 },
	{ "-5." ID, -1, 0 },
	{ "1795521600000", -1, 0 },
	{ "1795521600000.", -1, 0 },
	{ "1795521600000.xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", -1, 0 },
	{ "1795521600000." ID "0", -1, 0 },
	{ "1795521600000." ID ".", -1, 0 },
	{ "17955216x0000." ID, -1, 0 },
	{ "1234567890123456." ID, -1, 0 }, /* 16 digits: past year 2286 */
	{ "123456789012345." ID, 0, 123456789012345LL },
};

START_TEST(cursors_round_trip_and_refuse_anything_else)
{
	int64_t ms = -1;
	char id[37] = "untouched", again[QUERY_CURSOR_MAX];

	ck_assert_int_eq(query_cursor(cursors[_i].v, &ms, id), cursors[_i].rc);
	if (cursors[_i].rc == 0) {
		ck_assert_int_eq(ms, cursors[_i].ms);
		ck_assert_str_eq(id, ID);
		query_cursor_format(ms, id, again, sizeof(again));
		ck_assert_str_eq(again, cursors[_i].v);
	} else {
		ck_assert_int_eq(ms, -1);
		ck_assert_str_eq(id, "untouched");
	}
}
END_TEST

static const struct {
	const char *v;
	int rc;
	int64_t ms, id;
} num_cursors[] = {
	{ "1795521600000.42", 0, 1795521600000LL, 42 },
	{ "0.1", 0, 0, 1 },
	{ "1.9223372036854775807", 0, 1, INT64_MAX },
	{ "1.9223372036854775808", -1, 0, 0 }, /* past int64 */
	{ "1795521600000.0", -1, 0, 0 },       /* ids start at 1 */
	{ "1795521600000.", -1, 0, 0 },
	{ "1795521600000", -1, 0, 0 },
	{ ".42", -1, 0, 0 },
	{ "12", -1, 0, 0 },
	{ "1795521600000.4x", -1, 0, 0 },
	{ "1795521600000.-4", -1, 0, 0 },
	{ "1795521600000.4.2", -1, 0, 0 },
	{ "1795521600000." ID, -1, 0, 0 },
	{ "1234567890123456.42", -1, 0, 0 },
};

START_TEST(number_cursors_read_their_two_numbers_and_refuse_anything_else)
{
	int64_t ms = -1, id = -1;
	char again[QUERY_CURSOR_MAX];

	ck_assert_int_eq(query_cursor_num(num_cursors[_i].v, &ms, &id),
	    num_cursors[_i].rc);
	if (num_cursors[_i].rc == 0) {
		ck_assert_int_eq(ms, num_cursors[_i].ms);
		ck_assert_int_eq(id, num_cursors[_i].id);
		snprintf(again, sizeof(again), "%lld.%lld", (long long)ms,
		    (long long)id);
		ck_assert_str_eq(again, num_cursors[_i].v);
	} else {
		ck_assert_int_eq(ms, -1);
		ck_assert_int_eq(id, -1);
	}
}
END_TEST

static const char *const words[] = { "site", "topic", "day", "week",
	"urgency" };

static const struct {
	const char *v;
	size_t len;
	int rc;
	const char *out;
} word_cases[] = {
	{ "site", 64, 0, "site" },
	{ "site,topic,day", 64, 0, "site,topic,day" },
	{ "urgency,week", 64, 0, "urgency,week" },
	{ "", 64, -1, NULL },
	{ ",", 64, -1, NULL },
	{ "site,", 64, -1, NULL },
	{ ",site", 64, -1, NULL },
	{ "site,,topic", 64, -1, NULL },
	{ "sites", 64, -1, NULL },
	{ "sit", 64, -1, NULL },
	{ "Site", 64, -1, NULL },
	{ "site topic", 64, -1, NULL },
	{ "site,topic", 11, 0, "site,topic" },
	{ "site,topic", 10, -1, NULL },
};

START_TEST(words_come_from_the_list)
{
	char out[64];

	ck_assert_int_eq(query_words(word_cases[_i].v, words, N(words), out,
			     word_cases[_i].len),
	    word_cases[_i].rc);
	if (word_cases[_i].rc == 0)
		ck_assert_str_eq(out, word_cases[_i].out);
}
END_TEST

static const struct {
	const char *s;
	int ok;
} uuids[] = {
	{ ID, 1 },
	{ "0B5F3C2E-8A41-4D6B-9C7E-2F1A3B4C5D6E", 1 },
	{ "0b5f3c2e8a414d6b9c7e2f1a3b4c5d6e", 0 },
	{ "0b5f3c2e-8a41-4d6b-9c7e-2f1a3b4c5d6", 0 },
	{ "0b5f3c2e-8a41-4d6b-9c7e-2f1a3b4c5d6g", 0 },
	{ "0b5f3c2e-8a41-4d6b-9c7e_2f1a3b4c5d6e", 0 },
	{ "", 0 },
};

START_TEST(uuids_have_their_shape)
{
	ck_assert_int_eq(ident_uuid(uuids[_i].s), uuids[_i].ok);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("query");
	TCase *tc = tcase_create("query");

	tcase_add_loop_test(tc, numbers_are_digits_within_bounds, 0,
	    N(numbers));
	tcase_add_loop_test(tc, cursors_round_trip_and_refuse_anything_else, 0,
	    N(cursors));
	tcase_add_loop_test(tc,
	    number_cursors_read_their_two_numbers_and_refuse_anything_else, 0,
	    N(num_cursors));
	tcase_add_loop_test(tc, words_come_from_the_list, 0, N(word_cases));
	tcase_add_loop_test(tc, uuids_have_their_shape, 0, N(uuids));
	suite_add_tcase(s, tc);
	return check_run(s);
}
