/*
 * ident.c owns the syntax of the names callbackd takes: its own
 * identifiers (topics, sites, caseworkers), UUIDs in their text form and
 * BCP 47 language tags. It answers only "has this shape": what a name
 * means (whether the config has that topic, that language) is the
 * caller's; and whether a display name (a label) is one line of UTF-8
 * of bounded length. Depends on nothing but bounds.h, so that config.c
 * and validate.c can both use it.
 */
#include <ctype.h>
#include <string.h>

#include "ident.h"

int
ident_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CBD_IDENT_MAX)
		return 0;
	for (; *s; s++)
		if (!islower((unsigned char)*s) &&
		    !isdigit((unsigned char)*s) && *s != '_' && *s != '-')
			return 0;
	return 1;
}

int
ident_uuid(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	size_t i;

	if (strlen(s) != sizeof(shape) - 1)
		return 0;
	for (i = 0; shape[i]; i++)
		if (shape[i] == '-' ? s[i] != '-' :
				      !isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

int
ident_language(const char *s, char primary[CBD_PRIMARY_LANGUAGE_MAX + 1])
{
	size_t n = 0, i;

	/* BCP 47 is case-insensitive: de-DE, DE-de and de-de are one tag */
	while (isalpha((unsigned char)s[n]) && isascii((unsigned char)s[n]))
		n++;
	if (n < 2 || n > CBD_PRIMARY_LANGUAGE_MAX)
		return 0;
	for (i = 0; i < n; i++)
		primary[i] = (char)tolower((unsigned char)s[i]);
	primary[n] = '\0';
	s += n;
	while (*s == '-') {
		s++;
		for (n = 0; isalnum((unsigned char)s[n]) &&
		     isascii((unsigned char)s[n]);
		     n++)
			;
		/* a singleton (x, u, t) introduces the subtags after it */
		if (n < 1 || n > 8 || (n == 1 && s[1] != '-'))
			return 0;
		s += n;
	}
	return *s == '\0';
}

/* The length of the UTF-8 sequence s starts with (shortest form, no
 * surrogates, at most U+10FFFF), its code point in *cp; 0 when it is none. */
static size_t
utf8_char(const unsigned char *s, unsigned long *cp)
{
	size_t n, i;

	if (s[0] < 0x80)
		return *cp = s[0], 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2, *cp = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		n = 3, *cp = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		n = 4, *cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && *cp < 0x800) || (n == 4 && *cp < 0x10000) ||
	    (*cp >= 0xD800 && *cp <= 0xDFFF) || *cp > 0x10FFFF)
		return 0;
	return n;
}

#define STR_(x) #x
#define STR(x) STR_(x)

const char *
ident_label_fault(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long cp;
	size_t n, chars = 0;

	if (!*p)
		return "is empty";
	for (; *p; p += n, chars++) {
		if (!(n = utf8_char(p, &cp)))
			return "is not UTF-8";
		/* C0 and C1 controls, DEL: a label is one line of text */
		if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
			return "has a control character";
	}
	if (chars > CBD_LABEL_CHARS)
		return "is longer than " STR(CBD_LABEL_CHARS) " characters";
	return NULL;
}
