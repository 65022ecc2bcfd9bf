/*
 * sentinel.c owns reading what Redis Sentinel says in its messages, as
 * pure functions the unit tests and queue_sentinel.c call. It never opens
 * a connection.
 */
#include <stdlib.h>
#include <string.h>

#include "sentinel.h"

/* The next word of *p (up to a space) into out; -1 when none or it does
 * not fit. */
static int
word(const char **p, char *out, size_t len)
{
	size_t n;

	while (**p == ' ')
		(*p)++;
	n = strcspn(*p, " ");
	if (n == 0 || n >= len)
		return -1;
	if (out) {
		memcpy(out, *p, n);
		out[n] = '\0';
	}
	*p += n;
	return 0;
}

int
sentinel_parse_switch(const char *msg, char *name, size_t namelen, char *host,
    size_t hostlen, int *port)
{
	char num[8], ignored[256], *end;
	const char *p = msg;
	long n;

	if (word(&p, name, namelen) == -1 ||
	    word(&p, ignored, sizeof(ignored)) == -1 ||
	    word(&p, ignored, sizeof(ignored)) == -1 ||
	    word(&p, host, hostlen) == -1 || word(&p, num, sizeof(num)) == -1)
		return -1;
	while (*p == ' ')
		p++;
	if (*p)
		return -1;
	n = strtol(num, &end, 10);
	if (*end || n < 1 || n > 65535)
		return -1;
	*port = (int)n;
	return 0;
}
