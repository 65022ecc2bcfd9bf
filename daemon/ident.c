/*
 * ident.c owns the syntax of the names callbackd takes: its own
 * identifiers (topics, sites, caseworkers), UUIDs in their text form and
 * BCP 47 language tags. It answers only "has this shape": what a name
 * means (whether the config has that topic, that language) is the
 * caller's. Depends on nothing but bounds.h, so that config.c and
 * validate.c can both use it.
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
