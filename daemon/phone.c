/*
 * phone.c owns normalising phone numbers to E.164 and checking the
 * configured country code. Pure: no I/O, no allocation, no locale. It must
 * never log, keep or echo the number it is given: the reasons it returns
 * are fixed sentences that hold no part of the input.
 */
#include <stddef.h>
#include <string.h>

#include "bounds.h"
#include "phone.h"

/* Digits after the '+' that E.164 allows at most. */
#define E164_DIGITS_MAX (CBD_PHONE_MAX - 1)

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_separator(char c)
{
	return c == ' ' || c == '-' || c == '/' || c == '.' || c == '(' ||
	    c == ')';
}

/*
 * Calling codes whose numbering plan has the national (trunk) prefix 0 and
 * no national number that starts with 0: there "+49 0231 ..." is a caller
 * who typed the trunk 0 in front of the area code, and it is dropped. The
 * plans that keep a leading 0 after the country code (Italy 39, San
 * Marino 378, Vatican 379, Côte d'Ivoire 225, Gabon 241, Congo 242) are
 * not here, nor those whose trunk prefix is not 0 (Russia 7: 8, Hungary:
 * 06, NANP 1: 1). Calling codes are a prefix code, so at most one entry
 * matches the digits after a '+'. From the ITU-T E.164 national numbering
 * plans; the callers of a German hotline come first.
 */
/* clang-format off */
static const char *const trunk0_codes[] = {
	/* Europe */
	"30", "31", "32", "33", "41", "43", "44", "46", "49", "353", "355",
	"358", "359", "373", "374", "380", "381", "382", "383", "385", "386",
	"387", "389", "40", "421", "90", "995", "994",
	/* Middle East, Africa, Asia, Oceania, the Americas */
	"20", "212", "213", "218", "233", "234", "249", "251", "252", "254",
	"255", "256", "27", "60", "61", "62", "63", "64", "66", "81", "82",
	"84", "86", "880", "91", "92", "93", "94", "95", "961", "962", "963",
	"964", "966", "967", "971", "972", "98", "51", "54", "55", "57", "58",
};
/* clang-format on */

/* The length of the calling code at the start of digits whose plan drops
 * a trunk 0 after it, or 0. */
static size_t
trunk0_code(const char *digits, size_t nd)
{
	size_t i, n;

	for (i = 0; i < sizeof(trunk0_codes) / sizeof(trunk0_codes[0]); i++) {
		n = strlen(trunk0_codes[i]);
		if (n < nd && memcmp(digits, trunk0_codes[i], n) == 0)
			return n;
	}
	return 0;
}

static int
refuse(const char **why, const char *reason)
{
	if (why != NULL)
		*why = reason;
	return -1;
}

int
phone_country_code_valid(const char *country_code)
{
	size_t i;

	if (country_code == NULL || country_code[0] == '0')
		return 0;
	for (i = 0; country_code[i] != '\0'; i++)
		if (i >= 3 || !is_digit(country_code[i]))
			return 0;
	return i > 0;
}

/*
 * Separators may stand anywhere after the prefix, doubled or not: people
 * type "0231 / 123-45 67" and "(0231) 1234567". "(0)" is the trunk 0 of
 * the international form and is dropped, but only right after the country
 * code of a "+" or "00" number ("+49 (0)231"); anywhere else it is refused
 * rather than guessed at. A bare trunk 0 after a country code whose plan
 * has one ("+49 0231") is dropped too (trunk0_codes). A national number takes country_code only if
 * phone_country_code_valid says it is one.
 */
int
phone_normalise(const char *in, const char *country_code, char *out,
    size_t outlen, const char **why)
{
	char digits[CBD_PHONE_INPUT_MAX];
	size_t len, nd = 0, ncc = 0, skip = 0, total;
	int international = 0, trunk = 0, groups = 0, in_group = 0;
	const char *p;

	if (in == NULL || out == NULL)
		return refuse(why, "no number was given");
	for (len = 0; len <= CBD_PHONE_INPUT_MAX && in[len] != '\0'; len++)
		continue;
	if (len == 0)
		return refuse(why, "the number is empty");
	if (len > CBD_PHONE_INPUT_MAX)
		return refuse(why, "the number is too long");

	p = in;
	while (*p == ' ')
		p++;
	if (*p == '+') {
		international = 1;
		p++;
	} else if (p[0] == '0' && p[1] == '0') {
		international = 1;
		p += 2;
	}
	for (; *p != '\0'; p++) {
		if (is_digit(*p)) {
			if (!in_group)
				groups++;
			in_group = 1;
			digits[nd++] = *p; /* nd < len <= sizeof(digits) */
		} else if (p[0] == '(' && p[1] == '0' && p[2] == ')') {
			if (!international || trunk || groups != 1 || nd > 3)
				return refuse(why,
				    "\"(0)\" may only follow the "
				    "country code of a number given with + or 00");
			trunk = 1;
			in_group = 0;
			p += 2;
		} else if (is_separator(*p)) {
			in_group = 0;
		} else {
			return refuse(why,
			    "the number may hold only digits, "
			    "spaces and - / . ( ), after a leading + or 00");
		}
	}

	if (nd == 0)
		return refuse(why, "the number has no digits");
	if (international) {
		if (digits[0] == '0')
			return refuse(why,
			    "a country code cannot start with 0");
		if ((ncc = trunk0_code(digits, nd)) > 0 && digits[ncc] == '0') {
			if (trunk || (ncc + 1 < nd && digits[ncc + 1] == '0'))
				return refuse(why,
				    "after the country code the "
				    "number has one trunk 0 at most");
			/* "+49 0231": drop the 0, keep the country code */
			memmove(digits + ncc, digits + ncc + 1, nd - ncc - 1);
			nd--;
		}
		ncc = 0;
	} else {
		if (digits[0] != '0' || (nd > 1 && digits[1] == '0'))
			return refuse(why,
			    "a national number starts with a "
			    "single 0; otherwise give + and the country code");
		if (!phone_country_code_valid(country_code))
			return refuse(why,
			    "the country code for national "
			    "numbers is not 1 to 3 digits");
		ncc = strlen(country_code);
		skip = 1;
	}
	total = ncc + nd - skip;
	if (total < CBD_PHONE_MIN_DIGITS || total > E164_DIGITS_MAX)
		return refuse(why,
		    "the number has too few or too many digits "
		    "for E.164");
	if (outlen < total + 2)
		return refuse(why, "there is no room for the result");

	out[0] = '+';
	if (ncc > 0)
		memcpy(out + 1, country_code, ncc);
	memcpy(out + 1 + ncc, digits + skip, nd - skip);
	out[1 + total] = '\0';
	return 0;
}

/*
 * Ranges a call-back must never ring: the caller would not pay, the agency
 * would (premium rate, shared cost, mass calling, directory enquiries,
 * personal numbers that forward anywhere, satellite and international
 * networks). Germany's from the Bundesnetzagentur's number plan; abroad the
 * premium ranges of the neighbouring plans, NANP's 900 and 976, and the
 * ITU's international premium rate (+979) and shared networks (+88x).
 * Toll-free ranges (+49 800, +34 900) are not here: they cost the caller
 * nothing and the agency little.
 */
/* clang-format off */
const char *const phone_not_dialable_default[] = {
	"+49900", "+49137", "+49138", "+49118", "+49180", "+49181", "+49700",
	"+4912", "+49190", "+49191", "+49192", "+49193", "+49194", "+49199",
	"+1900", "+1976",
	"+43810", "+43820", "+43821", "+43828", "+43900", "+43901",
	"+43930", "+43931", "+43939",
	"+41840", "+41842", "+41844", "+41848", "+41900", "+41901", "+41906",
	"+4470", "+4484", "+4487", "+449",
	"+3190", "+3270", "+3290",
	"+3381", "+3382", "+3389",
	"+39892", "+39894", "+39895", "+39899",
	"+34803", "+34806", "+34807", "+34901", "+34902", "+34905",
	"+48700", "+48701", "+48703", "+48704", "+48705", "+48708",
	"+420900", "+420906", "+420909",
	"+870", "+881", "+882", "+883", "+979",
	NULL
};
/* clang-format on */

int
phone_dialable(const char *e164, const char *blocked)
{
	const char *p = blocked;
	size_t n;

	while (p != NULL && *p != '\0') {
		n = strcspn(p, ",");
		if (n > 0 && strncmp(e164, p, n) == 0)
			return 0;
		p += n;
		if (*p == ',')
			p++;
	}
	return 1;
}
