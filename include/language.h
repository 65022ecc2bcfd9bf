#ifndef CBD_LANGUAGE_H
#define CBD_LANGUAGE_H

/* The name of a language in its own words (its endonym, as CLDR writes
 * it, capitalised as a list shows it: "Deutsch", "Türkçe", "العربية") for
 * a primary tag in lower case; NULL for a tag the table lacks. Pure. */
const char *language_endonym(const char *primary);

#endif
