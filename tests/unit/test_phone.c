/* Unit tests for phone.c: normalisation to E.164, as a table. */
#include "check_run.h"
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "phone.h"

static const struct {
	const char *in;
	const char *cc;
	const char *out; /* NULL: refused */
} cases[] = {
	{ "0231 12345-67", "49", "+492311234567" },
	{ "+49 (0)231 1234567", "49", "+492311234567" },
	{ "0049 231 1234567", "49", "+492311234567" },
	{ "+49 231 123-4567", "49", "+492311234567" },
	{ "0151/2345678", "49", "+491512345678" },
	{ "030.1234567", "49", "+49301234567" },
	{ "(0231) 1234567", "49", "+492311234567" },
	{ "+1 (212) 555-0100", "49", "+12125550100" },
	{ "0212 555 0100", "1", "+12125550100" },
	{ "01 23 45 67 89", "33", "+33123456789" },
	{ "+420 123 456 789", "49", "+420123456789" },
	{ "  +49 231 1234567", "49", "+492311234567" },
	{ "+49 1512 3456 7890", "49", "+49151234567890" }, /* 15 digits */
	{ "", "49", NULL },
	{ "+", "49", NULL },
	{ "00", "49", NULL },
	{ "0", "49", NULL },
	{ "call me", "49", NULL },
	{ "0231 123456a", "49", NULL },
	{ "12345678", "49", NULL },        /* national without 0 */
	{ "00231 1234567", "49", "+2311234567" }, /* 00 means international */
	{ "+0231 1234567", "49", NULL },   /* country code starting with 0 */
	{ "++49 231 1234567", "49", NULL },
	{ "+49 12", "49", NULL },          /* too few digits */
	{ "+49 1234 5678 901234", "49", NULL }, /* 16 digits */
	{ "0231 1234567 0231 1234567 0231 12", "49", NULL }, /* longer than input max */
	{ "0231#1234567", "49", NULL },
};

START_TEST(normalises)
{
	char out[CBD_PHONE_MAX + 1] = "";
	const char *why = NULL;
	int rc = phone_normalise(cases[_i].in, cases[_i].cc, out, sizeof(out), &why);

	if (cases[_i].out) {
		ck_assert_msg(rc == 0, "'%s' refused: %s", cases[_i].in, why);
		ck_assert_str_eq(out, cases[_i].out);
	} else {
		ck_assert_msg(rc == -1, "'%s' accepted as %s", cases[_i].in, out);
		ck_assert_ptr_nonnull(why);
		ck_assert_str_eq(out, "");
	}
}
END_TEST

static const struct {
	const char *cc;
	int ok;
} codes[] = {
	{ "49", 1 }, { "1", 1 }, { "420", 1 }, { "0", 0 }, { "1234", 0 },
	{ "", 0 }, { "4a", 0 }, { "049", 0 },
};

START_TEST(checks_country_codes)
{
	ck_assert_int_eq(phone_country_code_valid(codes[_i].cc), codes[_i].ok);
}
END_TEST

START_TEST(refuses_a_small_buffer)
{
	char out[8];
	const char *why = NULL;

	ck_assert_int_eq(phone_normalise("0231 1234567", "49", out, sizeof(out), &why), -1);
	ck_assert_ptr_nonnull(why);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("phone");
	TCase *tc = tcase_create("phone");

	tcase_add_loop_test(tc, normalises, 0, N(cases));
	tcase_add_loop_test(tc, checks_country_codes, 0, N(codes));
	tcase_add_test(tc, refuses_a_small_buffer);
	suite_add_tcase(s, tc);
	return check_run(s);
}
