#ifndef CBD_PHONE_H
#define CBD_PHONE_H
#include <stddef.h>

/*
 * Normalises a phone number as a caller or agent typed it to E.164:
 * '+' followed by CBD_PHONE_MIN_DIGITS..15 digits.
 *
 * Accepted input: digits with spaces, '-', '/', '.', '(' and ')' between
 * them; a leading "+" or "00" means the country code follows; a leading
 * single "0" is a national number and gets country_code (digits only,
 * e.g. "49") in place of that 0. "+49 (0)231 ..." drops the "(0)", and
 * "+49 0231 ..." the 0 where the country's numbering plan has that trunk
 * prefix (not after +39, where the 0 belongs to the number).
 * Anything else (letters, a national number without leading 0, too few or
 * too many digits, a country code starting with 0) is refused.
 *
 * Returns 0 and writes the result to out (outlen >= CBD_PHONE_MAX + 1), or
 * -1 and points *why at a static English sentence saying what is wrong.
 * Pure: no I/O, no allocation.
 */
int phone_normalise(const char *in, const char *country_code, char *out,
    size_t outlen, const char **why);

/* 1 if country_code is 1..3 digits not starting with 0, else 0. */
int phone_country_code_valid(const char *country_code);

/* 0 if the E.164 number e164 starts with one of the prefixes in blocked
 * (comma separated, each "+" and digits; NULL or "": none), else 1. */
int phone_dialable(const char *e164, const char *blocked);

/* The ranges refused by default: premium rate, shared cost, mass calling,
 * directory enquiries, personal numbers and international networks. */
extern const char *const phone_not_dialable_default[];

#endif
