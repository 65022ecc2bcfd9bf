/*
 * query.c checks the values of query-string parameters. libevent splits
 * and decodes the query string; what a value means is decided here, so
 * that it can be tested and fuzzed without a server. It never answers a
 * request: the handler turns its verdict into the error.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "query.h"
#include "ident.h"

int
query_number(const char *v, unsigned long min, unsigned long max,
    unsigned long *n)
{
	unsigned long x = 0;
	const char *p;

	if (!*v)
		return -1;
	for (p = v; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (x > (max - (unsigned long)(*p - '0')) / 10)
			return -1; /* beyond max, and maybe beyond unsigned long */
		x = x * 10 + (unsigned long)(*p - '0');
	}
	if (x < min)
		return -1;
	*n = x;
	return 0;
}

/* The MS of a cursor "MS.REST": at most 15 digits (no overflow, up to
 * the year 33658); returns where REST starts, or NULL. */
static const char *
cursor_ms(const char *v, int64_t *ms)
{
	const char *dot = strchr(v, '.'), *p;
	int64_t x = 0;

	if (!dot || dot == v || dot - v > 15)
		return NULL;
	for (p = v; p < dot; p++) {
		if (*p < '0' || *p > '9')
			return NULL;
		x = x * 10 + (*p - '0');
	}
	*ms = x;
	return dot + 1;
}

int
query_cursor(const char *v, int64_t *ms, char id[37])
{
	int64_t x;
	const char *rest = cursor_ms(v, &x);

	if (!rest || !ident_uuid(rest))
		return -1;
	*ms = x;
	memcpy(id, rest, 37);
	return 0;
}

int
query_cursor_num(const char *v, int64_t *ms, int64_t *id)
{
	int64_t x;
	const char *rest = cursor_ms(v, &x);
	unsigned long n;

	if (!rest || query_number(rest, 1, INT64_MAX, &n) == -1)
		return -1;
	*ms = x;
	*id = (int64_t)n;
	return 0;
}

void
query_cursor_format(int64_t ms, const char *id, char *buf, size_t len)
{
	snprintf(buf, len, "%lld.%s", (long long)ms, id);
}

int
query_words(const char *v, const char *const *words, size_t nwords, char *out,
    size_t len)
{
	const char *p = v;
	size_t i, n, used = 0;

	for (;;) {
		n = strcspn(p, ",");
		for (i = 0; i < nwords; i++)
			if (n > 0 && strlen(words[i]) == n &&
			    !strncmp(words[i], p, n))
				break;
		if (i == nwords || used + n + 2 > len)
			return -1;
		if (used)
			out[used++] = ',';
		memcpy(out + used, words[i], n);
		used += n;
		out[used] = '\0';
		if (!p[n])
			return 0;
		p += n + 1;
	}
}
