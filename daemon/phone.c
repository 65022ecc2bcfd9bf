/*
 * phone.c owns phone number normalisation to E.164. Pure: no I/O, no
 * allocation; it never logs the number it is given.
 */
#include <string.h>

#include "bounds.h"
#include "phone.h"

int
phone_country_code_valid(const char *cc)
{
	size_t n = strlen(cc), i;

	if (n < 1 || n > 3 || cc[0] == '0')
		return 0;
	for (i = 0; i < n; i++)
		if (cc[i] < '0' || cc[i] > '9')
			return 0;
	return 1;
}

static int
separator(char c)
{
	return c == ' ' || c == '-' || c == '/' || c == '.' || c == '(' || c == ')';
}

int
phone_normalise(const char *in, const char *country_code, char *out,
    size_t outlen, const char **why)
{
	char digits[CBD_PHONE_INPUT_MAX + 1];
	size_t nd = 0, len = strlen(in), i;
	int international = 0;
	const char *p = in;
	char result[CBD_PHONE_MAX + 1];
	size_t nr;

	if (len == 0 || len > CBD_PHONE_INPUT_MAX) {
		*why = len ? "the number is too long" : "the number is empty";
		return -1;
	}
	while (*p == ' ')
		p++;
	if (*p == '+') {
		international = 1;
		p++;
	} else if (p[0] == '0' && p[1] == '0') {
		international = 1;
		p += 2;
	}
	for (; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digits[nd++] = *p;
		else if (international && nd > 0 && !strncmp(p, "(0)", 3)) {
			p += 2; /* "+49 (0)231": the trunk 0 is not dialled */
		} else if (!separator(*p)) {
			*why = "the number may hold only digits, spaces and - / . ( )";
			return -1;
		}
	}
	digits[nd] = '\0';
	result[0] = '+';
	if (international) {
		if (nd == 0 || digits[0] == '0') {
			*why = "a country code cannot start with 0";
			return -1;
		}
		if (nd < CBD_PHONE_MIN_DIGITS || nd > 15)
			goto bad_length;
		memcpy(result + 1, digits, nd + 1);
	} else {
		size_t cc = strlen(country_code);

		if (nd < 2 || digits[0] != '0' || digits[1] == '0') {
			*why = "a national number starts with a single 0; "
			    "otherwise give +country code";
			return -1;
		}
		nr = cc + nd - 1;
		if (nr < CBD_PHONE_MIN_DIGITS || nr > 15)
			goto bad_length;
		memcpy(result + 1, country_code, cc);
		memcpy(result + 1 + cc, digits + 1, nd);
	}
	nr = strlen(result);
	if (nr + 1 > outlen) {
		*why = "no room for the result";
		return -1;
	}
	for (i = 0; i <= nr; i++)
		out[i] = result[i];
	return 0;
bad_length:
	*why = "the number has too few or too many digits for E.164";
	return -1;
}
