/*
 * Unit tests for phone.c: normalisation to E.164 and the country code
 * check, as tables. A refused number must leave out untouched and say why.
 */
#include "check_run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "phone.h"

/* clang-format off */
static const struct {
	const char *in;
	const char *cc;
	const char *out; /* NULL: refused */
} cases[] = {
	/* accepted */
	{ "0231 12345-67", "49", "+492311234567" },
	{ "+49 (0)231 1234567", "49", "+492311234567" },
	{ "0049 231 1234567", "49", "+492311234567" },
	{ "+1 (212) 555-0100", "49", "+12125550100" },
	{ "0151/2345678", "49", "+491512345678" },
	{ "030.1234567", "49", "+49301234567" },
	{ "+49 231 123-4567", "49", "+492311234567" },
	{ "+49(0)231-1234567", "49", "+492311234567" },
	{ "00 49 (0) 231 1234567", "49", "+492311234567" },
	{ "(0231) 1234567", "49", "+492311234567" },
	{ "0231 -- 1234567", "49", "+492311234567" },  /* doubled separators */
	{ "0231 / 123 45 67 ", "49", "+492311234567" }, /* trailing space */
	{ "  +49 231 1234567", "49", "+492311234567" }, /* leading spaces */
	{ "0212 555 0100", "1", "+12125550100" },
	{ "01 23 45 67 89", "33", "+33123456789" },
	{ "+420 123 456 789", "49", "+420123456789" },
	{ "00231 1234567", "49", "+2311234567" },       /* 00: international */
	{ "+49 1512 3456 78901", "49", "+491512345678901" }, /* 15 digits */
	{ "+123 4567", "49", "+1234567" },              /* 7 digits */
	{ "0234567", "1", "+1234567" },                 /* 7 with the code */
	/* the trunk 0 after a country code whose numbering plan has one */
	{ "+49 0231 5550199", "49", "+492315550199" },
	{ "+4902315550199", "49", "+492315550199" },
	{ "0049 0231 5550199", "49", "+492315550199" },
	{ "+49-0-231-5550199", "49", "+492315550199" },
	{ "+43 01 5123456", "49", "+4315123456" },      /* Austria */
	{ "+41 044 6681800", "49", "+41446681800" },    /* Switzerland */
	{ "+44 020 7946 0958", "49", "+442079460958" }, /* United Kingdom */
	{ "+33 01 23 45 67 89", "49", "+33123456789" }, /* France */
	{ "+90 0212 555 0100", "49", "+902125550100" }, /* Türkiye */
	{ "+380 044 123 4567", "49", "+380441234567" }, /* Ukraine */
	{ "+963 011 123 4567", "49", "+963111234567" }, /* Syria */
	/* where the 0 is part of the number, it stays */
	{ "+39 06 1234 5678", "49", "+390612345678" },  /* Italy */
	{ "+378 0549 123456", "49", "+3780549123456" }, /* San Marino */
	{ "+225 07 12 34 56 78", "49", "+2250712345678" }, /* Côte d'Ivoire */
	/* refused */
	{ "", "49", NULL },
	{ "call me", "49", NULL },
	{ "0231 123456a", "49", NULL },
	{ "0231#1234567", "49", NULL },
	{ "0231\t1234567", "49", NULL },
	{ "+49 231 1234567\n", "49", NULL },
	{ "+49 231 +1234567", "49", NULL },
	{ "+", "49", NULL },
	{ "00", "49", NULL },
	{ "0", "49", NULL },
	{ " - ", "49", NULL },
	{ "12345678", "49", NULL },              /* national without 0 */
	{ "49 231 1234567", "49", NULL },        /* no + or 00 */
	{ "+0231 1234567", "49", NULL },         /* country code starts 0 */
	{ "000 49 231 1234567", "49", NULL },    /* the same after 00 */
	{ "++49 231 1234567", "49", NULL },
	{ "+49 12", "49", NULL },                /* too few digits */
	{ "+123 456", "49", NULL },              /* 6 digits */
	{ "0231 1", "49", NULL },                /* national, 6 digits */
	{ "+49 1234 5678 901234", "49", NULL },  /* 16 digits */
	{ "01512 3456 789012", "49", NULL },     /* 16 with the code */
	{ "0231 1234567 0231 1234567 0231 12", "49", NULL }, /* 33 characters */
	{ "(0)231 1234567", "49", NULL },        /* (0) without a country code */
	{ "+49 231 (0)1234567", "49", NULL },    /* (0) not after the code */
	{ "+49 (0)(0)231 1234567", "49", NULL }, /* (0) twice */
	{ "+(0)49 231 1234567", "49", NULL },    /* (0) before the code */
	{ "+49 (0) 0231 1234567", "49", NULL },  /* the trunk 0 twice */
	{ "+49 00231 1234567", "49", NULL },     /* 00 after the code */
	{ "0231 1234567", "", NULL },            /* no usable country code */
	{ "0231 1234567", "4a", NULL },
	{ "0231 1234567", "0049", NULL },
};
/* clang-format on */

/* Fills out with a pattern a refusal must leave as it was. */
static void
poison(char *out, size_t len)
{
	memset(out, 'x', len - 1);
	out[len - 1] = '\0';
}

START_TEST(normalises)
{
	char out[CBD_PHONE_MAX + 1], before[CBD_PHONE_MAX + 1];
	const char *why = NULL;
	int rc;

	poison(out, sizeof(out));
	memcpy(before, out, sizeof(out));
	rc = phone_normalise(cases[_i].in, cases[_i].cc, out, sizeof(out),
	    &why);
	if (cases[_i].out) {
		ck_assert_msg(rc == 0, "'%s' refused: %s", cases[_i].in, why);
		ck_assert_str_eq(out, cases[_i].out);
	} else {
		ck_assert_msg(rc == -1, "'%s' accepted as %s", cases[_i].in,
		    out);
		ck_assert_ptr_nonnull(why);
		ck_assert_msg(why[0] != '\0', "empty reason");
		ck_assert_msg(memcmp(out, before, sizeof(out)) == 0,
		    "'%s' refused but out changed", cases[_i].in);
	}
}
END_TEST

/* CBD_PHONE_INPUT_MAX characters are taken, one more is not. */
/* clang-format off */
static const struct {
	size_t len;
	int rc;
} lengths[] = {
	{ CBD_PHONE_INPUT_MAX - 1, 0 },
	{ CBD_PHONE_INPUT_MAX, 0 },
	{ CBD_PHONE_INPUT_MAX + 1, -1 },
	{ 4 * CBD_PHONE_INPUT_MAX, -1 },
};
/* clang-format on */

START_TEST(input_length_is_bounded)
{
	static const char number[] = "+49 231 1234567";
	char in[4 * CBD_PHONE_INPUT_MAX + 1], out[CBD_PHONE_MAX + 1];
	const char *why = NULL;
	size_t n = lengths[_i].len;

	/* the number, padded with spaces to exactly n characters */
	memset(in, ' ', n);
	memcpy(in, number, sizeof(number) - 1);
	in[n] = '\0';
	ck_assert_int_eq(phone_normalise(in, "49", out, sizeof(out), &why),
	    lengths[_i].rc);
	if (lengths[_i].rc == 0)
		ck_assert_str_eq(out, "+492311234567");
	else
		ck_assert_ptr_nonnull(why);
}
END_TEST

/* clang-format off */
static const struct {
	const char *cc;
	int ok;
} codes[] = {
	{ "49", 1 }, { "1", 1 }, { "420", 1 }, { "999", 1 },
	{ "0", 0 }, { "1234", 0 }, { "", 0 }, { "4a", 0 }, { "049", 0 },
	{ "+49", 0 }, { " 49", 0 }, { "49 ", 0 },
};
/* clang-format on */

START_TEST(checks_country_codes)
{
	ck_assert_msg(phone_country_code_valid(codes[_i].cc) == codes[_i].ok,
	    "country code '%s'", codes[_i].cc);
}
END_TEST

/* "+492311234567" needs 14 bytes with the NUL. */
/* clang-format off */
static const struct {
	size_t outlen;
	int rc;
} rooms[] = {
	{ 1, -1 }, { 8, -1 }, { 13, -1 }, { 14, 0 }, { CBD_PHONE_MAX + 1, 0 },
};
/* clang-format on */

START_TEST(needs_room_for_the_result)
{
	char out[CBD_PHONE_MAX + 1];
	const char *why = NULL;

	poison(out, sizeof(out));
	ck_assert_int_eq(phone_normalise("0231 1234567", "49", out,
			     rooms[_i].outlen, &why),
	    rooms[_i].rc);
	if (rooms[_i].rc == 0) {
		ck_assert_str_eq(out, "+492311234567");
	} else {
		ck_assert_ptr_nonnull(why);
		ck_assert_int_eq(out[0], 'x');
	}
}
END_TEST

/* Numbers a call-back must not ring, as people type them, and their
 * neighbours that it may. */
/* clang-format off */
static const struct {
	const char *in;
	int dialable;
} dials[] = {
	{ "0900 1234567", 0 },        /* premium rate */
	{ "0137 1234567", 0 },        /* mass calling, charged */
	{ "0180 5123456", 0 },        /* shared cost */
	{ "0118 33", 0 },             /* directory enquiries */
	{ "0700 12345678", 0 },       /* personal number */
	{ "+1 900 555 0100", 0 },     /* NANP premium */
	{ "+44 909 8790879", 0 },     /* UK premium */
	{ "+43 900 123456", 0 },      /* Austria premium */
	{ "+41 900 123 456", 0 },     /* Switzerland premium */
	{ "+881 6 12345678", 0 },     /* satellite */
	{ "0231 5550199", 1 },        /* Dortmund */
	{ "0151 23456789", 1 },       /* mobile */
	{ "0800 1234567", 1 },        /* free for the caller */
	{ "0911 1234567", 1 },        /* Nuremberg, not 0900 */
	{ "0180", 0 },                /* too short to dial anyway */
	{ "+1 212 555 0100", 1 },
	{ "+44 20 7946 0958", 1 },
	{ "+90 212 555 0100", 1 },
};
/* clang-format on */

/* The built-in list as the config holds it: comma separated. */
static const char *
default_list(void)
{
	static char list[2048];
	size_t i, n = 0;

	if (list[0])
		return list;
	for (i = 0; phone_not_dialable_default[i]; i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
		    i ? "," : "", phone_not_dialable_default[i]);
	ck_assert_uint_lt(n, sizeof(list) - 1);
	return list;
}

START_TEST(refuses_numbers_nobody_should_dial)
{
	char out[CBD_PHONE_MAX + 1];
	const char *why = NULL;

	if (phone_normalise(dials[_i].in, "49", out, sizeof(out), &why) == -1) {
		ck_assert_msg(!dials[_i].dialable, "'%s' refused: %s",
		    dials[_i].in, why);
		return;
	}
	ck_assert_msg(phone_dialable(out, default_list()) == dials[_i].dialable,
	    "'%s' (%s)", dials[_i].in, out);
}
END_TEST

START_TEST(an_empty_list_refuses_nothing)
{
	ck_assert_int_eq(phone_dialable("+499001234567", NULL), 1);
	ck_assert_int_eq(phone_dialable("+499001234567", ""), 1);
	ck_assert_int_eq(phone_dialable("+492315550199", "+49231"), 0);
	ck_assert_int_eq(phone_dialable("+492345550199", "+49231"), 1);
	ck_assert_int_eq(phone_dialable("+492345550199", "+1900,+49234"), 0);
	ck_assert_int_eq(phone_dialable("+19005550100", "+1900,+49234"), 0);
	ck_assert_int_eq(phone_dialable("+12125550100", "+1900,+49234"), 1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("phone");
	TCase *tc = tcase_create("phone");

	tcase_add_loop_test(tc, normalises, 0, N(cases));
	tcase_add_loop_test(tc, input_length_is_bounded, 0, N(lengths));
	tcase_add_loop_test(tc, checks_country_codes, 0, N(codes));
	tcase_add_loop_test(tc, needs_room_for_the_result, 0, N(rooms));
	tcase_add_loop_test(tc, refuses_numbers_nobody_should_dial, 0,
	    N(dials));
	tcase_add_test(tc, an_empty_list_refuses_nothing);
	suite_add_tcase(s, tc);
	return check_run(s);
}
