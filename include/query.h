#ifndef CBD_QUERY_H
#define CBD_QUERY_H
#include <stddef.h>
#include <stdint.h>

/*
 * Values of query-string parameters (GET /v1/callbacks?limit=..., the
 * reports' group_by, ...), checked strictly. Pure: no I/O. Each returns 0
 * and fills its output, or -1 when the value is refused.
 */

/* Decimal digits only (no sign, space or exponent), min <= n <= max. */
int query_number(const char *v, unsigned long min, unsigned long max,
    unsigned long *n);

/* A page cursor "MS.UUID" as GET /v1/callbacks gives it in next_cursor. */
int query_cursor(const char *v, int64_t *ms, char id[37]);
/* Writes the cursor of a row; len at least QUERY_CURSOR_MAX. */
#define QUERY_CURSOR_MAX 64
void query_cursor_format(int64_t ms, const char *id, char *buf, size_t len);
/* A page cursor "MS.N" of a list by time and a number (GET /v1/alerts:
 * fired_at and the alert's id); written as "%lld.%lld". */
int query_cursor_num(const char *v, int64_t *ms, int64_t *id);

/* Comma-separated words, each one of words[0..nwords-1], no empty ones;
 * out gets them comma-separated as given (len includes the NUL). */
int query_words(const char *v, const char *const *words, size_t nwords,
    char *out, size_t len);

#endif
