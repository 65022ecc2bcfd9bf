/*
 * etag.c owns the entity tags of polled answers: the tag of a body and
 * whether an If-None-Match names it. It never reads a request or writes
 * an answer (http_reply.c does) and keeps no state: the tag is the body's
 * digest, so it is the same from every daemon and changes exactly when
 * the answer does.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "etag.h"

int
etag_of(const void *body, size_t len, char out[CBD_ETAG_STR])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	out[0] = '\0';
	if (!EVP_Digest(body, len, md, &mdlen, EVP_sha256(), NULL) ||
	    mdlen < (CBD_ETAG_STR - 3) / 2)
		return -1;
	out[0] = '"';
	for (i = 0; i < (CBD_ETAG_STR - 3) / 2; i++)
		snprintf(out + 1 + 2 * i, 3, "%02x", md[i]);
	out[CBD_ETAG_STR - 2] = '"';
	out[CBD_ETAG_STR - 1] = '\0';
	return 0;
}

static const char *
skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

int
etag_matches(const char *if_none_match, const char *etag)
{
	const char *p, *end;
	size_t n = strlen(etag);

	if (!if_none_match || n < 2 || etag[0] != '"')
		return 0;
	p = skip_space(if_none_match);
	if (*p == '*' && !*skip_space(p + 1))
		return 1;
	/* each member: optional W/, then "opaque" up to the next quote */
	for (;;) {
		if (!strncmp(p, "W/", 2))
			p += 2;
		if (*p != '"' || !(end = strchr(p + 1, '"')))
			return 0;
		end++;
		if ((size_t)(end - p) == n && !memcmp(p, etag, n))
			return 1;
		p = skip_space(end);
		if (!*p)
			return 0;
		if (*p != ',')
			return 0;
		p = skip_space(p + 1);
		while (*p == ',') /* empty members are allowed: "a", , "b" */
			p = skip_space(p + 1);
		if (!*p)
			return 0;
	}
}
