#ifndef CBD_IDENT_H
#define CBD_IDENT_H

#include "bounds.h"

/* The shape of a name; pure, no I/O. Each returns 1 or 0. */

/* 1 if s is a name of ours (topic, site, caseworker id): 1 to
 * CBD_IDENT_MAX characters of a-z, 0-9, _ and -. */
int ident_name(const char *s);

/* 1 if s is a UUID in its text form: 8-4-4-4-12 hex digits. */
int ident_uuid(const char *s);

/* 1 if s has the shape of a BCP 47 tag, in any case:
 * [A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*, a one-character subtag (x, u, t)
 * only before another; its primary language, lower case, is put in
 * primary. Whether the config takes that language is config_language's. */
int ident_language(const char *s, char primary[CBD_PRIMARY_LANGUAGE_MAX + 1]);

/* NULL if s can be a display name (a topic's or site's label, a
 * language's name): 1 to CBD_LABEL_CHARS characters of UTF-8 (shortest
 * form), no control characters; else what is wrong, as a phrase to follow
 * the key ("is not UTF-8"). */
const char *ident_label_fault(const char *s);

#endif
